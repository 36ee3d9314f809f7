"""Validators of the commitments dashboard, with Spanish messages.

They are used directly by ``schema.py`` rather than registered globally, so their
names cannot clash with another plugin's.
"""
from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable
from urllib.parse import urlparse

import ckan.plugins.toolkit as tk

missing = tk.missing

__all__: list[str] = []

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def required(message: str) -> Callable[..., Any]:
    """Like ``not_empty`` but with the given (Spanish) message."""

    def validator(key, data, errors, context):
        value = data.get(key)
        if value is missing or value is None or (isinstance(value, str) and not value.strip()):
            errors[key].append(tk._(message))
            raise tk.StopOnError

    return validator


def empty_to_none(value: Any) -> Any:
    if value is missing or (isinstance(value, str) and not value.strip()):
        return None
    return value


def iso_date(value: Any) -> Any:
    """Accept ``2022-11-08`` (or a date) and return a ``datetime.date``."""
    if value is None or value is missing:
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise tk.Invalid(
        tk._("Fecha no válida: use el formato AAAA-MM-DD (por ejemplo 2022-11-08).")
    )


def percentage(value: Any) -> Any:
    if value is None or value is missing:
        return value
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = None
    if number is None or number != number.to_integral_value() or not 0 <= number <= 100:
        raise tk.Invalid(tk._("El avance debe ser un número entero entre 0 y 100."))
    return int(number)


def number(value: Any) -> Any:
    if value is None or value is missing:
        return value
    if isinstance(value, bool):
        raise tk.Invalid(tk._("Debe ser un número."))
    try:
        result = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise tk.Invalid(tk._("Debe ser un número."))
    if not result.is_finite():
        raise tk.Invalid(tk._("Debe ser un número."))
    return result


def non_negative_number(value: Any) -> Any:
    result = number(value)
    if result is not None and result is not missing and result < 0:
        raise tk.Invalid(tk._("Debe ser un número mayor o igual a cero."))
    return result


def one_of(vocabulary: dict[str, str], message: str) -> Callable[[Any], Any]:
    def validator(value: Any) -> Any:
        if value is None or value is missing:
            return value
        if value not in vocabulary:
            raise tk.Invalid(
                tk._(message) + " " + tk._("Valores admitidos: {values}.").format(
                    values=", ".join(vocabulary)
                )
            )
        return value

    return validator


def slug(value: Any) -> Any:
    if not isinstance(value, str) or not SLUG.match(value):
        raise tk.Invalid(
            tk._("Use solo minúsculas, números, guiones y guiones bajos (máximo 100).")
        )
    return value


def text(value: Any) -> Any:
    if value is None or value is missing:
        return value
    if isinstance(value, (datetime.date, int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise tk.Invalid(tk._("Debe ser un texto."))
    return value.strip()


def http_url(value: Any) -> Any:
    if value is None or value is missing or value == "":
        return value
    parsed = urlparse(str(value).strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise tk.Invalid(tk._("Dirección web no válida: debe empezar por http:// o https://."))
    return str(value).strip()


def string_list(value: Any) -> Any:
    if value is None or value is missing:
        return []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise tk.Invalid(tk._("Debe ser una lista de textos."))
    return value


def dict_list(*fields: str) -> Callable[[Any], Any]:
    """A list of dicts whose keys are among ``fields`` and whose values are texts."""

    def validator(value: Any) -> Any:
        if value is None or value is missing:
            return []
        if not isinstance(value, list):
            raise tk.Invalid(tk._("Debe ser una lista."))
        result = []
        for item in value:
            if not isinstance(item, dict) or not set(item) <= set(fields):
                raise tk.Invalid(
                    tk._("Cada elemento debe tener solo los campos: {fields}.").format(
                        fields=", ".join(fields)
                    )
                )
            result.append({k: text(v) if v is not None else None for k, v in item.items()})
        return result

    return validator


def evidence_list(value: Any) -> Any:
    """Evidence links: ``[{"url": ..., "title": ...}]`` or ``[{"dataset": ..., "title": ...}]``."""
    items = dict_list("url", "dataset", "title")(value)
    for item in items:
        url, dataset = item.get("url"), item.get("dataset")
        if bool(url) == bool(dataset):
            raise tk.Invalid(
                tk._("Cada evidencia necesita una dirección web o un conjunto de datos del catálogo.")
            )
        if url:
            item["url"] = http_url(url)
        item.setdefault("title", "")
    return items


def relative_or_http_url(value: Any) -> Any:
    """A path of this portal (``/cumplimiento``) or an http(s) address."""
    if value is None or value is missing or value == "":
        return value
    text_value = str(value).strip()
    if text_value.startswith("/") and not text_value.startswith("//"):
        return text_value
    return http_url(text_value)


def trace_list(value: Any) -> Any:
    """Where the portal follows up a draft component: ``[{"component", "text", "url"}]``."""
    items = dict_list("component", "text", "url")(value)
    for item in items:
        if not item.get("component") or not item.get("text"):
            raise tk.Invalid(tk._("Cada seguimiento necesita el componente del borrador y un texto."))
        item["url"] = relative_or_http_url(item.get("url") or "") or ""
    return items


DRAFT_KEYS = ("section", "texts", "problem", "periods", "components")


def draft_block(value: Any) -> Any:
    """What a Fase 3 draft said: ``{section, texts: [...], problem, periods: [...],
    components: [{title, text}]}``, every value a text as printed in the plan."""
    if value is None or value is missing or value == "":
        return None
    if not isinstance(value, dict) or not set(value) <= set(DRAFT_KEYS):
        raise tk.Invalid(
            tk._("El borrador debe tener solo los campos: {fields}.").format(fields=", ".join(DRAFT_KEYS))
        )
    return {
        "section": text(value.get("section")) or "",
        "texts": string_list(value.get("texts")),
        "problem": text(value.get("problem")) or "",
        "periods": string_list(value.get("periods")),
        "components": dict_list("title", "text")(value.get("components")),
    }
