import pytest
from ckan.tests import factories, helpers


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
def test_create_and_search():
    org = factories.Organization(name="gerencia-de-transporte-urbano", title="Gerencia de Transporte Urbano")
    factories.Dataset(owner_org=org["id"], name="paraderos", title="Paraderos del transporte público",
                      notes="Ubicación de paraderos", tags=[{"name": "transporte"}])
    factories.Dataset(owner_org=org["id"], name="educacion-vial", title="Educación vial",
                      notes="Campañas de educación vial en colegios")
    result = helpers.call_action("package_search", q="educacion")
    assert [d["name"] for d in result["results"]] == ["educacion-vial"]
    result = helpers.call_action("package_search", q="transporte publico", **{"facet.field": '["organization", "tags"]'})
    assert result["count"] == 1
    assert result["search_facets"]["tags"]["items"][0]["name"] == "transporte"
    result = helpers.call_action("package_search", q="*:*", sort="title_string asc")
    assert [d["name"] for d in result["results"]] == ["educacion-vial", "paraderos"]
    shown = helpers.call_action("organization_show", id=org["id"])
    assert shown["package_count"] == 2
