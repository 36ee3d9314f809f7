"""The reporter's optional notice (#16): an e-mail address kept sealed to the case key,
used only when the case moves, for one content-free e-mail; gone when the case closes.
Mail is read from a real SMTP server (aiosmtpd)."""
from __future__ import annotations


import pytest

from .conftest import (all_table_bytes, case_id_by_number, csrf, db_dump_text, open_case,
                       submit_report)

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")

ADDRESS = "vecina.reservada@example.org"


def ask_for_notice(app, code, address=ADDRESS, status=303):
    page = open_case(app, code)
    assert "Aviso por correo (opcional)" in page.body
    return app.post("/denuncias/caso/aviso", data={"_csrf_token": csrf(page.body),
                                                   "correo": address},
                    status=status, follow_redirects=False)


def test_a_status_change_sends_one_content_free_mail_and_nothing_is_readable_at_rest(
        app, make_reviewer, smtp_sink):
    reviewer = make_reviewer()
    _r, number, code = submit_report(
        app, descripcion="El inspector pidió dinero por la licencia de la obra 77.")
    case_id = case_id_by_number(number)
    ask_for_notice(app, code)
    assert "id=\"lh-notice-on\"" in open_case(app, code).body

    # at rest: ciphertext only, in the table and in the whole database
    import ckan.model as model
    import sqlalchemy as sa
    stored = model.Session.execute(sa.text(
        "select address from limahonesta_reporter_notice where case_id = :c"),
        {"c": case_id}).scalar()
    assert stored and ADDRESS.encode() not in bytes(stored)
    assert len(bytes(stored)) >= len(ADDRESS) + 48  # a SealedBox: ephemeral key + MAC
    assert ADDRESS.encode() not in all_table_bytes()
    assert ADDRESS not in db_dump_text()

    # a status change: exactly one mail, saying only that the case moved
    staff_mails = len(smtp_sink.messages)
    reviewer.post(f"/integridad/caso/{case_id}/estado",
                  {"status": "en_evaluacion", "reason": "Se evalúa la admisibilidad del caso."})
    [mail] = smtp_sink.to(ADDRESS)
    assert len(smtp_sink.messages) == staff_mails + 1
    assert "Su caso tuvo movimiento" in mail["body"]
    assert "/denuncias/seguimiento" in mail["body"]
    for secret in (number, case_id, "evaluación", "admisibilidad", "inspector", "obra",
                   "Lima Honesta", "denuncia"):
        assert secret not in mail["subject"]
        assert secret not in mail["raw"].decode("utf-8", "replace")
    # an internal note tells nobody; a message to the reporter does
    reviewer.post(f"/integridad/caso/{case_id}/mensaje",
                  {"message": "Nota interna del equipo.", "internal": "on"})
    assert len(smtp_sink.to(ADDRESS)) == 1
    reviewer.post(f"/integridad/caso/{case_id}/mensaje", {"message": "¿Tiene el recibo?"})
    assert len(smtp_sink.to(ADDRESS)) == 2

    # closing: one last notice, then the address is gone for good
    for status, reason in (("en_investigacion", "Se abrió una investigación preliminar."),
                           ("decision", "Se remitió a la Secretaría Técnica."),):
        reviewer.post(f"/integridad/caso/{case_id}/estado", {"status": status, "reason": reason})
    reviewer.post(f"/integridad/caso/{case_id}/estado",
                  {"status": "cerrada", "reason": "Se sancionó al servidor responsable.",
                   "outcome": "fundada"})
    assert len(smtp_sink.to(ADDRESS)) == 5
    assert model.Session.execute(sa.text(
        "select count(*) from limahonesta_reporter_notice")).scalar() == 0


def test_the_reporter_can_remove_it_and_bad_addresses_are_refused(app, make_reviewer,
                                                                  smtp_sink):
    reviewer = make_reviewer()
    _r, number, code = submit_report(app)
    case_id = case_id_by_number(number)
    refused = ask_for_notice(app, code, address="no es un correo", status=400)
    assert "La dirección de correo no es válida." in refused.body
    header_injection = ask_for_notice(app, code, address="a@b.org\r\nBcc: x@y.org",
                                      status=400)
    assert "no es válida" in header_injection.body
    ask_for_notice(app, code)
    page = open_case(app, code)
    app.post("/denuncias/caso/aviso", data={"_csrf_token": csrf(page.body), "quitar": "1"},
             status=303, follow_redirects=False)
    assert "lh-notice-on" not in open_case(app, code).body
    reviewer.post(f"/integridad/caso/{case_id}/estado",
                  {"status": "en_evaluacion", "reason": "Se evalúa la admisibilidad del caso."})
    assert smtp_sink.to(ADDRESS) == []
    # the form needs the session: without it, nothing is stored
    other = app.post("/denuncias/caso/aviso", data={"correo": ADDRESS}, status=400)
    assert other.status_code == 400  # CSRF: no token, no session
