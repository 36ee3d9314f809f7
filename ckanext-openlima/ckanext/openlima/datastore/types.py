"""Column types for data as Lima's offices publish it, guessed after the rows are loaded.

ckanext-xloader loads a CSV with PostgreSQL ``COPY`` into text columns (fast, and nothing
is lost). Right after, in the same job, each text column is looked at in the database
itself (one pass over the table, no rows in Python) and given a type when *every* filled
value fits one:

* whole numbers → ``int8``; but codes stay text (a leading zero as in ``0012``, or a column
  named like a code: ``codigo``, ``ubigeo``, ``ruc``, ``dni``, ``telefono``...);
* decimals with a point (``12.5``) → ``numeric``; with a comma (``12,5``, ``1.234,5``:
  points then group thousands) → ``numeric``;
* ``dd/mm/aaaa`` (Peru's way; ``3/1/2025`` is 3 January) or ISO dates → ``date``; with a
  time → ``timestamp``.

A data officer corrects a guess in the resource's data dictionary ("Tipo" in the
DataStore's dictionary form, ``info.type_override``); the override wins over the guess
and is applied on every later load, with the same Spanish-aware conversions. A conversion
that would fail on some value leaves the column as text.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Optional

import sqlalchemy as sa

__all__ = ["convert_columns", "guess_type", "full_text_expression", "CODE_COLUMN"]

log = logging.getLogger(__name__)

CODE_COLUMN = re.compile(
    r"(^|_)(cod|codigo|code|id|ubigeo|ruc|dni|telefono|tel|celular|cui|cip|zip|postal)(_|$)",
    re.IGNORECASE,
)
NUMBER_TYPES = {"int", "int4", "int8", "bigint", "integer", "numeric", "float8", "float",
                "double precision"}
DATE_TYPES = {"date", "timestamp", "timestamptz"}

_PATTERNS = {
    "integer": r"^[+-]?[0-9]+$",
    "leading_zero": r"^0[0-9]+$",
    "thousands_dot": r"^[+-]?[0-9]{1,3}(\.[0-9]{3})+$",
    "decimal_point": r"^[+-]?[0-9]*\.[0-9]+$",
    "decimal_comma": r"^[+-]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]*),[0-9]+$",
    "date_dmy": r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$",
    "date_iso": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "timestamp_dmy": r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?$",
    "timestamp_iso": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


SAMPLE_ROWS = 1000


def _profiles(connection, table: str, columns: list[str],
              sample: Optional[int] = None) -> dict[str, dict[str, int]]:
    """Counts of filled values and of each pattern, for every column, in one table scan
    (of the first ``sample`` rows only, when given)."""
    if not columns:
        return {}
    source = _quote(table)
    if sample:
        source = (f"(SELECT {', '.join(_quote(c) for c in columns)} FROM {source} "
                  f"LIMIT {int(sample)}) AS sample")
    counts, params = [], dict(_PATTERNS)
    for index, column in enumerate(columns):
        value = f"btrim({_quote(column)})"
        counts.append(f"count(*) FILTER (WHERE {value} <> '') AS c{index}_filled")
        for name in _PATTERNS:
            counts.append(f"count(*) FILTER (WHERE {value} ~ :{name}) AS c{index}_{name}")
    row = connection.execute(
        sa.text(f"SELECT {', '.join(counts)} FROM {source}"), params
    ).mappings().one()
    return {column: {key.split("_", 1)[1]: value for key, value in row.items()
                     if key.startswith(f"c{index}_")}
            for index, column in enumerate(columns)}


def guess_type(column: str, profile: dict[str, int]) -> str:
    """The type every filled value of a column fits, from its profile (counts)."""
    filled = profile["filled"]
    if not filled:
        return "text"
    if profile["timestamp_dmy"] == filled or profile["timestamp_iso"] == filled:
        return "timestamp"
    if profile["date_dmy"] == filled or profile["date_iso"] == filled:
        return "date"
    if CODE_COLUMN.search(column) or profile["leading_zero"]:
        return "text"
    if profile["integer"] == filled:
        return "int8"
    if profile["decimal_point"] + profile["integer"] == filled:
        return "numeric"
    if (profile["decimal_comma"] and profile["decimal_comma"] + profile["integer"]
            + profile["thousands_dot"] == filled):
        return "numeric"
    return "text"


def _using(column: str, target: str, profile: dict[str, int]) -> Optional[str]:
    """The SQL expression that turns the text column into ``target``, or None."""
    value = f"nullif(btrim({_quote(column)}), '')"
    if target in NUMBER_TYPES:
        if profile["decimal_comma"] or (profile["thousands_dot"] and not
                                        profile["decimal_point"]):
            value = f"replace(replace({value}, '.', ''), ',', '.')"
        return f"({value})::{target}"
    if target == "date":
        if profile["date_dmy"]:
            return f"to_date({value}, 'DD/MM/YYYY')"
        return f"({value})::date"
    if target in ("timestamp", "timestamptz"):
        if profile["timestamp_dmy"]:
            return f"to_timestamp({value}, 'DD/MM/YYYY HH24:MI:SS')::{target}"
        return f"({value})::{target}"
    if target == "text":
        return None
    return f"({value})::{target}"


def full_text_expression(fields: list[dict[str, Any]]) -> str:
    """The row's ``_full_text``, as ckanext-xloader computes it after its ``COPY``: every
    column but the ``_`` ones, as loaded (text), in the database's default text search
    configuration (``openlima_es``: Spanish, accents folded)."""
    columns = [f["id"] for f in fields if not f["id"].startswith("_")]
    if not columns:
        return "NULL::tsvector"
    joined = " || ' ' || ".join(f"coalesce({_quote(c)}::text, '')" for c in columns)
    return f"to_tsvector({joined})"


def convert_columns(engine, resource_id: str, fields: list[dict[str, Any]],
                    logger: Optional[logging.Logger] = None,
                    full_text: bool = False) -> list[dict[str, Any]]:
    """Give each text column of the freshly loaded table its type (guessed, or the data
    dictionary's ``type_override``); returns ``fields`` with the types now in the table.
    With ``full_text``, the same statement also fills ``_full_text`` for every row.

    A sample of rows rules out most text columns; one scan profiles the others; one
    ``ALTER TABLE`` converts them all and computes the full text (one rewrite of the
    table; the ``USING`` expressions all read the row as loaded). If that fails (a value
    the profile let through, e.g. 31/02/2025), each column is tried on its own and the
    ones that fail stay text (the full text then gets a rewrite of its own)."""
    logger = logger or log
    text_columns = [f["id"] for f in fields if f.get("type", "text") == "text"]
    overridden = {f["id"] for f in fields if (f.get("info") or {}).get("type_override")}
    with engine.begin() as connection:
        # a first look at a sample rules out most text columns without a full scan
        sampled = _profiles(connection, resource_id, text_columns, sample=SAMPLE_ROWS)
        candidates = [c for c in text_columns
                      if c in overridden or guess_type(c, sampled[c]) != "text"]
        profiles = _profiles(connection, resource_id, candidates)
    targets: dict[str, tuple[str, str]] = {}
    for field in fields:
        column = field["id"]
        if column not in profiles:
            continue
        override = (field.get("info") or {}).get("type_override") or ""
        target = override or guess_type(column, profiles[column])
        expression = _using(column, target, profiles[column])
        if expression is not None:
            targets[column] = (target, expression)

    full_text_clause = (f"ALTER COLUMN \"_full_text\" TYPE tsvector "
                        f"USING {full_text_expression(fields)}")

    def alter(columns: list[str], with_full_text: bool = False) -> None:
        clauses = [f"ALTER COLUMN {_quote(c)} TYPE {targets[c][0]} USING {targets[c][1]}"
                   for c in columns]
        if with_full_text:
            clauses.append(full_text_clause)
        with engine.begin() as connection:
            connection.execute(
                sa.text(f"ALTER TABLE {_quote(resource_id)} {', '.join(clauses)}"))

    converted_columns: set[str] = set()
    if targets or full_text:
        logger.info("Rewriting the table once: types of %s%s", sorted(targets) or "no column",
                    " and the full text" if full_text else "")
        try:
            alter(list(targets), with_full_text=full_text)
            converted_columns = set(targets)
        except sa.exc.DBAPIError:
            if full_text:  # first, while every column still reads as loaded
                alter([], with_full_text=True)
            for column in targets:
                try:
                    alter([column])
                    converted_columns.add(column)
                except sa.exc.DBAPIError:
                    logger.info("Column %r stays text: some values are not %s", column,
                                targets[column][0])
    for column in sorted(converted_columns):
        logger.info("Column %r: %s", column, targets[column][0])
    return [dict(field, type=targets[field["id"]][0]) if field["id"] in converted_columns
            else field for field in fields]
