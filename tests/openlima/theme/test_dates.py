"""Dates one day early (#13): date-only values (issued, modified, temporal coverage, a
resource's dates) are calendar days, never moved by ``ckan.display_timezone``
(America/Lima); CKAN's pages show the stored day, as the static site does."""
from __future__ import annotations

import copy
import datetime
import re

import pytest
from ckan.tests import factories, helpers

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
SPANISH_MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                  "septiembre", "octubre", "noviembre", "diciembre"]

pytestmark = [
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]


def _spanish_days(page: str) -> set[datetime.date]:
    """Every '10 de abril de 2025' on the page, as dates."""
    pattern = r"\b(\d{1,2}) de (" + "|".join(SPANISH_MONTHS) + r") de (\d{4})\b"
    return {datetime.date(int(year), SPANISH_MONTHS.index(month) + 1, int(day))
            for day, month, year in re.findall(pattern, page)}


def test_date_only_values_show_their_own_day_on_ckan_and_static_pages(app, valid_dataset, lima_clock):
    from openlima_site.model import format_date as static_site_date

    # 19:53 in Lima is 00:53 of the next day in UTC: the evening when shifts show
    lima_clock(datetime.datetime(2026, 3, 2, 0, 53, tzinfo=datetime.timezone.utc))
    data = copy.deepcopy(valid_dataset)
    data.update(issued="2025-04-10", modified="2026-01-01",
                temporal_coverage=[{"start": "2025-03-01", "end": "2025-11-30"}])
    data["resources"][0].update(issued="2025-02-01", modified="2025-06-30T00:00:00")
    dataset = helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]}, **data)
    stored = helpers.call_action("package_show", id=dataset["id"])
    stored_days = {stored["issued"], stored["modified"], stored["temporal_coverage"][0]["start"],
                   stored["temporal_coverage"][0]["end"]}
    assert stored_days == {"2025-04-10", "2026-01-01", "2025-03-01", "2025-11-30"}

    page = app.get(f"/dataset/{dataset['name']}", status=200).get_data(as_text=True)
    shown = _spanish_days(page)
    expected = {datetime.date.fromisoformat(day) for day in stored_days}
    assert expected <= shown, shown
    # none of them the day before (what display_timezone made of them)
    assert not {day - datetime.timedelta(days=1) for day in expected} & shown, shown
    # the static site prints the same days
    assert {static_site_date(day) for day in stored_days} == {
        day.strftime("%d/%m/%Y") for day in expected}

    resource = stored["resources"][0]
    resource_page = app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}",
                            status=200).get_data(as_text=True)
    assert {datetime.date(2025, 2, 1), datetime.date(2025, 6, 30)} <= _spanish_days(resource_page)
    assert datetime.date(2025, 1, 31) not in _spanish_days(resource_page)

    english = app.get(f"/en/dataset/{dataset['name']}", status=200).get_data(as_text=True)
    assert "April 10, 2025" in english and "April 9, 2025" not in english
    assert "January 1, 2026" in english and "November 30, 2025" in english


def test_instants_still_shown_on_lima_time():
    # metadata_modified is an instant stored as naive UTC: 00:53 UTC is the evening before in Lima
    from ckan.lib.helpers import helper_functions as h

    with helpers.changed_config("ckan.display_timezone", "America/Lima"):
        assert h.render_datetime("2026-03-02T00:53:00", date_format="%Y-%m-%d") == "2026-03-01"
    assert h.render_datetime("2025-04-10", date_format="%Y-%m-%d") == "2025-04-10"
    assert h.render_datetime(datetime.date(2025, 4, 10), date_format="%d/%m/%Y") == "10/04/2025"
    assert h.render_datetime("no es una fecha") == ""
