"""Every CSV the platform writes neutralises spreadsheet formulas (#12 §4)."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openlima_common import spreadsheet

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1",
                                   '=HYPERLINK("http://x","y")'])
def test_formula_prefixes_become_text(value):
    out = io.StringIO()
    spreadsheet.writer(out).writerow([value, 3, -2.5, None, "Lima"])
    cells = next(csv.reader(io.StringIO(out.getvalue())))
    assert cells == ["'" + value, "3", "-2.5", "", "Lima"]


def test_dict_writer_neutralises_values_not_headers():
    out = io.StringIO()
    writer = spreadsheet.dict_writer(out, ["=titulo", "valor"])
    writer.writeheader()
    writer.writerows([{"=titulo": "@persona", "valor": 7}])
    assert out.getvalue().splitlines() == ["=titulo,valor", "'@persona,7"]


def test_no_module_writes_csv_without_the_helper():
    """``csv.writer``/``csv.DictWriter`` only inside the helper (and the demo's own
    generated data files, which hold no user input)."""
    allowed = {REPO / "common/openlima_common/spreadsheet.py",
               REPO / "ckanext-openlima/ckanext/openlima/demo/generate_files.py"}
    offenders = []
    for root in ("ckanext-openlima", "ckanext-limahonesta", "ckanext-limaactiva", "site",
                 "common", "stack"):
        for path in (REPO / root).rglob("*.py"):
            if path in allowed or "/tests/" in str(path):
                continue
            if re.search(r"\bcsv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
