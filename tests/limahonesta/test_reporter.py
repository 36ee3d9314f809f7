"""Reporter side under /denuncias: the attacks of research §4 that a reporter's browser
(or someone pretending to be one) can try: 1, 3, 4, 5, 6, 7, 8, 9, 10 (headers), 13."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.lib.redis import connect_to_redis

from .conftest import (all_table_bytes, client, csrf, db_dump_text, form_value, open_case,
                       solve_pow, submit_report, text_of)

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")

NOT_FOUND = "No encontramos un caso con ese código"
SPY_IP = "203.0.113.77"
SPY_FORWARDED = "198.51.100.23"
SPY_UA = "NavegadorEspia/9.9 (PerfilUnico-7f3a)"


def count(table: str) -> int:
    return model.Session.execute(sa.text(f"select count(*) from {table}")).scalar()


def test_submission_shows_case_number_and_code_once_and_code_opens_the_case(app):
    response, case_number, code = submit_report(app)
    assert re.fullmatch(r"LH-\d{4}-[A-Z0-9]{8}", case_number)
    assert re.fullmatch(r"(\d{4} ){6}\d{4}", code)
    assert "una sola vez" in response.body
    page = open_case(app, code)
    assert case_number in page.body
    assert "Recibida" in page.body
    session_cookie = [c for c in page.headers.getlist("Set-Cookie")
                      if c.startswith("limahonesta_r=")]
    assert len(session_cookie) == 1
    assert "HttpOnly" in session_cookie[0] and "SameSite=Strict" in session_cookie[0]
    assert "Hemos recibido su denuncia" in page.body  # automatic acknowledgement
    assert "pidió dinero" in page.body
    # the code is never stored in clear, in any column of any table
    assert code.replace(" ", "").encode() not in all_table_bytes()
    assert code.replace(" ", "") not in db_dump_text()


def test_reporter_can_write_and_logout_destroys_the_session(app):
    _r, _n, code = submit_report(app)
    page = open_case(app, code)
    app.post("/denuncias/caso/mensaje", data={"_csrf_token": csrf(page.body),
                                               "mensaje": "Tengo más información: fue el lunes."},
             follow_redirects=False, status=303)
    case_page = app.get("/denuncias/caso")
    assert "fue el lunes" in case_page.body
    app.post("/denuncias/salir", data={"_csrf_token": csrf(case_page.body)})
    gone = app.get("/denuncias/caso", status=403)
    assert "Su sesión terminó" in gone.body
    assert "fue el lunes" not in gone.body


def test_expired_session_reveals_nothing(app):
    _r, _n, code = submit_report(app)
    open_case(app, code)
    redis = connect_to_redis()
    keys = redis.keys("limahonesta:vault:*")
    assert len(keys) == 1
    assert 0 < redis.ttl(keys[0]) <= 1800  # idle timeout enforced by Redis
    redis.delete(*keys)  # what the timeout does
    page = app.get("/denuncias/caso", status=403)
    assert "pidió dinero" not in page.body


SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


def assert_hardened(response):
    for name, value in SECURITY_HEADERS.items():
        assert value in response.headers.get(name, ""), (name, response.headers.get(name))
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp  # no third-party origin is allowed anywhere
    assert "public" not in response.headers["Cache-Control"]
    for cookie in response.headers.getlist("Set-Cookie"):
        assert cookie.startswith(("ckan=", "limahonesta_r=")), cookie  # nothing else
        if cookie.startswith("limahonesta_r="):
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_every_reporter_page_is_hardened_and_loads_nothing_from_other_origins(app):
    pages = [app.get("/denuncias/"), app.get("/denuncias/nueva"),
             app.get("/denuncias/seguimiento")]
    response, _n, code = submit_report(app)
    pages += [response, open_case(app, code), open_case(app, "0" * 28, status=400),
              app.get("/denuncias/recursos/lh.css"), app.get("/denuncias/recursos/pow.js")]
    for page in pages:
        assert_hardened(page)
    for page in pages[:6]:
        soup = BeautifulSoup(page.body, "html.parser")
        for tag in soup.find_all(["script", "link", "img", "iframe", "form", "a"]):
            for attr in ("src", "href", "action"):
                url = tag.get(attr) or ""
                assert not re.match(r"^(https?:)?//", url), url
        assert "<script>" not in page.body  # no inline scripts (CSP forbids them anyway)
        assert "style=" not in page.body


def test_no_ip_user_agent_or_time_of_day_is_kept(app, all_logs):
    caplog = all_logs
    spy = {"environ_overrides": {"REMOTE_ADDR": SPY_IP},
           "headers": {"User-Agent": SPY_UA, "X-Forwarded-For": SPY_FORWARDED,
                       "Referer": "http://203.0.113.77/origen"}}
    page = app.get("/denuncias/nueva", **spy)
    challenge = form_value(page.body, "pow_challenge")
    data = {"descripcion": "Cobro indebido en la ventanilla de la gerencia de transporte.",
            "oficina": "Gerencia de Transporte", "buena_fe": "on",
            "_csrf_token": csrf(page.body), "pow_challenge": challenge,
            "pow_counter": solve_pow(challenge)}
    response = app.post("/denuncias/nueva", data=data, **spy)
    code = text_of(response.body, "tracking-code")
    followed = app.post("/denuncias/seguimiento", data={
        "_csrf_token": csrf(page.body), "codigo": code}, **spy)
    app.post("/denuncias/seguimiento", data={"_csrf_token": csrf(page.body),
                                              "codigo": "1" * 28}, status=400, **spy)
    assert followed.status_code == 200
    dump = db_dump_text()
    logs = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    for trace in (SPY_IP, SPY_FORWARDED, "NavegadorEspia", "PerfilUnico"):
        assert trace not in dump
        assert trace not in logs
        for r in (page, response, followed):
            assert trace not in r.body
            assert trace not in str(r.headers)
    # dates only: no time of day is stored for anything a reporter did; reporter events
    # are kept apart from the timestamped staff log (its ids and row order would place
    # them between staff events of known time, #12)
    rows = model.Session.execute(sa.text(
        "select action from limahonesta_reporter_event")).all()
    assert {"case_created", "reporter_opened_case"} <= {r[0] for r in rows}
    assert model.Session.execute(sa.text(
        "select count(*) from limahonesta_audit where action in "
        "('case_created', 'reporter_opened_case')")).scalar() == 0
    rows = model.Session.execute(sa.text(
        "select occurred_at from limahonesta_audit where actor_id is null")).all()
    assert all(r[0].hour == r[0].minute == r[0].second == 0 for r in rows)
    column_types = model.Session.execute(sa.text(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_name in ('limahonesta_case', 'limahonesta_message', "
        "'limahonesta_status_change', 'limahonesta_attachment', "
        "'limahonesta_reporter_event') "
        "and data_type like 'timestamp%'")).all()
    assert column_types == []


def test_wrong_code_malformed_code_and_case_number_get_the_same_answer(app):
    _r, case_number, code = submit_report(app)
    answers = []
    guesses = ("0000 0000 0000 0000 0000 0000 0000", "12345", case_number,
               code.replace(" ", "")[:-1] + ("1" if code[-1] != "1" else "2"), "")
    for number, guess in enumerate(guesses, start=1):
        page = open_case(app, guess, status=400, environ=client(number))
        assert NOT_FOUND in page.body or "obligatorio" in page.body or guess == ""
        assert case_number not in page.body
        assert "pidió dinero" not in page.body
        answers.append(text_of(page.body, "error-codigo"))
    assert len(set(answers[:4])) == 1
    # the API says the same, and the case number alone opens nothing there either
    api = app.post("/api/3/action/limahonesta_report_show_by_code",
                   json={"codigo": case_number}, environ_overrides=client(99), status=409)
    assert NOT_FOUND in api.json["error"]["codigo"][0]
    assert "pidió dinero" not in api.body and "pidi\\u00f3 dinero" not in api.body
    assert app.get("/denuncias/caso", status=403)
    # GET on the API is refused, so the code can never travel in a URL
    app.get("/api/3/action/limahonesta_report_show_by_code",
            query_string={"codigo": code}, status=400)


def test_code_guessing_is_slowed_and_alerted_but_the_right_code_still_works(app, all_logs):
    caplog = all_logs
    _r, case_number, code = submit_report(app)
    for i in range(10):  # ten clients: the alert counts the whole site's failures
        open_case(app, f"{i:028d}", status=400, environ=client(10 + i))
    alerts = [r for r in caplog.records if "ALERTA" in r.getMessage()]
    assert len(alerts) == 1  # one alert per minute, not one per guess
    message = alerts[0].getMessage()
    assert "127.0.0.1" not in message and "0.0.0.0" not in message
    assert case_number in open_case(app, code).body


def test_one_case_code_cannot_reach_another_case(app):
    _ra, number_a, code_a = submit_report(app, descripcion="Caso A: cobro por licencia de obra.")
    _rb, number_b, code_b = submit_report(app, descripcion="Caso B: contratación irregular.")
    page_a = open_case(app, code_a)
    assert number_a in page_a.body and number_b not in page_a.body
    app.post("/api/3/action/limahonesta_report_message_create",
             json={"codigo": code_a, "mensaje": "Mensaje solo para A"})
    page_b = open_case(app, code_b)
    assert "Mensaje solo para A" not in page_b.body and "cobro por licencia" not in page_b.body
    # opening B replaced A's session: posting now writes into B, never A
    app.post("/denuncias/caso/mensaje", data={"_csrf_token": csrf(page_b.body),
                                               "mensaje": "Ahora escribo en B"},
             follow_redirects=False, status=303)
    assert "Ahora escribo en B" not in open_case(app, code_a).body


BAD_INPUT = [
    ({"descripcion": ""}, "descripcion", "obligatorio"),
    ({"descripcion": "corto"}, "descripcion", "demasiado corto"),
    ({"descripcion": "x" * 10001}, "descripcion", "demasiado largo"),
    ({"oficina": None}, "oficina", "obligatorio"),
    ({"buena_fe": None}, "buena_fe", "buena fe"),
    ({"distrito": "999999"}, "distrito", "Elija un distrito"),
    ({"fecha_hechos": "2999-01-01"}, "fecha_hechos", "futura"),
    ({"fecha_hechos": "ayer"}, "fecha_hechos", "fecha válida"),
    ({"involucrados": "nombre\x00oculto"}, "involucrados", "caracteres no válidos"),
]


def test_bad_input_gets_a_spanish_error_and_nothing_is_stored(app):
    # one test for all cases: each page load costs an app round trip on this machine
    for overrides, field, message in BAD_INPUT:
        response, _n, _c = submit_report(app, status=400, **overrides)
        assert message in text_of(response.body, f"error-{field}"), (overrides, field)
        assert count("limahonesta_case") == 0
        assert count("limahonesta_attachment") == 0


def test_garbage_never_causes_a_server_error(app):
    for payload in ({"descripcion": ["a", "b"]}, {"descripcion": {"x": 1}}, {"buena_fe": [1]},
                    {"canal": "satélite"}, {"codigo": 12345}, {"codigo": "9" * 100000},
                    {"fecha_hechos": 20260101}, {"distrito": None}):
        for action in ("limahonesta_report_create", "limahonesta_report_show_by_code",
                       "limahonesta_report_message_create", "limahonesta_report_rate"):
            response = app.post(f"/api/3/action/{action}", json=payload)
            assert response.status_code < 500, (action, payload, response.body[:300])
    response = app.post("/denuncias/seguimiento", data=b"\xff\xfe\x00garbage",
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500
    assert app.post("/denuncias/caso/mensaje", data={}).status_code < 500
    assert count("limahonesta_case") == 0


def test_csrf_is_required_on_reporter_forms(app):
    page = app.get("/denuncias/nueva")
    challenge = form_value(page.body, "pow_challenge")
    data = {"descripcion": "Descripción suficientemente larga de los hechos.", "oficina": "X",
            "buena_fe": "on", "pow_challenge": challenge, "pow_counter": solve_pow(challenge)}
    app.post("/denuncias/nueva", data=data, status=400)
    app.post("/denuncias/seguimiento", data={"codigo": "1" * 28}, status=400)
    assert count("limahonesta_case") == 0


def test_replayed_or_forged_proof_of_work_is_refused(app):
    page = app.get("/denuncias/nueva")
    challenge = form_value(page.body, "pow_challenge")
    counter = solve_pow(challenge)
    base = dict(descripcion="Se pidió una coima para agilizar un trámite municipal.",
                oficina="Gerencia de Desarrollo Urbano", buena_fe="on",
                _csrf_token=csrf(page.body), pow_challenge=challenge, pow_counter=counter)
    assert app.post("/denuncias/nueva", data=base).status_code == 200
    replay = app.post("/denuncias/nueva", data=base, status=400)
    assert "ya fue usada" in replay.body
    # the page comes back with a fresh challenge and no stale answer
    assert form_value(replay.body, "pow_challenge") != challenge
    assert form_value(replay.body, "pow_counter") == ""
    forged = challenge[:-4] + ("0000" if not challenge.endswith("0000") else "1111")
    assert "no es válida" in app.post("/denuncias/nueva", data=dict(
        base, pow_challenge=forged, pow_counter=solve_pow(forged)), status=400).body
    fresh = form_value(app.get("/denuncias/nueva").body, "pow_challenge")
    wrong = next(str(c) for c in range(1000) if str(c) != solve_pow(fresh)
                 and not _meets(fresh, str(c)))
    assert "no es válida" in app.post("/denuncias/nueva", data=dict(
        base, pow_challenge=fresh, pow_counter=wrong), status=400).body
    assert count("limahonesta_case") == 1


def _meets(challenge: str, counter: str) -> bool:
    import hashlib
    from .conftest import POW_BITS
    value = int.from_bytes(hashlib.sha256(f"{challenge}:{counter}".encode()).digest(), "big")
    return value >> (256 - POW_BITS) == 0


def test_without_javascript_the_form_is_accepted_after_the_wait(app, monkeypatch, ckan_config):
    response, _n, _c = submit_report(app, status=400, pow_counter="")
    assert "segundos" in text_of(response.body, "error-verificacion")
    assert count("limahonesta_case") == 0
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.pow_nojs_wait_seconds", 0)
    _r, number, code = submit_report(app, pow_counter="")
    assert number and code
    assert count("limahonesta_case") == 1


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DANGEROUS_UPLOADS = [
    ("vacio.pdf", b"", "está vacío"),
    ("grande.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 10), "tamaño máximo"),
    ("pagina.html", b"<html><script>alert(1)</script></html>", "no está permitido"),
    ("imagen.svg", b"<svg onload=alert(1)>", "no está permitido"),
    ("sin-extension", PDF, "no está permitido"),
    ("foto.pdf", PNG, "no corresponde"),
    ("poliglota.gif", b"GIF89a/*<script>alert(1)</script>*/", "código activo"),
    ("poliglota.pdf", PDF + b"<html><body onload=alert(1)>", "código activo"),
    ("poliglota.jpg", b"\xff\xd8\xff\xe0" + b"<?php system($_GET[1]); ?>", "código activo"),
]


def test_dangerous_uploads_are_refused_and_nothing_is_stored(app, honesta_config):
    import io
    import os
    storage = honesta_config["ckanext.limahonesta.storage_path"]
    for name, content, message in DANGEROUS_UPLOADS:
        response, _n, _c = submit_report(app, status=400, files=[(io.BytesIO(content), name)])
        assert message in text_of(response.body, "error-evidencias"), name
        assert count("limahonesta_case") == 0 and count("limahonesta_attachment") == 0
        assert not os.path.exists(storage) or os.listdir(storage) == []


def test_path_traversal_names_are_reduced_and_files_are_stored_encrypted(app, honesta_config):
    import io
    import os
    _r, number, code = submit_report(app, files=[(io.BytesIO(PDF), "../../../etc/contrato.pdf")])
    page = open_case(app, code)
    assert "contrato.pdf" in page.body and "../" not in page.body
    storage = honesta_config["ckanext.limahonesta.storage_path"]
    stored = os.listdir(storage)
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{48}", stored[0])
    with open(os.path.join(storage, stored[0]), "rb") as handle:
        assert b"%PDF" not in handle.read()
    assert not os.path.exists("/etc/contrato.pdf")
    # the reporter cannot download files back (limits what a leaked code exposes)
    assert "href" not in str(BeautifulSoup(page.body, "html.parser").find("ul"))


NOT_CONFIGURED = "Lima Honesta no está configurada en este servidor"


def _listing(path: str) -> list[str]:
    import os
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def test_evidence_never_falls_back_to_a_shared_temporary_directory(app, ckan_config, monkeypatch):
    """Without a storage path, evidence is refused instead of landing in ``/tmp``, where
    another local account could create the directory first and delete or swap files."""
    import io
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.storage_path", "")
    monkeypatch.setitem(ckan_config, "ckan.storage_path", "")
    shared = "/tmp/limahonesta"
    before = _listing(shared)
    response, _n, _c = submit_report(app, status=400, files=[(io.BytesIO(PDF), "contrato.pdf")])
    assert NOT_CONFIGURED in response.body
    assert count("limahonesta_case") == 0 and count("limahonesta_attachment") == 0
    assert _listing(shared) == before
    # a report without files needs no storage and is still received
    _r, number, code = submit_report(app)
    assert number and code and count("limahonesta_case") == 1


def test_evidence_directory_that_others_can_write_is_refused(app, ckan_config, monkeypatch,
                                                             tmp_path):
    import io
    import os
    shared = tmp_path / "compartido"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.storage_path", str(shared))
    response, _n, _c = submit_report(app, status=400, files=[(io.BytesIO(PDF), "contrato.pdf")])
    assert NOT_CONFIGURED in response.body
    assert count("limahonesta_case") == 0 and os.listdir(shared) == []
    os.chmod(shared, 0o700)  # made private by its owner: accepted
    _r, number, _c = submit_report(app, files=[(io.BytesIO(PDF), "contrato.pdf")])
    assert number and len(os.listdir(shared)) == 1


def test_api_token_requests_are_refused_on_reporter_pages(app):
    response = app.get("/denuncias/nueva", headers={"Authorization": "not-a-token"})
    assert response.status_code in (401, 403)
    assert model.Session.execute(sa.text("select count(*) from limahonesta_case")).scalar() == 0


def test_oversized_request_bodies_are_refused_before_reading(app):
    page = app.get("/denuncias/nueva")
    # 5 files x 1 MiB (test limit) + 1 MiB of form, plus one byte too many
    body = b"x" * (6 * 1024 * 1024 + 1)
    response = app.post("/denuncias/nueva", data=body, status=413,
                        headers={"Content-Type": "application/x-www-form-urlencoded",
                                 "X-CSRFToken": csrf(page.body)})
    assert "tamaño máximo" in response.body
    assert count("limahonesta_case") == 0



def test_reporter_pages_are_spanish_first_and_offered_in_english(app):
    assert "Denuncie actos de corrupción" in app.get("/denuncias/").body
    english = app.get("/en/denuncias/")
    assert "Report corruption anonymously and safely" in english.body
    assert_hardened(english)  # the locale prefix does not escape the middleware
    page = app.get("/en/denuncias/nueva")
    challenge = form_value(page.body, "pow_challenge")
    response = app.post("/en/denuncias/nueva", data=dict(
        descripcion="Cobro indebido en la ventanilla, versión en inglés del formulario.",
        oficina="Gerencia", buena_fe="on", _csrf_token=csrf(page.body),
        pow_challenge=challenge, pow_counter=solve_pow(challenge)),
        environ_overrides={"REMOTE_ADDR": SPY_IP}, headers={"User-Agent": SPY_UA})
    assert_hardened(response)
    assert SPY_IP not in db_dump_text() and "NavegadorEspia" not in db_dump_text()
