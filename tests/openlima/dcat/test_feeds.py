"""The catalogue feeds read ``modified_since`` in every ISO 8601 form, answer anything
else with a 400 in the feed's own format, page safely and never show private datasets."""
from __future__ import annotations

import copy
import datetime as dt
import json
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ckan.tests import factories, helpers
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
RDF_FORMATS = {"ttl": "turtle", "rdf": "xml", "xml": "xml", "n3": "n3", "jsonld": "json-ld"}
CONTENT_TYPES = {"ttl": "text/turtle", "rdf": "application/rdf+xml", "xml": "application/rdf+xml",
                 "n3": "text/n3", "jsonld": "application/ld+json"}


@pytest.fixture(scope="module")
def feed_catalogue(open_module_portal, dataset_template):
    """Three public datasets and a private one; two datasets a feed page."""
    with open_module_portal(**{"ckanext.dcat.datasets_per_page": "2"}) as app:
        sysadmin = factories.Sysadmin()
        office = factories.Organization(name="gerencia-de-movilidad-urbana")
        created = []
        for index, (title, private) in enumerate([
                ("Paraderos del Metropolitano", False), ("Ciclovías de Lima", False),
                ("Mercados municipales", False), ("Borrador interno", True)]):
            data = copy.deepcopy(dataset_template)
            data.update(name=f"conjunto-{index}", title=title, owner_org=office["id"], private=private)
            created.append(helpers.call_action("package_create", {"user": sysadmin["name"]}, **data))
        token = helpers.call_action("api_token_create", {"user": sysadmin["name"]},
                                    user=sysadmin["name"], name="feeds")["token"]
        yield app, created[:3], token


@pytest.fixture
def app(feed_catalogue):
    return feed_catalogue[0]


def _graph(response, fmt="ttl") -> Graph:
    return Graph().parse(data=response.get_data(as_text=True), format=RDF_FORMATS[fmt])


def _titles(graph: Graph) -> set[str]:
    """Titles of the datasets in a feed page."""
    return {str(graph.value(dataset, DCTERMS.title)) for dataset in graph.subjects(RDF.type, DCAT.Dataset)}


def _modified(dataset) -> dt.datetime:
    return dt.datetime.fromisoformat(dataset["metadata_modified"]).replace(tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("value", [
    "2020-01-02T03:04:05Z",            # what harvesters send most (was a 500)
    "2020-01-02T03:04:05.123456Z",
    "2020-01-02T03:04:05,5Z",
    "2020-01-02T03:04:05+05:00",
    "2020-01-02T03:04:05-0500",
    "2020-01-02T03:04:05 05:00",        # "+05:00" sent without percent-encoding
    "2020-01-02T03:04Z",
    "2020-01-02T03:04:05",              # no offset: UTC
    "2020-01-02",
    "20200102",
    "20200102T030405Z",
    "2020-W01-4",
    "2020-002",
    "2020-01",
    "2020",
    "2020-01-02T24:00Z",
    "2020-01-02t03:04:05z",
])
def test_modified_since_accepts_every_iso_8601_form(app, feed_catalogue, value):
    response = app.get("/catalog.ttl", query_string={"modified_since": value, "page": "1"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"].startswith("text/turtle")
    assert len(_titles(_graph(response))) == 2  # two per page in this test; three match


def test_modified_since_offsets_are_converted_to_utc(app, feed_catalogue):
    created = feed_catalogue[1]
    newest = max(_modified(d) for d in created)
    lima = dt.timezone(dt.timedelta(hours=-5))
    kathmandu = dt.timezone(dt.timedelta(hours=5, minutes=45))

    def titles_since(moment: dt.datetime) -> set[str]:
        response = app.get("/catalog.ttl", query_string={"modified_since": moment.isoformat()})
        assert response.status_code == 200
        return _titles(_graph(response))

    # One second before the newest change, written in Lima time: it is included.
    assert titles_since((newest - dt.timedelta(seconds=1)).astimezone(lima))
    # One second after it, written with a +05:45 offset: nothing is newer.
    assert titles_since((newest + dt.timedelta(seconds=1)).astimezone(kathmandu)) == set()
    # The same wall-clock time read as UTC would have been 5 hours off either way.
    assert titles_since((newest + dt.timedelta(hours=4)).astimezone(lima)) == set()


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
@pytest.mark.parametrize("parameter,value", [
    ("modified_since", "ayer"),
    ("modified_since", "2026-13-45"),
    ("modified_since", "2026-02-30T00:00Z"),
    ("modified_since", "2026-12-02T25:00Z"),
    ("page", "0"),
    ("page", "-1"),
    ("page", "dos"),
    ("page", "1e3"),
    ("page", "100000000000000000000"),
    ("profiles", "no_such_profile"),
])
def test_bad_parameters_answer_400_in_the_feeds_format(app, feed_catalogue, fmt, parameter, value):
    response = app.get(f"/catalog.{fmt}", query_string={parameter: value})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith(CONTENT_TYPES[fmt])
    graph = _graph(response, fmt)
    errors = list(graph.subjects(RDF.type, HYDRA.Error))
    assert len(errors) == 1
    assert (errors[0], HYDRA.statusCode, Literal(400)) in graph
    description = graph.value(errors[0], HYDRA.description)
    assert description.language == "es"
    assert parameter in str(description)
    assert "Traceback" not in response.get_data(as_text=True)


def test_errors_are_in_english_under_en(app, feed_catalogue):
    response = app.get("/en/catalog.jsonld", query_string={"modified_since": "ayer"})
    assert response.status_code == 400
    graph = _graph(response, "jsonld")
    description = graph.value(next(graph.subjects(RDF.type, HYDRA.Error)), HYDRA.description)
    assert description.language == "en"
    assert "must be an ISO 8601 date" in str(description)


@pytest.mark.parametrize("q,fq", [("", "metadata_modified:[x TO"), ("", "{!xmlparser v=x}"),
                                  ("title:[a TO", "")])
def test_search_syntax_errors_are_400_not_500(app, feed_catalogue, q, fq):
    response = app.get("/catalog.ttl", query_string={"q": q, "fq": fq})
    assert response.status_code == 400
    assert (None, RDF.type, HYDRA.Error) in _graph(response)


def test_unknown_format_is_404(app, feed_catalogue):
    assert app.get("/catalog.exe").status_code == 404


def test_pages_past_the_end_are_empty_and_links_keep_parameters_encoded(app, feed_catalogue):
    fq = '-name:"a & b # más"'  # matches every dataset; its characters must survive the link
    response = app.get("/catalog.ttl", query_string={"fq": fq, "page": "1",
                                                      "modified_since": "2020-01-01T00:00:00+05:00"})
    assert response.status_code == 200
    graph = _graph(response)
    next_page = next(graph.objects(None, HYDRA.next), None)
    assert next_page is not None
    query = parse_qs(urlparse(str(next_page)).query)
    assert query == {"fq": [fq], "page": ["2"], "modified_since": ["2020-01-01T00:00:00+05:00"]}
    link = urlparse(str(next_page))
    assert _titles(_graph(app.get(f"{link.path}?{link.query}")))  # the link works

    past = app.get("/catalog.ttl", query_string={"page": "999999"})
    assert past.status_code == 200
    assert _titles(_graph(past)) == set()


def test_feeds_never_hold_private_datasets_whoever_asks(app, feed_catalogue):
    token = feed_catalogue[2]
    seen = set()
    for page in ("1", "2", "3"):
        response = app.get("/catalog.ttl", query_string={"page": page},
                           headers={"Authorization": token})
        seen |= _titles(_graph(response))
    assert "Paraderos del Metropolitano" in seen
    assert "Borrador interno" not in seen
    fq = app.get("/catalog.ttl", query_string={"fq": "capacity:private"}, headers={"Authorization": token})
    assert _titles(_graph(fq)) == set()


def test_home_page_still_served_by_the_catalogue_endpoint(app, feed_catalogue):
    response = app.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    negotiated = app.get("/", headers={"Accept": "text/turtle"})
    assert negotiated.headers["Content-Type"].startswith("text/turtle")
    assert URIRef("http://www.w3.org/ns/dcat#Catalog") in set(_graph(negotiated).objects(None, RDF.type))
    assert json.loads(app.get("/catalog.jsonld").get_data(as_text=True))


# --- fuzz: every feed parameter at once, never a 500 -----------------------------------

ISO_LIKE = ["2026-12-02T00:46:50Z", "2026-12-02", "2026-W49-3", "2026-336", "2026", "20261202T004650Z",
            "2026-12-02T00:46:50+05:00", "2026-12-02T00:46:50 05:00", "0001-01-01T00:00+05:00",
            "9999-12-31T23:59:59-05:00", "2026-02-30", "ayer", "NOW-1DAY", "*", "[* TO NOW]",
            "2026-12-02T00:46:50+99:00", "\x00", "ｓ", "٢٠٢٦-١٢-٠٢", "2026-12-02T24:00:01Z"]
QUERY_BITS = ["transporte", "title:Lima", "AND", "OR", "(", ")", '"', "*:*", "[", "TO", "]", "{!bool}",
              "capacity:private", "-dataset_type:harvest", "metadata_modified:[NOW-1DAY TO *]", "\\",
              "&", "#", "%", "é", "\x00", "organization:gerencia-de-movilidad-urbana"]
queries = st.one_of(st.none(), st.text(max_size=40),
                    st.lists(st.sampled_from(QUERY_BITS), max_size=6).map(" ".join))
pages = st.one_of(st.none(), st.integers(min_value=-5, max_value=10**22).map(str),
                  st.sampled_from(["", " 1", "1.0", "0x10", "١", "1e3", "+2", "2 "]), st.text(max_size=8))
since = st.one_of(st.none(), st.sampled_from(ISO_LIKE), st.text(max_size=30),
                  st.datetimes().map(lambda moment: moment.isoformat()))
paths = st.one_of(st.sampled_from([f"/catalog.{fmt}" for fmt in RDF_FORMATS]),
                  st.sampled_from(["/catalog.json", "/catalog.html", "/catalog.TTL", "/catalog.",
                                   "/data.json"]),
                  st.text(alphabet="abcdefghijklmnopqrstuvwxyz.", max_size=6).map(lambda fmt: f"/catalog.{fmt}"))
accepts = st.sampled_from([None, "text/turtle", "application/ld+json", "*/*", "text/*;q=0.5",
                           "application/rdf+xml;q=x", "garbage/"])


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(path=paths, page=pages, modified_since=since, q=queries, fq=queries, accept=accepts)
def test_feed_fuzz_never_a_500(app, path, page, modified_since, q, fq, accept):
    query = {key: value for key, value in {"page": page, "modified_since": modified_since,
                                           "q": q, "fq": fq}.items() if value is not None}
    headers = {"Accept": accept} if accept else {}
    response = app.get(path, query_string=query, headers=headers)
    assert response.status_code in (200, 400, 404), (path, query, response.status_code)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "psycopg2" not in body and "SolrError" not in body
    fmt = path.rsplit(".", 1)[-1]
    if response.status_code == 400 and fmt in RDF_FORMATS:
        assert (None, RDF.type, HYDRA.Error) in _graph(response, fmt)
    elif response.status_code == 200 and fmt in RDF_FORMATS:
        assert "Borrador interno" not in _titles(_graph(response, fmt))


# --- /data.json (Project Open Data v1.1) ----------------------------------------------


def test_data_json_is_valid_pod_paged_and_public_only(app, feed_catalogue, pod_validator):
    first = app.get("/data.json")
    assert first.status_code == 200
    assert first.headers["Content-Type"].startswith("application/json")
    catalog = first.json
    errors = [f"{list(e.path)}: {e.message}" for e in pod_validator.iter_errors(catalog)]
    assert errors == []
    assert catalog["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert len(catalog["dataset"]) == 2 and first.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.headers["Link"]

    second = app.get("/data.json", query_string={"page": "2"}).json
    assert pod_validator.is_valid(second)
    titles = {d["title"] for d in catalog["dataset"] + second["dataset"]}
    assert titles == {"Paraderos del Metropolitano", "Ciclovías de Lima", "Mercados municipales"}

    dataset = catalog["dataset"][0]
    assert dataset["accessLevel"] == "public"
    assert dataset["license"] == "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
    assert dataset["accrualPeriodicity"] == "R/P1M"
    assert dataset["contactPoint"]["hasEmail"] == "mailto:datos@munlima.gob.pe"
    assert dataset["landingPage"].endswith(f"/dataset/{dataset['landingPage'].rsplit('/', 1)[-1]}")
    assert dataset["distribution"][0]["mediaType"] == "text/csv"


def test_data_json_never_lists_private_datasets_even_for_sysadmins(app, feed_catalogue):
    token = feed_catalogue[2]
    seen = []
    for page in ("1", "2", "3"):
        seen += app.get("/data.json", query_string={"page": page},
                        headers={"Authorization": token}).json["dataset"]
    assert "Borrador interno" not in {d["title"] for d in seen}
    assert len(seen) == 3


@pytest.mark.parametrize("parameter,value", [("page", "0"), ("modified_since", "ayer"),
                                             ("fq", "title:[a TO"), ("profiles", "euro_dcat_ap")])
def test_data_json_bad_parameters_are_400_json(app, feed_catalogue, parameter, value):
    response = app.get("/data.json", query_string={parameter: value})
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == parameter
    assert response.json["error"]["message"]


def test_data_json_modified_since_filters(app, feed_catalogue):
    assert len(app.get("/data.json", query_string={"modified_since": "2999-01-01"}).json["dataset"]) == 0
    assert app.get("/data.json", query_string={"modified_since": "2020-01-01T00:00:00-05:00"}).headers[
        "X-Total-Count"] == "3"


def test_pod_schema_files_are_the_published_ones():
    import hashlib
    import re

    from pathlib import Path

    folder = Path(__file__).resolve().parents[3] / "ckanext-openlima/ckanext/openlima/dcat/pod_schema"
    listed = dict((name, digest) for digest, name in
                  re.findall(r"^([0-9a-f]{64})  (\w+\.json)$", (folder / "README.md").read_text(), re.M))
    assert len(listed) == 5
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


# --- dcat:landingPage ------------------------------------------------------------------


def _landing_pages(app, name: str) -> tuple[set[str], Graph]:
    graph = _graph(app.get(f"/dataset/{name}.ttl"))
    return {str(page) for page in graph.objects(None, DCAT.landingPage)}, graph


def test_landing_page_is_the_datasets_page(app, feed_catalogue):
    pages, graph = _landing_pages(app, "conjunto-0")
    assert pages == {"http://test.ckan.net/dataset/conjunto-0"}
    assert (URIRef("http://test.ckan.net/dataset/conjunto-0"), RDF.type, FOAF.Document) in graph


@pytest.mark.ckan_config("ckanext.openlima.site_url", "https://datos.munlima.gob.pe/")
def test_landing_page_is_the_static_sites_page_when_there_is_one(app, feed_catalogue):
    pages, _graph_ = _landing_pages(app, "conjunto-1")
    assert pages == {"https://datos.munlima.gob.pe/conjuntos/conjunto-1.html"}
    assert app.get("/data.json").json["dataset"][0]["landingPage"].startswith(
        "https://datos.munlima.gob.pe/conjuntos/")
