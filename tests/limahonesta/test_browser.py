"""A report walked from submission to closure in headless Chromium, on both sides.

Research §4 attacks 9 and 10 in a real browser and a real HTTP server: reporter pages
make zero requests to other origins (JavaScript off and on), and the server's access
log shows no client address for reporter paths.
"""
from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from .conftest import PASSPHRASE, PASSWORD, current_step, totp

pytestmark = [pytest.mark.browser,
              pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")]

@pytest.fixture
def live_server(app, all_logs, monkeypatch, ckan_config):
    server = make_server("127.0.0.1", 0, app.app, threaded=False)
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setitem(ckan_config, "ckan.site_url", url)  # CKAN's own redirects
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def watched_page(browser, requests, javascript=True):
    context = browser.new_context(locale="es-PE", java_script_enabled=javascript)
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    return page


def test_report_from_submission_to_closure_in_a_browser(
        browser, live_server, all_logs, make_reviewer, monkeypatch, ckan_config):
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.pow_nojs_wait_seconds", 1)
    origin = urlsplit(live_server).netloc
    # the reviewer enrols first (web test client), so the new case is sealed to them
    reviewer = make_reviewer(login=False)

    # --- reporter, JavaScript off
    reporter_requests: list[str] = []
    page = watched_page(browser, reporter_requests, javascript=False)
    page.goto(f"{live_server}/denuncias/")
    page.click("text=Presentar una denuncia")
    page.fill("#descripcion", "Un servidor de la Gerencia de Transporte cobró por un permiso gratuito.")
    page.fill("#oficina", "Gerencia de Transporte Urbano")
    page.select_option("#distrito", "150122")
    page.check("input[name=buena_fe]")
    page.wait_for_timeout(1200)  # the no-JavaScript path accepts the form after the wait
    page.click("button[type=submit]")
    code = page.inner_text("#tracking-code")
    case_number = page.inner_text(".lh-case-number")
    assert len(code.replace(" ", "")) == 28
    page.goto(f"{live_server}/denuncias/seguimiento")
    page.fill("#codigo", code)
    page.click("button[type=submit]")
    assert case_number in page.content()
    page.fill("#mensaje", "Adjunto más detalles: ocurrió dos veces.")
    page.click("form[action$='/caso/mensaje'] button[type=submit]")
    page.wait_for_url("**/denuncias/caso")
    assert "ocurrió dos veces" in page.content()

    # --- reporter, JavaScript on: the proof of work is computed in the browser
    js_page = watched_page(browser, reporter_requests, javascript=True)
    js_page.goto(f"{live_server}/denuncias/nueva")
    js_page.fill("#descripcion", "Segunda denuncia enviada con JavaScript activado en el navegador.")
    js_page.fill("#oficina", "Subgerencia de Licencias")
    js_page.check("input[name=buena_fe]")
    js_page.click("button[type=submit]")
    js_page.wait_for_selector("#tracking-code")
    assert js_page.inner_text(".lh-case-number").startswith("LH-")

    # --- Integrity Unit, in the browser: CKAN login, TOTP, case, status changes to closure
    staff_requests: list[str] = []
    staff = watched_page(browser, staff_requests, javascript=False)
    staff.goto(f"{live_server}/user/login")
    staff.fill("#field-login", reviewer.user["name"])
    staff.fill("#field-password", PASSWORD)
    staff.press("#field-password", "Enter")
    staff.wait_for_load_state()
    staff_requests.clear()  # CKAN's own pages (user avatars...) are not under test here
    staff.goto(f"{live_server}/integridad/")
    assert "/integridad/acceso" in staff.url
    staff.fill("#second_factor", totp(reviewer.secret, max(reviewer.step + 1, current_step())))
    staff.fill("#passphrase", PASSPHRASE)
    staff.click("button[type=submit] >> text=Ingresar")
    staff.click(f"text={case_number}")
    assert "cobró por un permiso gratuito" in staff.content()
    assert "ocurrió dos veces" in staff.content()
    for status, outcome, reason in (
            ("en_evaluacion", "", "Se evalúa la denuncia recibida por la web."),
            ("en_investigacion", "", "Se solicitó información a la gerencia."),
            ("decision", "", "Se remitió a la Secretaría Técnica."),
            ("cerrada", "fundada", "Se sancionó al servidor responsable.")):
        staff.select_option("#status", status)
        if outcome:
            staff.select_option("#outcome", outcome)
        staff.fill("#reason", reason)
        staff.click("form[action$='/estado'] button[type=submit]")
        staff.wait_for_load_state()
        assert reason in staff.content()

    # --- reporter sees the closure and rates it
    page.goto(f"{live_server}/denuncias/caso")
    assert "Se sancionó al servidor responsable" in page.content()
    page.check("input[name=calificacion][value='5']")
    page.click("form[action$='/caso/calificar'] button[type=submit]")
    page.wait_for_url("**/denuncias/caso")
    assert "5 de 5" in page.content()
    page.click("form[action$='/salir'] button[type=submit]")

    # zero requests to any other origin, from either side
    foreign = [url for url in reporter_requests + staff_requests
               if urlsplit(url).netloc != origin and not url.startswith(("data:", "about:"))]
    assert foreign == []
    assert any("/denuncias/recursos/pow.js" in url for url in reporter_requests)

    # the HTTP server's access log: requests to reporter paths carry no client address
    access = [r.getMessage() for r in all_logs.records if r.name == "werkzeug"]
    reporter_lines = [line for line in access if "/denuncias" in line]
    assert reporter_lines, "the access log was not captured"
    assert all("127.0.0.1" not in line for line in reporter_lines)
    assert any("127.0.0.1" in line for line in access if "/integridad" in line)
