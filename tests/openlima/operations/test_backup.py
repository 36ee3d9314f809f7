"""Backups that restore: catalogue + a Lima Honesta report with evidence + votes, then
``ckan openlima backup`` → a new, empty database and empty folders → ``ckan openlima
restore`` → a CKAN started on the restored data and secrets (as a restarted stack would)
shows the same catalogue and search results, opens the report with its tracking code and
for its reviewer, and counts the same votes."""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

import ckan.plugins.toolkit as tk
from openlima_stack import datastore as stack_datastore
from openlima_stack.services import database_name, ensure_database, with_database

REPO = Path(__file__).resolve().parents[3]
CKAN = str(Path(sys.executable).parent / "ckan")
PASSPHRASE_BACKUP = "copia de prueba con frase larga"
REVIEWER_PASSPHRASE = "frase de acceso de la revisora"
INTEGRITY_ORG = "unidad-de-integridad-prueba-copia"
REPORT_TEXT = "El jefe de obras pidió un soborno para aprobar la conformidad de obra."


def totp(secret_b32: str, step: int) -> str:
    compact = secret_b32.replace("-", "").replace(" ", "")
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return str((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**6).zfill(6)


def csrf(html: str) -> str:
    return BeautifulSoup(html, "html.parser").find("input", {"name": "_csrf_token"})["value"]


def solve(challenge: str, bits: int) -> str:
    counter = 0
    while int.from_bytes(hashlib.sha256(f"{challenge}:{counter}".encode()).digest(),
                         "big") >> (256 - bits):
        counter += 1
    return str(counter)


def tree_digest(folder: Path) -> dict:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def ini_file(path: Path, settings: dict) -> Path:
    lines = ["[app:main]", f"use = config:{REPO / 'config' / 'test.ini'}"]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def stack_environ(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a CKAN command on ``database_url``: its own DataStore too (the
    one in CKAN_DATASTORE_* is the test portal's, never empty)."""
    write_url, read_url = stack_datastore.derived_urls(database_url, "lectura-de-prueba")
    return dict(os.environ, CKAN_SQLALCHEMY_URL=database_url,
                CKAN_DATASTORE_WRITE_URL=write_url, CKAN_DATASTORE_READ_URL=read_url,
                CKAN_REDIS_URL=tk.config["ckan.redis.url"], **extra)


def run(ini: Path, database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = stack_environ(database_url, OPENLIMA_BACKUP_PASSPHRASE=PASSPHRASE_BACKUP)
    env.pop("OPENLIMA_SECRETS_DIR", None)
    return subprocess.run([CKAN, "-c", str(ini), *args], env=env, capture_output=True,
                          text=True, timeout=600, cwd=REPO)


# What a restarted portal shows, read in a CKAN of its own (deploy/wsgi.py's app).
PROBE = r'''
import json, os, re, runpy, sys
from flask_login.utils import encode_cookie
app = runpy.run_path("deploy/wsgi.py")["application"]
flask_app = app._wsgi_app
given = json.loads(os.environ["PROBE_INPUT"])
client = flask_app.test_client()
out = {}
search = client.get("/api/3/action/package_search?q=*:*&rows=100&sort=name asc").get_json()
out["datasets"] = [d["name"] for d in search["result"]["results"]]
found = client.get("/api/3/action/package_search?q=parques").get_json()
out["search"] = [d["name"] for d in found["result"]["results"]]
report = client.post("/api/3/action/limahonesta_report_show_by_code",
                     json={"codigo": given["code"]}).get_json()
out["reporter"] = {"case_number": report["result"]["case_number"],
                   "report": report["result"]["report"],
                   "files": [f["name"] for f in report["result"]["files"]]}
score = client.get("/api/3/action/limaactiva_proposal_show?id=" + given["proposal"]).get_json()
out["score"] = score["result"].get("score")
import ckan.model as model
reviewer = client.__class__(flask_app, flask_app.response_class, use_cookies=True)
with flask_app.test_request_context():
    cookie = encode_cookie(model.User.get(given["reviewer"]).id)
from ckan.plugins.toolkit import config
reviewer.set_cookie(config["REMEMBER_COOKIE_NAME"], cookie, domain="localhost")
import base64, hashlib, hmac, struct, time
secret = given["totp_secret"].replace("-", "").replace(" ", "")
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
# a code is accepted once: wait for a step after the one used at enrolment (no fixed sleep)
while int(time.time() // 30) <= given["enrolment_step"]:
    time.sleep(0.5)
mac = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
offset = mac[-1] & 0x0F
code = str((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**6).zfill(6)
page = reviewer.get("/integridad/acceso").get_data(as_text=True)
token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
reviewer.post("/integridad/acceso", data={"_csrf_token": token, "second_factor": code,
                                          "passphrase": given["passphrase"]})
case = reviewer.get("/integridad/caso/" + given["case_id"])
out["reviewer_status"] = case.status_code
out["reviewer_sees_report"] = given["text"] in case.get_data(as_text=True)
print("PROBE " + json.dumps(out))
'''


@pytest.fixture
def honesta(ckan_config, monkeypatch, tmp_path):
    settings = {
        "ckanext.limahonesta.pepper": secrets.token_urlsafe(48),
        "ckanext.limahonesta.kdf_opslimit": "1",
        "ckanext.limahonesta.kdf_memlimit_mib": "8",
        "ckanext.limahonesta.pow_difficulty": "4",
        "ckanext.limahonesta.integrity_org": INTEGRITY_ORG,
        "ckanext.limaactiva.dni_hmac_key": secrets.token_hex(32),
        "ckan.storage_path": str(tmp_path / "storage"),
    }
    (tmp_path / "storage" / "limahonesta").mkdir(parents=True, mode=0o700)
    for key, value in settings.items():
        monkeypatch.setitem(ckan_config, key, value)
    return settings


def test_backup_then_restore_into_an_empty_stack(clean_db, clean_index, honesta, app,
                                                 tmp_path):
    import ckan.model as model
    import sqlalchemy as sa
    from flask_login.utils import encode_cookie

    # --- a portal with data: catalogue, an enrolled reviewer, a report with evidence, votes
    sysadmin = factories.Sysadmin()
    office = factories.Organization(user=sysadmin)
    for name in ("parques-zonales", "mercados-de-abastos"):
        factories.Dataset(name=name, title=name.replace("-", " ").title(), owner_org=office["id"])
    factories.Dataset(name="borrador-privado", private=True, owner_org=office["id"])
    integrity = factories.Organization(name=INTEGRITY_ORG)
    reviewer = factories.User()
    call_action("organization_member_create", {"ignore_auth": True},
                id=integrity["id"], username=reviewer["name"], role="editor")
    with app.flask_app.test_request_context():
        cookie = encode_cookie(model.User.get(reviewer["name"]).id)
    from urllib.parse import urlsplit
    app.client.set_cookie(tk.config["REMEMBER_COOKIE_NAME"], cookie,
                          domain=urlsplit(tk.config["ckan.site_url"]).hostname)
    page = app.get("/integridad/inscripcion").body
    totp_secret = BeautifulSoup(page, "html.parser").find(id="totp-secret").get_text(strip=True)
    step = int(time.time() // 30)
    enrolled = app.post("/integridad/inscripcion", data={
        "_csrf_token": csrf(page), "passphrase": REVIEWER_PASSPHRASE,
        "passphrase2": REVIEWER_PASSPHRASE, "totp": totp(totp_secret, step)})
    assert enrolled.status_code == 200
    model.Session.execute(sa.text("update limahonesta_reviewer set approved_by = 'prueba' "
                                  "where user_id = :u"), {"u": reviewer["id"]})
    model.Session.commit()

    reporter = app.flask_app.test_client()
    page = reporter.get("/denuncias/nueva").get_data(as_text=True)
    challenge = BeautifulSoup(page, "html.parser").find("input", {"name": "pow_challenge"})["value"]
    response = reporter.post("/denuncias/nueva", content_type="multipart/form-data", data={
        "_csrf_token": csrf(page), "pow_challenge": challenge, "pow_counter": solve(challenge, 4),
        "descripcion": REPORT_TEXT, "oficina": "Gerencia de Obras", "distrito": "150101",
        "fecha_hechos": "2026-01-15", "buena_fe": "on",
        "evidencias": [(io.BytesIO(b"%PDF-1.4 acta de conformidad"), "acta.pdf")]})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    receipt = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    code = receipt.find(id="tracking-code").get_text(strip=True)
    case_number = receipt.find(class_="lh-case-number").get_text(strip=True)
    case_id = model.Session.execute(sa.text(
        "select id from limahonesta_case where case_number = :n"), {"n": case_number}).scalar()

    today = datetime.date.today()
    space = call_action("limaactiva_space_create", {"user": sysadmin["name"]},
                        name="espacio-copia", title="Presupuesto participativo",
                        space_type="plan", responsible_office=office["name"], phases=[{
                            "phase_key": "prioritisation",
                            "start_date": (today - datetime.timedelta(days=5)).isoformat(),
                            "end_date": (today + datetime.timedelta(days=5)).isoformat(),
                            "proposals_enabled": True, "votes_enabled": True}])
    voters = []
    for _ in range(3):
        voter = factories.User()
        call_action("limaactiva_participant_confirm", {"user": sysadmin["name"]},
                    user=voter["name"])
        voters.append(voter)
    proposal = call_action("limaactiva_proposal_create", {"user": voters[0]["name"]},
                           space_id=space["id"], title="Más ciclovías", district="150116",
                           body="Conectar las ciclovías de Lince y Miraflores.",
                           theme="movilidad")
    for voter, weight in zip(voters, (3, 2, 3)):
        call_action("limaactiva_vote_cast", {"user": voter["name"]},
                    proposal_id=proposal["id"], weight=weight)
    before_score = call_action("limaactiva_proposal_show", {"user": sysadmin["name"]},
                               id=proposal["id"])["score"]
    assert before_score == 8
    before_files = tree_digest(tmp_path / "storage")
    assert any(name.startswith("limahonesta") for name in before_files)

    # --- backup, from a CKAN configured like this one
    source_ini = ini_file(tmp_path / "source.ini", honesta)
    archive = tmp_path / "copia.olb"
    result = run(source_ini, tk.config["sqlalchemy.url"], "openlima", "backup", "-o", str(archive))
    assert result.returncode == 0, result.stderr[-3000:]
    raw = archive.read_bytes()
    for secret in (REPORT_TEXT.encode(), honesta["ckanext.limahonesta.pepper"].encode(),
                   b"parques-zonales", b"PGDMP"):
        assert secret not in raw, "the archive is encrypted"

    # a wrong passphrase is refused and restores nothing
    target_url = with_database(tk.config["sqlalchemy.url"],
                               database_name(tk.config["sqlalchemy.url"]) + "_restaurada")
    import psycopg2
    maintenance = psycopg2.connect(with_database(target_url, "postgres"))
    maintenance.autocommit = True
    target_datastore = stack_datastore.derived_urls(target_url, "lectura-de-prueba")
    with maintenance.cursor() as cursor:
        for url in (target_url, target_datastore[0]):
            cursor.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')
    ensure_database(target_url)
    stack_datastore.ensure_datastore(target_url, *target_datastore)
    # --- the new, empty stack: its own (different) secrets and empty folders
    fresh = dict(honesta, **{
        "ckanext.limahonesta.pepper": secrets.token_urlsafe(48),
        "ckanext.limaactiva.dni_hmac_key": secrets.token_hex(32),
        "ckan.storage_path": str(tmp_path / "nueva" / "storage")})
    target_ini = ini_file(tmp_path / "target.ini", fresh)
    env_wrong = stack_environ(target_url,
                              OPENLIMA_BACKUP_PASSPHRASE="otra frase que no es la correcta")
    wrong = subprocess.run([CKAN, "-c", str(target_ini), "openlima", "restore", str(archive),
                            "--secrets-dir", str(tmp_path / "nueva" / "secrets")],
                           env=env_wrong, capture_output=True, text=True, timeout=600)
    assert wrong.returncode != 0 and "Contraseña incorrecta" in wrong.stderr + wrong.stdout
    assert not (tmp_path / "nueva" / "secrets").exists()

    try:
        result = run(target_ini, target_url, "openlima", "restore", str(archive),
                     "--secrets-dir", str(tmp_path / "nueva" / "secrets"))
        assert result.returncode == 0, result.stderr[-3000:]
        # a second restore into the now non-empty database is refused
        again = run(target_ini, target_url, "openlima", "restore", str(archive),
                    "--secrets-dir", str(tmp_path / "nueva" / "secrets"))
        assert again.returncode != 0 and "no está vacía" in again.stderr + again.stdout

        assert tree_digest(tmp_path / "nueva" / "storage") == before_files
        restored = json.loads((tmp_path / "nueva" / "secrets" / "secrets.json").read_text())
        assert restored["LIMAHONESTA_PEPPER"] == honesta["ckanext.limahonesta.pepper"]
        assert (tmp_path / "nueva" / "secrets" / "limahonesta_pepper").read_text().strip() \
            == honesta["ckanext.limahonesta.pepper"]

        # --- the restarted stack reads the restored secrets
        restarted = ini_file(tmp_path / "restarted.ini", dict(fresh, **{
            "ckanext.limahonesta.pepper": restored["LIMAHONESTA_PEPPER"],
            "ckanext.limaactiva.dni_hmac_key": restored["LIMAACTIVA_DNI_HMAC_KEY"]}))
        probe_input = {"code": code, "proposal": proposal["id"], "reviewer": reviewer["name"],
                       "totp_secret": totp_secret, "enrolment_step": step,
                       "passphrase": REVIEWER_PASSPHRASE,
                       "case_id": case_id, "text": REPORT_TEXT}
        env = stack_environ(target_url, CKAN_INI=str(restarted),
                            PROBE_INPUT=json.dumps(probe_input))
        probe = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=REPO,
                               capture_output=True, text=True, timeout=600)
        assert probe.returncode == 0, probe.stderr[-3000:]
        seen = json.loads(re.search(r"^PROBE (.*)$", probe.stdout, re.M).group(1))
    finally:
        with maintenance.cursor() as cursor:
            for url in (target_url, target_datastore[0]):
                cursor.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')
        maintenance.close()

    assert seen["datasets"] == ["mercados-de-abastos", "parques-zonales"]
    assert seen["search"] == ["parques-zonales"]
    assert seen["reporter"]["case_number"] == case_number
    assert seen["reporter"]["report"]["descripcion"] == REPORT_TEXT
    assert seen["reporter"]["files"] == ["acta.pdf"]
    assert seen["reviewer_status"] == 200 and seen["reviewer_sees_report"]
    assert seen["score"] == before_score
