"""Validators of the MML dataset schema, each with a Spanish message per field.

Scheming calls the ``is_a_scheming_validator`` ones with the field definition, so a
field's own ``required_message`` (in ``config/schemas/mml_dataset.yaml``) becomes the
error the data officer reads, in the form and in the API's 409 answer.
"""
from __future__ import annotations

import datetime
import json
import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.scheming import helpers as scheming_helpers

from ckanext.openlima.logic import vocabularies

__all__ = [
    "openlima_required",
    "openlima_drop_empty_rows",
    "openlima_repeating_required",
    "openlima_drop_duplicate_tag_errors",
    "openlima_choice",
    "openlima_email",
    "openlima_open_licence",
    "openlima_date",
    "openlima_date_not_before",
    "openlima_keywords_required",
    "openlima_resource_format",
    "openlima_media_type",
    "openlima_byte_size",
    "openlima_checksum",
    "openlima_http_urls",
    "openlima_version",
]

Invalid = tk.Invalid
missing = tk.missing
StopOnError = tk.StopOnError

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
MEDIA_TYPE_RE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")
HEX_RE = re.compile(r"^[0-9a-fA-F]{32,128}$")
VERSION_RE = re.compile(r"^[\w.\-+ ]{1,40}$")


def _scheming_validator(fn):
    fn.is_a_scheming_validator = True
    return fn


def _is_empty(value: Any) -> bool:
    if value is missing or value is None:
        return True
    if isinstance(value, str):
        return not value.strip() or value.strip() in ("[]", "{}")
    if isinstance(value, (list, tuple, dict)):
        return not value
    return False


def _subfield_present(key: tuple, data: dict) -> bool:
    """Repeating subfields arrive flattened: (field, 0, subfield)."""
    prefix = key[0]
    return any(
        len(other) == 3 and other[0] == prefix and not _is_empty(value)
        for other, value in data.items()
    )


# context key: the rows of repeating blocks dropped as empty, {(field, index), ...}
DROPPED_ROWS = "openlima_dropped_rows"


@_scheming_validator
def openlima_required(field: dict, schema: dict):
    """Like ``not_empty``, with the field's own Spanish message."""
    message = field.get("required_message") or "Este campo es obligatorio."

    def validator(key, data, errors, context):
        if len(key) == 3 and key[:2] in context.get(DROPPED_ROWS, ()):
            raise StopOnError  # a subfield of a row left empty: nothing to check
        if errors.get(key):
            raise StopOnError  # one message per field (the block's own may be there)
        value = data.get(key, missing)
        if _is_empty(value) and not (
            "repeating_subfields" in field and _subfield_present(key, data)
        ):
            errors[key].append(tk._(message))
            raise StopOnError

    return validator


@_scheming_validator
def openlima_drop_empty_rows(field: dict | None, schema: dict):
    """Dataset-level (``before_validators``, first): a row of a repeating block whose
    subfields are all empty is dropped, never validated.

    The form always offers one blank row of each block (data dictionary, publisher,
    temporal coverage): left as it is, it must not block saving nor be stored as an
    empty object (an empty publisher would hide the office as ``dct:publisher``). A
    required block left with no row at all is reported once by
    ``openlima_repeating_required``. The subfields' validators still run on the dropped
    keys (navl plans them before this runs): ``openlima_required`` skips the rows listed
    in ``context[DROPPED_ROWS]`` and ``ignore_missing`` skips absent keys.
    """
    blocks = {f["field_name"] for f in schema.get("dataset_fields", []) if "repeating_subfields" in f}

    def validator(key, data, errors, context):
        rows: dict[tuple, list] = {}
        for flat_key in data:
            if isinstance(flat_key, tuple) and len(flat_key) == 3 and flat_key[0] in blocks:
                rows.setdefault(flat_key[:2], []).append(flat_key)
        dropped = context[DROPPED_ROWS] = set()
        for row, keys in rows.items():
            if all(_is_empty(data[k]) for k in keys):
                for k in keys:
                    del data[k]
                dropped.add(row)

    return validator


def openlima_drop_duplicate_tag_errors(key, data, errors, context):
    """Dataset-level (``after_validators``): a keyword refused in ``tag_string`` is
    reported there only. CKAN's form sends the keywords twice (``tag_string`` and the
    ``tags`` it splits from it), so the same refusal came twice, once as "tags"."""
    if errors.get(("tag_string",)):
        for flat_key, messages in errors.items():
            if isinstance(flat_key, tuple) and flat_key and flat_key[0] == "tags":
                messages.clear()


@_scheming_validator
def openlima_repeating_required(field: dict | None, schema: dict):
    """Dataset-level check (``before_validators``) for required repeating fields.

    Scheming drops the field-level validators of fields with subfields, so a
    missing ``contact`` would otherwise pass.
    """
    required = [
        f for f in schema.get("dataset_fields", [])
        if "repeating_subfields" in f and f.get("required")
    ]

    def validator(key, data, errors, context):
        for f in required:
            name = f["field_name"]
            present = any(
                isinstance(k, tuple) and len(k) == 3 and k[0] == name and not _is_empty(v)
                for k, v in data.items()
            )
            if not present:
                # Reported on the first subfield: scheming's form shows errors of a
                # repeating field per entry, as dicts of subfield errors.
                first = f["repeating_subfields"][0]["field_name"]
                errors.setdefault((name, 0, first), []).append(
                    tk._(f.get("required_message") or "Este campo es obligatorio.")
                )

    return validator


def _as_list(value: Any) -> list[str] | None:
    if value is missing or value is None or value == "":
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                return None
            return [str(item) for item in parsed] if isinstance(parsed, list) else None
        return [text]
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return None


@_scheming_validator
def openlima_choice(field: dict, schema: dict):
    """Accept only values of the field's controlled vocabulary.

    Single-valued fields keep a string; ``multiple: true`` fields are stored as a
    JSON list, as scheming's own multiple-choice validator does.
    """
    multiple = bool(field.get("multiple"))
    label = field.get("label")
    name = label.get("es") if isinstance(label, dict) else (label or field["field_name"])

    def validator(key, data, errors, context):
        if errors.get(key):
            return
        value = data.get(key, missing)
        values = _as_list(value)
        if values is None:
            errors[key].append(tk._("Formato no válido para «{campo}»: se espera una lista de valores.").format(campo=name))
            raise StopOnError
        allowed = [choice["value"] for choice in scheming_helpers.scheming_field_choices(field)]
        wrong = [item for item in values if item not in allowed]
        if wrong:
            errors[key].append(
                tk._("Valor no permitido en «{campo}»: {valor}. Elija un valor de la lista.").format(
                    campo=name, valor=", ".join(wrong)
                )
            )
            raise StopOnError
        if not values:
            data[key] = missing if value is missing else ("[]" if multiple else "")
            return
        if multiple:
            data[key] = json.dumps([item for item in allowed if item in values])
        elif len(values) > 1:
            errors[key].append(tk._("«{campo}» admite un solo valor.").format(campo=name))
            raise StopOnError
        else:
            data[key] = values[0]

    return validator


def openlima_email(value: Any, context: dict) -> Any:
    if _is_empty(value):
        return value
    if not isinstance(value, str) or not EMAIL_RE.match(value.strip()):
        raise Invalid(tk._("Correo electrónico no válido: escriba una dirección como nombre@munlima.gob.pe."))
    return value.strip()


def openlima_open_licence(value: Any, context: dict) -> Any:
    if _is_empty(value):
        return value
    if not vocabularies.licence(str(value)):
        allowed = ", ".join(row["license_id"] for row in vocabularies.vocabulary("licences"))
        raise Invalid(
            tk._("Solo se admiten licencias abiertas ({permitidas}); «{valor}» no lo es.").format(
                permitidas=allowed, valor=value
            )
        )
    return vocabularies.licence(str(value))["license_id"]


DATE_MESSAGE = "Fecha no válida: use AAAA, AAAA-MM, AAAA-MM-DD o AAAA-MM-DDTHH:MM:SS."


def _parse_date(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    text = value.strip()
    for fmt, length in (("%Y", 4), ("%Y-%m", 7), ("%Y-%m-%d", 10)):
        if len(text) == length:
            try:
                return datetime.datetime.strptime(text, fmt)
            except ValueError:
                return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def openlima_date(value: Any, context: dict) -> Any:
    if _is_empty(value):
        return None
    if _parse_date(value) is None:
        raise Invalid(tk._(DATE_MESSAGE))
    return value


def openlima_date_not_before(other: str):
    """For the ``end`` subfield: it may not come before ``other`` (``start``)."""

    def validator(key, data, errors, context):
        value = data.get(key)
        other_key = key[:-1] + (other,)
        start, end = _parse_date(data.get(other_key)), _parse_date(value)
        if start and end and end.replace(tzinfo=None) < start.replace(tzinfo=None):
            errors[key].append(tk._("La fecha final no puede ser anterior a la fecha inicial."))

    return validator


def openlima_keywords_required(key, data, errors, context):
    """At least one keyword, given as ``tag_string`` (form) or ``tags`` (API)."""
    if not _is_empty(data.get(key, missing)):
        return
    if any(k[0] == "tags" and not _is_empty(v) for k, v in data.items() if isinstance(k, tuple)):
        data.pop(key, None)
        raise StopOnError  # keywords came as ``tags``: nothing for tag_string_convert
    errors[key].append(tk._("Indique al menos una palabra clave."))
    raise StopOnError


def openlima_resource_format(value: Any, context: dict) -> Any:
    """The format must be in the EU file-type table; it is stored by its readable label."""
    if _is_empty(value):
        raise Invalid(tk._("Indique el formato del recurso (por ejemplo CSV, XLSX, JSON)."))
    row = vocabularies.file_type(str(value))
    if not row:
        raise Invalid(
            tk._("Formato desconocido: «{valor}». Use un formato del vocabulario de tipos de archivo de la UE (CSV, XLSX, JSON, GeoJSON, PDF...).").format(valor=value)
        )
    return row["label"]


def openlima_media_type(key, data, errors, context):
    """Fill the media type from the format when empty; otherwise check its shape."""
    value = data.get(key)
    if _is_empty(value):
        row = vocabularies.file_type(data.get(key[:-1] + ("format",)))
        data[key] = row["media_type"] if row else missing
        return
    text = str(value).strip()
    if text.startswith("https://www.iana.org/assignments/media-types/"):
        text = text.rsplit("media-types/", 1)[1]
    if not MEDIA_TYPE_RE.match(text):
        errors[key].append(tk._("Tipo de medio no válido: use la forma tipo/subtipo, por ejemplo text/csv."))
        return
    data[key] = text


def openlima_byte_size(value: Any, context: dict) -> Any:
    if _is_empty(value):
        return None
    try:
        size = int(str(value).strip())
    except ValueError:
        raise Invalid(tk._("El tamaño debe ser un número entero de bytes."))
    if size < 0:
        raise Invalid(tk._("El tamaño no puede ser negativo."))
    return size


def openlima_checksum(value: Any, context: dict) -> Any:
    if _is_empty(value):
        return value
    if not isinstance(value, str) or not HEX_RE.match(value.strip()):
        raise Invalid(tk._("Suma de verificación no válida: escriba el valor hexadecimal (MD5, SHA-1 o SHA-256)."))
    return value.strip().lower()


def openlima_http_urls(value: Any, context: dict) -> Any:
    values = _as_list(value)
    if values is None:
        raise Invalid(tk._("Se espera una lista de direcciones web."))
    for item in values:
        if not re.match(r"^https?://\S+$", item.strip()):
            raise Invalid(tk._("Dirección web no válida: «{valor}» (debe empezar por http:// o https://).").format(valor=item))
    return value


def openlima_version(value: Any, context: dict) -> Any:
    if _is_empty(value):
        return value
    if not isinstance(value, str) or not VERSION_RE.match(value.strip()):
        raise Invalid(tk._("Versión no válida: use hasta 40 letras, números, puntos o guiones (por ejemplo 1.2)."))
    return value.strip()
