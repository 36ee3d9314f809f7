"""Turning a Solr document (what CKAN sends to ``add``) into an index row.

A row keeps three things:
- ``doc``: the document as sent, returned by searches (``fl``), like Solr's stored fields;
- ``fields``: every field as a JSON array of normalised values (strings, numbers, or
  fixed-width UTC date strings), matched with GIN-indexed containment and JSON paths;
- the weighted text for the ``tsvector``: name and title (A), tags, groups and the
  organisation (B), everything else Solr copies into its ``text`` field (C).
"""
from __future__ import annotations

import datetime
import json
import re
from typing import Any, Iterable

from .schema import Field, get_schema

WEIGHT_A = ("name", "title")
WEIGHT_B = ("tags", "groups", "organization")
# ``vocab_<name>``: tags of a controlled vocabulary (CKAN's own use of the prefix; Open
# Lima's theme and other controlled labels, Spanish and English, are indexed as
# ``vocab_openlima_labels``), weighted like tags
WEIGHT_B_PREFIX = "vocab_"
# What people read of a dataset, the source of the "did you mean" vocabulary (never
# URLs, identifiers or extras: they are not words anyone means to type)
VOCABULARY_KEYS = ("title", "name", "tags", "groups", "organization", "notes", "res_name",
                   "res_description", "tema", "distrito")
_WORD = re.compile(r"\b[^\W\d_]{4,40}\b")

# PostgreSQL refuses a tsvector over 1 MB; Solr has no such limit, so a very long
# description must not make a dataset unsaveable. Past this, text is not searchable.
MAX_TEXT_PER_WEIGHT = 200_000


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [v for v in value if v is not None]
    return [value]


def parse_date(value: Any) -> datetime.datetime | None:
    """Parse what CKAN puts in a Solr date field (ISO 8601, ``Z`` or offset)."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if not text:
            return None
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment


def format_date(moment: datetime.datetime) -> str:
    """Fixed width, so that string order is time order (years below 1000 too, which
    ``strftime`` would not pad)."""
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def normalise(field: Field, value: Any) -> Any:
    """One value as the index compares it, or None when Solr would reject it."""
    if field.kind == "date":
        moment = parse_date(value)
        return format_date(moment) if moment else None
    if field.kind == "number":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, float)):
            return value
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    if field.kind == "bool":
        return "true" if str(value).lower() in ("true", "1", "yes", "on") else "false"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def index_fields(doc: dict[str, Any]) -> dict[str, list[Any]]:
    schema = get_schema()
    fields: dict[str, list[Any]] = {}
    for key, raw in doc.items():
        field = schema.field(key)
        if not field.indexed:
            continue  # data_dict, validated_data_dict: returned from ``doc``, never matched
        values = [normalise(field, v) for v in as_list(raw)]
        values = [v for v in values if v is not None and v != ""]
        if values:
            fields.setdefault(key, []).extend(values)
        for target in schema.copy_targets(key):
            if target in ("text",) or target.endswith("_ngram"):
                continue  # served by the tsvector and by prefix matching
            if values:
                fields.setdefault(target, []).extend(str(v) for v in values)
    return fields


def _texts(doc: dict[str, Any], keys: Iterable[str]) -> list[str]:
    out = []
    for key in keys:
        for value in as_list(doc.get(key)):
            out.append(str(value))
    return out


def _readable_name(name: str) -> str:
    # "paraderos-transporte-publico" also indexed as words
    return re.sub(r"[-_]+", " ", name)


def weighted_text(doc: dict[str, Any]) -> tuple[str, str, str]:
    """The text of the A, B and C weights of the document's tsvector."""
    schema = get_schema()
    a_parts = _texts(doc, WEIGHT_A)
    a_parts += [_readable_name(n) for n in _texts(doc, ["name"])]
    b_keys = list(WEIGHT_B) + [key for key in doc if key.startswith(WEIGHT_B_PREFIX)]
    b_parts = _texts(doc, b_keys)
    c_keys = []
    for key in doc:
        if key in WEIGHT_A or key in b_keys:
            continue
        targets = schema.copy_targets(key)
        if key == "text" or "text" in targets or "urls" in targets:
            c_keys.append(key)
    c_parts = _texts(doc, c_keys)
    return tuple(" ".join(parts)[:MAX_TEXT_PER_WEIGHT] for parts in (a_parts, b_parts, c_parts))


def vocabulary_words(doc: dict[str, Any]) -> list[str]:
    """The distinct words (4 to 40 letters, lower case, accents kept) people read in
    the dataset: its title, name, tags, groups, description, resources' names and
    descriptions, themes, districts and controlled labels."""
    keys = list(VOCABULARY_KEYS) + [key for key in doc if key.startswith(WEIGHT_B_PREFIX)]
    text = " ".join(_texts(doc, keys))
    return sorted(set(_WORD.findall(text.lower())))
