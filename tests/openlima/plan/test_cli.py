"""``ckan openlima plan load <file>``: idempotent, Spanish errors, non-zero exit on bad input."""
from __future__ import annotations

import pytest

from ckan.cli.cli import ckan
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins")


def test_load_twice_creates_once(cli, plan_db, plan_file):
    first = cli.invoke(ckan, ["openlima", "plan", "load", str(plan_file)])
    assert first.exit_code == 0, first.output
    assert "Plan lima-2022: 37 creados, 0 actualizados, 0 sin cambios (reglas del portal: plan-2022.portal.yaml)." in first.output
    second = cli.invoke(ckan, ["openlima", "plan", "load", str(plan_file)])
    assert second.exit_code == 0, second.output
    assert "0 creados, 0 actualizados, 37 sin cambios" in second.output
    plan = call_action("openlima_plan_show", id="lima-2022")
    assert sum(len(c["milestones"]) for c in plan["commitments"]) == 21
    history = call_action("openlima_commitment_show", id="open-lima")["history"]
    assert history and all(entry["reason"] == "Carga del plan desde plan-2022.yaml" for entry in history)


def test_invalid_file_fails_with_a_spanish_message(cli, plan_db, tmp_path):
    broken = tmp_path / "plan.yaml"
    broken.write_text("plan:\n  id: Plan Malo\ncommitments: []\n", encoding="utf-8")
    result = cli.invoke(ckan, ["openlima", "plan", "load", str(broken)])
    assert result.exit_code != 0
    assert "El plan no es válido" in result.output and "Indique el título del plan." in result.output
    not_yaml = tmp_path / "roto.yaml"
    not_yaml.write_text("plan: [\n", encoding="utf-8")
    result = cli.invoke(ckan, ["openlima", "plan", "load", str(not_yaml)])
    assert result.exit_code != 0 and "YAML no válido" in result.output


def test_snapshot_records_computed_values_once_a_day(cli, plan_db, plan_file):
    assert cli.invoke(ckan, ["openlima", "plan", "load", str(plan_file)]).exit_code == 0
    first = cli.invoke(ckan, ["openlima", "plan", "snapshot"])
    assert first.exit_code == 0, first.output
    published = next(
        i for i in call_action("openlima_commitment_show", id="open-lima")["indicators"]
        if i["code"] == "datos-publicados"
    )
    assert len(published["values"]) == 1
    assert published["values"][0]["value"] == published["current"]["value"]
    assert published["values"][0]["source"].startswith("Calculado por la plataforma")
    again = cli.invoke(ckan, ["openlima", "plan", "snapshot"])
    assert again.exit_code == 0 and again.output.startswith("0 valores registrados")
