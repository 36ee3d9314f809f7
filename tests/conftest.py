"""Fixtures shared by every Open Lima test suite.

``clean_db`` extends CKAN's fixture of the same name: CKAN's first reset in a session
drops every table of the test database, and the plugins enabled in test.ini that own
tables (``activity``, ours) need their migrations applied again before a test runs.
After the first reset CKAN only deletes rows, so the migrations run once per session.
"""
from __future__ import annotations

import email
import email.policy
import io
import re
import string
import socket
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import ckan.model as model
import ckan.plugins.toolkit as tk
from openlima_stack.ckan_tasks import plugin_migration_ini


def migrate_enabled_plugins() -> None:
    for plugin_name in tk.aslist(tk.config.get("ckan.plugins")):
        ini, _ours = plugin_migration_ini(plugin_name)
        if ini is None:
            continue
        alembic_config = Config(str(ini))
        alembic_config.set_main_option("sqlalchemy.url", tk.config["sqlalchemy.url"])
        command.upgrade(alembic_config, "head")


REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; `make test` installs it (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser-tools` installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def inject_axe(page, axe_script: str) -> None:
    """Load axe-core into ``page`` through the browser's devtools protocol: every page has
    a CSP that refuses an inline ``<script>`` (``page.add_script_tag``) without its nonce."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(Path(axe_script).read_text(encoding="utf-8") + "\n;undefined")


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core from the repository's package-lock.json (`npm ci` when missing)."""
    if not AXE.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=REPO, check=True,
                       capture_output=True)
    return str(AXE)


@pytest.fixture
def load_axe(axe_script):
    """``load_axe(page)``: axe-core loaded into the page (see :func:`inject_axe`)."""
    return lambda page: inject_axe(page, axe_script)


@pytest.fixture
def axe_violations(axe_script):
    """``axe_violations(page, within=None)``: axe-core's serious and critical violations on
    the page (or inside the element matching ``within``)."""
    def serious(page, within=None) -> list[dict]:
        inject_axe(page, axe_script)
        violations = page.evaluate(
            "async (within) => (await axe.run((within && document.querySelector(within)) || document))"
            ".violations.map(v => ({id: v.id, impact: v.impact,"
            " nodes: v.nodes.map(n => n.target.join(' '))}))",
            within,
        )
        return [v for v in violations if v["impact"] in ("serious", "critical")]

    return serious


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium with Playwright (installed by make test)"
    )


@pytest.fixture(scope="session")
def reset_db_migrated(reset_db):
    """``clean_db`` as a callable, for fixtures of a wider scope than a test."""
    def reset():
        tables_were_there = model.repo.tables_created_and_initialised
        reset_db()
        if not tables_were_there:
            migrate_enabled_plugins()

    return reset


@pytest.fixture
def lima_clock():
    """``lima_clock(moment)`` stops Lima's clock (openlima_common.clock) at an aware
    datetime for the rest of the test, in every thread (test servers included)."""
    from openlima_common import clock

    yield clock.set_source
    clock.set_source(None)


@pytest.fixture
def clean_db(reset_db_migrated):
    reset_db_migrated()


class TranslationCatalogue:
    """An extension's translation catalogues, checked the same way for every extension.

    Message ids are Spanish; the ``es`` catalogue repeats them, ``en`` translates them.
    """

    # %s, %d, %(name)s and {name}: what a translation must keep, as many times
    PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sd]|\{\w*\}")

    def __init__(self, extension: str):
        self.domain = f"ckanext-{extension}"
        self.package = REPO / self.domain / "ckanext" / extension
        self.i18n = self.package / "i18n"

    def read(self, lang: str):
        with open(self.i18n / lang / "LC_MESSAGES" / f"{self.domain}.po", "rb") as po:
            return read_po(po)

    @staticmethod
    def ids(catalogue) -> set[str]:
        return {m.id for m in catalogue if m.id}

    def template_ids(self) -> set[str]:
        # Babel refuses the placeholder Plural-Forms header that extraction may write
        data = (self.i18n / f"{self.domain}.pot").read_text(encoding="utf-8")
        data = data.replace("nplurals=INTEGER; plural=EXPRESSION;",
                            "nplurals=2; plural=(n != 1);")
        return self.ids(read_po(io.StringIO(data)))

    def assert_english_complete(self, at_least: int, copies_at_most: int) -> None:
        """Every message translated (not fuzzy, not copied), placeholders kept."""
        english = self.read("en")
        assert [m.id for m in english if m.id and (not m.string or m.fuzzy)] == []
        assert len(self.ids(english)) >= at_least
        # real translations, not copies (a handful of words are the same in both languages)
        copies = [m.id for m in english if m.id and m.string == m.id]
        assert len(copies) <= copies_at_most, copies
        broken = [m.id for m in english if m.id and (
            _format_fields(m.id) != _format_fields(m.string)
            or Counter(self.PLACEHOLDER.findall(m.id))
            != Counter(self.PLACEHOLDER.findall(m.string)))]
        assert broken == []

    def assert_in_step(self) -> None:
        """es and en hold exactly the template's messages; the .mo files are compiled."""
        template = self.template_ids()
        for lang in ("es", "en"):
            catalogue = self.read(lang)
            assert self.ids(catalogue) == template, lang
            with open(self.i18n / lang / "LC_MESSAGES" / f"{self.domain}.mo", "rb") as mo:
                compiled = {m.id: m.string for m in read_mo(mo) if m.id}
            assert compiled == {m.id: m.string for m in catalogue if m.id}, (
                f"{lang}: recompile with pybabel compile")
        assert all(m.string == m.id for m in self.read("es") if m.id)

    def assert_template_extracted(self) -> None:
        """The .pot holds exactly the strings the source marks for translation."""
        found = {
            message for _, _, message, _, _ in extract_from_dir(
                str(self.package), [("**.py", "python"), ("templates/**.html", "ckan")], {})
            if isinstance(message, str)
        }
        template = self.template_ids()
        assert found - template == set(), "re-extract the .pot (see the README)"
        assert template - found == set()


def _format_fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture
def translation_catalogue():
    """``translation_catalogue("limaactiva")``: that extension's catalogues and checks."""
    return TranslationCatalogue


class _Sink:
    """Messages received by the local SMTP server: parsed (``message``), as sent (``raw``)."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(
                {"to": list(envelope.rcpt_tos), "message": message, "raw": envelope.content,
                 "subject": str(message["Subject"]),
                 "body": message.get_body(("plain",)).get_content()}
            )
        return "250 OK"

    def to(self, address: str) -> list[dict]:
        with self._lock:
            return [m for m in self.messages if address in m["to"]]


@pytest.fixture
def smtp_sink(ckan_config, monkeypatch):
    """A real SMTP server (aiosmtpd) on a free local port; CKAN's mailer is pointed at it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{port}")
    monkeypatch.setitem(ckan_config, "smtp.starttls", False)
    try:
        yield sink
    finally:
        controller.stop()
