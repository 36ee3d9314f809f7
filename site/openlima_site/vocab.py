"""Controlled vocabularies the site shows with Spanish labels.

Lima Metropolitana's 43 districts keyed by their INEI UBIGEO code (the platform's one
table, ``ckanext.openlima.ubigeo``), and the EU data-theme vocabulary (DCAT-AP) that the
MML schema uses for dataset themes.
"""
from __future__ import annotations

import re

import msgspec

from ckanext.openlima.ubigeo import DISTRICTS

__all__ = ["DISTRICTS", "EU_THEMES", "district_codes", "theme_label"]


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
_UBIGEO = re.compile(r"(?<!\d)(1501(?:0[1-9]|[1-3]\d|4[0-3]))(?!\d)")


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
