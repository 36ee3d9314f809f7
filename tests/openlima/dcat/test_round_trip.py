"""Our DCAT survives a round trip: every dataset of the demo catalogue, read from our own
Turtle, RDF/XML and JSON-LD feeds with ckanext-dcat's RDFParser and the
``openlima_dcat_ap_3`` profile, is accepted by ``package_create`` under the MML schema of a
second portal (its own process and database), and the copy's metadata equals the original
in every schema field, resources and data dictionary included, except for the fields
listed with their reason in ``ckanext/openlima/dcat/roundtrip.py``.

The demo catalogue also gives ``/data.json`` its widest check: every page validates
against Project Open Data's v1.1 schema.
"""
from __future__ import annotations

import json

import pytest
from ckan.tests import helpers

FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}
# Values that are sets in RDF (their order is not kept)
SET_FIELDS = ("theme", "spatial_ubigeo", "language", "conforms_to", "tags")


@pytest.fixture(scope="module")
def demo(open_module_portal):
    from ckanext.openlima.demo.loader import load_demo

    with open_module_portal() as app:
        report = load_demo(echo=lambda line: None)
        assert report.errors == []
        datasets = helpers.call_action("package_search", {"user": "", "ignore_auth": False},
                                       q="*:*", rows=1000, include_private=False)["results"]
        schema = helpers.call_action("scheming_dataset_schema_show", type="dataset")
        yield app, datasets, schema


def _feed_pages(app, fmt: str) -> list[str]:
    pages, page = [], 1
    while True:
        response = app.get(f"/catalog.{fmt}", query_string={"page": str(page)})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        if "Dataset" not in body:
            return pages
        pages.append(body)
        page += 1


def _parse(pages: list[str], fmt: str) -> dict[str, dict]:
    from ckanext.dcat.processors import RDFParser

    parsed = {}
    for body in pages:
        parser = RDFParser(profiles=["openlima_dcat_ap_3"])
        parser.parse(body, _format=FORMATS[fmt])
        for dataset in parser.datasets():
            parsed[dataset["name"]] = dataset
    return parsed


def _empty(value) -> bool:
    return value in (None, "", [], {}, "[]")


def _value(field: str, value):
    if isinstance(value, str) and value.startswith("["):
        value = json.loads(value)
    if field == "tags":
        return sorted(tag["name"] for tag in value or [])
    if field in SET_FIELDS and isinstance(value, list):
        return sorted(value)
    if field == "spatial_coverage" and value:
        return sorted(({k: v for k, v in place.items() if v} for place in value),
                      key=lambda place: (place.get("uri", ""), place.get("text", "")))
    if isinstance(value, list):
        return [{k: v for k, v in item.items() if not _empty(v)} if isinstance(item, dict) else item
                for item in value]
    return None if _empty(value) else value


def _differences(original: dict, copy: dict, schema: dict) -> list[str]:
    from ckanext.dcat.utils import dataset_uri, resource_uri

    from ckanext.openlima.dcat.roundtrip import CANNOT_TRAVEL, RESOURCE_CANNOT_TRAVEL

    found = []
    fields = [f["field_name"] for f in schema["dataset_fields"]]
    fields = ["tags" if name == "tag_string" else name for name in fields]
    for field in fields:
        mine, theirs = _value(field, original.get(field)), _value(field, copy.get(field))
        if field in CANNOT_TRAVEL:
            if field == "owner_org":
                mine, theirs = original["organization"]["name"], copy["organization"]["name"]
            elif field == "uri":
                mine = dataset_uri(original)
            elif field in ("issued", "modified") and mine is None:
                fallback = original["metadata_created" if field == "issued" else "metadata_modified"]
                mine, theirs = fallback[:10], (theirs or "")[:10]
        if mine != theirs:
            found.append(f"{original['name']}.{field}: {mine!r} != {theirs!r}")
    if len(original["resources"]) != len(copy["resources"]):
        return found + [f"{original['name']}: {len(copy['resources'])} resources"]
    for resource, copied in zip(original["resources"], copy["resources"]):
        for field in (f["field_name"] for f in schema["resource_fields"]):
            mine, theirs = _value(field, resource.get(field)), _value(field, copied.get(field))
            if field in RESOURCE_CANNOT_TRAVEL:
                if field == "uri":
                    mine = resource_uri(resource)
                elif field in ("issued", "modified") and mine is None:
                    fallback = resource["created" if field == "issued" else "metadata_modified"]
                    mine, theirs = (fallback or "")[:10], (theirs or "")[:10]
            if mine != theirs:
                found.append(f"{original['name']}/{resource['name']}.{field}: {mine!r} != {theirs!r}")
    return found


def test_every_demo_dataset_survives_the_round_trip_in_every_format(demo, second_portal):
    app, datasets, schema = demo
    assert len(datasets) >= 30
    parsed = {fmt: _parse(_feed_pages(app, fmt), fmt) for fmt in FORMATS}
    names = {d["name"] for d in datasets}
    for fmt, found in parsed.items():
        assert set(found) == names, fmt
    # RDF/XML and JSON-LD give back exactly what Turtle gives back ...
    for fmt in ("rdf", "jsonld"):
        for name in names:
            assert _comparable_parse(parsed[fmt][name]) == _comparable_parse(parsed["ttl"][name]), (fmt, name)

    # ... and that is accepted by the second portal and equals the original.
    offices = {d["organization"]["name"]: d["organization"] for d in datasets}
    their_offices = {}
    for name, office in offices.items():
        their_offices[name] = second_portal.action(
            "organization_create", name=name, title=office["title"])["id"]
    created = []
    try:
        problems = []
        for original in datasets:
            incoming = dict(parsed["ttl"][original["name"]])
            incoming["owner_org"] = their_offices[original["organization"]["name"]]
            copy = second_portal.action("package_create", **incoming)
            created.append(copy["id"])
            copy = second_portal.action("package_show", id=copy["id"])
            problems += _differences(original, copy, schema)
        assert problems == []
    finally:
        for dataset_id in created:
            second_portal.action("dataset_purge", id=dataset_id)
        for office_id in their_offices.values():
            second_portal.action("organization_purge", id=office_id)


def _comparable_parse(dataset: dict) -> dict:
    """A parsed dict without the parser's internal references (blank node ids)."""
    comparable = {key: _value(key, value) for key, value in dataset.items() if key != "resources"}
    comparable["resources"] = [{k: v for k, v in r.items() if k != "distribution_ref"}
                               for r in dataset["resources"]]
    return comparable


def test_every_page_of_data_json_validates_against_pod_v1_1(demo, pod_validator):
    app, datasets, _schema = demo
    seen = []
    page = 1
    while True:
        catalog = app.get("/data.json", query_string={"page": str(page)}).json
        errors = [f"{list(e.path)}: {e.message}" for e in pod_validator.iter_errors(catalog)]
        assert errors == [], page
        if not catalog["dataset"]:
            break
        seen += catalog["dataset"]
        page += 1
    assert {d["title"] for d in seen} == {d["title"] for d in datasets}
    assert all(d["distribution"] for d in seen)
