"""Lima Metropolitana's 43 districts by INEI UBIGEO code (150101-150143): the one table.

Every part of the platform that names a district uses this: the catalogue's spatial
vocabulary (``config/vocabularies/districts.csv`` holds the same rows, checked by
``tests/openlima/test_ubigeo.py``), Lima Activa's proposals, Lima Honesta's reports and
the static site. Names are INEI's official ones. Plain Python, no CKAN import: the static
site generator uses it without a CKAN configuration.
"""
from __future__ import annotations

__all__ = ["DISTRICTS"]

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
