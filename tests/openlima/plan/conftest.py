"""Fixtures of the commitments dashboard suites (plugin ``openlima_plan``)."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ckan.tests import factories
from ckan.tests.helpers import call_action

PLAN_FILE = Path(__file__).resolve().parents[3] / "config" / "plan" / "plan-2022.yaml"
PORTAL_FILE = PLAN_FILE.with_name("plan-2022.portal.yaml")
TEAM_ORG = "subgerencia-de-gobierno-digital-e-innovacion"


def read_plan_file() -> dict:
    """The plan file, with the portal's rules for it under ``portal`` (as the CLI reads them)."""
    document = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    document["portal"] = yaml.safe_load(PORTAL_FILE.read_text(encoding="utf-8"))
    return document


def sysadmin_context(sysadmin) -> dict:
    return {"user": sysadmin["name"], "ignore_auth": False}


@pytest.fixture
def plan_db(clean_db, migrate_db_for):
    """An empty database with the dashboard's tables."""
    migrate_db_for("openlima_plan")


@pytest.fixture
def sysadmin(plan_db):
    return factories.Sysadmin()


@pytest.fixture
def load_plan(sysadmin):
    """Load a plan document (the 2022 plan by default) as a sysadmin."""

    def loader(document: dict | None = None, reason: str = "") -> dict:
        document = copy.deepcopy(document if document is not None else read_plan_file())
        return call_action(
            "openlima_plan_load",
            context=sysadmin_context(sysadmin),
            plan=document["plan"],
            commitments=document["commitments"],
            portal=document.get("portal"),
            reason=reason,
        )

    return loader


@pytest.fixture
def plan_2022(load_plan):
    load_plan()
    return call_action("openlima_plan_show", id="lima-2022")


def small_plan(milestones: list[dict], plan_id: str = "prueba", **commitment) -> dict:
    """A one-commitment plan to exercise the arithmetic."""
    return {
        "plan": {"id": plan_id, "title": "Plan de prueba", "team_organization": TEAM_ORG},
        "commitments": [
            {
                "name": "compromiso-prueba",
                "code": "01",
                "title": "Compromiso de prueba",
                "responsible_offices": [{"name": TEAM_ORG, "title": "SGDI"}],
                "milestones": milestones,
                **commitment,
            }
        ],
    }


@pytest.fixture
def plan_document() -> dict:
    """A fresh copy of config/plan/plan-2022.yaml as loaded by the CLI."""
    return read_plan_file()


@pytest.fixture
def make_small_plan():
    return small_plan


@pytest.fixture
def plan_file() -> Path:
    return PLAN_FILE
