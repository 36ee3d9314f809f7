"""Synthetic Spanish catalogues shaped like CKAN's ``package_search`` output (benchmarks)."""
from __future__ import annotations

import random

from .source import Catalogue
from .vocab import DISTRICTS, EU_THEMES

__all__ = ["make_catalogue"]

_OFFICES = [
    ("gerencia-de-transporte-urbano", "Gerencia de Transporte Urbano"),
    ("gerencia-de-educacion-y-deportes", "Gerencia de Educación y Deportes"),
    ("gerencia-de-salud", "Gerencia de Salud"),
    ("gerencia-de-servicios-a-la-ciudad", "Gerencia de Servicios a la Ciudad y Gestión Ambiental"),
    ("gerencia-de-desarrollo-economico", "Gerencia de Desarrollo Económico"),
    ("subgerencia-de-gobierno-digital", "Subgerencia de Gobierno Digital e Innovación"),
]
_TOPICS = [
    "Parques y jardines", "Transporte público", "Calidad del aire", "Educación inicial",
    "Licencias de funcionamiento", "Recolección de residuos", "Serenazgo", "Presupuesto municipal",
    "Ciclovías", "Mercados de abastos", "Defensa civil", "Comedores populares",
]
_WORDS = ("registro anual de atenciones por distrito con información georreferenciada "
          "y actualizada según los lineamientos de datos abiertos de la municipalidad").split()


def _notes(rng: random.Random, i: int, office: str, district: str) -> str:
    """Plain text, and for one dataset in three, Markdown as offices write it in CKAN."""
    text = " ".join(rng.choice(_WORDS) for _ in range(40)).capitalize() + "."
    if i % 3:
        return text
    return (f"{text}\n\n**Fuente:** [{office}](https://www.munlima.gob.pe)\n\n"
            f"- Cobertura: {district}\n- Frecuencia: *mensual*\n")


def make_catalogue(count: int, seed: int = 2022) -> Catalogue:
    rng = random.Random(seed)
    codes = sorted(DISTRICTS)
    themes = sorted(EU_THEMES)
    organizations = [{"id": f"org-{i}", "name": n, "title": t, "description": f"{t} de la MML."}
                     for i, (n, t) in enumerate(_OFFICES)]
    datasets = []
    for i in range(count):
        org = organizations[i % len(organizations)]
        topic = _TOPICS[i % len(_TOPICS)]
        district = codes[rng.randrange(len(codes))]
        day = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"
        datasets.append({
            "id": f"ds-{i:06d}",
            "name": f"conjunto-{i:06d}",
            "title": f"{topic} en {DISTRICTS[district]} {i}",
            "notes": _notes(rng, i, org["title"], DISTRICTS[district]),
            "private": False,
            "state": "active",
            "type": "dataset",
            "metadata_created": f"{day}T10:00:00.000000",
            "metadata_modified": f"{day}T12:00:00.000000",
            "license_id": "cc-by-4.0",
            "license_title": "Creative Commons Attribution 4.0",
            "license_url": "https://creativecommons.org/licenses/by/4.0/",
            "owner_org": org["id"],
            "organization": {"id": org["id"], "name": org["name"], "title": org["title"]},
            "groups": [],
            "tags": [{"name": w, "display_name": w} for w in topic.lower().split()[:2]],
            "theme": [f"http://publications.europa.eu/resource/authority/data-theme/"
                      f"{themes[i % len(themes)]}"],
            "spatial_coverage": [{"uri": f"https://www.inei.gob.pe/ubigeo/{district}",
                                  "text": DISTRICTS[district]}],
            "frequency": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
            "contact": [{"name": org["title"], "email": "datosabiertos@munlima.gob.pe"}],
            "resources": [
                {"id": f"res-{i:06d}-{k}", "name": f"{topic} {k + 1}", "format": fmt,
                 "url": f"https://datos.munlima.gob.pe/archivos/{i}-{k}.{fmt.lower()}",
                 "description": "Archivo de datos."}
                for k, fmt in enumerate(("CSV", "JSON") if i % 3 else ("CSV",))
            ],
        })
    return Catalogue(datasets=datasets, organizations=organizations, groups=[])
