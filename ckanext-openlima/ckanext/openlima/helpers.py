"""Template helpers of the Open Lima catalogue (choices for the MML schema, labels)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.openlima.logic import vocabularies

__all__ = [
    "openlima_theme_choices",
    "openlima_frequency_choices",
    "openlima_language_choices",
    "openlima_access_rights_choices",
    "openlima_licence_choices",
    "openlima_district_choices",
    "openlima_vocabulary_label",
    "openlima_district_name",
]


def _choices(name: str) -> list[dict[str, Any]]:
    return [
        {"value": row["uri"], "label": {"es": row["label_es"], "en": row["label_en"]}}
        for row in vocabularies.vocabulary(name)
    ]


def openlima_theme_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return _choices("themes")


def openlima_frequency_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return _choices("frequencies")


def openlima_language_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return _choices("languages")


def openlima_access_rights_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return _choices("access_rights")


def openlima_licence_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return [
        {"value": row["license_id"], "label": {"es": row["label_es"], "en": row["label_en"]}}
        for row in vocabularies.vocabulary("licences")
    ]


def openlima_district_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return [{"value": row["ubigeo"], "label": f'{row["name"]} ({row["ubigeo"]})'}
            for row in vocabularies.districts()]


def openlima_vocabulary_label(name: str, uri: str, lang: str | None = None) -> str:
    """Spanish (or ``lang``) label of a vocabulary URI, or the URI when unknown."""
    row = vocabularies.by_uri(name, uri)
    return vocabularies.label(row, lang or tk.h.lang() or "es") if row else uri


def openlima_district_name(ubigeo: str) -> str:
    row = vocabularies.district(ubigeo)
    return row["name"] if row else ubigeo
