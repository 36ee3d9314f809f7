"""A request authenticated by an API token must not switch CSRF protection off for the
browser sessions that come after it (ckanext/openlima/csrf.py)."""
from __future__ import annotations

import re

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

PASSWORD = "Clave-Segura-2026"


def csrf_token(page) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page.body).group(1)


def organization_names() -> set[str]:
    return set(call_action("organization_list"))


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_a_token_request_does_not_disable_csrf_for_later_browser_posts(app):
    user = factories.SysadminWithToken(password=PASSWORD)

    # An API client posts to a form view with its token: accepted without a CSRF token.
    by_token = app.post("/organization/new", headers={"Authorization": user["token"]},
                        data={"name": "por-token", "title": "Creada con token", "save": ""},
                        follow_redirects=False)
    assert by_token.status_code == 302, by_token.body[:500]
    assert "por-token" in organization_names()

    # Then a browser session (cookie login) posts to the same view without the token.
    app.post("/user/login", data={"login": user["name"], "password": PASSWORD,
                                  "_csrf_token": csrf_token(app.get("/user/login"))})
    forged = app.post("/organization/new",
                      data={"name": "sin-token", "title": "Falsificada", "save": ""},
                      follow_redirects=False)

    assert forged.status_code == 400
    assert "sin-token" not in organization_names()
    # With the form's own token the browser's post goes through.
    form = app.get("/organization/new")
    genuine = app.post("/organization/new",
                       data={"name": "con-token", "title": "Legítima", "save": "",
                             "_csrf_token": csrf_token(form)},
                       follow_redirects=False)
    assert genuine.status_code == 302
    assert "con-token" in organization_names()


@pytest.mark.usefixtures("with_plugins")
def test_exemptions_made_outside_token_requests_stay_process_wide(app):
    """What plugins exempt at start-up (or in any request not authenticated by a token)
    keeps working as Flask-WTF intends, in every later request."""
    from ckan.config.middleware.flask_app import csrf

    view = "ckanext.ejemplo.views.webhook"
    csrf.exempt(view)
    try:
        with app.flask_app.test_request_context("/"):
            assert view in csrf._exempt_views
        assert view in csrf._exempt_views
    finally:
        csrf._exempt_views.discard(view)
