"""Lima's clock (openlima_common.clock) at the day boundary: 19:53 in Lima is 00:53 UTC
of the next day, and every "today" must still be Lima's."""
from __future__ import annotations

import datetime
import threading

import pytest

from openlima_common import clock

UTC = datetime.timezone.utc
# 2025-04-10 19:53 in Lima = 2025-04-11 00:53 UTC
EVENING = datetime.datetime(2025, 4, 11, 0, 53, tzinfo=UTC)


def test_today_is_limas_date_after_utc_midnight(lima_clock):
    lima_clock(EVENING)
    assert clock.today() == datetime.date(2025, 4, 10)
    assert clock.now().hour == 19 and clock.now().minute == 53
    assert clock.now().utcoffset() == datetime.timedelta(hours=-5)


def test_utcnow_is_the_same_instant_naive_utc(lima_clock):
    lima_clock(EVENING)
    assert clock.utcnow() == datetime.datetime(2025, 4, 11, 0, 53)
    assert clock.utcnow().tzinfo is None


def test_wall_now_is_limas_wall_clock(lima_clock):
    lima_clock(EVENING)
    assert clock.wall_now() == datetime.datetime(2025, 4, 10, 19, 53)


def test_midnight_in_lima_turns_the_day(lima_clock):
    lima_clock(datetime.datetime(2025, 4, 11, 4, 59, 59, tzinfo=UTC))
    assert clock.today() == datetime.date(2025, 4, 10)
    lima_clock(datetime.datetime(2025, 4, 11, 5, 0, tzinfo=UTC))
    assert clock.today() == datetime.date(2025, 4, 11)


def test_date_only_values_are_never_shifted():
    assert clock.to_lima(datetime.date(2025, 4, 10)) == datetime.date(2025, 4, 10)
    assert clock.to_lima("2025-04-10") == datetime.date(2025, 4, 10)
    assert clock.local_date("2026-01-01") == datetime.date(2026, 1, 1)
    assert clock.local_date("2025-03-01") == datetime.date(2025, 3, 1)


def test_naive_instants_are_utc_and_shown_in_lima():
    shown = clock.to_lima(datetime.datetime(2025, 4, 11, 0, 53))
    assert (shown.date(), shown.hour, shown.minute) == (datetime.date(2025, 4, 10), 19, 53)
    assert clock.local_date("2025-04-11T00:53:00.123456") == datetime.date(2025, 4, 10)
    assert clock.local_date("2025-04-11T00:53:00Z") == datetime.date(2025, 4, 10)
    assert clock.local_date("2025-04-11T00:53:00-05:00") == datetime.date(2025, 4, 11)


def test_empty_and_bad_values():
    assert clock.to_lima(None) is None and clock.to_lima("") is None
    with pytest.raises(ValueError):
        clock.to_lima("10/04/2025")
    with pytest.raises(TypeError):
        clock.to_lima(20250410)


def test_a_fixed_time_must_be_aware():
    with pytest.raises(ValueError):
        clock.set_source(datetime.datetime(2025, 4, 10, 19, 53))


def test_frozen_restores_the_previous_source():
    with clock.frozen(EVENING):
        assert clock.today() == datetime.date(2025, 4, 10)
        with clock.frozen(EVENING + datetime.timedelta(days=3)):
            assert clock.today() == datetime.date(2025, 4, 13)
        assert clock.today() == datetime.date(2025, 4, 10)
    # the system clock again: within a second of the real time
    assert abs(clock.now() - datetime.datetime.now(UTC)) < datetime.timedelta(minutes=1)


def test_other_threads_see_the_frozen_time(lima_clock):
    lima_clock(EVENING)
    seen = []
    worker = threading.Thread(target=lambda: seen.append(clock.today()))
    worker.start()
    worker.join()
    assert seen == [datetime.date(2025, 4, 10)]


def test_the_package_imports_no_extension():
    import ast
    from pathlib import Path

    package = Path(clock.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text())
        names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names]
        names += [node.module or "" for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom)]
        assert not [n for n in names if n.startswith(("ckan", "ckanext"))], module
