"""CSV that a spreadsheet opens as text, never as a formula (#12 §4).

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula (and a leading tab or carriage return does not stop them), so a
proposal titled ``=HYPERLINK("http://…")`` became a live link — or worse — in the
spreadsheet of whoever opened the export. Every CSV the platform writes goes through
:func:`writer` or :func:`dict_writer`: a text cell with such a prefix is written with a
leading apostrophe (OWASP's advice), which spreadsheets show as plain text. Numbers stay
numbers.
"""
from __future__ import annotations

import csv
from typing import Any, Iterable, Mapping

__all__ = ["FORMULA_PREFIXES", "dict_writer", "neutralise", "writer"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` unchanged, unless it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Writer:
    def __init__(self, wrapped: Any):
        self._wrapped = wrapped

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._wrapped.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _DictWriter:
    def __init__(self, wrapped: csv.DictWriter):
        self._wrapped = wrapped
        self.fieldnames = wrapped.fieldnames

    def writeheader(self) -> Any:
        return self._wrapped.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> Any:
        return self._wrapped.writerow({key: neutralise(value) for key, value in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: Any, **options: Any) -> _Writer:
    """``csv.writer`` whose cells are :func:`neutralise`-d."""
    return _Writer(csv.writer(stream, **options))


def dict_writer(stream: Any, fieldnames: Any, **options: Any) -> _DictWriter:
    """``csv.DictWriter`` whose values are :func:`neutralise`-d."""
    return _DictWriter(csv.DictWriter(stream, fieldnames, **options))
