"""``/data.json``: the catalogue in Project Open Data v1.1 (DCAT-US), the format Peru's
national open-data platform (PNDA) itself exposes.

Valid against POD's own published v1.1 JSON schema (vendored in ``dcat/pod_schema/``,
checked by ``tests/openlima/dcat/test_data_json.py``). Paged like the DCAT feeds
(``?page=``, ``?modified_since=``, ``?q=``, ``?fq=``, checked by :mod:`.feeds`, 100
datasets a page); the paging links travel in the HTTP ``Link`` header (``rel="next"``…),
since the POD schema has no paging members. Only public datasets, searched as an
anonymous visitor.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response, request

from ckanext.dcat import utils as dcat_utils

from ckanext.openlima.dcat import feeds, landing
from ckanext.openlima.logic import vocabularies

__all__ = ["openlima_feeds", "dataset_to_pod", "catalog_to_pod"]

POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
POD_CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
POD_DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
# EU frequencies as ISO 8601 repeating durations (POD's accrualPeriodicity)
FREQUENCIES = {
    "UPDATE_CONT": "R/PT1S", "HOURLY": "R/PT1H", "DAILY": "R/P1D", "WEEKLY": "R/P1W",
    "BIWEEKLY": "R/P2W", "MONTHLY": "R/P1M", "BIMONTHLY": "R/P2M", "QUARTERLY": "R/P3M",
    "ANNUAL_2": "R/P6M", "ANNUAL": "R/P1Y", "BIENNIAL": "R/P2Y", "TRIENNIAL": "R/P3Y",
    "IRREG": "irregular",
}
# EU language codes as BCP 47 tags
LANGUAGES = {"SPA": "es-PE", "QUE": "qu", "ENG": "en", "AYM": "ay"}

openlima_feeds = Blueprint("openlima_feeds", __name__)


def _values(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]
    return [str(v) for v in value]


def _http_url(value: Any) -> str | None:
    text = str(value or "").strip()
    parsed = urlparse(text)
    return text if parsed.scheme in ("http", "https") and parsed.netloc and " " not in text else None


def _date(value: Any) -> str | None:
    text = str(value or "").strip()
    return text[:10] if len(text) >= 10 and text[4] == "-" else None


def _contact(dataset: dict) -> dict[str, str]:
    contacts = [c for c in dataset.get("contact") or [] if isinstance(c, dict)]
    first = contacts[0] if contacts else {}
    email = first.get("email") or tk.config.get("ckanext.openlima.own_data_contact_email")
    name = first.get("name") or (dataset.get("organization") or {}).get("title") or email
    return {"@type": "vcard:Contact", "fn": name, "hasEmail": f"mailto:{email}"}


def _distribution(resource: dict) -> dict[str, Any]:
    file_type = vocabularies.file_type(resource.get("format"))
    media_type = resource.get("mimetype") or (file_type or {}).get("media_type")
    distribution: dict[str, Any] = {"@type": "dcat:Distribution"}
    url = _http_url(resource.get("url"))
    if url and media_type:
        distribution["downloadURL"] = url
        distribution["mediaType"] = media_type
    elif url:
        distribution["accessURL"] = url
    if resource.get("format"):
        distribution["format"] = (file_type or {}).get("label") or resource["format"]
    if resource.get("name"):
        distribution["title"] = resource["name"]
    if resource.get("description"):
        distribution["description"] = resource["description"]
    return distribution


def _temporal(dataset: dict) -> str | None:
    """The first period with both ends, as an ISO 8601 interval (POD has one ``temporal``)."""
    for period in dataset.get("temporal_coverage") or []:
        start, end = _date(period.get("start")), _date(period.get("end"))
        if start and end:
            return f"{start}/{end}"
    return None


def dataset_to_pod(dataset: dict) -> dict[str, Any]:
    """A CKAN dataset under the MML schema as a POD v1.1 dataset."""
    organization = dataset.get("organization") or {}
    page = landing.landing_page(dataset)
    pod: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "title": dataset.get("title") or dataset["name"],
        "description": dataset.get("notes") or dataset.get("title") or dataset["name"],
        "keyword": [tag["name"] for tag in dataset.get("tags") or []] or [dataset["name"]],
        "modified": _date(dataset.get("modified")) or dataset["metadata_modified"][:19] + "Z",
        "publisher": {"@type": "org:Organization",
                      "name": organization.get("title") or organization.get("name")
                      or tk.config.get("ckanext.openlima.catalog_publisher_name"),
                      "subOrganizationOf": {"@type": "org:Organization", "name": tk.config.get(
                          "ckanext.openlima.catalog_publisher_name")}},
        "contactPoint": _contact(dataset),
        "identifier": dcat_utils.dataset_uri(dataset),
        "accessLevel": "public",
        "bureauCode": [tk.config.get("ckanext.openlima.pod_bureau_code")],
        "programCode": [tk.config.get("ckanext.openlima.pod_program_code")],
        "landingPage": page,
    }
    licence = vocabularies.licence(dataset.get("license_id"))
    if licence:
        pod["license"] = licence["uri"]
    districts = vocabularies.district_names_of(dataset.get("spatial_ubigeo"))
    if districts:
        pod["spatial"] = ", ".join(districts)
    temporal = _temporal(dataset)
    if temporal:
        pod["temporal"] = temporal
    frequency = vocabularies.by_uri("frequencies", dataset.get("frequency"))
    if frequency and frequency["code"] in FREQUENCIES:
        pod["accrualPeriodicity"] = FREQUENCIES[frequency["code"]]
    if _date(dataset.get("issued")):
        pod["issued"] = _date(dataset.get("issued"))
    languages = [LANGUAGES[row["code"]] for row in (
        vocabularies.by_uri("languages", uri) for uri in _values(dataset.get("language"))) if row
        and row["code"] in LANGUAGES]
    if languages:
        pod["language"] = sorted(set(languages))
    themes = vocabularies.labels_of("themes", dataset.get("theme"))
    if themes:
        pod["theme"] = themes
    conforms = [url for url in (_http_url(v) for v in _values(dataset.get("conforms_to"))) if url]
    if conforms:
        pod["conformsTo"] = conforms[0]
    references = sorted({url for url in (_http_url(dataset.get("url")),) if url and url != page})
    if references:
        pod["references"] = references
    distributions = [_distribution(r) for r in dataset.get("resources") or []]
    if distributions:
        pod["distribution"] = distributions
    return pod


def catalog_to_pod(datasets: list[dict], catalog_url: str) -> dict[str, Any]:
    return {
        "@context": POD_CONTEXT,
        "@id": catalog_url,
        "@type": "dcat:Catalog",
        "conformsTo": POD_SCHEMA,
        "describedBy": POD_DESCRIBED_BY,
        "dataset": [dataset_to_pod(d) for d in datasets],
    }


def _json(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, indent=None), status=status,
                    content_type="application/json; charset=utf-8", headers=headers or {})


def data_json():
    """``/data.json``: one page of the catalogue in POD v1.1."""
    try:
        query = feeds.read_feed_parameters(request.args, profiles_allowed=False)
        result = feeds.search_public_datasets(query)
    except feeds.FeedParameterError as error:
        return _json({"error": {"status": 400, "parameter": error.parameter,
                                "message": error.message}}, status=400)
    site = tk.config.get("ckan.site_url").rstrip("/")
    links = feeds.page_links(query, result["count"], f"{site}{request.path}")
    header = ", ".join(f'<{links[key]}>; rel="{rel}"' for key, rel in (
        ("first", "first"), ("previous", "prev"), ("next", "next"), ("last", "last")) if key in links)
    headers = {"Link": header} if header else {}
    headers["X-Total-Count"] = str(result["count"])
    return _json(catalog_to_pod(result["results"], links.get("current") or f"{site}{request.path}"),
                 headers=headers)


openlima_feeds.add_url_rule("/data.json", view_func=data_json)
