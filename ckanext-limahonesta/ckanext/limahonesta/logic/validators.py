"""Input checks with field-level messages (Spanish msgids, translated with ``tk._``).
Anything unexpected is refused.

The report form has free-text fields of bounded length, one closed list (districts)
and one required declaration; each check returns a clean value or records an error,
and nothing is stored unless every field is valid.
"""
from __future__ import annotations

import datetime
import unicodedata
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from openlima_common import clock

# Lima Metropolitana's 43 districts (INEI UBIGEO 150101-150143), the platform's one table.
from ckanext.openlima.ubigeo import DISTRICTS

__all__: list[str] = []

TRUE_VALUES = (True, "true", "on", "1", "si", "sí", "yes")


def N_(text: str) -> str:
    """Marks a string for the catalogue without translating it: texts kept as data
    (the system's own entries in a case) are translated with ``tk._`` when shown, in
    the locale of that request."""
    return text


def clean_text(value: Any, errors: dict[str, list[str]], field: str, *,
               required: bool, max_length: int, min_length: int = 0) -> Optional[str]:
    if value is None or value == "":
        if required:
            errors.setdefault(field, []).append(tk._("Este campo es obligatorio."))
        return None
    if not isinstance(value, str):
        errors.setdefault(field, []).append(tk._("Debe ser un texto."))
        return None
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    # control characters (other than newline and tab) are refused, not silently dropped
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        errors.setdefault(field, []).append(tk._("El texto contiene caracteres no válidos."))
        return None
    if required and not text:
        errors.setdefault(field, []).append(tk._("Este campo es obligatorio."))
        return None
    if len(text) > max_length:
        errors.setdefault(field, []).append(
            tk._("Es demasiado largo (máximo %d caracteres).") % max_length)
        return None
    if text and len(text) < min_length:
        errors.setdefault(field, []).append(
            tk._("Es demasiado corto (mínimo %d caracteres).") % min_length)
        return None
    return text or None


def clean_date(value: Any, errors: dict[str, list[str]], field: str) -> Optional[str]:
    if value in (None, ""):
        return None
    try:
        date = datetime.date.fromisoformat(str(value)[:10]) if isinstance(value, str) else None
    except ValueError:
        date = None
    if date is None or len(str(value)) != 10:
        errors.setdefault(field, []).append(tk._("Use una fecha válida (AAAA-MM-DD)."))
        return None
    if date > clock.today() or date.year < 1990:
        errors.setdefault(field, []).append(tk._("La fecha no puede ser futura ni anterior a 1990."))
        return None
    return date.isoformat()


def validate_report(data: dict[str, Any]) -> tuple[dict[str, Any], Optional[dict[str, Any]],
                                                     dict[str, list[str]]]:
    """Return (report, identity or None, errors)."""
    errors: dict[str, list[str]] = {}
    report = {
        "descripcion": clean_text(data.get("descripcion"), errors, "descripcion",
                                  required=True, max_length=10000, min_length=20),
        "oficina": clean_text(data.get("oficina"), errors, "oficina", required=True,
                              max_length=200),
        "distrito": None,
        "fecha_hechos": clean_date(data.get("fecha_hechos"), errors, "fecha_hechos"),
        "involucrados": clean_text(data.get("involucrados"), errors, "involucrados",
                                   required=False, max_length=2000),
    }
    district = data.get("distrito")
    if district not in (None, ""):
        if not isinstance(district, str) or district not in DISTRICTS:
            errors.setdefault("distrito", []).append(tk._("Elija un distrito de la lista."))
        else:
            report["distrito"] = district
    if data.get("buena_fe") not in TRUE_VALUES:
        errors.setdefault("buena_fe", []).append(
            tk._("Debe declarar que su denuncia es de buena fe."))
    identity = {
        "nombre": clean_text(data.get("identidad_nombre"), errors, "identidad_nombre",
                             required=False, max_length=200),
        "documento": clean_text(data.get("identidad_documento"), errors,
                                "identidad_documento", required=False, max_length=30),
        "contacto": clean_text(data.get("identidad_contacto"), errors, "identidad_contacto",
                               required=False, max_length=200),
    }
    has_identity = any(identity.values())
    return report, (identity if has_identity else None), errors


def clean_rating(value: Any, errors: dict[str, list[str]]) -> Optional[int]:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        rating = 0
    if isinstance(value, bool) or not 1 <= rating <= 5:
        errors.setdefault("calificacion", []).append(tk._("Elija una calificación de 1 a 5."))
        return None
    return rating
