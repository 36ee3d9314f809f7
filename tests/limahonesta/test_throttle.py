"""The guessing throttle holds across web processes (real second CKAN process, real Redis).

The second process is throttle_worker.py: the same CKAN app and configuration, started
once for this module, driven over a pipe. Times are injected (``now=``) where a test
needs the window or the alert interval to pass; nothing sleeps.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from .conftest import open_case

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")

WORKER = Path(__file__).with_name("throttle_worker.py")
WRONG = [f"{i:028d}" for i in range(10)]


def _throttle():
    from ckanext.limahonesta import throttle  # noqa: PLC0415 - after CKAN has loaded
    return throttle


class OtherProcess:
    """Another CKAN web process (like a second gunicorn worker) on the same Redis."""

    def __init__(self, ini: str):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), ini], env=dict(os.environ), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
        assert self._answer() == {"ready": True}

    def _answer(self) -> dict:
        watchdog = threading.Timer(180, self.process.kill)
        watchdog.start()
        try:
            line = self.process.stdout.readline()
        finally:
            watchdog.cancel()
        if not line:
            self.stderr.seek(0)
            raise AssertionError("the other process died:\n" + self.stderr.read()[-4000:])
        return json.loads(line)

    def __call__(self, op: str, **fields):
        self.process.stdin.write(json.dumps(dict(fields, op=op)) + "\n")
        self.process.stdin.flush()
        return self._answer()["result"]

    def alerts(self) -> list[str]:
        return [m for m in self("logs") if "ALERTA" in m]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.stderr.close()


@pytest.fixture(scope="module")
def started():
    processes: list[OtherProcess] = []
    yield processes
    for process in processes:
        process.close()


@pytest.fixture
def other_process(started, honesta_db, honesta_config):
    # started after honesta_db: the first test of a session recreates the tables
    if not started:
        started.append(OtherProcess(tk.config["__file__"]))
    other = started[0]
    other("configure", settings=honesta_config)
    other("reset")
    other("logs")
    return other


def alerts(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "ALERTA" in r.getMessage()]


def test_failures_in_one_process_are_counted_in_another_and_delay_nobody(app, other_process):
    throttle = _throttle()
    assert other_process("guess", codes=WRONG[:3]) == [400, 400, 400]
    # this process saw none of those requests: the count comes from Redis
    assert throttle.failures() == 3
    for code in WRONG[3:5]:
        open_case(app, code, status=400)
    assert other_process("failures") == 5
    # Redis holds timestamps and random ids, nothing derived from the client
    members = connect_to_redis().zrange(throttle.FAILURES_KEY, 0, -1)
    assert len(members) == 5
    assert all(re.fullmatch(rb"\d+\.\d{6}:[0-9a-f]{16}", m) for m in members), members
    # the per-client counter stays in each process by design (see the README)
    assert throttle.failures(throttle.client_tag("127.0.0.1")) == 2
    # site-wide failures are counted by every process, but they delay nobody: a global
    # delay let four wrong codes at once hold every worker (#12)
    for _ in range(14):
        throttle.record_failure(None)
    assert other_process("snapshot") == {"failures_last_10_min": 19,
                                         "current_delay_seconds": 0}
    throttle.record_failure(None)
    status = other_process("snapshot")
    assert status["failures_last_10_min"] == 20
    assert status["current_delay_seconds"] == 0


def test_the_ten_minute_window_slides_across_processes(other_process):
    throttle = _throttle()
    start = time.time()
    for moment in (start - 700, start - 650, start - 300):
        other_process("record", now=moment)
    assert throttle.failures(now=start - 400) == 3
    assert throttle.failures(now=start) == 1
    assert other_process("failures", now=start + 301) == 0
    # recording prunes what left the window; the key expires by itself when guessing stops
    throttle.record_failure(None, now=start)
    redis = connect_to_redis()
    assert redis.zcard(throttle.FAILURES_KEY) == 2
    assert 0 < redis.ttl(throttle.FAILURES_KEY) <= throttle.WINDOW_SECONDS + 60
    assert other_process("failures", now=start) == 2


def test_the_alert_fires_once_a_minute_for_all_processes(all_logs, other_process):
    throttle = _throttle()
    start = time.time()
    for second in range(7):  # threshold in these tests: 8
        throttle.record_failure(None, now=start + second)
    assert alerts(all_logs) == []
    other_process("record", now=start + 10)
    raised = other_process.alerts()
    assert len(raised) == 1 and "8 códigos" in raised[0]
    for second in (20, 30):
        throttle.record_failure(None, now=start + second)
    other_process("record", now=start + 40)
    assert alerts(all_logs) == [] and other_process.alerts() == []
    throttle.record_failure(None, now=start + 71)  # a minute after the first alert
    raised = alerts(all_logs)
    assert len(raised) == 1 and "12 códigos" in raised[0]
    assert "127.0.0.1" not in raised[0]
    other_process("record", now=start + 80)
    assert other_process.alerts() == []
    assert len(alerts(all_logs)) == 1


def test_redis_down_falls_back_to_each_process_and_says_so_once(
        app, all_logs, monkeypatch, ckan_config):
    import ckan.lib.redis as ckan_redis  # noqa: PLC0415 - the pool CKAN caches per process
    throttle = _throttle()
    working_pool, working_url = ckan_redis._connection_pool, ckan_config["ckan.redis.url"]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        monkeypatch.setitem(ckan_config, "ckan.redis.url",
                            f"redis://127.0.0.1:{closed.getsockname()[1]}/0")
        monkeypatch.setattr(ckan_redis, "_connection_pool", None)
        monkeypatch.setattr(throttle, "REDIS_RETRY_SECONDS", 0)  # ask Redis every time
        for code in WRONG[:3]:
            # a wrong code, never a 500; the page answers 503 without Redis (it cannot open
            # a session, test_faults), the API, which needs none, still checks codes
            app.post("/api/3/action/limahonesta_report_show_by_code", json={"codigo": code},
                     status=409)
        assert throttle.failures() == 3
        start = time.time()
        for second in range(5):
            throttle.record_failure(None, now=start + second)
        throttle.record_failure(None, now=start + 30)
        assert throttle.snapshot()["failures_last_10_min"] == 9
    said = [r.getMessage() for r in all_logs.records if r.name == throttle.__name__
            and "ALERTA" not in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("limahonesta: Redis no responde"), said
    raised = alerts(all_logs)
    assert len(raised) == 1 and "8 códigos" in raised[0]  # still alerts, once a minute

    # Redis is back: counting is shared again and the outage's failures are not forgotten
    monkeypatch.setattr(ckan_redis, "_connection_pool", working_pool)
    monkeypatch.setitem(ckan_config, "ckan.redis.url", working_url)
    assert connect_to_redis().zcard(throttle.FAILURES_KEY) == 0
    throttle.record_failure(None)
    assert connect_to_redis().zcard(throttle.FAILURES_KEY) == 1
    assert throttle.failures() == 10
    said = [r.getMessage() for r in all_logs.records if r.name == throttle.__name__
            and "ALERTA" not in r.getMessage()]
    assert len(said) == 2 and said[1].startswith("limahonesta: Redis responde de nuevo")
