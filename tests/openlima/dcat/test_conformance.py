"""The DCAT-AP 3 export validates against the official SHACL shapes with zero
violations, and the feeds carry what harvesters need, never private datasets."""
from __future__ import annotations

import copy
import io
import os
from pathlib import Path

import pytest
from ckan.tests import factories, helpers
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SKOS

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
SHAPES = Path(os.environ.get("DCAT_AP_SHACL_DIR") or Path(__file__).resolve().parents[4] / "shared" / "standards")

pytestmark = [
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
    pytest.mark.ckan_config("ckanext.dcat.rdf.profiles", "openlima_dcat_ap_3"),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]


def _create(valid_dataset, **changes):
    data = copy.deepcopy(valid_dataset)
    data.update(changes)
    context = {"user": factories.Sysadmin()["name"]}
    return helpers.call_action("package_create", context=context, **data)


@pytest.fixture
def catalogue(valid_dataset):
    first = _create(valid_dataset)
    second = _create(
        valid_dataset, name="presupuesto-participativo", title="Presupuesto participativo",
        theme=["http://publications.europa.eu/resource/authority/data-theme/ECON",
               "http://publications.europa.eu/resource/authority/data-theme/GOVE"],
        frequency="http://publications.europa.eu/resource/authority/frequency/ANNUAL",
        spatial_ubigeo=["1501"], data_dictionary=[],
        resources=[{"name": "Proyectos (XLSX)", "url": "http://example.org/p.xlsx", "format": "xlsx"},
                   {"name": "Proyectos (JSON)", "url": "http://example.org/p.json", "format": "JSON",
                    "hash": "d41d8cd98f00b204e9800998ecf8427e", "hash_algorithm": "md5"}],
    )
    private = _create(valid_dataset, name="borrador-interno", title="Borrador interno", private=True)
    return first, second, private


@pytest.mark.skipif(not SHAPES.exists(), reason="DCAT-AP SHACL shapes not available")
def test_catalogue_and_every_dataset_conform_with_zero_violations(catalogue):
    from ckanext.openlima.dcat import conformance

    shapes = conformance.load_shapes(SHAPES)
    out = io.StringIO()
    total = conformance.run(conformance.graphs_from_ckan(), shapes, out=out)
    report = out.getvalue()
    assert "3 graphs, 0 violations" in report, report
    assert total == 0
    assert "borrador-interno" not in report


def test_catalogue_feed_maps_values_to_eu_vocabularies(app, catalogue):
    first, second, private = catalogue
    response = app.get("/catalog.ttl")
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")

    titles = {str(title) for title in graph.objects(None, DCTERMS.title)}
    assert "Paraderos del Metropolitano" in titles
    assert "Borrador interno" not in titles

    theme = URIRef("http://publications.europa.eu/resource/authority/data-theme/TRAN")
    assert (theme, RDF.type, SKOS.Concept) in graph
    assert "Transporte" in {str(label) for label in graph.objects(theme, SKOS.prefLabel)}
    formats = set(graph.objects(None, DCTERMS["format"]))
    assert URIRef("http://publications.europa.eu/resource/authority/file-type/CSV") in formats
    assert URIRef("http://publications.europa.eu/resource/authority/file-type/XLSX") in formats
    media = set(graph.objects(None, DCAT.mediaType))
    assert URIRef("https://www.iana.org/assignments/media-types/text/csv") in media
    licences = set(graph.objects(None, DCTERMS.license))
    assert licences == {URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")}
    miraflores = [loc for loc in graph.objects(None, DCTERMS.spatial)
                  if str(loc).endswith("/ubigeo/150122")]
    assert miraflores and "Miraflores" in {str(v) for v in graph.objects(miraflores[0], SKOS.prefLabel)}
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    assert (catalog, DCTERMS.publisher, None) in graph


@pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "1")
def test_catalogue_paging_and_modified_since(app, catalogue):
    pages = [app.get(f"/catalog.ttl?page={n}", status=200).get_data(as_text=True) for n in (1, 2, 3)]
    assert sum("Presupuesto participativo" in page for page in pages) == 1
    assert sum("Paraderos del Metropolitano" in page for page in pages) == 1
    assert "hydra:next" in pages[0] or "nextPage" in pages[0]
    assert "Borrador interno" not in "".join(pages)
    future = app.get("/catalog.ttl?modified_since=2999-01-01", status=200).get_data(as_text=True)
    assert "Paraderos del Metropolitano" not in future
    past = app.get("/catalog.ttl?modified_since=2000-01-01", status=200).get_data(as_text=True)
    assert "Paraderos del Metropolitano" in past or "Presupuesto participativo" in past


def test_dataset_rdf_in_each_format(app, catalogue):
    first = catalogue[0]
    for suffix, fmt in ((".ttl", "turtle"), (".jsonld", "json-ld"), (".rdf", "xml"), (".xml", "xml")):
        text = app.get(f"/dataset/{first['name']}{suffix}", status=200).get_data(as_text=True)
        graph = Graph().parse(data=text, format=fmt)
        assert "Paraderos del Metropolitano" in {str(t) for t in graph.objects(None, DCTERMS.title)}, suffix


def test_private_dataset_rdf_is_not_served(app, catalogue):
    private = catalogue[2]
    response = app.get(f"/dataset/{private['name']}.ttl")
    assert response.status_code in (403, 404)
    assert "Borrador interno" not in response.get_data(as_text=True)


def test_content_negotiation_and_schema_org_in_page(app, catalogue):
    first = catalogue[0]
    negotiated = app.get(f"/dataset/{first['name']}", headers={"Accept": "text/turtle"})
    assert "dcat:Dataset" in negotiated.get_data(as_text=True)
    page = app.get(f"/dataset/{first['name']}").get_data(as_text=True)
    start = page.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    embedded = Graph().parse(data=page[start:page.index("</script>", start)], format="json-ld")
    schema = "http://schema.org/"
    datasets = list(embedded.subjects(RDF.type, URIRef(schema + "Dataset")))
    assert datasets, "no schema:Dataset for Google Dataset Search"
    assert "Paraderos del Metropolitano" in {str(v) for v in embedded.objects(datasets[0], URIRef(schema + "name"))}


@pytest.mark.skipif(not SHAPES.exists(), reason="DCAT-AP SHACL shapes not available")
def test_conformance_command_against_the_running_portal(portal_server, catalogue, monkeypatch, capsys):
    from ckanext.openlima.dcat import conformance

    monkeypatch.setenv("DCAT_AP_SHACL_DIR", str(SHAPES))
    assert conformance.main(["--url", portal_server.url]) == 0
    out = capsys.readouterr().out
    assert "DCAT-AP 3.0.1 SHACL: 3 graphs, 0 violations" in out
    assert "dataset/presupuesto-participativo.ttl: 0 violations" in out
    assert "borrador-interno" not in out
    assert conformance.main(["--url", "http://127.0.0.1:9"]) == 2


def test_district_uris_of_the_feed_lead_to_the_districts_datasets(app, catalogue):
    """dct:spatial <site>/ubigeo/<code> answers (issue 13: it was a 404): a 303 to the
    catalogue filtered by the district; unknown codes are a 404."""
    from urllib.parse import unquote_plus, urlsplit

    graph = Graph().parse(data=app.get("/catalog.ttl").get_data(as_text=True), format="turtle")
    places = {str(loc): str(graph.value(loc, SKOS.prefLabel))
              for loc in graph.objects(None, DCTERMS.spatial) if "/ubigeo/" in str(loc)}
    assert {uri.rsplit("/", 1)[1] for uri in places} >= {"1501", "150122"}
    for uri, name in places.items():
        response = app.get(urlsplit(uri).path, follow_redirects=False)
        assert response.status_code == 303, uri
        assert unquote_plus(response.headers["Location"]).endswith(f"/dataset/?distrito={name}")
    found = app.get("/dataset/?distrito=Lima Metropolitana").get_data(as_text=True)
    assert "Presupuesto participativo" in found
    for unknown in ("999999", "15012", "150144", "1501%0A"):
        app.get(f"/ubigeo/{unknown}", status=404)


@pytest.mark.ckan_config("ckanext.openlima.site_url", "https://datos.example.pe")
def test_district_uris_lead_to_the_static_sites_district_pages(app):
    response = app.get("/ubigeo/150122", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "https://datos.example.pe/distritos/150122/"
