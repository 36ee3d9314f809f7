"""ISO 8601 dates and times as harvesters send them in ``modified_since``.

Python's ``datetime.fromisoformat`` reads most of ISO 8601 (calendar and week dates,
basic and extended forms, ``Z`` and offsets, fractions with ``.`` or ``,``). This module
adds the forms it does not read — reduced precision (``2026``, ``2026-12``), ordinal dates
(``2026-336``), ``24:00`` as the end of a day, a leap second, lower-case designators — and
the ``+`` of an offset that arrives as a space because the client did not percent-encode
it. A value without an offset is taken as UTC, as CKAN stores ``metadata_modified``.
"""
from __future__ import annotations

import datetime as dt
import re

__all__ = ["parse_iso8601", "solr_datetime"]

UTC = dt.timezone.utc
MAX_LENGTH = 64

_REDUCED = re.compile(r"(\d{4})(?:-(\d{2}))?")
_ORDINAL = re.compile(r"(\d{4})-?(\d{3})(T.*)?")
# "…T10:00 05:00": the "+" of the offset decoded as a space from an unencoded query string
_SPACE_OFFSET = re.compile(r"(.*T[\d:.,]+) (\d{2}(?::?\d{2})?)")
_MIDNIGHT_END = re.compile(r"T24(?::?00(?::?00(?:[.,]0+)?)?)?(?=$|[Z+-])")
_LEAP_SECOND = re.compile(r"(T\d{2}:?\d{2}:?)60")


def parse_iso8601(value: str) -> dt.datetime:
    """The instant ``value`` names, as an aware UTC datetime.

    :raises ValueError: ``value`` is not an ISO 8601 date or date-time
    """
    text = (value or "").strip().upper()
    if not text or len(text) > MAX_LENGTH or not text.isascii():
        raise ValueError(value)

    match = _SPACE_OFFSET.fullmatch(text)
    if match:
        text = f"{match.group(1)}+{match.group(2)}"

    match = _REDUCED.fullmatch(text)
    if match:
        return dt.datetime(int(match.group(1)), int(match.group(2) or 1), 1, tzinfo=UTC)

    match = _ORDINAL.fullmatch(text)
    if match:
        year, day = int(match.group(1)), int(match.group(2))
        if not 1 <= day <= (366 if _leap(year) else 365):
            raise ValueError(value)
        date = dt.date(year, 1, 1) + dt.timedelta(days=day - 1)
        text = date.isoformat() + (match.group(3) or "")

    extra_day = False
    if _MIDNIGHT_END.search(text):
        text = _MIDNIGHT_END.sub("T00:00:00", text)
        extra_day = True
    text = _LEAP_SECOND.sub(r"\g<1>59", text)

    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        if extra_day:
            parsed += dt.timedelta(days=1)
        return parsed.astimezone(UTC)
    except OverflowError:
        # Valid ISO 8601 whose UTC instant falls outside years 1-9999: the nearest one
        earliest = parsed.year == 1
        return (dt.datetime.min if earliest else dt.datetime.max).replace(tzinfo=UTC)


def solr_datetime(moment: dt.datetime) -> str:
    """``moment`` (aware) as Solr writes UTC instants: ``2026-12-02T00:46:50.5Z``."""
    moment = moment.astimezone(UTC)
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
