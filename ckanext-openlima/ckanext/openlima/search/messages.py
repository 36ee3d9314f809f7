"""What the engine tells someone whose search it refuses, in their language.

Spanish source strings, translated through the extension's catalogue when a request is
being served (outside one, e.g. in the CLI, the Spanish text is used). Never a database
or library message: those stay in the server log.
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk

# How much of a person's own input an error message repeats.
ECHO_LIMIT = 80


def _(text: str) -> str:
    try:
        return tk._(text)
    except (RuntimeError, KeyError, AttributeError, TypeError):  # no request or app context
        return text


def echo(value: object) -> str:
    text = str(value)
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "…"


def too_long(length: int, limit: int) -> str:
    return _(
        "La consulta es demasiado larga: {length} caracteres (máximo {limit}). "
        "Acórtela o divídala en varias búsquedas."
    ).format(length=length, limit=limit)


def too_many_clauses(limit: int) -> str:
    return _(
        "La consulta tiene demasiados términos o filtros (máximo {limit}). "
        "Use menos palabras o divídala en varias búsquedas."
    ).format(limit=limit)


def too_deep(limit: int) -> str:
    return _(
        "La consulta anida demasiados paréntesis o corchetes (máximo {limit} niveles)."
    ).format(limit=limit)


def bad_date(value: object) -> str:
    return _(
        "La fecha «{value}» no es válida o está fuera del rango admitido."
    ).format(value=echo(value))


def bad_number(value: object) -> str:
    return _("El número «{value}» no es válido.").format(value=echo(value))


def bad_integer(name: str, value: object, low: int, high: int) -> str:
    return _(
        "El parámetro «{name}» debe ser un número entero entre {low} y {high}; "
        "se recibió «{value}»."
    ).format(name=echo(name), value=echo(value), low=low, high=high)


def single_integer() -> str:
    return _("Debe ser un único número entero.")


def bad_regex(value: object) -> str:
    return _("La expresión regular «{value}» no es válida.").format(value=echo(value))


def bad_syntax(value: object) -> str:
    return _(
        "No se pudo interpretar la consulta «{value}». Revise los paréntesis, las "
        "comillas y los nombres de campo."
    ).format(value=echo(value))


def timed_out() -> str:
    return _(
        "La búsqueda tardó demasiado y se canceló. Simplifique la consulta e "
        "inténtelo de nuevo."
    )


def failed() -> str:
    return _("La búsqueda no se pudo completar. Revise la consulta e inténtelo de nuevo.")
