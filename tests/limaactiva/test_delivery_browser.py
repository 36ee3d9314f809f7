"""The notice pages of #16 in headless Chromium, with axe-core: the e-mail choice on a
participant's dashboard, and the one-click unsubscribe page opened from a mail (no login)."""
from __future__ import annotations

import pytest
import ckan.model as model
from ckan.tests.helpers import call_action

from ckanext.limaactiva.logic.notice_mail import unsubscribe_token

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("with_plugins", "clean_db")]


def _delivery(user) -> str:
    model.Session.remove()  # the browser's request was committed by the server's thread
    return call_action("limaactiva_notice_settings_show",
                       {"user": user["name"], "ignore_auth": False})["delivery"]


def test_choosing_a_daily_digest_then_unsubscribing_from_the_mail(
        browser, server, make_citizen, axe_violations):
    citizen = make_citizen(email="vecina@example.org")
    context = browser.new_context(locale="es-PE",
                                  extra_http_headers={"Authorization": citizen["token"]})
    try:
        page = context.new_page()
        page.goto(server + "/dashboard/participa")
        assert page.is_checked("input[name=delivery][value=immediate]")
        assert axe_violations(page) == []
        page.check("input[name=delivery][value=digest]")
        page.click("#notice-mail ~ form button[type=submit]")
        page.wait_for_load_state()
        assert page.is_checked("input[name=delivery][value=digest]")
        assert _delivery(citizen) == "digest"
    finally:
        context.close()

    # the link of a notice mail, opened by somebody not logged in
    user_id = model.User.get(citizen["name"]).id
    context = browser.new_context(locale="es-PE")
    try:
        page = context.new_page()
        page.goto(f"{server}/participa/avisos/baja/{unsubscribe_token(user_id)}")
        assert "¿Dejar de recibir correos" in page.inner_text("body")
        assert _delivery(citizen) == "digest"  # opening the link changes nothing
        page.click("button:has-text('Dejar de recibir correos')")
        page.wait_for_load_state()
        assert "ya no recibirá correos" in page.inner_text("body")
        assert axe_violations(page) == []
        assert _delivery(citizen) == "none"
    finally:
        context.close()
