"""Integrity Unit side: research §4 attacks 4, 5, 6, 11, 14, 15 and the case workflow."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories

from .conftest import (PASSWORD, case_id_by_number, ckan_login, csrf, new_browser,
                       open_case, submit_report, text_of)

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")

STAFF_ACTIONS = ("limahonesta_case_list", "limahonesta_case_show",
                 "limahonesta_case_update_status", "limahonesta_message_create",
                 "limahonesta_identity_show", "limahonesta_audit_list",
                 "limahonesta_security_status")


def audit_actions(case_id=None):
    """Staff, system and reporter events (these are kept apart, see test_audit_order)."""
    where = " where case_id = :c" if case_id else ""
    query = (f"select action from limahonesta_audit{where} union all "
             f"select action from limahonesta_reporter_event{where}")
    return [r[0] for r in model.Session.execute(sa.text(query), {"c": case_id})]


def test_outsiders_get_403_on_pages_and_actions(app, make_reviewer, integrity_org):
    _r, number, _code = submit_report(app)
    case_id = case_id_by_number(number)
    # anonymous
    assert app.get("/integridad/", status=403)
    assert app.get(f"/integridad/caso/{case_id}", status=403)
    for action in STAFF_ACTIONS:
        assert app.post(f"/api/3/action/{action}", json={"id": case_id}).status_code == 403
    # logged in, not a member (and a sysadmin who is not a member: no bypass)
    outsider = make_reviewer(member=False)
    assert outsider.app.get("/integridad/", status=403)
    sysadmin = factories.Sysadmin(password=PASSWORD)
    admin_browser = new_browser(app)
    ckan_login(admin_browser, sysadmin["name"])
    assert admin_browser.get(f"/integridad/caso/{case_id}", status=403)
    token = factories.APIToken(user=sysadmin["name"])["token"]
    for action in STAFF_ACTIONS:
        response = app.post(f"/api/3/action/{action}", json={"id": case_id},
                            headers={"Authorization": token})
        assert response.status_code == 403, action
        assert "pidió dinero" not in response.body
    # a member with an API token but no two-factor session: still 403
    member = make_reviewer(login=False)
    member_token = factories.APIToken(user=member.user["name"])["token"]
    for action in STAFF_ACTIONS:
        assert app.post(f"/api/3/action/{action}", json={"id": case_id},
                        headers={"Authorization": member_token}).status_code == 403
    assert member.app.get("/integridad/", headers={"Authorization": member_token},
                          status=403)


def test_second_factor_is_required_and_a_used_code_is_refused(make_reviewer):
    reviewer = make_reviewer(login=False)
    # enrolled but no second factor yet: every page sends to the second-factor form
    response = reviewer.app.get("/integridad/", follow_redirects=False)
    assert response.status_code == 302 and "/integridad/acceso" in response.headers["Location"]
    # the enrolment code itself cannot be replayed to log in
    from .conftest import totp
    reviewer.login(code=totp(reviewer.secret, reviewer.step), expect=401)
    reviewer.login(code="000000", expect=401)
    used = reviewer.login()
    assert reviewer.app.get("/integridad/").status_code == 200
    reviewer.post("/integridad/salir", {})
    assert reviewer.app.get("/integridad/", follow_redirects=False).status_code == 302
    reviewer.login(code=used, expect=401)  # replay of an accepted code
    # a recovery code is a valid second factor, but the key still needs the passphrase;
    # a failed attempt spends the code all the same
    first, second = reviewer.recovery_codes[:2]
    assert len(first.replace("-", "")) == 16  # 80 bits each
    reviewer.login(code=first, passphrase="frase equivocada", expect=401)
    reviewer.login(code=first, expect=401)
    # the printed recovery key replaces a forgotten passphrase
    reviewer.login(code=second, passphrase="", recovery_key=reviewer.recovery_key)
    assert reviewer.app.get("/integridad/").status_code == 200
    reviewer.post("/integridad/salir", {})
    reviewer.login(code=second, expect=401)
    failures = audit_actions().count("reviewer_login_failed")
    assert failures >= 5


def test_workflow_from_report_to_closure_and_rating(app, make_reviewer):
    reviewer = make_reviewer()
    _r, number, code = submit_report(app)
    case_id = case_id_by_number(number)
    listing = reviewer.app.get("/integridad/")
    assert number in listing.body
    page = reviewer.app.get(f"/integridad/caso/{case_id}")
    assert "pidió dinero" in page.body
    # a status change needs a reason; the reporter sees the reason
    bad = reviewer.post(f"/integridad/caso/{case_id}/estado",
                        {"status": "en_evaluacion", "reason": ""}, status=400)
    assert "obligatorio" in bad.body
    reviewer.post(f"/integridad/caso/{case_id}/estado",
                  {"status": "en_evaluacion", "reason": "Se evalúa la admisibilidad de la denuncia."})
    bad_code = reviewer.post(f"/integridad/caso/{case_id}/pdudc",
                             {"pdudc_code": "<script>"}, status=400)
    assert "Use solo letras" in bad_code.body
    reviewer.post(f"/integridad/caso/{case_id}/pdudc", {"pdudc_code": "PDUDC-2026/000123"})
    assert 'value="PDUDC-2026/000123"' in reviewer.app.get(f"/integridad/caso/{case_id}").body
    reviewer.post(f"/integridad/caso/{case_id}/mensaje",
                  {"message": "¿Puede indicar la fecha exacta del pago?"})
    reviewer.post(f"/integridad/caso/{case_id}/mensaje",
                  {"message": "Nota interna: posible relación con el caso 12.", "internal": "on"})
    seen = open_case(app, code)
    assert "En evaluación" in seen.body and "admisibilidad" in seen.body
    assert "fecha exacta del pago" in seen.body
    assert "Nota interna" not in seen.body and "caso 12" not in seen.body
    app.post("/denuncias/caso/mensaje", data={"_csrf_token": csrf(seen.body),
                                               "mensaje": "Fue el 15 de enero en la mañana."})
    assert "15 de enero" in reviewer.app.get(f"/integridad/caso/{case_id}").body
    # skipping a stage the workflow does not allow is refused
    assert reviewer.post(f"/integridad/caso/{case_id}/estado",
                         {"status": "recibida", "reason": "Volver atrás sin motivo válido"},
                         status=400)
    reviewer.post(f"/integridad/caso/{case_id}/estado",
                  {"status": "en_investigacion", "reason": "Se abrió investigación preliminar."})
    reviewer.post(f"/integridad/caso/{case_id}/estado",
                  {"status": "decision", "reason": "Se remitió a la Secretaría Técnica de PAD."})
    no_outcome = reviewer.post(f"/integridad/caso/{case_id}/estado",
                               {"status": "cerrada", "reason": "Caso concluido."}, status=400)
    assert "resultado" in no_outcome.body
    reviewer.post(f"/integridad/caso/{case_id}/estado",
                  {"status": "cerrada", "outcome": "fundada",
                   "reason": "Se inició procedimiento sancionador al servidor."})
    closed = open_case(app, code)
    assert "Cerrada" in closed.body and "procedimiento sancionador" in closed.body
    assert 'name="mensaje"' not in closed.body  # closed: no more messages
    app.post("/denuncias/caso/calificar", data={"_csrf_token": csrf(closed.body),
                                                 "calificacion": "4"})
    assert "4 de 5" in app.get("/denuncias/caso").body
    again = app.post("/denuncias/caso/calificar", data={"_csrf_token": csrf(closed.body),
                                                         "calificacion": "1"}, status=400)
    assert "una vez" in again.body
    actions = audit_actions(case_id)
    for expected in ("case_created", "case_read", "status_changed", "message_to_reporter",
                     "message_internal", "reporter_message", "reporter_rating"):
        assert expected in actions


def test_identity_needs_a_second_reviewers_approval(app, make_reviewer):
    alice, bob = make_reviewer(), make_reviewer()
    _r, number, _code = submit_report(app, identidad_nombre="Rosa Denunciante",
                                      identidad_contacto="rosa@example.org")
    case_id = case_id_by_number(number)
    page = alice.app.get(f"/integridad/caso/{case_id}")
    assert "Rosa" not in page.body
    alice.post(f"/integridad/caso/{case_id}/identidad", {}, status=403)
    alice.post(f"/integridad/caso/{case_id}/identidad/solicitar",
               {"reason": "Necesitamos citarla como testigo en el procedimiento."})
    request_id = model.Session.execute(sa.text(
        "select id from limahonesta_identity_request")).scalar()
    # nobody approves their own request
    alice.post(f"/integridad/caso/{case_id}/identidad/decidir",
               {"request_id": request_id, "approve": "1"}, status=403)
    alice.post(f"/integridad/caso/{case_id}/identidad", {}, status=403)
    bob.post(f"/integridad/caso/{case_id}/identidad/decidir",
             {"request_id": request_id, "approve": "1"})
    shown = alice.post(f"/integridad/caso/{case_id}/identidad", {})
    assert "Rosa Denunciante" in text_of(shown.body, "identity")
    # the approver did not ask, so the approver still cannot see it
    bob.post(f"/integridad/caso/{case_id}/identidad", {}, status=403)
    actions = audit_actions(case_id)
    assert "identity_requested" in actions and "identity_request_aprobada" in actions
    assert actions.count("identity_decrypted") == 1
    assert actions.count("identity_denied") >= 2


def test_excluded_or_late_reviewer_gets_403_and_holds_no_key(app, make_reviewer):
    alice, bob = make_reviewer(), make_reviewer()
    _r, number, _code = submit_report(app)
    case_id = case_id_by_number(number)
    late = make_reviewer()  # enrolled after the report: nothing was sealed to them
    assert number not in late.app.get("/integridad/").body
    late.app.get(f"/integridad/caso/{case_id}", status=403)
    alice.post(f"/integridad/caso/{case_id}/acceso", {"user": bob.user["name"], "revoke": "1"})
    bob.app.get(f"/integridad/caso/{case_id}", status=403)
    assert number not in bob.app.get("/integridad/").body
    keys = {r[0] for r in model.Session.execute(sa.text(
        "select reviewer_id from limahonesta_case_key where case_id = :c"), {"c": case_id})}
    assert keys == {alice.user["id"]}
    # granting seals the case key to the late reviewer, who can then read it
    alice.post(f"/integridad/caso/{case_id}/acceso", {"user": late.user["name"]})
    assert "pidió dinero" in late.app.get(f"/integridad/caso/{case_id}").body
    # the last holder cannot be removed (the case would become unreadable)
    alice.post(f"/integridad/caso/{case_id}/acceso", {"user": late.user["name"], "revoke": "1"})
    alice.post(f"/integridad/caso/{case_id}/acceso",
               {"user": alice.user["name"], "revoke": "1"}, status=400)


XSS = '<script>alert("xss")</script>"><img src=x onerror=alert(1)>'


def test_stored_xss_in_every_field_is_inert_in_staff_pages(app, make_reviewer):
    reviewer = make_reviewer()
    _r, number, code = submit_report(
        app, descripcion="Hechos " + XSS, oficina="Oficina " + XSS, involucrados=XSS,
        identidad_nombre=XSS,
        files=[(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "x><svg onload=alert(1)>.pdf")])
    seen = open_case(app, code)
    app.post("/denuncias/caso/mensaje", data={"_csrf_token": csrf(seen.body), "mensaje": XSS})
    case_id = case_id_by_number(number)
    for body in (reviewer.app.get(f"/integridad/caso/{case_id}").body, seen.body,
                 reviewer.app.get("/integridad/").body):
        soup = BeautifulSoup(body, "html.parser")
        assert not [s for s in soup.find_all("script") if "xss" in (s.string or "")]
        assert not soup.find_all("img", onerror=True)
        assert not soup.find_all("svg")
        assert "<script>alert" not in body
    assert "&lt;script&gt;" in reviewer.app.get(f"/integridad/caso/{case_id}").body


def test_files_are_served_to_reviewers_only_as_attachments(app, make_reviewer):
    reviewer = make_reviewer()
    pdf = b"%PDF-1.4\n% prueba\n%%EOF\n"
    _r, number, _code = submit_report(app, files=[(io.BytesIO(pdf), "contrato firmado.pdf")])
    case_id = case_id_by_number(number)
    page = reviewer.app.get(f"/integridad/caso/{case_id}")
    link = BeautifulSoup(page.body, "html.parser").find("a", download=True)["href"]
    response = reviewer.app.get(link)
    assert response.data == pdf
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "contrato_firmado.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "file_decrypted" in audit_actions(case_id)
    app.get(link, status=403)  # anonymous


def test_phone_report_code_must_be_changed_at_first_use(app, make_reviewer):
    operator = make_reviewer()
    form = operator.app.get("/integridad/nueva")
    filed = operator.app.post("/integridad/nueva", data={
        "_csrf_token": csrf(form.body), "canal": "telefono", "oficina": "Gerencia de Fiscalización",
        "descripcion": "Llamada: un inspector pidió dinero para no multar un local.",
        "buena_fe": "on"})
    operator_code = text_of(filed.body, "tracking-code")
    assert operator_code
    first = open_case(app, operator_code)
    new_code = text_of(first.body, "new-tracking-code")
    assert new_code and new_code != operator_code
    assert "inspector" in first.body
    open_case(app, operator_code, status=400)  # the operator's code no longer works
    assert "inspector" in open_case(app, new_code).body
    row = model.Session.execute(sa.text(
        "select channel, confidentiality, code_change_required from limahonesta_case")).first()
    assert tuple(row) == ("telefono", "confidencial", False)
    # anonymous web users cannot pretend to be an operator
    response = app.post("/api/3/action/limahonesta_report_create", json={
        "canal": "telefono", "oficina": "X", "buena_fe": True,
        "descripcion": "Intento de registrar como operador sin serlo."})
    assert response.status_code == 403


def test_notification_emails_carry_no_content(app, make_reviewer, mail_server, ckan_config,
                                              monkeypatch):
    monkeypatch.setitem(ckan_config, "smtp.server", "localhost")
    reviewer = make_reviewer()
    _r, number, _code = submit_report(app, descripcion="Texto muy secreto sobre la obra pública 77.")
    messages = mail_server.get_smtp_messages()
    assert messages, "staff were not notified"
    for message in messages:
        text = str(message)
        assert reviewer.user["email"] in str(message[2])
        assert number not in text and "secreto" not in text and "obra" not in text
        assert "actividad nueva" in text or "actividad" in text


def test_staff_session_expires_and_csrf_is_required(make_reviewer):
    reviewer = make_reviewer()
    assert reviewer.app.get("/integridad/").status_code == 200
    reviewer.app.post("/integridad/salir", data={}, status=400)  # no CSRF token
    connect_to_redis().delete(*connect_to_redis().keys("limahonesta:vault:*"))
    response = reviewer.app.get("/integridad/", follow_redirects=False)
    assert response.status_code == 302 and "/integridad/acceso" in response.headers["Location"]


def test_guessing_counters_are_visible_to_the_unit(app, make_reviewer):
    reviewer = make_reviewer()
    for i in range(3):
        open_case(app, f"{i:028d}", status=400)
    url = "/api/3/action/limahonesta_security_status"
    # With the staff session (no API token) a POST needs the session's CSRF token, as
    # CKAN's own JavaScript sends it; without it the API refuses.
    assert reviewer.app.post(url, json={}).status_code == 400
    token = csrf(reviewer.app.get("/integridad/").body)
    token_free = reviewer.app.post(url, json={}, headers={"X-CSRFToken": token})
    assert token_free.status_code == 200, token_free.body
    status = token_free.json["result"]
    assert status["failures_last_10_min"] >= 3
    assert set(status) == {"failures_last_10_min", "current_delay_seconds"}


def test_new_reviewers_get_no_case_until_another_reviewer_approves(app, make_reviewer):
    alice = make_reviewer()  # the unit's first reviewer: approved at bootstrap
    assert model.Session.execute(sa.text(
        "select approved_by from limahonesta_reviewer where user_id = :u"),
        {"u": alice.user["id"]}).scalar() == "bootstrap"
    # e.g. a CKAN sysadmin who made themself a member and enrolled
    mallory = make_reviewer(approve=False)
    _r, before, _c = submit_report(app)
    listing = mallory.app.get("/integridad/")
    assert "not-approved" in listing.body and before not in listing.body
    mallory.app.get(f"/integridad/caso/{case_id_by_number(before)}", status=403)
    mallory.post("/integridad/revisores/aprobar", {"user": mallory.user["name"]}, status=403)
    assert mallory.user["name"] in alice.app.get("/integridad/").body
    alice.post("/integridad/revisores/aprobar", {"user": mallory.user["name"]})
    _r, after, _c = submit_report(app)
    listing = mallory.app.get("/integridad/")
    assert after in listing.body and before not in listing.body  # no retroactive keys
    assert "reviewer_approved" in audit_actions()


def test_audit_order_places_no_reporter_event_between_staff_events(app, make_reviewer):
    """Reporter events carry their date only; neither ids, nor the order of rows in the
    database, nor the audit page may place them between staff events of known time."""
    reviewer = make_reviewer()
    _r, number, code = submit_report(app)
    case_id = case_id_by_number(number)
    reviewer.app.get(f"/integridad/caso/{case_id}")
    open_case(app, code)
    reviewer.app.get(f"/integridad/caso/{case_id}")
    open_case(app, code)
    reviewer.app.get(f"/integridad/caso/{case_id}")
    types = dict(model.Session.execute(sa.text(
        "select table_name || '.' || column_name, data_type from information_schema.columns "
        "where table_name in ('limahonesta_audit', 'limahonesta_reporter_event') "
        "and column_name in ('id', 'occurred_at', 'occurred_on')")).all())
    assert types == {"limahonesta_audit.id": "text", "limahonesta_audit.occurred_at":
                     "timestamp without time zone", "limahonesta_reporter_event.id": "text",
                     "limahonesta_reporter_event.occurred_on": "date"}
    assert model.Session.execute(sa.text(
        "select count(*) from pg_sequences where sequencename like 'limahonesta%'")).scalar() == 0
    page = reviewer.app.get("/integridad/auditoria", query_string={"case_id": case_id})
    rows = [[cell.get_text(strip=True) for cell in tr.find_all("td")]
            for tr in BeautifulSoup(page.body, "html.parser").select("tbody tr")]
    reporter_rows = [i for i, row in enumerate(rows) if row[1] == "denunciante"]
    assert len(reporter_rows) == 3  # filed, opened twice
    assert all(len(rows[i][0]) == 10 for i in reporter_rows)  # AAAA-MM-DD, no time
    # all of today's reporter events come together after today's staff events
    assert reporter_rows == list(range(len(rows) - 3, len(rows)))
