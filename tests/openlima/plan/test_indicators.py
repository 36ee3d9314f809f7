"""Indicators computed live from the platform, "sin datos", manual values, assessments,
and the plan published as a CKAN dataset."""
from __future__ import annotations

import copy

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins")

TEAM_ORG = "subgerencia-de-gobierno-digital-e-innovacion"


def _indicator(commitment_name, code):
    commitment = call_action("openlima_commitment_show", id=commitment_name)
    return next(i for i in commitment["indicators"] if i["code"] == code)


def _dataset(valid_dataset, name, private=False):
    data = copy.deepcopy(valid_dataset)
    data.update(name=name, private=private)
    for resource in data.get("resources", []):
        resource.pop("id", None)
    return factories.Dataset(**data)


def test_datasets_published_is_counted_live_and_excludes_private(plan_2022, valid_dataset):
    before = _indicator("open-lima", "datos-publicados")["current"]
    assert before["available"] is True
    _dataset(valid_dataset, "paraderos-1")
    _dataset(valid_dataset, "paraderos-2")
    _dataset(valid_dataset, "borrador-privado", private=True)
    after = _indicator("open-lima", "datos-publicados")["current"]
    assert after["value"] == before["value"] + 2


@pytest.mark.ckan_config("ckanext.openlima_plan.limahonesta_statistics_actions", "accion_inexistente")
@pytest.mark.ckan_config("ckanext.openlima_plan.limaactiva_statistics_actions", "otra_accion_inexistente")
def test_absent_extensions_show_sin_datos_never_zero(app, plan_2022):
    for commitment, code in (("lima-honesta", "denuncias-recibidas"), ("lima-activa", "propuestas")):
        current = _indicator(commitment, code)["current"]
        assert current["available"] is False
        assert current["value"] is None
    page = app.get("/compromisos/lima-honesta").get_data(as_text=True)
    assert "sin datos" in page


def test_lima_activa_and_lima_honesta_figures_come_from_their_actions(plan_2022):
    try:
        stats = call_action("limaactiva_statistics")
    except KeyError:
        pytest.skip("limaactiva is not enabled")
    current = _indicator("lima-activa", "propuestas")["current"]
    assert current["available"] is True
    assert current["value"] == stats["proposals"]
    assert current["source_action"] == "limaactiva_statistics"

    # Lima Honesta suppresses small counts (null): that is "sin datos", not zero
    try:
        stats = call_action("limahonesta_statistics")
    except KeyError:
        pytest.skip("limahonesta is not enabled")
    current = _indicator("lima-honesta", "denuncias-recibidas")["current"]
    if stats["received"] is None:
        assert current["value"] is None and current["available"] is False
    else:
        assert current["value"] == stats["received"]


def test_manual_value_is_recorded_with_source_and_charted(app, sysadmin, plan_2022):
    indicator = _indicator("open-lima", "percepcion-cercania")
    context = {"user": sysadmin["name"], "ignore_auth": False}
    call_action("openlima_indicator_value_add", context=dict(context), indicator_id=indicator["id"],
                date="2023-06-30", value="3,8", source="Encuesta de percepción 2023",
                evidence_url="https://www.munlima.gob.pe/encuesta")
    values = _indicator("open-lima", "percepcion-cercania")["values"]
    assert values == [{**values[0], "date": "2023-06-30", "value": 3.8, "source": "Encuesta de percepción 2023"}]
    page = app.get("/compromisos/open-lima").get_data(as_text=True)
    assert "30/06/2023" in page and "3,8" in page
    assert 'role="img"' in page and "<table" in page


def test_bad_indicator_value_is_refused_and_nothing_recorded(sysadmin, plan_2022):
    indicator = _indicator("open-lima", "percepcion-cercania")
    cases = [
        ({"date": "2023-06-30", "value": 3}, "source"),
        ({"date": "30-06-2023", "value": 3, "source": "x"}, "date"),
        ({"date": "2023-06-30", "value": "tres", "source": "x"}, "value"),
        ({"date": "2023-06-30", "value": 3, "source": "x", "evidence_url": "ftp://x"}, "evidence_url"),
    ]
    for data, field in cases:
        with pytest.raises(tk.ValidationError) as error:
            call_action("openlima_indicator_value_add",
                        context={"user": sysadmin["name"], "ignore_auth": False},
                        indicator_id=indicator["id"], **data)
        assert field in error.value.error_dict, data
    assert _indicator("open-lima", "percepcion-cercania")["values"] == []


def test_outsiders_cannot_add_values_or_assessments(plan_2022):
    outsider = factories.User()
    indicator = _indicator("open-lima", "percepcion-cercania")
    context = {"user": outsider["name"], "ignore_auth": False}
    with pytest.raises(tk.NotAuthorized):
        call_action("openlima_indicator_value_add", context=dict(context), indicator_id=indicator["id"],
                    date="2023-06-30", value=4, source="x")
    with pytest.raises(tk.NotAuthorized):
        call_action("openlima_assessment_add", context=dict(context), commitment_id="open-lima",
                    assessor="self", completion="complete", assessed_on="2023-01-15", source="x")


def test_assessment_is_kept_apart_from_progress(sysadmin, plan_2022):
    result = call_action(
        "openlima_assessment_add", context={"user": sysadmin["name"], "ignore_auth": False},
        commitment_id="open-lima", assessor="irm", completion="substantial",
        assessed_on="2023-04-30", source="Informe de resultados del IRM",
        source_url="https://www.opengovpartnership.org/",
    )
    assert result["completion"] == "substantial"
    commitment = call_action("openlima_commitment_show", id="open-lima")
    assert commitment["progress"] == 0.0
    assert commitment["assessments"][0]["completion_label"] == "Sustancial"
    assert commitment["history"][0]["entity_type"] == "assessment"
    with pytest.raises(tk.ValidationError) as error:
        call_action("openlima_assessment_add", context={"user": sysadmin["name"], "ignore_auth": False},
                    commitment_id="open-lima", assessor="irm", completion="casi",
                    assessed_on="2023-04-30", source="x")
    assert "Nivel de cumplimiento no válido." in error.value.error_dict["completion"][0]


@pytest.mark.parametrize("schema", [
    pytest.param("configured", id="schema-of-test-ini"),
    pytest.param("mml", id="mml-schema", marks=pytest.mark.ckan_config(
        "scheming.dataset_schemas", "ckanext.openlima:../../../config/schemas/mml_dataset.yaml")),
])
def test_plan_is_published_as_a_dataset_and_refreshed_on_change(sysadmin, load_plan, schema):
    load_plan()
    with pytest.raises(tk.ObjectNotFound):  # no team organisation yet: nothing published
        call_action("package_show", id="compromisos-lima-2022")
    factories.Organization(name=TEAM_ORG, title="Subgerencia de Gobierno Digital e Innovación")
    assert load_plan()["updated"] == 0  # a reload that changes nothing still publishes once
    dataset = call_action("package_show", id="compromisos-lima-2022")
    assert [r["format"].upper() for r in dataset["resources"]] == ["JSON", "CSV"]
    assert dataset["resources"][0]["url"].endswith("/compromisos/export.json")
    assert "0 de 21 hitos completados" in dataset["notes"]
    if schema == "mml":  # the MML schema keeps its own fields (and so validated them)
        assert dataset["spatial_ubigeo"] == ["1501"]
        assert dataset["frequency"].endswith("/UPDATE_CONT")
    resource_ids = [r["id"] for r in dataset["resources"]]

    milestone = call_action("openlima_commitment_show", id="open-lima")["milestones"][0]
    call_action("openlima_milestone_update", context={"user": sysadmin["name"], "ignore_auth": False},
                id=milestone["id"], status="completed", reason="Comunicado publicado")
    refreshed = call_action("package_show", id="compromisos-lima-2022")
    assert "1 de 21 hitos completados" in refreshed["notes"]
    assert [r["id"] for r in refreshed["resources"]] == resource_ids
    found = call_action("package_search", q="compromisos")
    assert "compromisos-lima-2022" in [d["name"] for d in found["results"]]


@pytest.mark.ckan_config("ckanext.openlima_plan.limahonesta_statistics_actions", "package_show")
def test_a_failing_statistics_action_is_sin_datos_not_a_500(app, plan_2022):
    # package_show without an id refuses: the dashboard must shrug, not break
    current = _indicator("lima-honesta", "denuncias-recibidas")["current"]
    assert current["available"] is False and current["value"] is None
    assert app.get("/compromisos/lima-honesta").status_code == 200
    assert app.get("/api/3/action/openlima_plan_show").get_json()["success"] is True
