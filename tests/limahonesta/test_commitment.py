"""The integrity commitment register (#16): who may write it, what the public sees, the
audit trail, the exports and the indicator on the Lima Honesta commitment."""
from __future__ import annotations

import copy
import csv
import datetime
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import yaml
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock

from .conftest import PASSWORD, ckan_login, new_browser, text_of

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")

PDF = b"%PDF-1.7\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<<>>\n%%EOF\n"
PLAN_FILE = Path(__file__).resolve().parents[2] / "config" / "plan" / "plan-2022.yaml"
WRITE_ACTIONS = ("limahonesta_integrity_signature_record",
                 "limahonesta_integrity_signature_update",
                 "limahonesta_integrity_signature_withdraw",
                 "limahonesta_integrity_office_show")


def _record(reviewer, office, status=303, files=None, **fields):
    data = {"signed_on": "2026-03-15", "signatory_role": "Gerente de Transporte Urbano",
            "signatory_name": "", "document_url": "", "notes": ""}
    data.update(fields)
    if files:
        data["documento"] = files
    return reviewer.post(f"/integridad/compromisos/{office}/firmar", data,
                         content_type="multipart/form-data", status=status,
                         follow_redirects=False)


def _register(app):
    return app.get("/integridad/compromiso.json").json


def _office(register, name):
    return next(o for o in register["offices"] if o["name"] == name)


def _trail(office_id):
    return [tuple(r) for r in model.Session.execute(sa.text(
        "select action, changed_by from limahonesta_integrity_signature_change "
        "where organization_id = :o order by changed_at"), {"o": office_id})]


def test_only_reviewers_with_a_second_factor_write_the_register(app, make_reviewer):
    office = factories.Organization(title="Gerencia de Prueba de Firmas")
    payload = {"organization": office["name"], "signed_on": "2026-03-01",
               "signatory_role": "Gerente"}
    # anyone reads the public register
    assert app.post("/api/3/action/limahonesta_integrity_commitment_show",
                    json={}).status_code == 200
    assert app.get("/integridad/compromiso").status_code == 200
    # anonymous, a logged-in outsider, a sysadmin and a member without a two-factor
    # session are refused, through the API and the staff pages
    outsider = factories.User(password=PASSWORD)
    sysadmin = factories.Sysadmin(password=PASSWORD)
    member = make_reviewer(login=False)
    tokens = [None] + [factories.APIToken(user=u)["token"]
                       for u in (outsider["name"], sysadmin["name"], member.user["name"])]
    for token in tokens:
        headers = {"Authorization": token} if token else {}
        for action in WRITE_ACTIONS:
            response = app.post(f"/api/3/action/{action}", json=dict(payload, id="x"),
                                headers=headers)
            assert response.status_code == 403, (action, token)
    for user in (outsider, sysadmin):
        browser = new_browser(app)
        ckan_login(browser, user["name"])
        assert browser.get("/integridad/compromisos").status_code == 403
        assert browser.get(f"/integridad/compromisos/{office['name']}").status_code == 403
    assert app.get("/integridad/compromisos", follow_redirects=False).status_code == 403
    page = member.app.get(f"/integridad/compromisos/{office['name']}", follow_redirects=False)
    assert page.status_code == 302 and "/integridad/acceso" in page.headers["Location"]
    assert model.Session.execute(sa.text(
        "select count(*) from limahonesta_integrity_signature")).scalar() == 0
    # a reviewer with a live session records it
    reviewer = make_reviewer()
    _record(reviewer, office["name"])
    assert _office(_register(app), office["name"])["signed"] is True


def test_record_correct_renew_and_withdraw_with_an_audit_trail(app, make_reviewer):
    office = factories.Organization(title="Gerencia de Transporte Urbano de Prueba")
    reviewer = make_reviewer()
    name = office["name"]

    # refused input gets field errors in Spanish, and nothing is stored
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    for fields, files, message in (
            ({"signed_on": future}, None, "no puede ser futura"),
            ({"signed_on": "15/03/2026"}, None, "fecha válida"),
            ({"signatory_role": ""}, None, "obligatorio"),
            ({"document_url": "javascript:alert(1)"}, None, "dirección web completa"),
            ({}, [(io.BytesIO(b"hola"), "firma.txt")], "debe ser un PDF"),
            ({}, [(io.BytesIO(b"MZ\x90\x00"), "firma.pdf")], "no corresponde")):
        response = _record(reviewer, name, status=400, files=files, **fields)
        assert message in response.body, fields
    assert _office(_register(app), name)["signed"] is False

    # recorded with an uploaded PDF: public page, JSON and the document itself
    _record(reviewer, name, signatory_name="", notes="Nota interna sobre la firma",
            files=[(io.BytesIO(PDF), "compromiso firmado.pdf")])
    signature = _office(_register(app), name)["signature"]
    assert signature["signed_on"] == "2026-03-15"
    assert signature["signatory_role"] == "Gerente de Transporte Urbano"
    assert signature["signatory_name"] is None
    assert "notes" not in signature
    assert signature["document_url"].startswith("http")  # absolute in the exports
    document = app.get(urlsplit(signature["document_url"]).path)
    assert document.status_code == 200 and document.data == PDF
    assert document.headers["Content-Type"] == "application/pdf"
    assert "attachment" in document.headers["Content-Disposition"]

    # corrected: the trail says who changed which field
    _ = reviewer.post(f"/integridad/compromisos/{name}/firma/{signature['id']}", {
        "signed_on": "2026-03-15", "signatory_role": "Gerente General de Transporte",
        "signatory_name": "Ana Quispe", "document_url": "", "notes": "Nota interna sobre la firma"},
        content_type="multipart/form-data", follow_redirects=False, status=303)
    staff_page = reviewer.app.get(f"/integridad/compromisos/{name}").body
    changes = text_of(staff_page, "signature-changes")
    assert "Firma corregida" in changes and reviewer.user["name"] in changes
    assert ("Cargo de quien firmó: Gerente de Transporte Urbano → Gerente General de Transporte"
            in changes)
    assert "Nota interna sobre la firma" in staff_page

    # renewed: the earlier signature is kept as "renovada"
    _record(reviewer, name, signed_on="2026-06-01", signatory_role="Gerente de Transporte",
            document_url="https://www.munlima.gob.pe/compromiso.pdf")
    entry = _office(_register(app), name)
    assert entry["signature"]["signed_on"] == "2026-06-01"
    assert entry["signature"]["document_url"] == "https://www.munlima.gob.pe/compromiso.pdf"
    assert [(h["state"], h["ended_on"]) for h in entry["history"]] == [("renovada", "2026-06-01")]
    # a renewal dated before the signature in force is refused
    response = _record(reviewer, name, status=400, signed_on="2026-05-01")
    assert "no puede ser anterior" in response.body

    # withdrawn: the office counts as not signed; the reason is public
    signed_before = _register(app)["signed_offices"]
    response = reviewer.post(
        f"/integridad/compromisos/{name}/firma/{entry['signature']['id']}/retirar",
        {"withdrawn_on": "2026-07-01", "reason": "La gerencia fue reorganizada."},
        follow_redirects=False)
    assert response.status_code == 303
    register = _register(app)
    entry = _office(register, name)
    assert entry["signed"] is False and register["signed_offices"] == signed_before - 1
    assert entry["history"][0]["state"] == "retirada"
    assert entry["history"][0]["withdrawal_reason"] == "La gerencia fue reorganizada."
    assert _trail(office["id"]) == [
        ("recorded", reviewer.user["id"]), ("updated", reviewer.user["id"]),
        ("renewed", reviewer.user["id"]), ("recorded", reviewer.user["id"]),
        ("withdrawn", reviewer.user["id"])]
    # the Lima Honesta audit log has them too
    assert model.Session.execute(sa.text(
        "select count(*) from limahonesta_audit where action like 'integrity_signature_%'"
    )).scalar() == 5


def test_public_page_and_exports_show_every_office_and_nothing_private(app, make_reviewer):
    signed = factories.Organization(title="Gerencia que firmó")
    unsigned = factories.Organization(title="Gerencia que aún no firma")
    reviewer = make_reviewer()
    _record(reviewer, signed["name"], signatory_role="=HYPERLINK(\"http://x\")",
            notes="Secreto de la Unidad", document_url="https://www.munlima.gob.pe/a.pdf")
    register = _register(app)
    assert register["total_offices"] >= 2
    assert register["share_signed_pct"] == round(
        register["signed_offices"] * 100 / register["total_offices"], 1)
    assert register["last_update"] == clock.today().isoformat()  # Lima's date

    page = app.get("/integridad/compromiso")
    assert page.status_code == 200
    soup = BeautifulSoup(page.body, "html.parser")
    row = soup.find(id=f"office-{signed['name']}").get_text(" ", strip=True)
    assert "Firmado" in row and "2026-03-15" in row
    assert "Aún no firma" in soup.find(id=f"office-{unsigned['name']}").get_text(" ", strip=True)
    assert "oficinas firmaron" in text_of(page.body, "commitment-summary")
    assert soup.find("a", href="/compromisos/lima-honesta") is not None
    # hardened like every /integridad page
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]

    csv_response = app.get("/integridad/compromiso.csv")
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_response.body)))
    mine = next(r for r in rows if r["oficina"] == signed["name"])
    assert mine["firmado"] == "si" and mine["fecha_firma"] == "2026-03-15"
    assert mine["cargo_firmante"] == "'=HYPERLINK(\"http://x\")"  # never a live formula
    assert next(r for r in rows if r["oficina"] == unsigned["name"])["firmado"] == "no"
    for body in (page.body, csv_response.body, app.get("/integridad/compromiso.json").body):
        assert "Secreto de la Unidad" not in body
        assert reviewer.user["name"] not in body

    # the Lima Honesta home links to the register
    assert "/integridad/compromiso" in app.get("/denuncias/").body
    # unknown or hostile document ids are a Spanish 404
    for ident in ("0f0e0d0c-0000-4000-8000-000000000000", "x' or 1=1", "a" * 300):
        response = app.get(f"/integridad/compromiso/documento/{ident}")
        assert response.status_code == 404 and "Documento no encontrado" in response.body


def test_the_indicator_on_the_lima_honesta_commitment(app, make_reviewer):
    sysadmin = factories.Sysadmin()
    document = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    document["portal"] = yaml.safe_load(
        PLAN_FILE.with_name("plan-2022.portal.yaml").read_text(encoding="utf-8"))
    document = copy.deepcopy(document)
    call_action("openlima_plan_load", context={"user": sysadmin["name"]},
                plan=document["plan"], commitments=document["commitments"],
                portal=document["portal"], reason="")
    office = factories.Organization(title="Gerencia del indicador")
    reviewer = make_reviewer()
    _record(reviewer, office["name"])
    register = _register(app)

    commitment = call_action("openlima_commitment_show", id="lima-honesta")
    indicator = next(i for i in commitment["indicators"] if i["code"] == "compromiso-integridad")
    assert indicator["current"]["available"] is True
    assert indicator["current"]["value"] == register["share_signed_pct"]
    assert indicator["current"]["date"] == register["last_update"]
    assert indicator["current"]["source_action"] == "limahonesta_integrity_commitment_show"
    assert indicator["target"] == 100 and indicator["origin"] == "portal"

    page = app.get("/compromisos/lima-honesta")
    assert page.status_code == 200
    soup = BeautifulSoup(page.body, "html.parser")
    card = next(a for a in soup.select("article") if "compromiso de integridad" in a.get_text())
    text = card.get_text(" ", strip=True)
    assert "Regla del portal" in text
    # every link the dashboard gives to the register answers
    links = {a["href"] for a in soup.find_all("a", href=True) if "integridad" in a["href"]}
    assert "/integridad/compromiso" in links
    for href in links:
        assert app.get(href).status_code == 200, href


def test_the_register_in_english_and_in_spanish(app, make_reviewer):
    office = factories.Organization(title="Gerencia bilingüe")
    reviewer = make_reviewer()
    _record(reviewer, office["name"])
    spanish = app.get("/integridad/compromiso").body
    english = app.get("/en/integridad/compromiso").body
    assert "Compromiso de integridad de las oficinas" in spanish
    assert "Offices' integrity commitment" in english or "Offices&#39; integrity commitment" in english
    row = BeautifulSoup(english, "html.parser").find(id=f"office-{office['name']}")
    assert "Signed" in row.get_text(" ", strip=True)
    assert "offices have signed" in text_of(english, "commitment-summary")
    staff_page = reviewer.app.get(f"/en/integridad/compromisos/{office['name']}").body
    assert "Correct the signature in force" in staff_page
    assert "Signature recorded" in text_of(staff_page, "signature-changes")
    # a refused field's message follows the page's language
    refused = reviewer.post(f"/en/integridad/compromisos/{office['name']}/firmar",
                            {"signed_on": "", "signatory_role": ""}, status=400)
    assert "This field is required." in refused.body
