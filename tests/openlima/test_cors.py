"""CORS for reading: read-only GETs of the Action API, the DCAT feeds and /data.json carry
Access-Control-Allow-Origin; writes and pages keep CKAN's rules (none by default)."""
from __future__ import annotations

import pytest
from ckan.tests import factories, helpers

ORIGIN = {"Origin": "https://cuaderno.example.org"}
ACAO = "Access-Control-Allow-Origin"


@pytest.fixture
def catalogue(clean_db, clean_index, with_plugins):
    sysadmin = factories.Sysadmin()
    token = helpers.call_action("api_token_create", {"user": sysadmin["name"]},
                                user=sysadmin["name"], name="cors")["token"]
    office = factories.Organization(name="gerencia-de-movilidad-urbana")
    dataset = factories.Dataset(name="paraderos", owner_org=office["id"])
    return dataset, token, office


@pytest.mark.parametrize("url", [
    "/api/3/action/package_search?q=paraderos",
    "/api/3/action/package_show?id=paraderos",
    "/api/3/action/openlima_compliance_summary",
    "/api/3/action/package_show?id=no-existe",      # errors are readable too
    "/catalog.ttl",
    "/catalog.jsonld?modified_since=ayer",           # the 400 in the feed's format
    "/dataset/paraderos.rdf",
    "/data.json",
])
def test_read_only_gets_are_readable_from_any_origin(app, catalogue, url):
    response = app.get(url, headers=ORIGIN)
    assert response.headers.get(ACAO) == "*", (url, response.status_code)
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_writes_and_pages_keep_ckans_rules(app, catalogue):
    dataset, token, office = catalogue
    write = app.post("/api/3/action/package_patch", json={"id": dataset["id"], "title": "Nuevo"},
                     headers={**ORIGIN, "Authorization": token})
    assert write.status_code == 200
    assert ACAO not in write.headers
    refused = app.get("/api/3/action/package_create", headers=ORIGIN)  # GET of a write
    assert refused.status_code == 400
    for page in ("/", "/dataset/paraderos", "/dataset"):
        assert ACAO not in app.get(page, headers=ORIGIN).headers, page


@pytest.mark.ckan_config("ckan.cors.origin_allow_all", "true")
def test_ckans_own_cors_settings_still_govern_writes(app, catalogue):
    dataset, token, office = catalogue
    write = app.post("/api/3/action/package_patch", json={"id": dataset["id"], "title": "Nuevo"},
                     headers={**ORIGIN, "Authorization": token})
    assert write.headers.get(ACAO) == "*"
    assert "POST" in write.headers["Access-Control-Allow-Methods"]


@pytest.mark.ckan_config("ckanext.openlima.cors_allowed_origins", "https://datos.munlima.gob.pe")
def test_a_list_of_origins_allows_those_only(app, catalogue):
    allowed = app.get("/catalog.ttl", headers={"Origin": "https://datos.munlima.gob.pe"})
    assert allowed.headers[ACAO] == "https://datos.munlima.gob.pe"
    assert "Origin" in allowed.headers["Vary"]
    other = app.get("/catalog.ttl", headers=ORIGIN)
    assert ACAO not in other.headers


@pytest.mark.ckan_config("ckanext.openlima.cors_allowed_origins", "")
def test_cors_can_be_turned_off(app, catalogue):
    assert ACAO not in app.get("/api/3/action/package_search", headers=ORIGIN).headers
