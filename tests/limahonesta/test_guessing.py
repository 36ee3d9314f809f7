"""Code guessing is refused, never slept on, and never slows down anybody else (#12).

A guessing client is answered 429 with ``Retry-After`` (the page keeps the typed code)
on the web page and on the Action API alike; a right code from another client goes
through at once however many failures the site has seen; Argon2id work is bounded by
slots shared by every process of the host, and a check that finds none free is answered
503 instead of piling up 128 MiB computations. Time is moved by replacing the
throttle's clock, so nothing here sleeps or measures wall-clock time.
"""
from __future__ import annotations

import fcntl
import os
import time

import pytest

from .conftest import csrf, submit_report, text_of

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")

GUESSER = {"REMOTE_ADDR": "203.0.113.9"}
OTHER = {"REMOTE_ADDR": "198.51.100.40"}
WRONG = [f"{i:028d}" for i in range(40)]


@pytest.fixture
def throttle():
    from ckanext.limahonesta import throttle as module  # noqa: PLC0415 - after CKAN loads
    return module


@pytest.fixture
def frozen_clock(throttle, monkeypatch):
    """The throttle's clock stands still until the test moves it."""
    clock = {"now": 1_900_000_000.0}
    monkeypatch.setattr(throttle, "_clock", lambda: clock["now"], raising=False)
    return clock


@pytest.fixture
def real_backoff(monkeypatch, ckan_config):
    # the suite's default cap (20 ms) hides the back-off; use the production cap here
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.guess_delay_max_ms", 42000)


def post_code(app, code, environ, status=None):
    page = app.get("/denuncias/seguimiento", environ_overrides=environ)
    return app.post("/denuncias/seguimiento", data={"_csrf_token": csrf(page.body),
                                                     "codigo": code},
                    environ_overrides=environ, status=status)


def test_a_guessing_client_is_refused_with_429_and_others_are_not_delayed(
        app, throttle, frozen_clock, real_backoff):
    _r, case_number, code = submit_report(app)
    for guess in WRONG[:5]:  # the free failures
        assert post_code(app, guess, GUESSER).status_code == 400
    refused = post_code(app, WRONG[5], GUESSER, status=429)
    retry = int(refused.headers["Retry-After"])
    assert retry >= 1
    assert "espere" in text_of(refused.body, "error-codigo")
    # the page keeps what was typed, and the refusal did no Argon2id work: no new failure
    assert f'value="{WRONG[5]}"' in refused.body
    assert throttle.failures(throttle.client_tag(GUESSER["REMOTE_ADDR"])) == 5
    # the same client is refused on the API path too
    api = app.post("/api/3/action/limahonesta_report_show_by_code", json={"codigo": code},
                   environ_overrides=GUESSER, status=429)
    assert api.headers["Retry-After"] == str(retry)
    assert api.json["success"] is False and "espere" in api.json["error"]["codigo"][0]
    # many failures site-wide: another client's right code goes through at once
    for _ in range(60):
        throttle.record_failure(None)
    assert throttle.snapshot()["current_delay_seconds"] == 0
    assert case_number in post_code(app, code, OTHER, status=200).body
    # once the back-off has passed, the guesser's right code works too
    frozen_clock["now"] += retry
    assert case_number in post_code(app, code, GUESSER, status=200).body


def test_the_api_path_counts_failures_per_client(app, throttle, frozen_clock, real_backoff):
    _r, case_number, code = submit_report(app)
    url = "/api/3/action/limahonesta_report_show_by_code"
    statuses = [app.post(url, json={"codigo": guess}, environ_overrides=GUESSER).status_code
                for guess in WRONG[:8]]
    assert statuses == [409] * 5 + [429] * 3
    assert throttle.failures(throttle.client_tag(GUESSER["REMOTE_ADDR"])) == 5
    # the writing actions that take a code are refused the same way
    message = app.post("/api/3/action/limahonesta_report_message_create",
                       json={"codigo": code, "mensaje": "hola"}, environ_overrides=GUESSER)
    assert message.status_code == 429 and "Retry-After" in message.headers
    ok = app.post(url, json={"codigo": code}, environ_overrides=OTHER)
    assert ok.status_code == 200 and ok.json["result"]["case_number"] == case_number


def test_back_off_grows_and_is_capped(throttle, frozen_clock, real_backoff):
    tag = throttle.client_tag("192.0.2.1")
    waits = []
    for _ in range(25):
        throttle.record_failure(tag)
        waits.append(throttle.retry_after(tag))
    assert waits[:4] == [0, 0, 0, 0]
    assert all(a <= b for a, b in zip(waits, waits[1:]))
    assert waits[-1] == 42.0
    frozen_clock["now"] += 42
    assert throttle.retry_after(tag) == 0
    assert throttle.retry_after(None) == 0 and throttle.retry_after(
        throttle.client_tag("192.0.2.2")) == 0


def test_argon2id_work_is_bounded_across_processes(app, monkeypatch, ckan_config,
                                                   honesta_config):
    """Every slot held by someone else (as another worker would): 503 at once with
    Retry-After and the code kept; a slot frees up: the same check goes through."""
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.kdf_wait_ms", 50)
    _r, case_number, code = submit_report(app)
    directory = honesta_config["ckanext.limahonesta.storage_path"] + "-kdf-slots"
    slots = sorted(os.listdir(directory))
    assert len(slots) == ckan_config["ckanext.limahonesta.kdf_concurrency"] == 2
    held = []
    for name in slots:  # separate open files: exactly what another process holds
        fd = os.open(os.path.join(directory, name), os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.append(fd)
    try:
        busy = post_code(app, code, OTHER, status=503)
        assert busy.headers["Retry-After"] == "2"
        assert "ocupado" in text_of(busy.body, "error-codigo")
        assert f'value="{code}"' in busy.body
        api = app.post("/api/3/action/limahonesta_report_show_by_code",
                       json={"codigo": code}, environ_overrides=OTHER)
        assert api.status_code == 503
        refused_report, _n, _c = submit_report(app, status=503)
        assert "ocupado" in text_of(refused_report.body, "error-verificacion")
        assert "pidió dinero" in refused_report.body  # the typed report is kept
    finally:
        os.close(held.pop())
    assert case_number in post_code(app, code, OTHER, status=200).body
    for fd in held:
        os.close(fd)
    # the refused report was not stored, and its form can be sent again as it was
    import ckan.model as model
    import sqlalchemy as sa
    assert model.Session.execute(sa.text("select count(*) from limahonesta_case")).scalar() == 1


def test_the_last_argon2id_slot_is_kept_for_clients_without_failures(
        app, monkeypatch, ckan_config, honesta_config):
    """Suspect clients (failed checks in the window) may not take the last slot, so a
    crowd of guessers cannot keep somebody else's right code waiting."""
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.kdf_wait_ms", 50)
    _r, case_number, code = submit_report(app)
    assert post_code(app, WRONG[0], GUESSER).status_code == 400  # now a suspect client
    directory = honesta_config["ckanext.limahonesta.storage_path"] + "-kdf-slots"
    fd = os.open(os.path.join(directory, "slot-0"), os.O_RDWR)  # all slots but the last
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        busy = post_code(app, code, GUESSER, status=503)
        assert busy.headers["Retry-After"] == "2"
        assert case_number in post_code(app, code, OTHER, status=200).body
    finally:
        os.close(fd)
    assert case_number in post_code(app, code, GUESSER, status=200).body


def test_a_suspect_client_never_waits_for_an_argon2id_slot(app, monkeypatch, ckan_config,
                                                           honesta_config):
    """Guessers queued for a slot would hold the web workers the other pages need: a
    client with failed checks is refused at once, however long others may wait."""
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.kdf_wait_ms", 10_000)
    assert post_code(app, WRONG[0], GUESSER).status_code == 400  # now a suspect client
    directory = honesta_config["ckanext.limahonesta.storage_path"] + "-kdf-slots"
    fd = os.open(os.path.join(directory, "slot-0"), os.O_RDWR)  # every slot a suspect may use
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        started = time.monotonic()
        busy = post_code(app, WRONG[1], GUESSER, status=503)
        assert time.monotonic() - started < 5  # not the 10 s a client without failures may wait
        assert busy.headers["Retry-After"] == "2"
    finally:
        os.close(fd)
