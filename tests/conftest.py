"""Fixtures shared by every Open Lima test suite.

``clean_db`` extends CKAN's fixture of the same name: CKAN's first reset in a session
drops every table of the test database, and the plugins enabled in test.ini that own
tables (``activity``, ours) need their migrations applied again before a test runs.
After the first reset CKAN only deletes rows, so the migrations run once per session.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

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


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core from the repository's package-lock.json (`npm ci` when missing)."""
    if not AXE.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=REPO, check=True,
                       capture_output=True)
    return str(AXE)


@pytest.fixture
def axe_violations(axe_script):
    """``axe_violations(page, within=None)``: axe-core's serious and critical violations on
    the page (or inside the element matching ``within``)."""
    def serious(page, within=None) -> list[dict]:
        page.add_script_tag(path=axe_script)
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


@pytest.fixture
def clean_db(reset_db):
    tables_were_there = model.repo.tables_created_and_initialised
    reset_db()
    if not tables_were_there:
        migrate_enabled_plugins()
