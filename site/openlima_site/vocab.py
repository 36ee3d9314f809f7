"""Controlled vocabularies the site shows with Spanish labels.

Lima Metropolitana's 43 districts keyed by their INEI UBIGEO code, and the EU
data-theme vocabulary (DCAT-AP) that the MML schema uses for dataset themes.
"""
from __future__ import annotations

import re

import msgspec

__all__ = ["DISTRICTS", "EU_THEMES", "district_codes", "theme_label"]

DISTRICTS: dict[str, str] = {
    "150101": "Lima",
    "150102": "Ancón",
    "150103": "Ate",
    "150104": "Barranco",
    "150105": "Breña",
    "150106": "Carabayllo",
    "150107": "Chaclacayo",
    "150108": "Chorrillos",
    "150109": "Cieneguilla",
    "150110": "Comas",
    "150111": "El Agustino",
    "150112": "Independencia",
    "150113": "Jesús María",
    "150114": "La Molina",
    "150115": "La Victoria",
    "150116": "Lince",
    "150117": "Los Olivos",
    "150118": "Lurigancho",
    "150119": "Lurín",
    "150120": "Magdalena del Mar",
    "150121": "Pueblo Libre",
    "150122": "Miraflores",
    "150123": "Pachacámac",
    "150124": "Pucusana",
    "150125": "Puente Piedra",
    "150126": "Punta Hermosa",
    "150127": "Punta Negra",
    "150128": "Rímac",
    "150129": "San Bartolo",
    "150130": "San Borja",
    "150131": "San Isidro",
    "150132": "San Juan de Lurigancho",
    "150133": "San Juan de Miraflores",
    "150134": "San Luis",
    "150135": "San Martín de Porres",
    "150136": "San Miguel",
    "150137": "Santa Anita",
    "150138": "Santa María del Mar",
    "150139": "Santa Rosa",
    "150140": "Santiago de Surco",
    "150141": "Surquillo",
    "150142": "Villa El Salvador",
    "150143": "Villa María del Triunfo",
}

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
