"""3/2/1 prioritisation: one vote per person per proposal, changes kept, phase gating,
score arithmetic, snapshots and the DNI duplicate block."""

from __future__ import annotations

import threading

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests import factories
from ckan.tests.helpers import call_action
from sqlalchemy.exc import IntegrityError

TEST_DNI_KEY = "limaactiva-test-only-key-0123456789abcdef"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def vote(user, proposal, weight):
    return call_action(
        "limaactiva_vote_cast",
        {"user": user["name"], "ignore_auth": False},
        proposal_id=proposal["id"],
        weight=weight,
    )


def rows(sql, **params):
    model.Session.remove()
    return model.Session.execute(sa.text(sql), params).all()


def test_score_counts_and_mean(proposal, make_citizen):
    for weight in (3, 3, 2, 1):
        vote(make_citizen(), proposal, weight)
    score = call_action("limaactiva_proposal_score", id=proposal["id"])
    assert score == {
        "proposal_id": proposal["id"],
        "score": 9,
        "votes": 4,
        "count_3": 2,
        "count_2": 1,
        "count_1": 1,
        "mean": 2.25,
    }


def test_changing_a_vote_keeps_one_row_and_the_history(proposal, citizen, make_citizen):
    vote(citizen, proposal, 3)
    result = vote(citizen, proposal, 1)
    assert result["changed"] is True
    again = vote(citizen, proposal, 1)
    assert again["changed"] is False
    assert rows(
        "SELECT weight FROM limaactiva_vote WHERE proposal_id = :p", p=proposal["id"]
    ) == [(1,)]
    history = rows(
        "SELECT old_weight, new_weight FROM limaactiva_vote_event"
        " WHERE proposal_id = :p ORDER BY id",
        p=proposal["id"],
    )
    assert history == [(None, 3), (3, 1)]
    assert call_action("limaactiva_proposal_score", id=proposal["id"])["score"] == 1
    _a_users_own_vote_is_only_shown_to_them(proposal, citizen, make_citizen)


def test_snapshot_of_the_day_follows_the_votes(proposal, make_citizen):
    first, second = make_citizen(), make_citizen()
    vote(first, proposal, 3)
    vote(second, proposal, 2)
    vote(first, proposal, 1)
    snapshots = call_action("limaactiva_snapshot_list", proposal_id=proposal["id"])
    assert len(snapshots) == 1
    assert snapshots[0]["score"] == 3
    assert (
        snapshots[0]["count_3"],
        snapshots[0]["count_2"],
        snapshots[0]["count_1"],
    ) == (0, 1, 1)


def test_dated_snapshots_make_a_history(proposal, make_citizen, sysadmin):
    vote(make_citizen(), proposal, 2)
    call_action(
        "limaactiva_snapshot_create",
        {"user": sysadmin["name"]},
        proposal_id=proposal["id"],
        snapshot_date="2026-01-15",
    )
    history = call_action("limaactiva_snapshot_list", proposal_id=proposal["id"])
    assert [s["snapshot_date"] for s in history][0] == "2026-01-15"
    assert len(history) == 2
    assert all(s["score"] == 2 for s in history)


def test_closed_phase_refuses_votes_and_changes_nothing(
    make_space, make_proposal, citizen, sysadmin, space, proposal
):
    closed = make_space(votes=False)
    closed_proposal = make_proposal(closed)
    with pytest.raises(tk.ValidationError) as error:
        vote(citizen, closed_proposal, 3)
    assert "priorización no está abierta" in str(error.value.error_dict["weight"])
    assert rows("SELECT count(*) FROM limaactiva_vote") == [(0,)]
    _vote_closes_when_the_phase_changes(space, proposal, citizen, sysadmin)


def _vote_closes_when_the_phase_changes(space, proposal, citizen, sysadmin):
    vote(citizen, proposal, 3)
    call_action(
        "limaactiva_space_update",
        {"user": sysadmin["name"]},
        id=space["id"],
        phases=[
            {
                "phase_key": "answer",
                "start_date": "2020-01-01",
                "end_date": "2099-12-31",
            }
        ],
    )
    with pytest.raises(tk.ValidationError):
        vote(citizen, proposal, 1)
    assert rows("SELECT weight FROM limaactiva_vote") == [(3,)]


def test_bad_weight_is_a_spanish_error(proposal, citizen):
    for weight in (0, 4, "tres", "", None, -1, [3]):
        with pytest.raises(tk.ValidationError) as error:
            vote(citizen, proposal, weight)
        message = " ".join(error.value.error_dict["weight"])
        assert "prioridad" in message or "obligatorio" in message, weight
    assert rows("SELECT count(*) FROM limaactiva_vote") == [(0,)]


def test_anonymous_and_unconfirmed_users_cannot_vote(proposal, make_citizen):
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_vote_cast",
            {"user": "", "ignore_auth": False},
            proposal_id=proposal["id"],
            weight=3,
        )
    unconfirmed = make_citizen(confirmed=False)
    with pytest.raises(tk.NotAuthorized) as error:
        vote(unconfirmed, proposal, 3)
    assert "confirmar su correo" in str(error.value)
    assert rows("SELECT count(*) FROM limaactiva_vote") == [(0,)]


def test_database_refuses_a_second_row_for_the_same_person(proposal, citizen):
    vote(citizen, proposal, 2)
    user_id = rows("SELECT user_id FROM limaactiva_vote")[0][0]
    with pytest.raises(IntegrityError):
        model.Session.execute(
            sa.text(
                "INSERT INTO limaactiva_vote (id, proposal_id, user_id, weight, created, modified)"
                " VALUES ('x', :p, :u, 3, now(), now())"
            ),
            {"p": proposal["id"], "u": user_id},
        )
    model.Session.rollback()


def _concurrently(calls):
    """Run the calls at the same moment, each in its own thread and database session."""
    barrier = threading.Barrier(len(calls))
    failures = []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            model.Session.remove()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_same_person_voting_twice_at_once_leaves_one_row(proposal, citizen):
    model.Session.remove()
    for round_number in range(3):
        failures = _concurrently(
            [
                lambda: vote(citizen, proposal, 3),
                lambda: vote(citizen, proposal, 2),
            ]
        )
        assert failures == []
    found = rows(
        "SELECT weight FROM limaactiva_vote WHERE proposal_id = :p", p=proposal["id"]
    )
    assert len(found) == 1
    final_weight = found[0][0]
    events = rows(
        "SELECT old_weight, new_weight FROM limaactiva_vote_event ORDER BY id"
    )
    # The history is a chain: each change starts where the previous one ended.
    assert events[0][0] is None
    for previous, current in zip(events, events[1:]):
        assert current[0] == previous[1]
    assert events[-1][1] == final_weight


def test_a_hundred_voters_at_once_give_exact_totals(proposal, make_citizen):
    """100 people vote, then all change their vote, from 12 threads at once (each thread
    holds its own database connection; more would exhaust the shared server's connections)."""
    from concurrent.futures import ThreadPoolExecutor

    voters = [make_citizen(with_token=False) for _ in range(100)]
    first = [3, 2, 1, 3] * 25  # 50 × 3, 25 × 2, 25 × 1
    second = [1, 1, 2, 3] * 25  # 50 × 1, 25 × 2, 25 × 3
    model.Session.remove()

    def cast(args):
        user, weight = args
        try:
            return vote(user, proposal, weight)["weight"]
        finally:
            model.Session.remove()

    for weights in (first, second):
        with ThreadPoolExecutor(max_workers=12) as pool:
            results = list(pool.map(cast, zip(voters, weights)))
        assert results == weights
    score = call_action("limaactiva_proposal_score", id=proposal["id"])
    assert (score["votes"], score["count_3"], score["count_2"], score["count_1"]) == (
        100,
        25,
        25,
        50,
    )
    assert score["score"] == 25 * 3 + 25 * 2 + 50 and score["mean"] == 1.75
    assert rows("SELECT count(*) FROM limaactiva_vote") == [(100,)]
    # every first vote and every real change is in the history: 100 + 75 (25 kept their 3)
    assert rows("SELECT count(*) FROM limaactiva_vote_event") == [(175,)]
    snapshot = call_action("limaactiva_snapshot_list", proposal_id=proposal["id"])[-1]
    assert (snapshot["score"], snapshot["votes"]) == (175, 100)


def test_organisations_cannot_vote(proposal, citizen, sysadmin):
    factories.Organization(
        name="junta-vecinal", users=[{"name": citizen["name"], "capacity": "admin"}]
    )
    with pytest.raises(tk.ValidationError) as error:
        call_action(
            "limaactiva_vote_cast",
            {"user": citizen["name"], "ignore_auth": False},
            proposal_id=proposal["id"],
            weight=3,
            organisation="junta-vecinal",
        )
    assert "Las organizaciones no votan" in error.value.error_dict["organisation"][0]
    assert rows("SELECT count(*) FROM limaactiva_vote") == [(0,)]


@pytest.mark.ckan_config("ckanext.limaactiva.dni_hmac_key", TEST_DNI_KEY)
def test_one_dni_cannot_be_declared_from_two_accounts(make_citizen):
    first, second = make_citizen(), make_citizen()
    result = call_action(
        "limaactiva_participant_update", {"user": first["name"]}, dni="12345678"
    )
    assert result["dni_declared"] is True
    with pytest.raises(tk.ValidationError) as error:
        call_action(
            "limaactiva_participant_update", {"user": second["name"]}, dni="12345678"
        )
    assert "otra cuenta" in error.value.error_dict["dni"][0]
    stored = rows(
        "SELECT dni_hmac FROM limaactiva_participant WHERE dni_hmac IS NOT NULL"
    )
    assert len(stored) == 1
    assert "12345678" not in stored[0][0]
    assert len(stored[0][0]) == 64


@pytest.mark.ckan_config("ckanext.limaactiva.dni_hmac_key", TEST_DNI_KEY)
@pytest.mark.ckan_config("ckanext.limaactiva.require_dni_to_vote", True)
def test_required_dni_blocks_votes_until_declared(proposal, citizen):
    with pytest.raises(tk.ValidationError):
        vote(citizen, proposal, 3)
    call_action(
        "limaactiva_participant_update", {"user": citizen["name"]}, dni="87654321"
    )
    assert vote(citizen, proposal, 3)["weight"] == 3


def test_dni_declaration_refused_without_a_key(citizen):
    with pytest.raises(tk.ValidationError) as error:
        call_action(
            "limaactiva_participant_update", {"user": citizen["name"]}, dni="12345678"
        )
    assert "no está disponible" in error.value.error_dict["dni"][0]
    assert rows(
        "SELECT count(*) FROM limaactiva_participant WHERE dni_hmac IS NOT NULL"
    ) == [(0,)]


def _a_users_own_vote_is_only_shown_to_them(proposal, citizen, make_citizen):
    vote(citizen, proposal, 2)
    mine = call_action(
        "limaactiva_vote_show", {"user": citizen["name"]}, proposal_id=proposal["id"]
    )
    other = call_action(
        "limaactiva_vote_show",
        {"user": make_citizen()["name"]},
        proposal_id=proposal["id"],
    )
    assert mine["weight"] == 2 and other["weight"] is None
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_vote_show",
            {"user": "", "ignore_auth": False},
            proposal_id=proposal["id"],
        )
