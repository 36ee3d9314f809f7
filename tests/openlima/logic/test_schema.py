"""The MML dataset schema: valid datasets pass, each invalid field is refused with a
409 and a Spanish message for that field, and nothing is stored."""
from __future__ import annotations

import copy

import pytest
from ckan.tests import factories, helpers

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"

pytestmark = [
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]


def _api_create(app, data, status):
    sysadmin = factories.SysadminWithToken()
    response = app.post(
        "/api/3/action/package_create",
        json=data,
        headers={"Authorization": sysadmin["token"]},
        status=status,
    )
    return response.json


def test_valid_dataset_is_created_with_defaults_and_normalised_values(app, valid_dataset):
    valid_dataset.pop("license_id")
    valid_dataset["resources"][0]["format"] = "csv"
    result = _api_create(app, valid_dataset, 200)["result"]

    assert result["theme"] == [THEME + "TRAN"]
    assert result["spatial_ubigeo"] == ["150101", "150122"]
    assert result["license_id"] == "cc-by"
    assert result["language"] == ["http://publications.europa.eu/resource/authority/language/SPA"]
    assert result["contact"][0]["email"] == "datos@munlima.gob.pe"
    assert result["data_dictionary"][1]["type"] == "decimal"
    resource = result["resources"][0]
    assert resource["format"] == "CSV"
    assert resource["mimetype"] == "text/csv"
    assert resource["size"] == 2048


def _drop(path):
    def change(data):
        target = data
        for step in path[:-1]:
            target = target[step]
        target.pop(path[-1])
    return change


def _set(path, value):
    def change(data):
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


INVALID_CASES = [
    # (case id, change, path of the error, words of the Spanish message)
    ("sin título", _drop(["title"]), ["title"], "Indique el título"),
    ("sin descripción", _drop(["notes"]), ["notes"], "Indique una descripción"),
    ("sin palabras clave", _drop(["tag_string"]), ["tag_string"], "al menos una palabra clave"),
    ("sin tema", _drop(["theme"]), ["theme"], "al menos un tema"),
    ("tema desconocido", _set(["theme"], ["http://example.org/tema/X"]), ["theme"], "Valor no permitido"),
    ("sin oficina", _drop(["owner_org"]), ["owner_org"], "gerencia u oficina"),
    ("sin contacto", _drop(["contact"]), ["contact", 0, "name"], "punto de contacto"),
    ("contacto sin nombre", _drop(["contact", 0, "name"]), ["contact", 0, "name"], "nombre del punto de contacto"),
    ("correo inválido", _set(["contact", 0, "email"], "no-es-correo"), ["contact", 0, "email"], "Correo electrónico no válido"),
    ("licencia cerrada", _set(["license_id"], "other-closed"), ["license_id"], "licencias abiertas"),
    ("licencia no comercial", _set(["license_id"], "cc-nc"), ["license_id"], "licencias abiertas"),
    ("sin frecuencia", _drop(["frequency"]), ["frequency"], "frecuencia de actualización"),
    ("frecuencia desconocida", _set(["frequency"], "cada-tanto"), ["frequency"], "Valor no permitido"),
    ("sin cobertura geográfica", _drop(["spatial_ubigeo"]), ["spatial_ubigeo"], "UBIGEO"),
    ("distrito inexistente", _set(["spatial_ubigeo"], ["150199"]), ["spatial_ubigeo"], "Valor no permitido"),
    ("idioma desconocido", _set(["language"], ["klingon"]), ["language"], "Valor no permitido"),
    ("fecha inválida", _set(["temporal_coverage", 0, "start"], "31/12/2024"), ["temporal_coverage", 0, "start"], "Fecha no válida"),
    ("fin antes del inicio", _set(["temporal_coverage", 0, "end"], "2023-01-01"), ["temporal_coverage", 0, "end"], "anterior a la fecha inicial"),
    ("versión inválida", _set(["version"], "v1;DROP"), ["version"], "Versión no válida"),
    ("conforme a sin URL", _set(["conforms_to"], ["norma municipal"]), ["conforms_to"], "Dirección web no válida"),
    ("columna sin nombre", _drop(["data_dictionary", 0, "column"]), ["data_dictionary", 0, "column"], "nombre de la columna"),
    ("tipo de columna desconocido", _set(["data_dictionary", 0, "type"], "blob"), ["data_dictionary", 0, "type"], "Valor no permitido"),
    ("recurso sin nombre", _drop(["resources", 0, "name"]), ["resources", 0, "name"], "nombre del recurso"),
    ("formato desconocido", _set(["resources", 0, "format"], "FOO"), ["resources", 0, "format"], "Formato desconocido"),
    ("tipo de medio inválido", _set(["resources", 0, "mimetype"], "csv"), ["resources", 0, "mimetype"], "Tipo de medio no válido"),
    ("tamaño negativo", _set(["resources", 0, "size"], -1), ["resources", 0, "size"], "no puede ser negativo"),
    ("tamaño no numérico", _set(["resources", 0, "size"], "grande"), ["resources", 0, "size"], "número entero"),
    ("suma inválida", _set(["resources", 0, "hash"], "xyz"), ["resources", 0, "hash"], "Suma de verificación no válida"),
    ("algoritmo desconocido", _set(["resources", 0, "hash_algorithm"], "crc32"), ["resources", 0, "hash_algorithm"], "Valor no permitido"),
]


def test_each_invalid_field_is_refused_with_409_and_spanish_message(app, valid_dataset):
    # One test over every case: one database reset instead of one per case.
    sysadmin = factories.SysadminWithToken()
    wrong = []
    for case, change, path, words in INVALID_CASES:
        data = copy.deepcopy(valid_dataset)
        change(data)
        response = app.post("/api/3/action/package_create", json=data,
                            headers={"Authorization": sysadmin["token"]})
        body = response.json
        found = body.get("error", {}) if response.status_code == 409 else {}
        for step in path:
            try:
                found = found[step]
            except (KeyError, IndexError, TypeError):
                found = None
                break
        message = " ".join(found) if isinstance(found, list) and all(isinstance(m, str) for m in found) else str(found)
        if response.status_code != 409 or body["error"].get("__type") != "Validation Error" or words not in message:
            wrong.append((case, response.status_code, body.get("error")))
    assert wrong == []
    # nothing was stored
    assert helpers.call_action("package_search", q="*:*", include_private=True)["count"] == 0


def test_update_keeps_validation(valid_dataset):
    context = {"user": factories.Sysadmin()["name"]}
    dataset = helpers.call_action("package_create", context=dict(context), **valid_dataset)
    with pytest.raises(helpers.logic.ValidationError) as refused:
        helpers.call_action("package_patch", context=dict(context), id=dataset["id"], frequency="nunca-jamas")
    assert "Valor no permitido" in refused.value.error_dict["frequency"][0]
    assert helpers.call_action("package_show", id=dataset["id"])["frequency"].endswith("/MONTHLY")


def test_form_shows_spanish_errors(app, office):
    sysadmin = factories.SysadminWithToken()
    response = app.post(
        "/dataset/new",
        data={"name": "sin-tema", "title": "Sin tema", "notes": "x", "owner_org": office["id"],
              "save": "continue"},
        headers={"Authorization": sysadmin["token"]},
    )
    assert "Elija al menos un tema" in response.get_data(as_text=True)
    assert helpers.call_action("package_search", q="*:*", include_private=True)["count"] == 0
