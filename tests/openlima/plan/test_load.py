"""Loading the 2022 plan: every field the seed records, idempotent reloads, history."""
from __future__ import annotations

import copy

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action


# Milestones A–G of the three approved commitments, as in the seed's tables.
SEED_DATES = {
    "A": ("2022-10-15", "2022-10-18"),
    "B": ("2022-10-15", "2022-10-29"),
    "C": ("2022-11-08", "2022-11-10"),
    "D": ("2022-08-08", "2022-11-10"),
    "E": ("2022-11-08", "2022-11-10"),
    "F": ("2022-11-22", "2022-11-22"),
    "G": ("2022-12-08", "2022-12-10"),
}

pytestmark = pytest.mark.usefixtures("with_plugins")


def test_2022_plan_loads_every_commitment_milestone_date_and_draft(plan_2022):
    commitments = {c["name"]: c for c in plan_2022["commitments"]}
    assert list(commitments) == [
        "open-lima", "lima-honesta", "lima-activa", "lima-digital", "tracker-de-denuncias",
    ]
    for name, code in (("open-lima", "01"), ("lima-honesta", "02"), ("lima-activa", "03")):
        commitment = commitments[name]
        assert commitment["stage"] == "approved"
        assert commitment["code"] == code
        # the periods as the plan states them, no dates the plan does not give
        assert commitment["implementation_period"] == "(octubre – diciembre) de 2022"
        assert commitment["commitment_period"] == "Diciembre 2022 - Diciembre 2024"
        assert commitment["implementation_start"] is None and commitment["commitment_end"] is None
        assert commitment["draft"]["components"] and commitment["portal_traces"]
        dates = {m["code"]: (m["planned_start"], m["planned_end"]) for m in commitment["milestones"]}
        assert dates == SEED_DATES
        assert all(m["progress"] == 0 and m["status"] == "not_started" for m in commitment["milestones"])
        assert len(commitment["stoppers"]) == 3
        assert commitment["why_important"] and commitment["objective"]
    assert [t["code"] for t in commitments["open-lima"]["sdg_targets"]] == ["16.6", "16.10"]
    assert [t["code"] for t in commitments["lima-honesta"]["sdg_targets"]] == ["16.5", "16.10"]
    assert [t["code"] for t in commitments["lima-activa"]["sdg_targets"]] == ["16.10", "10.2"]
    assert [o["title"] for o in commitments["lima-honesta"]["responsible_offices"]] == [
        "Subgerencia de Gobierno Digital e Innovación", "Unidad de Integridad Institucional",
    ]
    assert "transparency" in commitments["open-lima"]["ogp_values"]
    assert "participation" in commitments["lima-activa"]["ogp_values"]

    # the two drafts that did not pass, with what they said they would measure
    digital, tracker = commitments["lima-digital"], commitments["tracker-de-denuncias"]
    for draft in (digital, tracker):
        assert draft["stage"] == "draft_not_adopted"
        assert draft["status"] == "draft_not_adopted"
        assert draft["milestones"] == []
        assert draft["progress"] is None
    assert digital["planned_measures"] == ["Cantidad de funcionarios capacitado.", "Promedio de madurez digital"]
    assert tracker["planned_measures"] == []
    assert tracker["draft"]["periods"] == ["Octubre 2022 – Noviembre 2022", "Julio 2022 - Diciembre 2022"]
    # the plan states three periods: none is chosen as the plan's
    assert plan_2022["period_start"] is None and plan_2022["status"] == ""
    assert plan_2022["periods"] == {
        "implementation": ["(octubre – diciembre) de 2022"],
        "commitment": ["Diciembre 2022 - Diciembre 2024"],
        "milestones_start": "2022-08-08", "milestones_start_title": "D. Campaña de comunicación interna",
        "milestones_end": "2022-12-10", "milestones_end_title": "G. Evaluación y monitoreo de resultados",
    }
    # every indicator is the portal's; those computing a plan measure quote it
    indicators = {i["code"]: i for c in plan_2022["commitments"] for i in c.get("indicators", [])}
    assert {i["origin"] for i in indicators.values()} == {"portal"}
    assert indicators["datos-publicados"]["measure"] == "# De datos publicados"
    assert indicators["propuestas"]["measure"] is None
    # drafts do not count in the plan's progress or milestone totals
    assert plan_2022["approved_count"] == 3 and plan_2022["draft_count"] == 2
    assert plan_2022["milestone_count"] == 21


def test_second_load_changes_nothing(load_plan):
    first = load_plan()
    assert first["created"] > 0 and first["updated"] == 0
    history_before = call_action("openlima_commitment_show", id="open-lima")["history"]
    second = load_plan()
    assert second["created"] == 0
    assert second["updated"] == 0
    assert second["unchanged"] == first["created"]
    plan = call_action("openlima_plan_show", id="lima-2022")
    assert len(plan["commitments"]) == 5
    assert sum(len(c["milestones"]) for c in plan["commitments"]) == 21
    assert call_action("openlima_commitment_show", id="open-lima")["history"] == history_before


def test_changed_file_updates_and_records_before_and_after(load_plan, sysadmin, plan_document):
    load_plan()
    document = plan_document
    open_lima = document["commitments"][0]
    open_lima["milestones"][6]["planned_end"] = "2022-12-15"
    result = load_plan(document, reason="Reprogramación aprobada por la SGDI")
    assert result["updated"] == 1 and result["created"] == 0

    commitment = call_action("openlima_commitment_show", id="open-lima")
    milestone_g = next(m for m in commitment["milestones"] if m["code"] == "G")
    assert milestone_g["planned_end"] == "2022-12-15"
    latest = commitment["history"][0]
    assert latest["entity_id"] == milestone_g["id"]
    assert latest["action"] == "updated"
    assert latest["changes"] == [{"field": "planned_end", "before": "2022-12-10", "after": "2022-12-15"}]
    assert latest["reason"] == "Reprogramación aprobada por la SGDI"
    assert latest["author"] == sysadmin["name"]


def test_reload_keeps_what_the_plan_team_recorded(load_plan, sysadmin):
    load_plan()
    milestone = call_action("openlima_commitment_show", id="open-lima")["milestones"][0]
    call_action(
        "openlima_milestone_update",
        context={"user": sysadmin["name"], "ignore_auth": False},
        id=milestone["id"], status="completed", actual_end="2022-10-18", reason="Comunicado publicado",
    )
    assert load_plan()["updated"] == 0
    reloaded = call_action("openlima_commitment_show", id="open-lima")["milestones"][0]
    assert reloaded["progress"] == 100 and reloaded["status"] == "completed"
    assert reloaded["actual_end"] == "2022-10-18"


def test_invalid_plan_is_refused_in_spanish_and_nothing_is_created(load_plan, plan_document):
    document = plan_document
    broken = copy.deepcopy(document)
    del broken["commitments"][1]["title"]
    broken["commitments"][0]["milestones"][2]["planned_end"] = "10/11/2022"
    with pytest.raises(tk.ValidationError) as error:
        load_plan(broken)
    errors = error.value.error_dict["commitments"]
    assert "Indique el título del compromiso." in errors[1]["title"]
    assert "AAAA-MM-DD" in str(errors[0]["milestones"])
    with pytest.raises(tk.ObjectNotFound):
        call_action("openlima_plan_show", id="lima-2022")


def test_unknown_values_and_inconsistent_status_are_refused(load_plan, plan_document):
    document = copy.deepcopy(plan_document)
    document["commitments"][0]["ogp_values"] = ["transparencia-total"]
    with pytest.raises(tk.ValidationError) as error:
        load_plan(document)
    assert "Valor de gobierno abierto no válido" in str(error.value.error_dict)
    document = copy.deepcopy(plan_document)
    document["commitments"][0]["milestones"][0].update(status="completed", progress=40)
    with pytest.raises(tk.ValidationError) as error:
        load_plan(document)
    assert "Hito A: con el estado «Completado» el avance debe ser 100 %." in str(error.value.error_dict)
    with pytest.raises(tk.ObjectNotFound):
        call_action("openlima_plan_show", id="lima-2022")


def test_only_sysadmins_load_plans(plan_db, plan_document):
    user = factories.User()
    document = plan_document
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "openlima_plan_load",
            context={"user": user["name"], "ignore_auth": False},
            plan=document["plan"], commitments=document["commitments"],
        )


def test_a_field_the_file_no_longer_states_is_cleared(load_plan, plan_document):
    """Databases loaded from the earlier file (a chosen period, an inferred status) lose
    what the plan does not state at the next load, with the change in the history."""
    older = copy.deepcopy(plan_document)
    older["plan"].update(period_start="2022-10-01", period_end="2022-12-31", status="Aprobado")
    older["commitments"][2]["subtitle"] = "Participación ciudadana física y digital"
    load_plan(older)
    assert call_action("openlima_plan_show", id="lima-2022")["status"] == "Aprobado"
    result = load_plan(plan_document, reason="Solo lo que dice el plan")
    assert result["updated"] == 2
    plan = call_action("openlima_plan_show", id="lima-2022")
    assert (plan["period_start"], plan["period_end"], plan["status"]) == (None, None, "")
    activa = call_action("openlima_commitment_show", id="lima-activa")
    assert activa["subtitle"].startswith("Plataforma digital que capitaliza")
    assert activa["history"][0]["changes"][0]["before"] == "Participación ciudadana física y digital"


def test_portal_rules_must_quote_the_plans_measures(load_plan, plan_document):
    document = copy.deepcopy(plan_document)
    document["portal"]["commitments"]["open-lima"]["indicators"][0]["measure"] = "Datos publicados"
    with pytest.raises(tk.ValidationError) as error:
        load_plan(document)
    assert "no está entre las del plan" in str(error.value.error_dict)
    document = copy.deepcopy(plan_document)
    document["portal"]["commitments"]["no-existe"] = {"indicators": []}
    with pytest.raises(tk.ValidationError) as error:
        load_plan(document)
    assert "El plan no tiene el compromiso «no-existe»." in str(error.value.error_dict)
    with pytest.raises(tk.ObjectNotFound):
        call_action("openlima_plan_show", id="lima-2022")
