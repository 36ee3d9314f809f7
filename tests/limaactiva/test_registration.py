"""Session registration: capacity enforced under concurrency, identities never published."""

from __future__ import annotations

import datetime
import json
import threading

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests.helpers import call_action
from openlima_common import clock

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


@pytest.fixture
def session(space, sysadmin):
    starts = clock.wall_now() + datetime.timedelta(days=10)
    return call_action(
        "limaactiva_session_create",
        {"user": sysadmin["name"]},
        space_id=space["id"],
        title="Taller de presupuesto",
        modality="in_person",
        place="Palacio Municipal",
        registration_required=True,
        capacity=2,
        starts_at=starts.strftime("%Y-%m-%dT%H:%M"),
    )


def register(user, session, action="limaactiva_session_register"):
    return call_action(
        action, {"user": user["name"], "ignore_auth": False}, id=session["id"]
    )


def test_registration_closes_at_the_start_on_limas_clock(
        space, sysadmin, make_citizen, lima_clock):
    """Start times are Lima's wall clock: at 19:53 in Lima (00:53 UTC) a session of
    20:30 that day is still open and one of 19:00 has closed; an offset given with the
    time is turned into Lima's wall clock."""
    lima_clock(datetime.datetime(2025, 4, 11, 0, 53, tzinfo=datetime.timezone.utc))

    def make(starts_at):
        return call_action(
            "limaactiva_session_create", {"user": sysadmin["name"]},
            space_id=space["id"], title=f"Taller {starts_at}", modality="in_person",
            place="Palacio Municipal", registration_required=True, capacity=5,
            starts_at=starts_at,
        )

    later = make("2025-04-10T20:30")
    assert register(make_citizen(), later)["registered_count"] == 1
    earlier = make("2025-04-10T19:00")
    with pytest.raises(tk.ValidationError) as error:
        register(make_citizen(), earlier)
    assert "ya cerró" in error.value.error_dict["id"][0]
    with_offset = make("2025-04-11T01:30+00:00")
    assert with_offset["starts_at"].startswith("2025-04-10T20:30")


def test_capacity_is_enforced_and_places_come_back(session, make_citizen):
    first, second, third = make_citizen(), make_citizen(), make_citizen()
    assert register(first, session)["places_left"] == 1
    assert (
        register(first, session)["registered_count"] == 1
    )  # registering twice is one place
    assert register(second, session)["places_left"] == 0
    with pytest.raises(tk.ValidationError) as error:
        register(third, session)
    assert "No quedan cupos" in error.value.error_dict["id"][0]
    register(first, session, "limaactiva_session_unregister")
    assert register(third, session)["registered_count"] == 2
    shown = call_action(
        "limaactiva_session_show", {"user": "", "ignore_auth": False}, id=session["id"]
    )
    assert shown["registered_count"] == 2 and shown["places_left"] == 0
    for user in (first, second, third):
        assert user["id"] not in json.dumps(shown) and user["name"] not in json.dumps(
            shown
        )
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_session_register",
            {"user": "", "ignore_auth": False},
            id=session["id"],
        )



def test_a_session_counts_its_registrations_once(session, make_citizen):
    """registered_count and places_left come from one count of the registrations (the
    session list counts once per session, not twice)."""
    register(make_citizen(), session)
    counts = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "limaactiva_session_registration" in statement and "count(" in statement:
            counts.append(statement)

    engine = model.meta.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        shown = call_action("limaactiva_session_show", {"user": ""}, id=session["id"])
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert (shown["registered_count"], shown["places_left"]) == (1, 1)
    assert len(counts) == 1, counts

def test_two_people_cannot_take_the_last_place_at_once(session, make_citizen):
    register(make_citizen(), session)
    rivals = [make_citizen(), make_citizen()]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    model.Session.remove()

    def attempt(user):
        try:
            barrier.wait()
            register(user, session)
            outcomes.append("ok")
        except tk.ValidationError:
            outcomes.append("full")
        finally:
            model.Session.remove()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in rivals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["full", "ok"]
    assert (
        call_action("limaactiva_session_show", id=session["id"])["registered_count"]
        == 2
    )


@pytest.mark.ckan_config("WTF_CSRF_ENABLED", False)
def test_register_from_the_session_page(app, session, citizen):
    headers = {"Authorization": citizen["token"]}
    page = app.get(f"/participa/sesion/{session['id']}", headers=headers)
    assert "Inscribirme" in page.body
    response = app.post(
        f"/participa/sesion/{session['id']}/inscripcion",
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 302
    page = app.get(f"/participa/sesion/{session['id']}", headers=headers)
    assert "Cancelar mi inscripción" in page.body
