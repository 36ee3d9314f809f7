"""Lima's clock: the one source of "now" and "today" for every part of Open Lima.

The municipality works on Lima time (``America/Lima``, UTC−5, no daylight saving), while
servers run on UTC: at 19:53 in Lima it is already 00:53 of the next day in UTC. So
nothing asks the server for the date (``date.today()`` on a UTC host is tomorrow every
evening); phases, receipts, deadlines, reminders and the "con retraso" rule all read
:func:`today` here.

Three kinds of values, three rules:

* **instants** (``metadata_modified``, ``created``): stored as naive UTC, as CKAN does;
  :func:`utcnow` makes them and :func:`to_lima` shows them in Lima;
* **dates** (``issued``, a phase's end, a receipt): a calendar day, never shifted by a
  time zone — :func:`to_lima` and :func:`local_date` return them unchanged;
* **Lima wall times** (a session "a las 18:30"): naive datetimes that mean Lima's
  clock, compared with :func:`wall_now`.

Tests set the time with :func:`frozen` (or :func:`set_source`) instead of patching
``datetime``; the source is shared by every thread, so a test server sees it too.
"""
from __future__ import annotations

import contextlib
import datetime
import re
from typing import Callable, Iterator, Optional, Union
from zoneinfo import ZoneInfo

__all__ = [
    "LIMA",
    "now",
    "today",
    "utcnow",
    "wall_now",
    "to_lima",
    "local_date",
    "set_source",
    "frozen",
]

LIMA = ZoneInfo("America/Lima")
UTC = datetime.timezone.utc

Source = Callable[[], datetime.datetime]
DateLike = Union[datetime.date, datetime.datetime, str]

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _system() -> datetime.datetime:
    return datetime.datetime.now(UTC)


_source: Source = _system


def now() -> datetime.datetime:
    """The current instant on Lima's clock (timezone-aware, ``America/Lima``)."""
    moment = _source()
    if moment.tzinfo is None:
        raise ValueError("the clock's source must return an aware datetime")
    return moment.astimezone(LIMA)


def today() -> datetime.date:
    """Today's date in Lima (not the server's UTC date)."""
    return now().date()


def utcnow() -> datetime.datetime:
    """The current instant as a naive UTC datetime: how CKAN and our tables store instants."""
    return now().astimezone(UTC).replace(tzinfo=None)


def wall_now() -> datetime.datetime:
    """Lima's wall-clock time without tzinfo, to compare with naive Lima wall times
    (a session that starts "2026-02-01 18:30" in Lima)."""
    return now().replace(tzinfo=None)


def to_lima(value: Optional[DateLike]) -> Optional[Union[datetime.date, datetime.datetime]]:
    """An instant on Lima's clock; a date-only value unchanged.

    Naive datetimes are UTC (CKAN's storage convention). Strings are ISO 8601: a bare
    ``YYYY-MM-DD`` is a date and stays that day; anything else is parsed as an instant.
    ``None`` and ``""`` give ``None``; other text raises ``ValueError``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if _DATE_ONLY.match(text):
            return datetime.date.fromisoformat(text)
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(LIMA)
    if isinstance(value, datetime.date):
        return value
    raise TypeError(f"not a date or datetime: {type(value).__name__}")


def local_date(value: Optional[DateLike]) -> Optional[datetime.date]:
    """The calendar day of ``value`` in Lima: a date stays itself, an instant is the
    day it falls on in Lima."""
    moment = to_lima(value)
    if isinstance(moment, datetime.datetime):
        return moment.date()
    return moment


def set_source(source: Union[Source, datetime.datetime, None]) -> None:
    """Make the clock read ``source``: a function returning an aware datetime, a fixed
    aware datetime, or ``None`` for the system clock again."""
    global _source
    if source is None:
        _source = _system
    elif isinstance(source, datetime.datetime):
        if source.tzinfo is None:
            raise ValueError("a fixed time must be timezone-aware")
        fixed = source
        _source = lambda: fixed  # noqa: E731
    else:
        _source = source


@contextlib.contextmanager
def frozen(moment: datetime.datetime) -> Iterator[None]:
    """Stop the clock at ``moment`` (aware) inside the ``with`` block."""
    previous = _source
    set_source(moment)
    try:
        yield
    finally:
        set_source(previous)
