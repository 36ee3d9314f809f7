"""Redis faults (#12): CKAN's Redis client has timeouts; with Redis down (a closed port)
or hung (a server that accepts and never answers) the reporter gets a 503 page that
keeps what was typed, /metricas still answers, and an accepted report is never lost.

The pool CKAN keeps per process is pointed at the broken address the way
``test_throttle`` does it, with the timeouts Lima Honesta adds to CKAN's Redis URL.
"""
from __future__ import annotations

import inspect
import socket
import threading

import pytest
import sqlalchemy as sa

import ckan.lib.redis as ckan_redis
import ckan.model as model
from ckan.lib.redis import connect_to_redis

from .conftest import GOOD_REPORT, csrf, form_value, open_case, solve_pow, submit_report, text_of

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")


def count_cases() -> int:
    return model.Session.execute(sa.text("select count(*) from limahonesta_case")).scalar()


class HungRedis:
    """Accepts every connection and never answers a byte."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        self.closed = True
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture(params=["closed", "hung"])
def broken_redis(request, monkeypatch, ckan_config):
    """Returns a function that breaks CKAN's Redis (as configured, with our timeouts)."""
    from ckanext.limahonesta import redis_timeouts, throttle  # noqa: PLC0415
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    hung = HungRedis()
    port = closed.getsockname()[1] if request.param == "closed" else hung.port

    def break_it():
        url = redis_timeouts.with_timeouts(f"redis://127.0.0.1:{port}/0", 1)
        monkeypatch.setitem(ckan_config, "ckan.redis.url", url)
        monkeypatch.setattr(ckan_redis, "_connection_pool", None)
        monkeypatch.setattr(throttle, "REDIS_RETRY_SECONDS", 0)

    yield break_it
    closed.close()
    hung.close()


def test_ckan_redis_client_gets_timeouts(app):
    # fails loudly if CKAN stops building its pool this way (redis_timeouts patches it)
    source = inspect.getsource(ckan_redis.connect_to_redis)
    assert "_connection_pool" in source and "ConnectionPool.from_url(url)" in source
    assert "socket_timeout=2" in ckan_redis.config["ckan.redis.url"]
    kwargs = connect_to_redis().connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 2 and kwargs["socket_connect_timeout"] == 2
    from ckanext.limahonesta.redis_timeouts import with_timeouts
    assert with_timeouts("redis://h:1/2?socket_timeout=9", 2) == \
        "redis://h:1/2?socket_timeout=9&socket_connect_timeout=2"


def test_redis_fault_gets_503_pages_that_keep_what_was_typed(app, broken_redis, monkeypatch,
                                                            ckan_config):
    _r, case_number, code = submit_report(app)
    follow = open_case(app, code)  # a live reporter session, to write with later
    form = app.get("/denuncias/nueva")
    working = ckan_config["ckan.redis.url"], ckan_redis._connection_pool
    challenge = form_value(form.body, "pow_challenge")
    report = dict(GOOD_REPORT, _csrf_token=csrf(form.body), pow_challenge=challenge,
                  pow_counter=solve_pow(challenge))
    broken_redis()
    refused = app.post("/denuncias/nueva", data=report, status=503)
    assert refused.headers["Retry-After"]
    assert "no responde" in text_of(refused.body, "error-verificacion")
    assert GOOD_REPORT["descripcion"] in refused.body
    assert form_value(refused.body, "oficina") == GOOD_REPORT["oficina"]
    assert count_cases() == 1
    lookup = app.post("/denuncias/seguimiento", data={"_csrf_token": csrf(follow.body),
                                                       "codigo": code}, status=503)
    assert "no responde" in text_of(lookup.body, "error-codigo")
    assert f'value="{code}"' in lookup.body and case_number not in lookup.body
    api = app.post("/api/3/action/limahonesta_report_create",
                   json=dict(GOOD_REPORT, pow_challenge=challenge,
                             pow_counter=report["pow_counter"]))
    assert api.status_code == 503 and "Retry-After" in api.headers
    assert app.get("/denuncias/caso").status_code == 503
    written = app.post("/denuncias/caso/mensaje", data={
        "_csrf_token": csrf(follow.body), "mensaje": "Texto que no debe perderse."}, status=503)
    assert "Texto que no debe perderse." in written.body
    assert app.get("/metricas").status_code == 200
    assert count_cases() == 1
    # Redis is back: the very same form goes through
    monkeypatch.setitem(ckan_config, "ckan.redis.url", working[0])
    monkeypatch.setattr(ckan_redis, "_connection_pool", working[1])
    receipt = app.post("/denuncias/nueva", data=report, status=200)
    assert text_of(receipt.body, "tracking-code") and count_cases() == 2


def test_an_accepted_report_is_never_lost_when_redis_fails_right_after(
        app, monkeypatch, ckan_config):
    """Redis dies between the anti-spam check and the answer: the receipt still shows
    the code, and the code opens the case once Redis is back."""
    from ckanext.limahonesta import cases  # noqa: PLC0415
    working_url = ckan_config["ckan.redis.url"]
    real_create = cases.create_case
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))

    def create_then_break(*args, **kwargs):
        result = real_create(*args, **kwargs)
        monkeypatch.setitem(ckan_config, "ckan.redis.url",
                            f"redis://127.0.0.1:{closed.getsockname()[1]}/0")
        monkeypatch.setattr(ckan_redis, "_connection_pool", None)
        return result

    monkeypatch.setattr(cases, "create_case", create_then_break)
    response, case_number, code = submit_report(app)
    assert case_number and len(code.replace(" ", "")) == 28
    monkeypatch.setitem(ckan_config, "ckan.redis.url", working_url)
    monkeypatch.setattr(ckan_redis, "_connection_pool", None)
    assert case_number in open_case(app, code).body
    closed.close()
