"""Fixtures for Lima Honesta: a generated pepper, cheap KDF cost, and page-level helpers.

The pepper is generated per test session (never committed). The Argon2id cost is the
minimum so the suite stays fast; ``make bench`` measures the production cost.
Helpers drive the real pages (CSRF tokens, proof of work, TOTP) like a browser would.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import secrets
import struct
import time

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories

PEPPER = secrets.token_urlsafe(48)
INTEGRITY_ORG = "unidad-de-integridad-institucional"
PASSWORD = "Contrasena-de-prueba-123"
PASSPHRASE = "frase de acceso de la llave"
POW_BITS = 6

GOOD_REPORT = {
    "descripcion": "El jefe de licencias pidió dinero para aprobar una licencia de funcionamiento.",
    "oficina": "Subgerencia de Licencias",
    "distrito": "150101",
    "fecha_hechos": "2026-01-15",
    "involucrados": "Jefe de la oficina de licencias",
    "buena_fe": "on",
}


_DB_READY = False


@pytest.fixture
def honesta_db(request):
    """``clean_db`` once per session (tables + migrations), then only our own rows.

    Emptying every CKAN table before each test costs seconds on this machine; our
    tests only need the Lima Honesta tables empty (users and organisations they create
    have unique names).
    """
    global _DB_READY
    if not _DB_READY:
        request.getfixturevalue("clean_db")
        _DB_READY = True
        return
    import ckan.model as model
    import sqlalchemy as sa
    tables = [r[0] for r in model.Session.execute(sa.text(
        "select tablename from pg_tables where tablename like 'limahonesta%' "
        "and tablename <> 'limahonesta_alembic_version'"))]
    model.Session.execute(sa.text("truncate " + ", ".join(f'"{t}"' for t in tables)))
    model.Session.commit()


_SHARED_APP = None


@pytest.fixture
def app(ckan_config):
    """CKAN's ``app``, built once per session and given a fresh cookie jar per test.

    Building the Flask app costs about a second per test on this machine; nothing in
    these tests changes what the app registers (config is read at request time).
    """
    global _SHARED_APP
    from ckan.lib.app_globals import _CONFIG_CACHE
    from ckan.tests import helpers
    _CONFIG_CACHE.clear()
    if _SHARED_APP is None:
        _SHARED_APP = helpers._get_test_app()
    _SHARED_APP.client = _SHARED_APP.test_client()
    return _SHARED_APP


@pytest.fixture(autouse=True)
def honesta_config(ckan_config, monkeypatch, tmp_path):
    settings = {
        "ckanext.limahonesta.pepper": PEPPER,
        "ckanext.limahonesta.kdf_opslimit": 1,
        "ckanext.limahonesta.kdf_memlimit_mib": 8,
        "ckanext.limahonesta.pow_difficulty": POW_BITS,
        "ckanext.limahonesta.pow_nojs_wait_seconds": 30,
        "ckanext.limahonesta.guess_delay_max_ms": 20,
        "ckanext.limahonesta.guess_free_failures": 5,
        "ckanext.limahonesta.guess_alert_threshold": 8,
        "ckanext.limahonesta.storage_path": str(tmp_path / "limahonesta"),
        "ckanext.limahonesta.integrity_org": INTEGRITY_ORG,
        "ckanext.limahonesta.max_file_size_mb": 1,
    }
    for key, value in settings.items():
        monkeypatch.setitem(ckan_config, key, value)
    from ckanext.limahonesta import throttle  # noqa: PLC0415 - reset in-memory counters
    throttle.reset()
    yield settings
    throttle.reset()


@pytest.fixture
def all_logs(caplog):
    """Capture CKAN's, extensions' and werkzeug's log records (they do not propagate)."""
    import logging
    names = ("", "ckan", "ckanext", "werkzeug", "flask_wtf")
    saved = {}
    for name in names:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.addHandler(caplog.handler)
        logger.setLevel(logging.DEBUG)
    # loggers created before CKAN loaded its logging config are disabled by fileConfig;
    # re-enable them so that nothing any module logs escapes the check
    disabled = [logger for key, logger in logging.root.manager.loggerDict.items()
                if isinstance(logger, logging.Logger) and logger.disabled
                and key.startswith(("ckan", "werkzeug", "flask"))]
    for logger in disabled:
        logger.disabled = False
    yield caplog
    for logger in disabled:
        logger.disabled = True
    for name in names:
        logger = logging.getLogger(name)
        logger.removeHandler(caplog.handler)
        logger.setLevel(saved[name])


# --------------------------------------------------------------------------- page helpers


def csrf(html: str) -> str:
    field = BeautifulSoup(html, "html.parser").find("input", {"name": "_csrf_token"})
    assert field is not None, "form without CSRF token"
    return field["value"]


def form_value(html: str, name: str) -> str:
    field = BeautifulSoup(html, "html.parser").find("input", {"name": name})
    return field["value"] if field is not None else ""


def solve_pow(challenge: str, bits: int = POW_BITS) -> str:
    counter = 0
    while True:
        digest = hashlib.sha256(f"{challenge}:{counter}".encode()).digest()
        value = int.from_bytes(digest, "big")
        if value >> (256 - bits) == 0:
            return str(counter)
        counter += 1


def text_of(html: str, element_id: str) -> str:
    node = BeautifulSoup(html, "html.parser").find(id=element_id)
    return node.get_text(" ", strip=True) if node else ""


def submit_report(app, status=200, files=None, **overrides):
    page = app.get("/denuncias/nueva")
    challenge = form_value(page.body, "pow_challenge")
    data = dict(GOOD_REPORT, _csrf_token=csrf(page.body), pow_challenge=challenge,
                pow_counter=solve_pow(challenge))
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    if files:
        data["evidencias"] = files
    response = app.post("/denuncias/nueva", data=data, status=status,
                        content_type="multipart/form-data")
    if status != 200:
        return response, None, None
    number = text_of(response.body, "tracking-code")
    case_number = BeautifulSoup(response.body, "html.parser").find(class_="lh-case-number")
    return response, case_number.get_text(strip=True), number


def open_case(app, code, status=200, environ=None):
    """Open a case by its code; ``environ`` (e.g. ``{"REMOTE_ADDR": ...}``) sets the client."""
    page = app.get("/denuncias/seguimiento", environ_overrides=environ)
    return app.post("/denuncias/seguimiento", data={"_csrf_token": csrf(page.body),
                                                     "codigo": code},
                    environ_overrides=environ, status=status)


def client(number: int) -> dict:
    """A distinct client address: one client's own failures get it refused (429) after
    ``guess_free_failures``, so tests about the answers themselves spread their guesses."""
    return {"REMOTE_ADDR": f"192.0.2.{number}"}


# --------------------------------------------------------------------------- staff


def totp(secret_b32: str, step: int) -> str:
    """RFC 6238 computed independently of the plugin (what a phone app would show)."""
    compact = secret_b32.replace("-", "").replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**6).zfill(6)


def current_step() -> int:
    return int(time.time() // 30)


def ckan_login(browser, user_name: str):
    """A browser whose CKAN session belongs to ``user_name`` (Flask-Login session).

    The real login form is exercised in the browser test; here we avoid depending on
    the site theme's login page.
    """
    from urllib.parse import urlsplit

    from flask_login.utils import encode_cookie

    import ckan.model as model
    with browser.flask_app.test_request_context():
        value = encode_cookie(model.User.get(user_name).id)
    browser.client.set_cookie(tk.config["REMEMBER_COOKIE_NAME"], value,
                              domain=urlsplit(tk.config["ckan.site_url"]).hostname)


class Reviewer:
    """A browser session of one Integrity Unit reviewer."""

    def __init__(self, app, user):
        self.app, self.user = app, user
        self.secret = ""
        self.recovery_codes: list[str] = []
        self.step = 0

    def enrol(self):
        page = self.app.get("/integridad/inscripcion")
        assert page.status_code == 200
        self.secret = text_of(page.body, "totp-secret")
        self.step = current_step()
        done = self.app.post("/integridad/inscripcion", data={
            "_csrf_token": csrf(page.body), "passphrase": PASSPHRASE,
            "passphrase2": PASSPHRASE, "totp": totp(self.secret, self.step)})
        assert done.status_code == 200, done.body
        soup = BeautifulSoup(done.body, "html.parser")
        self.recovery_codes = [li.get_text(strip=True) for li in soup.select("#recovery-codes li")]
        self.recovery_key = text_of(done.body, "recovery-key")
        return self

    def login(self, code=None, passphrase=PASSPHRASE, expect=303, **extra):
        page = self.app.get("/integridad/acceso")
        if code is None:
            self.step = max(self.step + 1, current_step())
            code = totp(self.secret, self.step)
        response = self.app.post("/integridad/acceso", data=dict({
            "_csrf_token": csrf(page.body), "second_factor": code, "passphrase": passphrase},
            **extra), follow_redirects=False)
        assert response.status_code == expect, response.body
        return code

    def post(self, url, data, **kwargs):
        page = self.app.get("/integridad/acceso")
        return self.app.post(url, data=dict(data, _csrf_token=csrf(page.body)), **kwargs)


@pytest.fixture
def integrity_org(monkeypatch, ckan_config):
    name = "integridad-" + secrets.token_hex(4)
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.integrity_org", name)
    return factories.Organization(name=name, title="Unidad de Integridad Institucional")


def new_browser(app):
    """Same CKAN app, separate cookie jar (another person's browser)."""
    browser = copy.copy(app)
    browser.client = app.test_client()
    return browser


@pytest.fixture
def make_reviewer(app, integrity_org):
    """``make_reviewer()`` -> an enrolled, logged-in reviewer in its own browser."""
    def factory(login=True, member=True, approve=True):
        user = factories.User(password=PASSWORD)
        if member:
            tk.get_action("organization_member_create")(
                {"ignore_auth": True}, {"id": integrity_org["id"], "username": user["name"],
                                        "role": "editor"})
        browser = new_browser(app)
        ckan_login(browser, user["name"])
        reviewer = Reviewer(browser, user)
        if member:
            reviewer.enrol()
            if approve:
                # setup shortcut; the approval page itself is tested in test_staff
                import ckan.model as model
                import sqlalchemy as sa
                model.Session.execute(sa.text(
                    "update limahonesta_reviewer set approved_by = coalesce(approved_by, "
                    "'test-setup') where user_id = :u"), {"u": user["id"]})
                model.Session.commit()
            if login:
                reviewer.login()
        return reviewer
    return factory


def case_id_by_number(case_number: str) -> str:
    import ckan.model as model
    import sqlalchemy as sa
    row = model.Session.execute(
        sa.text("select id from limahonesta_case where case_number = :n"),
        {"n": case_number}).first()
    return row[0]


def all_table_bytes() -> bytes:
    """Every row of every Lima Honesta table, as text (for grep-style leak checks)."""
    import ckan.model as model
    import sqlalchemy as sa
    out = []
    tables = [r[0] for r in model.Session.execute(sa.text(
        "select tablename from pg_tables where tablename like 'limahonesta%'"))]
    for table in tables:
        for row in model.Session.execute(sa.text(f'select * from "{table}"')):
            out.append(repr(tuple(row)))
    return "\n".join(out).encode()


def db_dump_text() -> str:
    """All text-ish columns of the whole database (core tables included)."""
    import ckan.model as model
    import sqlalchemy as sa
    chunks = []
    tables = [r[0] for r in model.Session.execute(sa.text(
        "select tablename from pg_tables where schemaname = 'public'"))]
    for table in tables:
        for row in model.Session.execute(sa.text(f'select * from "{table}"')):
            chunks.append(repr(tuple(row)))
    return "\n".join(chunks)

