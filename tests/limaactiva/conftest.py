"""Fixtures for the Lima Activa tests: an office, a space whose current phase switches
everything on, and citizens whose e-mail is confirmed (through the sysadmin action)."""

from __future__ import annotations

import datetime
import threading

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock
from werkzeug.serving import make_server


def today() -> datetime.date:
    return clock.today()


@pytest.fixture
def sysadmin():
    return factories.Sysadmin()


@pytest.fixture
def office(sysadmin):
    return factories.Organization(
        name="gerencia-participacion",
        title="Gerencia de Participación Vecinal",
        user=sysadmin,
    )


@pytest.fixture
def make_space(sysadmin, office):
    counter = {"n": 0}

    def make(proposals=True, comments=True, votes=True, **extra):
        counter["n"] += 1
        data = {
            "name": f"espacio-{counter['n']}",
            "title": f"Presupuesto participativo {counter['n']}",
            "space_type": "plan",
            "responsible_office": office["name"],
            "phases": [
                {
                    "phase_key": "information",
                    "start_date": (today() - datetime.timedelta(days=30)).isoformat(),
                    "end_date": (today() - datetime.timedelta(days=11)).isoformat(),
                },
                {
                    "phase_key": "prioritisation",
                    "start_date": (today() - datetime.timedelta(days=10)).isoformat(),
                    "end_date": (today() + datetime.timedelta(days=10)).isoformat(),
                    "proposals_enabled": proposals,
                    "comments_enabled": comments,
                    "votes_enabled": votes,
                },
            ],
        }
        data.update(extra)
        return call_action(
            "limaactiva_space_create", {"user": sysadmin["name"]}, **data
        )

    return make


@pytest.fixture
def space(make_space):
    return make_space()


@pytest.fixture
def make_citizen(sysadmin):
    def make(confirmed=True, with_token=True, **kwargs):
        user = (
            factories.UserWithToken(**kwargs)
            if with_token
            else factories.User(**kwargs)
        )
        if confirmed:
            call_action(
                "limaactiva_participant_confirm",
                {"user": sysadmin["name"]},
                user=user["name"],
            )
        return user

    return make


@pytest.fixture
def citizen(make_citizen):
    return make_citizen()


@pytest.fixture
def make_proposal(citizen):
    def make(space, author=None, **extra):
        data = {
            "space_id": space["id"],
            "title": "Más ciclovías en la avenida Arequipa",
            "body": "Conectar las ciclovías existentes entre Lince y Miraflores.",
            "district": "150116",
            "theme": "movilidad",
        }
        data.update(extra)
        return call_action(
            "limaactiva_proposal_create",
            {"user": (author or citizen)["name"], "ignore_auth": False},
            **data,
        )

    return make


@pytest.fixture
def proposal(make_proposal, space):
    return make_proposal(space)


@pytest.fixture
def server(app):
    """The test app over real HTTP on 127.0.0.1, for the browser tests."""
    httpd = make_server("127.0.0.1", 0, app.app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)
