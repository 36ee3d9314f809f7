"""/compromisos in headless Chromium: works without JavaScript, filters, timeline, axe-core."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("with_plugins")]

@pytest.fixture
def server(plan_2022, app):
    """The test CKAN, with the 2022 plan loaded, answering on a free local port."""
    httpd = make_server("127.0.0.1", 0, app.app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def test_dashboard_without_javascript(browser, server):
    context = browser.new_context(locale="es-PE", java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/compromisos")
    assert page.locator("h1").first.inner_text() == "Primer Plan de Acción de Gobierno Abierto Lima 2022"
    bars = page.locator("[role=progressbar]")
    assert bars.count() == 4  # the plan and its three approved commitments
    assert bars.first.get_attribute("aria-valuetext") == "0\u00a0%"
    page.select_option("#olp-ogp-value", "transparency")
    page.click("#olp-filter-submit")
    page.wait_for_url("**ogp_value=transparency*")
    cards = page.locator("#olp-approved ~ ul .olp-card h3")
    assert cards.count() == 1 and "OPEN LIMA" in cards.first.inner_text()
    cards.first.locator("a").click()
    page.wait_for_url("**/compromisos/open-lima")
    rows = page.locator("#hitos-section table.olp-table").first.locator("tbody tr")
    assert rows.count() == 7
    first_row = rows.first.inner_text()
    # nothing recorded for it yet: "sin avance registrado", not "con retraso" (#13)
    assert "15/10/2022" in first_row and "18/10/2022" in first_row \
        and "Sin avance registrado" in first_row and "Con retraso" not in first_row
    context.close()


def test_dashboard_and_commitment_pages_pass_axe(browser, server, axe_violations):
    context = browser.new_context(locale="es-PE")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for path in ("/compromisos", "/compromisos/open-lima", "/compromisos/lima-honesta",
                 "/compromisos/lima-digital", "/compromisos/tracker-de-denuncias"):
        page.goto(server + path)
        assert axe_violations(page, within='[role=main]') == [], path
    assert errors == []
    context.close()
