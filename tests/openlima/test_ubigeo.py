"""One table of Lima's districts for the whole platform."""
from __future__ import annotations

import csv
from pathlib import Path

from ckanext.openlima.ubigeo import DISTRICTS

CSV = Path(__file__).resolve().parents[2] / "config" / "vocabularies" / "districts.csv"


def test_the_catalogue_vocabulary_holds_the_same_43_districts():
    with open(CSV, newline="", encoding="utf-8") as handle:
        rows = {row["ubigeo"]: row["name"] for row in csv.DictReader(handle)}

    assert rows == DISTRICTS
    assert sorted(DISTRICTS) == [f"1501{n:02d}" for n in range(1, 44)]


def test_every_part_of_the_platform_uses_that_table():
    from ckanext.limaactiva.logic import validators as activa
    from ckanext.limahonesta.logic import validators as honesta
    from openlima_site import vocab

    # the static site builds the city's own page too (1501), on top of the same table
    assert vocab._DISTRICTS is DISTRICTS
    assert vocab.DISTRICTS == {vocab.LIMA_UBIGEO: "Lima Metropolitana", **DISTRICTS}
    assert honesta.DISTRICTS is DISTRICTS
    assert activa.DISTRICTS is DISTRICTS
