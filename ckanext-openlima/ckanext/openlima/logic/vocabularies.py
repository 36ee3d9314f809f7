"""The controlled vocabularies of the MML schema, read from ``config/vocabularies/``.

The EU authority tables (data themes, frequencies, file types, languages, access
rights, licences), ADMS's publisher types and Lima Metropolitana's districts ship with the repository as CSV
with Spanish and English labels, so forms, validators, the DCAT profile and the
compliance checks all read the same data. ``ckanext.openlima.vocabularies_dir``
points elsewhere when the repository layout is not available.
"""
from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk

__all__ = [
    "vocabulary",
    "by_uri",
    "by_code",
    "label",
    "districts",
    "file_type",
    "licence",
    "LIMA_UBIGEO",
    "district",
    "district_uri",
    "labels_of",
    "district_names_of",
    "LABELS_FIELD",
    "searchable_labels",
]

# The province of Lima (= Lima Metropolitana): "the whole city" in spatial coverage.
LIMA_UBIGEO = "1501"

_FILES = {
    "themes": "eu_data_themes.csv",
    "frequencies": "eu_frequencies.csv",
    "file_types": "eu_file_types.csv",
    "languages": "eu_languages.csv",
    "access_rights": "eu_access_rights.csv",
    "licences": "licences.csv",
    "districts": "districts.csv",
    "publisher_types": "adms_publisher_types.csv",
}


def _default_dir() -> Path:
    # ckanext-openlima/ckanext/openlima/logic/ -> repository root
    return Path(__file__).resolve().parents[4] / "config" / "vocabularies"


def vocabularies_dir() -> Path:
    configured = tk.config.get("ckanext.openlima.vocabularies_dir")
    return Path(configured) if configured else _default_dir()


@functools.lru_cache(maxsize=None)
def _read(path: str) -> tuple[dict[str, str], ...]:
    with open(path, newline="", encoding="utf-8") as handle:
        return tuple(
            {key.strip(): (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        )


def vocabulary(name: str) -> tuple[dict[str, str], ...]:
    """Rows of one vocabulary (``themes``, ``frequencies``, ``file_types``, ...)."""
    return _read(str(vocabularies_dir() / _FILES[name]))


def by_uri(name: str, uri: str | None) -> dict[str, str] | None:
    for row in vocabulary(name):
        if uri and row.get("uri") == uri:
            return row
    return None


def by_code(name: str, code: str | None, key: str = "code") -> dict[str, str] | None:
    if not code:
        return None
    wanted = code.strip().upper()
    for row in vocabulary(name):
        if row.get(key, "").upper() == wanted:
            return row
    return None


def label(row: dict[str, str] | None, lang: str = "es") -> str:
    if not row:
        return ""
    return row.get(f"label_{lang}") or row.get("label_es") or row.get("label") or ""


def districts() -> list[dict[str, str]]:
    """Lima Metropolitana (the whole city) first, then its 43 districts by UBIGEO.

    Each row has ``ubigeo``, ``name`` and ``uri`` (a Linked Data URI of this portal).
    """
    rows = []
    for row in vocabulary("districts"):
        ubigeo = row.get("ubigeo") or row.get("code") or row.get("ubigeo_inei")
        name = row.get("name") or row.get("nombre") or row.get("district") or row.get("distrito")
        if ubigeo and name:
            rows.append({"ubigeo": ubigeo, "name": name})
    rows.sort(key=lambda row: row["ubigeo"])
    whole_city = {"ubigeo": LIMA_UBIGEO, "name": "Lima Metropolitana"}
    result = [whole_city] + [row for row in rows if row["ubigeo"] != LIMA_UBIGEO]
    for row in result:
        row["uri"] = district_uri(row["ubigeo"])
    return result


def district_uri(ubigeo: str) -> str:
    base = (tk.config.get("ckanext.dcat.base_uri") or tk.config.get("ckan.site_url") or "").rstrip("/")
    return f"{base}/ubigeo/{ubigeo}"


def district(ubigeo: str | None) -> dict[str, str] | None:
    for row in districts():
        if ubigeo and row["ubigeo"] == str(ubigeo).strip():
            return row
    return None


def file_type(fmt: str | None) -> dict[str, Any] | None:
    """The EU file-type row for a human-readable CKAN format (``CSV``, ``xlsx``, ``.json``)."""
    if not fmt:
        return None
    wanted = fmt.strip().lstrip(".").upper().replace(" ", "_").replace("/", "_")
    for row in vocabulary("file_types"):
        if wanted in (row["code"].upper(), row["label"].upper().replace("/", "_")) or (
            fmt.strip() in (row["uri"], row["media_type"])
        ):
            return row
    return None


def licence(license_id: str | None) -> dict[str, str] | None:
    return by_code("licences", license_id, key="license_id")


def _values(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            try:
                return [str(v) for v in json.loads(text)]
            except ValueError:
                return []
        return [text]
    return [str(v) for v in value]


def labels_of(name: str, uris: Any, lang: str = "es") -> list[str]:
    """Labels of the vocabulary URIs in a stored value (list or JSON list)."""
    return [label(by_uri(name, uri), lang) for uri in _values(uris) if by_uri(name, uri)]


def district_names_of(ubigeos: Any) -> list[str]:
    return [row["name"] for row in (district(code) for code in _values(ubigeos)) if row]


# The index field of a dataset's controlled labels. Solr's schema (CKAN's) copies
# ``vocab_*`` into the searchable text; the PostgreSQL engine weighs it like tags.
LABELS_FIELD = "vocab_openlima_labels"
# dataset field -> vocabulary whose labels are searchable
_LABELLED_FIELDS = {
    "theme": "themes",
    "frequency": "frequencies",
    "language": "languages",
    "access_rights": "access_rights",
}


def searchable_labels(pkg_dict: dict[str, Any]) -> list[str]:
    """The Spanish and English labels of a dataset's themes, frequency, languages and
    access rights, so that a search in either language finds it (``transport`` the
    datasets of the theme Transporte)."""
    labels: list[str] = []
    for field, name in _LABELLED_FIELDS.items():
        for lang in ("es", "en"):
            for text in labels_of(name, pkg_dict.get(field), lang):
                if text and text not in labels:
                    labels.append(text)
    return labels
