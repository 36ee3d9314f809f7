"""Each compliance check, failing and passing, on dataset dicts as package_show returns them."""
from __future__ import annotations

import copy
import datetime

import pytest

TODAY = datetime.date(2026, 11, 27)
EU = "http://publications.europa.eu/resource/authority/"

PERFECT = {
    "id": "d1", "name": "paraderos", "title": "Paraderos", "notes": "Paraderos del Metropolitano.",
    "owner_org": "o1", "organization": {"name": "movilidad", "title": "Movilidad"},
    "tags": [{"name": "transporte"}], "theme": [EU + "data-theme/TRAN"],
    "spatial_ubigeo": ["150101"], "temporal_coverage": [{"start": "2024-01-01", "end": "2024-12-31"}],
    "license_id": "cc-by", "frequency": EU + "frequency/MONTHLY",
    "contact": [{"name": "Datos", "email": "datos@munlima.gob.pe"}],
    "data_dictionary": [{"column": "codigo", "type": "texto",
                         "description": "Código del paradero"}],
    "issued": "2024-01-01", "modified": "2026-11-10",
    "resources": [{"id": "r1", "name": "CSV", "url": "http://example.org/a.csv", "format": "CSV",
                   "mimetype": "text/csv", "size": 10, "datastore_active": True}],
}
LINKS_OK = {"r1": {"ok": True, "status_code": 200}}


def _evaluate(dataset, links=LINKS_OK, today=TODAY):
    from ckanext.openlima.quality import checks

    return checks.evaluate(dataset, links, today=today, grace_days=7, threshold=75)


def _by_id(result):
    return {check["id"]: check for check in result["checks"]}


def test_perfect_dataset_scores_100_and_complies():
    result = _evaluate(PERFECT)
    assert result["score"] == 100
    assert result["compliant"] is True
    assert all(check["passed"] for check in result["checks"])
    assert sum(d["max"] for d in result["dimensions"].values()) == 100
    assert set(result["dimensions"]) == {"findability", "accessibility", "interoperability",
                                         "reusability", "contextuality", "maintenance"}


def _set(key, value):
    def change(d):
        d[key] = value
    return change


def _res(key, value):
    def change(d):
        d["resources"][0][key] = value
    return change


FAILING = [
    ("keywords", _set("tags", []), "palabras clave"),
    ("theme", _set("theme", []), "tema"),
    ("spatial_coverage", _set("spatial_ubigeo", []), "distritos"),
    ("temporal_coverage", _set("temporal_coverage", []), "periodo"),
    ("resources_present", _set("resources", []), "al menos un recurso"),
    ("known_format", _res("format", "FOO"), "Formato desconocido"),
    ("machine_readable", _res("format", "PDF"), "legible por máquina"),
    ("media_type", _res("mimetype", ""), "tipo de medio"),
    ("open_licence", _set("license_id", "other-closed"), "no es abierta"),
    ("contact", _set("contact", [{"name": "Datos", "email": "sin-arroba"}]), "correo electrónico válido"),
    ("data_dictionary", _set("data_dictionary", []), "diccionario de datos"),
    ("data_dictionary", _set("data_dictionary", [{"column": "codigo", "type": "texto"}]),
     "falta describir: codigo"),
    ("datastore_loaded", _res("datastore_active", False), "sin vista de datos"),
    ("required_metadata", _set("notes", ""), "descripción"),
    ("size", _res("size", None), "tamaño"),
    ("dates", lambda d: (d.pop("modified"), d.pop("issued")), "fecha de publicación"),
]


@pytest.mark.parametrize("check_id,change,words", FAILING, ids=[case[0] for case in FAILING])
def test_each_check_fails_with_an_explanation(check_id, change, words):
    dataset = copy.deepcopy(PERFECT)
    change(dataset)
    result = _evaluate(dataset)
    check = _by_id(result)[check_id]
    assert check["passed"] is False
    assert words.lower() in check["explanation"].lower()
    assert result["score"] <= 100 - check["weight"]


def test_links_broken_or_unchecked_fail():
    broken = _by_id(_evaluate(PERFECT, links={"r1": {"ok": False, "status_code": 404}}))["links_reachable"]
    assert not broken["passed"] and "no responden" in broken["explanation"]
    pending = _by_id(_evaluate(PERFECT, links={}))["links_reachable"]
    assert not pending["passed"] and "Pendiente" in pending["explanation"]


def test_data_dictionary_not_applicable_without_tabular_data():
    dataset = copy.deepcopy(PERFECT)
    dataset["data_dictionary"] = []
    dataset["resources"][0].update(format="GeoJSON", mimetype="application/geo+json")
    check = _by_id(_evaluate(dataset))["data_dictionary"]
    assert check["passed"] and check["applicable"] is False and "No aplica" in check["explanation"]


def test_freshness_monthly_not_updated_for_45_days_is_overdue():
    dataset = copy.deepcopy(PERFECT)
    dataset["modified"] = (TODAY - datetime.timedelta(days=45)).isoformat()
    result = _evaluate(dataset)
    fresh = _by_id(result)["freshness"]
    assert result["overdue"] is True and fresh["passed"] is False
    assert "Atrasado" in fresh["explanation"] and "45 días" in fresh["explanation"]
    assert result["compliant"] is False  # essential check, whatever the score
    assert result["score"] == 90


def test_freshness_uses_the_newest_resource_date_and_skips_irregular_data():
    dataset = copy.deepcopy(PERFECT)
    dataset["modified"] = "2025-01-01"
    dataset["resources"][0]["last_modified"] = (TODAY - datetime.timedelta(days=20)).isoformat()
    assert _evaluate(dataset)["overdue"] is False
    dataset["frequency"] = EU + "frequency/IRREG"
    dataset["resources"][0]["last_modified"] = "2020-01-01"
    fresh = _by_id(_evaluate(dataset))["freshness"]
    assert fresh["passed"] and fresh["applicable"] is False


def test_essential_check_failing_means_not_compliant_even_above_threshold():
    dataset = copy.deepcopy(PERFECT)
    dataset["license_id"] = "other-closed"
    result = _evaluate(dataset)
    assert result["score"] == 90 and result["compliant"] is False
