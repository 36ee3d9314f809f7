"""The compliance checks: one dataset in, a 0–100 score with itemised, explained checks out.

Modelled on data.europa.eu's metadata quality assessment (findability, accessibility,
interoperability, reusability, contextuality) plus the MML guidelines' maintenance
rule: data updated within its declared frequency. Pure functions: the caller passes
the dataset (as ``package_show`` returns it), the link checker's last results and
today's date, so every check can be tested on its own.
"""
from __future__ import annotations

import datetime
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.openlima.logic import vocabularies

__all__ = ["DIMENSIONS", "ESSENTIAL_CHECKS", "evaluate", "last_update", "freshness"]



def N_(text: str) -> str:
    """Marks a label for the catalogue; ``tk._`` translates it when shown."""
    return text


DIMENSIONS = {
    "findability": N_("Encontrabilidad"),
    "accessibility": N_("Accesibilidad"),
    "interoperability": N_("Interoperabilidad"),
    "reusability": N_("Reutilización"),
    "contextuality": N_("Contexto"),
    "maintenance": N_("Mantenimiento"),
}
# A dataset with any of these failing does not comply, whatever its score.
ESSENTIAL_CHECKS = ("required_metadata", "open_licence", "machine_readable", "freshness")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


@dataclass
class Check:
    id: str
    dimension: str
    weight: int
    passed: bool
    title: str
    explanation: str
    applicable: bool = True


def _list(value: Any) -> list:
    if not value:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return parsed if isinstance(parsed, list) else [parsed]
    return [value]


def _date(value: Any) -> datetime.date | None:
    if not value:
        return None
    if isinstance(value, datetime.date):
        return clock.local_date(value)  # an instant's day in Lima; a date unchanged
    text = str(value).strip()
    if len(text) > 10 and text[10] == "T":
        try:
            return clock.local_date(text)
        except ValueError:
            pass
    for length, fmt in ((10, "%Y-%m-%d"), (7, "%Y-%m"), (4, "%Y")):
        try:
            return datetime.datetime.strptime(text[:length], fmt).date()
        except ValueError:
            continue
    return None


def last_update(dataset: dict) -> datetime.date | None:
    """When the data (not just its metadata) last changed.

    The declared ``modified`` date and the resources' own dates; CKAN's
    ``metadata_modified`` only when none of them is known.
    """
    dates = [_date(dataset.get("modified"))]
    for resource in dataset.get("resources", []):
        dates += [_date(resource.get("modified")), _date(resource.get("last_modified"))]
    dates = [d for d in dates if d]
    if dates:
        return max(dates)
    return _date(dataset.get("metadata_modified")) or _date(dataset.get("metadata_created"))


def freshness(dataset: dict, today: datetime.date, grace_days: int) -> dict[str, Any]:
    row = vocabularies.by_uri("frequencies", dataset.get("frequency"))
    updated = last_update(dataset)
    period = int(row["period_days"]) if row and row.get("period_days") else None
    result = {
        "frequency": dataset.get("frequency"),
        "frequency_label": vocabularies.label(row) if row else None,
        "last_update": updated.isoformat() if updated else None,
        "days_since_update": (today - updated).days if updated else None,
        "due": None,
        "overdue": False,
        "applicable": period is not None,
    }
    if period is not None and updated:
        due = updated + datetime.timedelta(days=period + grace_days)
        result["due"] = due.isoformat()
        result["overdue"] = today > due
    elif period is not None:
        result["overdue"] = True
    return result


def _check(id_, dimension, weight, passed, title, explanation, applicable=True) -> Check:
    return Check(id_, dimension, weight, bool(passed), title, explanation, applicable)


# C901: one flat list of the score's checks, each a branch; to be split by check.
def evaluate(dataset: dict, link_checks: dict[str, Any], today: datetime.date | None = None,  # noqa: C901
             grace_days: int | None = None, threshold: int | None = None) -> dict[str, Any]:
    """The compliance of one dataset.

    :param dataset: the dataset as ``package_show`` returns it
    :param link_checks: resource id -> last link check (``ok``, ``status_code``, ``error``)
    :returns: ``score`` (0–100), ``compliant``, ``dimensions`` and the itemised ``checks``
    """
    today = today or clock.today()
    if grace_days is None:
        grace_days = tk.config.get("ckanext.openlima.freshness_grace_days")
    resources = dataset.get("resources", [])
    formats = [vocabularies.file_type(r.get("format")) for r in resources]
    tabular = any(f and f["tabular"] == "true" for f in formats)
    dictionary = [c for c in _list(dataset.get("data_dictionary")) if isinstance(c, dict) and c.get("column")]
    contacts = [c for c in _list(dataset.get("contact")) if isinstance(c, dict)]
    tags = dataset.get("tags") or []
    fresh = freshness(dataset, today, int(grace_days))

    _ = tk._
    theme = _list(dataset.get("theme"))
    spatial = _list(dataset.get("spatial_ubigeo"))
    temporal = _list(dataset.get("temporal_coverage"))
    checks = [
        _check("keywords", "findability", 5, tags, _("Palabras clave"),
               _("Tiene palabras clave para encontrarlo.") if tags else _("Añada palabras clave.")),
        _check("theme", "findability", 5, theme, _("Tema (vocabulario de la UE)"),
               _("Clasificado en un tema.") if theme else _("Elija al menos un tema.")),
        _check("spatial_coverage", "findability", 5, spatial, _("Cobertura geográfica"),
               _("Indica los distritos (UBIGEO) o toda la ciudad.") if spatial
               else _("Indique Lima Metropolitana o los distritos que cubre.")),
        _check("temporal_coverage", "findability", 5, temporal, _("Cobertura temporal"),
               _("Indica el periodo que cubren los datos.") if temporal
               else _("Indique el periodo que cubren los datos.")),
    ]

    downloadable = [r for r in resources if r.get("url")]
    checks.append(_check("resources_present", "accessibility", 5, downloadable, _("Recursos publicados"),
                         _("{n} recurso(s) con enlace.").format(n=len(downloadable)) if downloadable
                         else _("Publique al menos un recurso con su archivo o enlace.")))
    unchecked = [r for r in downloadable if r["id"] not in link_checks]
    broken = [r for r in downloadable if r["id"] in link_checks and not _ok(link_checks[r["id"]])]
    if not downloadable:
        links_text = _("No hay enlaces que verificar.")
    elif broken:
        links_text = _("Enlaces que no responden: {names}.").format(
            names=", ".join(r.get("name") or r["id"] for r in broken))
    elif unchecked:
        links_text = _("Pendiente de verificación por el verificador de enlaces.")
    else:
        links_text = _("Todos los enlaces respondieron en la última verificación.")
    checks.append(_check("links_reachable", "accessibility", 10,
                         downloadable and not broken and not unchecked,
                         _("Enlaces accesibles"), links_text))

    unknown = [r.get("name") or r.get("id") for r, f in zip(resources, formats) if not f]
    if not resources:
        format_text = _("Sin recursos.")
    elif unknown:
        format_text = _("Formato desconocido en: {names}.").format(names=", ".join(unknown))
    else:
        format_text = _("Todos los formatos son del vocabulario de tipos de archivo.")
    checks.append(_check("known_format", "interoperability", 5, resources and not unknown,
                         _("Formatos del vocabulario de la UE"), format_text))
    open_machine = [f["label"] for f in formats if f and f["machine_readable"] == "true" and f["open_format"] == "true"]
    checks.append(_check("machine_readable", "interoperability", 10, open_machine,
                         _("Formato abierto y legible por máquina"),
                         _("Disponible en {formats}.").format(formats=", ".join(sorted(set(open_machine))))
                         if open_machine
                         else _("Publique los datos en un formato abierto legible por máquina (CSV, JSON, "
                                "GeoJSON...); PDF o XLSX no bastan.")))
    no_media = [r.get("name") or r["id"] for r in resources if not r.get("mimetype")]
    if not resources:
        media_text = _("Sin recursos.")
    elif no_media:
        media_text = _("Falta el tipo de medio en: {names}.").format(names=", ".join(no_media))
    else:
        media_text = _("Cada recurso declara su tipo de medio.")
    checks.append(_check("media_type", "interoperability", 5, resources and not no_media,
                         _("Tipo de medio (IANA)"), media_text))

    licence = vocabularies.licence(dataset.get("license_id"))
    checks.append(_check("open_licence", "reusability", 10, licence, _("Licencia abierta"),
                         _("Licencia {licence}.").format(licence=licence["label_es"]) if licence
                         else _("La licencia no es abierta: use CC BY 4.0 u otra licencia abierta.")))
    reachable = [c for c in contacts if c.get("name") and EMAIL_RE.match(str(c.get("email") or ""))]
    checks.append(_check("contact", "reusability", 5, reachable, _("Punto de contacto"),
                         _("Contacto: {email}.").format(email=reachable[0]["email"]) if reachable
                         else _("Indique un contacto con nombre y correo electrónico válido.")))
    # The dictionary is the DataStore's, copied into the dataset after every load
    # (ckanext/openlima/datastore/dictionary.py): every column needs its meaning.
    undescribed = [c["column"] for c in dictionary if not str(c.get("description") or "").strip()]
    if not tabular:
        dictionary_text = _("No aplica: no hay datos tabulares.")
    elif dictionary and not undescribed:
        dictionary_text = _("Describe {n} columna(s).").format(n=len(dictionary))
    elif dictionary:
        dictionary_text = _("Falta describir: {columns}.").format(columns=", ".join(undescribed[:10]))
    else:
        dictionary_text = _("Los datos tabulares necesitan un diccionario de datos (columnas, tipos y significado).")
    checks.append(_check("data_dictionary", "reusability", 5,
                         (dictionary and not undescribed) or not tabular,
                         _("Diccionario de datos"), dictionary_text, applicable=tabular))
    tabular_resources = [r for r, f in zip(resources, formats) if f and f["tabular"] == "true"]
    not_loaded = [r.get("name") or r["id"] for r in tabular_resources
                  if not r.get("datastore_active")]
    if not tabular:
        loaded_text = _("No aplica: no hay datos tabulares.")
    elif not_loaded:
        loaded_text = _("Sin vista de datos (no se cargaron): {names}.").format(
            names=", ".join(not_loaded[:10]))
    else:
        loaded_text = _("Sus datos tabulares se pueden consultar en la vista de datos y la API.")
    checks.append(_check("datastore_loaded", "accessibility", 5, not not_loaded,
                         _("Datos consultables (vista de datos y API)"), loaded_text,
                         applicable=tabular))
    required = (("title", _("título")), ("notes", _("descripción")), ("owner_org", _("oficina")),
                ("frequency", _("frecuencia")), ("license_id", _("licencia")))
    missing = [label for key, label in required if not dataset.get(key)]
    checks.append(_check("required_metadata", "reusability", 5, not missing,
                         _("Metadatos obligatorios completos"),
                         _("Completos.") if not missing else _("Faltan: {fields}.").format(fields=", ".join(missing))))

    no_size = [r.get("name") or r["id"] for r in resources if not r.get("size")]
    if not resources:
        size_text = _("Sin recursos.")
    elif no_size:
        size_text = _("Falta el tamaño en: {names}.").format(names=", ".join(no_size))
    else:
        size_text = _("Cada recurso indica su tamaño.")
    checks.append(_check("size", "contextuality", 3, resources and not no_size,
                         _("Tamaño de los archivos"), size_text))
    dated = dataset.get("modified") or dataset.get("issued")
    checks.append(_check("dates", "contextuality", 2, dated, _("Fechas de publicación y actualización"),
                         _("Declara sus fechas.") if dated
                         else _("Indique la fecha de publicación y de última actualización.")))

    unknown_text = _("desconocida")
    if not fresh["applicable"]:
        fresh_text = _("No aplica: la frecuencia declarada no es periódica.")
    elif fresh["overdue"]:
        fresh_text = _("Atrasado: frecuencia {frequency}, última actualización {updated} (hace {days} días).").format(
            frequency=fresh["frequency_label"] or unknown_text, updated=fresh["last_update"] or unknown_text,
            days=fresh["days_since_update"] if fresh["days_since_update"] is not None else "?")
    else:
        fresh_text = _("Al día: frecuencia {frequency}, última actualización {updated}; la próxima vence el {due}.").format(
            frequency=fresh["frequency_label"], updated=fresh["last_update"], due=fresh["due"])
    checks.append(_check("freshness", "maintenance", 10, not fresh["overdue"],
                         _("Actualizado según su frecuencia"), fresh_text, applicable=fresh["applicable"]))

    score = sum(c.weight for c in checks if c.passed)
    if threshold is None:
        threshold = int(tk.config.get("ckanext.openlima.compliance_threshold"))
    essential_failed = [c.id for c in checks if c.id in ESSENTIAL_CHECKS and not c.passed]
    dimensions = {}
    for key, label in DIMENSIONS.items():
        mine = [c for c in checks if c.dimension == key]
        dimensions[key] = {"label": tk._(label), "score": sum(c.weight for c in mine if c.passed),
                           "max": sum(c.weight for c in mine)}
    return {
        "id": dataset.get("id"),
        "name": dataset.get("name"),
        "title": dataset.get("title"),
        "organization": (dataset.get("organization") or {}).get("name"),
        "score": score,
        "compliant": score >= threshold and not essential_failed,
        "threshold": threshold,
        "overdue": fresh["overdue"],
        "freshness": fresh,
        "dimensions": dimensions,
        "checks": [asdict(c) for c in checks],
    }


def _ok(check: Any) -> bool:
    return bool(check.get("ok") if isinstance(check, dict) else getattr(check, "ok", False))
