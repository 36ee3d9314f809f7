"""The proof of work cannot be skipped, and one client cannot use up the intake (#12).

Seen before: 130 challenges fetched at once, one 31-second wait, then 118 reports
accepted without any work, after which a legitimate reporter was refused for the rest
of the hour. Now each no-JavaScript submission needs its own form and its own wait,
and a client gets a share of the hourly cap. Time is moved by replacing the proof of
work's clock; nothing sleeps.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

import ckan.model as model

from .conftest import GOOD_REPORT, csrf, form_value, solve_pow, submit_report, text_of

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")

FLOODER = {"REMOTE_ADDR": "203.0.113.66"}
REPORTER = {"REMOTE_ADDR": "198.51.100.7"}


def count_cases() -> int:
    return model.Session.execute(sa.text("select count(*) from limahonesta_case")).scalar()


@pytest.fixture
def pow_clock(monkeypatch):
    from ckanext.limahonesta import pow as proof_of_work  # noqa: PLC0415 - after CKAN loads
    clock = {"now": 1_900_000_000.0}
    monkeypatch.setattr(proof_of_work, "_clock", lambda: clock["now"], raising=False)
    return clock


def open_form(app, environ):
    page = app.get("/denuncias/nueva", environ_overrides=environ)
    return csrf(page.body), form_value(page.body, "pow_challenge")


def send(app, environ, token, challenge, counter="", **overrides):
    data = dict(GOOD_REPORT, _csrf_token=token, pow_challenge=challenge, pow_counter=counter)
    data.update(overrides)
    return app.post("/denuncias/nueva", data=data, environ_overrides=environ)


def test_forms_fetched_at_once_and_waited_once_buy_one_report_without_work(app, pow_clock):
    forms = [open_form(app, FLOODER) for _ in range(12)]
    pow_clock["now"] += 31  # one wait for all of them
    statuses = [send(app, FLOODER, token, challenge).status_code for token, challenge in forms]
    assert statuses.count(200) == 1 and statuses.count(400) == 11
    refused = send(app, FLOODER, *forms[-1])
    assert "se abrió antes de su último envío" in text_of(refused.body, "error-verificacion")
    assert count_cases() == 1
    # a fresh form and a fresh wait: accepted again
    token, challenge = open_form(app, FLOODER)
    assert "segundos" in text_of(send(app, FLOODER, token, challenge).body, "error-verificacion")
    pow_clock["now"] += 31
    assert send(app, FLOODER, token, challenge).status_code == 200
    # another reporter who opened a form at the same time as the flood is not affected
    token, challenge = open_form(app, REPORTER)
    pow_clock["now"] += 31
    assert send(app, REPORTER, token, challenge).status_code == 200
    assert count_cases() == 3


def test_one_client_cannot_use_up_the_hourly_intake(app, pow_clock, monkeypatch, ckan_config):
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.submissions_per_hour", 8)
    accepted = 0
    for _ in range(7):
        token, challenge = open_form(app, FLOODER)
        response = send(app, FLOODER, token, challenge, counter=solve_pow(challenge))
        accepted += response.status_code == 200
    assert accepted == ckan_config["ckanext.limahonesta.submissions_per_client_per_hour"] == 5
    assert "desde su conexión" in text_of(response.body, "error-verificacion")
    # the global cap still has room for everybody else
    token, challenge = open_form(app, REPORTER)
    assert send(app, REPORTER, token, challenge, counter=solve_pow(challenge)).status_code == 200
    # an hour later the client has its share again
    pow_clock["now"] += 3601
    token, challenge = open_form(app, FLOODER)
    assert send(app, FLOODER, token, challenge, counter=solve_pow(challenge)).status_code == 200


def test_behind_a_proxy_the_per_client_rules_are_left_to_it(app, pow_clock, monkeypatch,
                                                            ckan_config):
    """With client_limits_at_proxy the app sees only the proxy: per-client rules would
    turn one client's use into everybody's refusal, so they are off (nginx applies them)."""
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.client_limits_at_proxy", True)
    for _ in range(6):
        _r, number, _code = submit_report(app)
        assert number
