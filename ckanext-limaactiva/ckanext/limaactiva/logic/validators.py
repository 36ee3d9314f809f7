"""Validators for Lima Activa input. Every message is Spanish first (through ``tk._``)."""

from __future__ import annotations

import datetime
import re
from typing import Any, Callable

import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.openlima.ubigeo import DISTRICTS

__all__ = [
    "limaactiva_required",
    "limaactiva_optional",
    "limaactiva_required_if_given",
    "limaactiva_text",
    "limaactiva_long_text",
    "limaactiva_slug",
    "limaactiva_date",
    "limaactiva_datetime",
    "limaactiva_natural",
    "limaactiva_deadline_days",
    "limaactiva_bool",
    "limaactiva_url",
    "limaactiva_district",
    "limaactiva_weight",
    "limaactiva_space_type",
    "limaactiva_phase_key",
    "limaactiva_modality",
    "limaactiva_proposal_state",
    "limaactiva_alignment",
    "limaactiva_channel",
    "limaactiva_dni",
]

Missing = tk.missing
StopOnError = tk.StopOnError


def N_(text: str) -> str:
    """Marks a string for the catalogue without translating it: the labels below are
    translated with ``tk._`` when shown, in the locale of that request."""
    return text


SPACE_TYPES = {
    "policy": N_("Política"),
    "plan": N_("Plan"),
    "programme": N_("Programa"),
    "project": N_("Proyecto"),
}
PHASE_KEYS = {
    "information": N_("Información"),
    "contributions": N_("Aportes"),
    "prioritisation": N_("Priorización"),
    "answer": N_("Respuesta"),
    "follow_up": N_("Seguimiento"),
}
MODALITIES = {
    "in_person": N_("Presencial"),
    "online": N_("Virtual"),
    "hybrid": N_("Híbrida"),
}
PROPOSAL_STATES = {
    "received": N_("Recibida"),
    "under_evaluation": N_("En evaluación"),
    "accepted": N_("Aceptada"),
    "partially_accepted": N_("Aceptada parcialmente"),
    "rejected": N_("No aceptada"),
    "implemented": N_("Implementada"),
}
ALIGNMENTS = {
    "a_favor": N_("A favor"),
    "neutral": N_("Neutral"),
    "en_contra": N_("En contra"),
}
CHANNELS = {
    "online": N_("En línea"),
    "in_person": N_("Presencial"),
    "both": N_("En línea y presencial"),
}
WEIGHTS = {
    3: N_("Muy prioritario"),
    2: N_("Prioritario"),
    1: N_("Poco prioritario"),
}


def _empty(value: Any) -> bool:
    return (
        value is Missing
        or value is None
        or (isinstance(value, str) and not value.strip())
    )


def limaactiva_required(key, data, errors, context):
    if _empty(data.get(key)):
        errors[key].append(tk._("Este campo es obligatorio."))
        raise StopOnError


def limaactiva_optional(key, data, errors, context):
    if _empty(data.get(key)):
        data[key] = None
        raise StopOnError


def limaactiva_required_if_given(key, data, errors, context):
    """For updates: a field left out keeps its value, one given empty is an error."""
    if data.get(key) is Missing:
        data[key] = None
        raise StopOnError
    limaactiva_required(key, data, errors, context)


def _text(limit: int) -> Callable[[Any], str]:
    def validator(value: Any) -> str:
        if not isinstance(value, str):
            raise tk.Invalid(tk._("Debe ser un texto."))
        value = value.strip()
        if len(value) > limit:
            raise tk.Invalid(
                tk._("Es demasiado largo (máximo {limit} caracteres).").format(
                    limit=limit
                )
            )
        return value

    return validator


limaactiva_text = _text(300)
limaactiva_long_text = _text(20000)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")


def limaactiva_slug(value: Any) -> str:
    if not isinstance(value, str) or not _SLUG.match(value):
        raise tk.Invalid(
            tk._(
                "Use de 2 a 100 caracteres: minúsculas sin tildes, números, '-' o '_'."
            )
        )
    return value


def limaactiva_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise tk.Invalid(tk._("Fecha no válida: use el formato AAAA-MM-DD."))


def limaactiva_datetime(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    try:
        parsed = datetime.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise tk.Invalid(
            tk._("Fecha y hora no válidas: use el formato AAAA-MM-DDTHH:MM.")
        )
    if parsed.tzinfo is not None:
        # sessions keep Lima's wall-clock time (what staff type and citizens read)
        parsed = parsed.astimezone(clock.LIMA).replace(tzinfo=None)
    return parsed


def limaactiva_natural(value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise tk.Invalid(tk._("Debe ser un número entero."))
    if number < 0 or number > 10_000_000:
        raise tk.Invalid(tk._("Debe ser un número entero no negativo."))
    return number


def limaactiva_deadline_days(value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise tk.Invalid(tk._("Debe ser un número entero."))
    if number < 1 or number > 365:
        raise tk.Invalid(tk._("El plazo de respuesta debe ser de 1 a 365 días."))
    return number


def limaactiva_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "on", "yes", "si", "sí"):
        return True
    if text in ("false", "0", "off", "no", ""):
        return False
    raise tk.Invalid(tk._("Debe ser verdadero o falso."))


def limaactiva_url(value: Any) -> str:
    value = _text(2000)(value)
    if not re.match(r"^https?://[^\s/]+", value):
        raise tk.Invalid(
            tk._("Debe ser una dirección web que empiece con http:// o https://.")
        )
    return value


def limaactiva_district(value: Any) -> str:
    value = str(value).strip()
    if value not in DISTRICTS:
        raise tk.Invalid(
            tk._(
                "Distrito no válido: use el código UBIGEO de un distrito de Lima (150101-150143)."
            )
        )
    return value


def limaactiva_weight(value: Any) -> int:
    try:
        weight = int(str(value).strip())
    except ValueError:
        weight = 0
    if weight not in WEIGHTS:
        raise tk.Invalid(
            tk._(
                "La prioridad debe ser 3 (muy prioritario), 2 (prioritario) o 1 (poco prioritario)."
            )
        )
    return weight


def _choice(choices: dict, message: str) -> Callable[[Any], str]:
    def validator(value: Any) -> str:
        value = str(value).strip()
        if value not in choices:
            raise tk.Invalid(tk._(message).format(options=", ".join(choices)))
        return value

    return validator


limaactiva_space_type = _choice(
    SPACE_TYPES, N_("Tipo de espacio no válido. Opciones: {options}.")
)
limaactiva_phase_key = _choice(PHASE_KEYS, N_("Fase no válida. Opciones: {options}."))
limaactiva_modality = _choice(
    MODALITIES, N_("Modalidad no válida. Opciones: {options}.")
)
limaactiva_proposal_state = _choice(
    PROPOSAL_STATES, N_("Estado de propuesta no válido. Opciones: {options}.")
)
limaactiva_alignment = _choice(
    ALIGNMENTS, N_("Postura no válida: use a_favor, neutral o en_contra.")
)
limaactiva_channel = _choice(CHANNELS, N_("Canal no válido. Opciones: {options}."))


def limaactiva_dni(value: Any) -> str:
    value = str(value).strip()
    if not re.fullmatch(r"\d{8}", value):
        raise tk.Invalid(tk._("El DNI debe tener 8 dígitos."))
    return value
