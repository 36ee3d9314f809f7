"""Controlled vocabularies the site shows with Spanish labels.

Lima Metropolitana's 43 districts keyed by their INEI UBIGEO code (the platform's one
table, ``ckanext.openlima.ubigeo``), plus ``1501``, the whole city; the EU data-theme
vocabulary (DCAT-AP) that the MML schema uses for dataset themes; and every other
controlled value a dataset stores as a URI (access rights, frequencies, languages,
licences, file types, ADMS publisher types), read from the same CSV files as the portal
(``config/vocabularies/``), so a page shows "Mensual", never ``.../frequency/MONTHLY``.
"""
from __future__ import annotations

import csv
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import msgspec

from ckanext.openlima.ubigeo import DISTRICTS as _DISTRICTS

__all__ = ["DISTRICTS", "EU_THEMES", "LIMA_UBIGEO", "FieldInfo", "district_codes",
           "district_of_uri", "licence_label", "schema_fields", "theme_label", "uri_label", "vocabulary_files"]

# The province of Lima (= Lima Metropolitana): "the whole city" in spatial coverage.
LIMA_UBIGEO = "1501"
DISTRICTS: dict[str, str] = {LIMA_UBIGEO: "Lima Metropolitana", **_DISTRICTS}

# The portal's vocabulary files (the repository's ``config/vocabularies``).
_VOCABULARY_FILES = ("eu_access_rights.csv", "eu_frequencies.csv", "eu_languages.csv",
                     "eu_data_themes.csv", "licences.csv", "eu_file_types.csv",
                     "adms_publisher_types.csv")


def _vocabularies_dir() -> Path:
    configured = os.environ.get("OPENLIMA_VOCABULARIES_DIR")
    if configured:
        return Path(configured)
    # site/openlima_site/ -> repository root
    return Path(__file__).resolve().parents[2] / "config" / "vocabularies"


def vocabulary_files() -> list[Path]:
    """The files whose labels the pages show (their changes force a full build)."""
    return [_vocabularies_dir() / name for name in _VOCABULARY_FILES] + [_schema_file()]


@functools.lru_cache(maxsize=1)
def _uri_labels() -> dict[str, dict[str, str]]:
    """URI -> {"es": label, "en": label} for every controlled value of the MML schema."""
    labels: dict[str, dict[str, str]] = {}
    folder = _vocabularies_dir()
    for name in _VOCABULARY_FILES:
        try:
            with open(folder / name, newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except OSError:
            continue
        for row in rows:
            uri = (row.get("uri") or "").strip()
            spanish = (row.get("label_es") or row.get("label") or "").strip()
            if uri and spanish:
                labels[uri] = {"es": spanish,
                               "en": (row.get("label_en") or spanish).strip()}
    return labels


@functools.lru_cache(maxsize=1)
def _licences() -> dict[str, dict[str, str]]:
    try:
        with open(_vocabularies_dir() / "licences.csv", newline="", encoding="utf-8") as handle:
            return {row["license_id"].strip(): {"es": row["label_es"].strip(),
                                                "en": (row.get("label_en") or row["label_es"]).strip()}
                    for row in csv.DictReader(handle) if row.get("license_id")}
    except (OSError, KeyError):
        return {}


def licence_label(license_id: str | None, lang: str = "es") -> str | None:
    """The portal's label of a licence (``cc-by`` -> "Creative Commons Atribución 4.0 ...")."""
    found = _licences().get(str(license_id or "").strip())
    return (found.get(lang) or found["es"]) if found else None


_DISTRICT_URI = re.compile(r"/ubigeo/(\d{4,6})/?$")


def district_of_uri(value: str) -> str | None:
    """The UBIGEO code of a district URI the portal publishes (``<ckan>/ubigeo/150122``)."""
    match = _DISTRICT_URI.search(value)
    return match.group(1) if match and match.group(1) in DISTRICTS else None


def uri_label(value: str, lang: str = "es") -> str | None:
    """The label of a controlled value given as its URI, or None when it is not one."""
    found = _uri_labels().get(value.strip())
    if found:
        return found.get(lang) or found["es"]
    code = district_of_uri(value)
    return DISTRICTS[code] if code else None


EU_THEMES: dict[str, str] = {
    "AGRI": "Agricultura, pesca, silvicultura y alimentación",
    "ECON": "Economía y finanzas",
    "EDUC": "Educación, cultura y deporte",
    "ENER": "Energía",
    "ENVI": "Medio ambiente",
    "GOVE": "Gobierno y sector público",
    "HEAL": "Salud",
    "INTR": "Asuntos internacionales",
    "JUST": "Justicia, sistema jurídico y seguridad pública",
    "OP_DATPRO": "Datos provisionales",
    "REGI": "Regiones y ciudades",
    "SOCI": "Población y sociedad",
    "TECH": "Ciencia y tecnología",
    "TRAN": "Transporte",
}

# Any JSON value to text (values that JSON cannot hold, as their str()).
_ENCODE = msgspec.json.Encoder(enc_hook=str).encode
# A district (150101-150143) or the whole city (1501), not part of a longer number.
_UBIGEO = re.compile(r"(?<!\d)(1501(?:0[1-9]|[1-3]\d|4[0-3])?)(?!\d)")


def district_codes(values) -> list[str]:
    """UBIGEO codes of Lima's districts found in any string or nested value, in order."""
    text = values if isinstance(values, str) else _ENCODE(values).decode("utf-8")
    return list(dict.fromkeys(_UBIGEO.findall(text)))


def theme_label(uri: str) -> tuple[str, str]:
    """(slug, Spanish label) of a theme given as an EU data-theme URI or a plain word."""
    code = uri.rstrip("/").rsplit("/", 1)[-1]
    if code.upper() in EU_THEMES:
        return code.lower(), EU_THEMES[code.upper()]
    return code.lower(), code


def _schema_file() -> Path:
    configured = os.environ.get("OPENLIMA_DATASET_SCHEMA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "config" / "schemas" / "mml_dataset.yaml"


def _label_of(label) -> dict[str, str]:
    if isinstance(label, dict):
        spanish = str(label.get("es") or next(iter(label.values()), ""))
        return {"es": spanish, "en": str(label.get("en") or spanish)}
    return {"es": str(label), "en": str(label)}


@dataclass(frozen=True)
class FieldInfo:
    """A field of the MML schema: its labels, its subfields (in order), its choices."""

    label: dict[str, str]
    subfields: dict[str, "FieldInfo"]
    choices: dict[str, dict[str, str]]


@functools.lru_cache(maxsize=1)
def schema_fields() -> dict[str, FieldInfo]:
    """Dataset fields of the portal's scheming schema (the labels its own pages show)."""
    import yaml

    try:
        schema = yaml.safe_load(_schema_file().read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}

    def info(field: dict) -> FieldInfo:
        return FieldInfo(
            label=_label_of(field.get("label") or field["field_name"]),
            subfields={sub["field_name"]: info(sub)
                       for sub in field.get("repeating_subfields") or []},
            choices={str(c["value"]): _label_of(c.get("label", c["value"]))
                     for c in field.get("choices") or [] if "value" in c},
        )

    return {field["field_name"]: info(field) for field in schema.get("dataset_fields") or []
            if field.get("field_name")}
