"""Lima Honesta keeps Lima's calendar: at 19:53 in Lima (00:53 UTC of the next day) a
report is dated that day, "tomorrow" is still the future and deadline reminders turn
with Lima's day, not the server's."""
from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_command

from .conftest import submit_report

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")

UTC = datetime.timezone.utc
NEW_YEARS_EVE = datetime.datetime(2026, 1, 1, 0, 53, tzinfo=UTC)  # 31 Dec 2025, 19:53 Lima


def received_on(case_number: str) -> datetime.date:
    return model.Session.execute(
        sa.text("select received_on from limahonesta_case where case_number = :n"),
        {"n": case_number}).scalar()


def test_a_report_made_at_1953_in_lima_is_dated_that_day(app, lima_clock):
    lima_clock(NEW_YEARS_EVE)
    response, case_number, _code = submit_report(app, fecha_hechos="2025-12-31")
    assert "2025-12-31" in response.body and "2026-01-01" not in response.body
    assert case_number.startswith("LH-2025-")
    assert received_on(case_number) == datetime.date(2025, 12, 31)


def test_limas_tomorrow_is_still_a_future_date(app, lima_clock):
    lima_clock(NEW_YEARS_EVE)
    response, _, _ = submit_report(app, status=400, fecha_hechos="2026-01-01")
    assert "no puede ser futura" in response.body


def test_reminders_turn_with_limas_day(app, cli, mail_server, make_reviewer, lima_clock):
    make_reviewer()
    lima_clock(datetime.datetime(2025, 4, 11, 0, 53, tzinfo=UTC))  # 10 April, 19:53 Lima
    _r, number, _c = submit_report(app, fecha_hechos="2025-04-01")
    # the acknowledgement reminder starts two days before the deadline: make that
    # day Lima's 11 April, which is already the server's date at 00:53 UTC
    ack_days = tk.config.get("ckanext.limahonesta.ack_days")
    received = datetime.date(2025, 4, 11) + datetime.timedelta(days=2 - ack_days)
    model.Session.execute(sa.text("update limahonesta_case set received_on = :d"),
                          {"d": received})
    model.Session.commit()
    result = cli.invoke(ckan_command, ["limahonesta", "reminders"])
    assert result.exit_code == 0 and "0 caso" in result.output
    lima_clock(datetime.datetime(2025, 4, 11, 5, 0, tzinfo=UTC))  # 11 April, 00:00 Lima
    result = cli.invoke(ckan_command, ["limahonesta", "reminders"])
    assert result.exit_code == 0 and "1 caso" in result.output
