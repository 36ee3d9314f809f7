"""Spaces, phases, sessions, proposals and official answers; who may do what."""

from __future__ import annotations

import datetime

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def count(table):
    model.Session.remove()
    return model.Session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def test_current_phase_follows_limas_date(make_space, app, lima_clock):
    """At 19:53 in Lima (00:53 UTC of the next day) the phase that ends that day is
    still the current one, on the action and on the page."""
    lima_clock(datetime.datetime(2025, 4, 11, 0, 53, tzinfo=datetime.timezone.utc))
    space = make_space(phases=[
        {"phase_key": "contributions", "start_date": "2025-03-20",
         "end_date": "2025-04-10", "proposals_enabled": True},
        {"phase_key": "prioritisation", "start_date": "2025-04-11",
         "end_date": "2025-04-30", "votes_enabled": True},
    ])
    shown = call_action("limaactiva_space_show", id=space["name"])
    assert shown["current_phase"] == "contributions"
    assert shown["proposals_open"] and not shown["votes_open"]
    page = app.get(f"/participa/espacio/{space['name']}").body
    assert "Aportes <strong>(fase actual)" in page
    assert "Priorización <strong>(fase actual)" not in page
    lima_clock(datetime.datetime(2025, 4, 11, 5, 0, tzinfo=datetime.timezone.utc))
    assert call_action("limaactiva_space_show", id=space["name"])["current_phase"] == (
        "prioritisation")


def test_space_shows_phases_and_switches(space):
    shown = call_action(
        "limaactiva_space_show", {"user": "", "ignore_auth": False}, id=space["name"]
    )
    assert shown["current_phase"] == "prioritisation"
    assert shown["proposals_open"] and shown["comments_open"] and shown["votes_open"]
    assert [p["phase_key"] for p in shown["phases"]] == [
        "information",
        "prioritisation",
    ]
    assert shown["phases"][0]["title"] == "Información"


BAD_SPACE_INPUT = [
    ({"space_type": "fiesta"}, "space_type", "Tipo de espacio no válido"),
    ({"name": "Con Espacios"}, "name", "minúsculas"),
    ({"title": ""}, "title", "obligatorio"),
    ({"responsible_office": "no-existe"}, "responsible_office", "no existe"),
    (
        {
            "phases": [
                {
                    "phase_key": "information",
                    "start_date": "2026-13-01",
                    "end_date": "2026-12-01",
                }
            ]
        },
        "phases",
        "AAAA-MM-DD",
    ),
    (
        {
            "phases": [
                {
                    "phase_key": "information",
                    "start_date": "2026-05-01",
                    "end_date": "2026-04-01",
                }
            ]
        },
        "phases",
        "terminar",
    ),
]


def test_bad_space_input_is_a_spanish_error_and_creates_nothing(sysadmin, office):
    for change, field, fragment in BAD_SPACE_INPUT:
        data = {
            "name": "plan-de-movilidad",
            "title": "Plan de movilidad",
            "space_type": "plan",
            "responsible_office": office["name"],
        }
        data.update(change)
        with pytest.raises(tk.ValidationError) as error:
            call_action("limaactiva_space_create", {"user": sysadmin["name"]}, **data)
        assert fragment in str(error.value.error_dict[field])
        assert count("limaactiva_space") == 0


def test_only_the_office_creates_spaces(office):
    outsider = factories.User()
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_space_create",
            {"user": outsider["name"], "ignore_auth": False},
            name="x-space",
            title="X",
            space_type="plan",
            responsible_office=office["name"],
        )
    assert count("limaactiva_space") == 0


def test_session_create_and_close_with_attending_organisations(
    space, proposal, sysadmin
):
    context = {"user": sysadmin["name"], "ignore_auth": False}
    with pytest.raises(tk.ValidationError) as error:
        call_action(
            "limaactiva_session_create",
            dict(context),
            space_id=space["id"],
            title="Taller",
            modality="hybrid",
            starts_at="2026-12-01T18:00",
        )
    assert set(error.value.error_dict) == {"place", "online_url"}
    session = call_action(
        "limaactiva_session_create",
        dict(context),
        space_id=space["id"],
        title="Taller vecinal",
        modality="hybrid",
        place="Casa de la Juventud",
        district="150116",
        online_url="https://meet.example.org/taller",
        registration_required=True,
        capacity=80,
        starts_at="2026-12-01T18:00",
    )
    assert session["closed"] is False and session["capacity"] == 80
    closed = call_action(
        "limaactiva_session_close",
        dict(context),
        id=session["id"],
        report="Se priorizaron tres propuestas.",
        attendees_count=57,
        contributions_count=12,
        proposal_ids=[proposal["id"]],
        organisations=[
            {
                "organisation": "Junta vecinal Lince Norte",
                "district": "150116",
                "people": 9,
            },
            {"organisation": "Colectivo Bici Lima", "district": "150122", "people": 4},
        ],
    )
    assert closed["closed"] is True and closed["attendees_count"] == 57
    assert closed["proposal_ids"] == [proposal["id"]]
    assert {o["organisation"] for o in closed["organisations"]} == {
        "Junta vecinal Lince Norte",
        "Colectivo Bici Lima",
    }
    with pytest.raises(tk.ValidationError):
        call_action(
            "limaactiva_session_close",
            dict(context),
            id=session["id"],
            report="otra vez",
            attendees_count=1,
            contributions_count=1,
        )
    shown = call_action("limaactiva_proposal_show", id=proposal["id"])
    assert shown["sessions"][0]["id"] == session["id"]
    stats = call_action("limaactiva_statistics")
    assert stats["sessions_closed"] == 1 and stats["session_attendees"] == 57
    assert stats["organisations_attending"] == 2


def test_bad_session_close_changes_nothing(space, sysadmin):
    context = {"user": sysadmin["name"], "ignore_auth": False}
    session = call_action(
        "limaactiva_session_create",
        dict(context),
        space_id=space["id"],
        title="Sesión",
        modality="online",
        online_url="https://meet.example.org/s",
        starts_at="2026-12-01T18:00",
    )
    with pytest.raises(tk.ValidationError) as error:
        call_action(
            "limaactiva_session_close",
            dict(context),
            id=session["id"],
            report="Informe",
            attendees_count="muchos",
            contributions_count=1,
            organisations=[{"organisation": "X", "district": "999999", "people": 1}],
        )
    assert "entero" in str(error.value.error_dict["attendees_count"])
    assert "organisations" in error.value.error_dict
    assert call_action("limaactiva_session_show", id=session["id"])["closed"] is False
    assert count("limaactiva_session_organisation") == 0


def test_proposal_validation_and_phase_gating(make_space, space, citizen):
    context = {"user": citizen["name"], "ignore_auth": False}
    with pytest.raises(tk.ValidationError) as error:
        call_action(
            "limaactiva_proposal_create",
            dict(context),
            space_id=space["id"],
            title="T",
            body="B",
            district="150199",
            theme="agua",
        )
    assert "UBIGEO" in error.value.error_dict["district"][0]
    closed = make_space(proposals=False)
    with pytest.raises(tk.ValidationError):
        call_action(
            "limaactiva_proposal_create",
            dict(context),
            space_id=closed["id"],
            title="T",
            body="B",
            district="150101",
            theme="agua",
        )
    assert count("limaactiva_proposal") == 0


def test_only_the_responsible_office_answers(proposal, citizen, sysadmin):
    officer, other_officer = factories.User(), factories.User()
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id="gerencia-participacion",
        username=officer["name"],
        role="editor",
    )
    factories.Organization(
        name="otra-gerencia",
        users=[{"name": other_officer["name"], "capacity": "admin"}],
    )
    for user in (citizen, other_officer):
        with pytest.raises(tk.NotAuthorized):
            call_action(
                "limaactiva_proposal_answer",
                {"user": user["name"], "ignore_auth": False},
                id=proposal["id"],
                state="accepted",
                answer_text="Sí",
            )
    answered = call_action(
        "limaactiva_proposal_answer",
        {"user": officer["name"], "ignore_auth": False},
        id=proposal["id"],
        state="accepted",
        answer_text="Se incluirá en el plan 2027.",
    )
    assert answered["state"] == "accepted"
    assert answered["answer_office"] == "gerencia-participacion"
    assert answered["answer_date"] is not None
    assert answered["answer_days"] == 0
    assert call_action("limaactiva_statistics")["mean_answer_days"] == 0.0
    with pytest.raises(tk.ValidationError) as error:
        call_action(
            "limaactiva_proposal_answer",
            {"user": officer["name"], "ignore_auth": False},
            id=proposal["id"],
            state="quizas",
            answer_text="x",
        )
    assert "Estado de propuesta no válido" in error.value.error_dict["state"][0]
    assert (
        call_action("limaactiva_proposal_show", id=proposal["id"])["state"]
        == "accepted"
    )


def test_organisation_authorship_requires_membership(
    space, citizen, make_citizen, sysadmin
):
    factories.Organization(
        name="junta-lince",
        title="Junta vecinal de Lince",
        users=[{"name": citizen["name"], "capacity": "member"}],
    )
    proposal = call_action(
        "limaactiva_proposal_create",
        {"user": citizen["name"], "ignore_auth": False},
        space_id=space["id"],
        title="Parque",
        body="Recuperar el parque.",
        district="150116",
        theme="áreas verdes",
        author_organisation="junta-lince",
    )
    assert proposal["author_organisation"] == "Junta vecinal de Lince"
    with pytest.raises(tk.ValidationError):
        call_action(
            "limaactiva_proposal_create",
            {"user": make_citizen()["name"], "ignore_auth": False},
            space_id=space["id"],
            title="Parque",
            body="x",
            district="150116",
            theme="x",
            author_organisation="junta-lince",
        )


def test_statistics_aliases_and_counts(proposal, citizen):
    call_action(
        "limaactiva_vote_cast",
        {"user": citizen["name"], "ignore_auth": False},
        proposal_id=proposal["id"],
        weight=3,
    )
    stats = call_action("limaactiva_statistics", {"user": "", "ignore_auth": False})
    assert stats == call_action(
        "limaactiva_stats_show", {"user": "", "ignore_auth": False}
    )
    assert (
        stats["spaces"],
        stats["proposals"],
        stats["votes"],
        stats["voters"],
        stats["participants"],
    ) == (1, 1, 1, 1, 1)
    assert stats["proposals_by_district"] == {"150116": 1}


def test_trail_shows_the_commitment_milestone_from_the_dashboard(
    app, proposal, sysadmin, office
):
    """The proposal page resolves its milestone through openlima_plan_show when present."""
    from pathlib import Path

    import yaml

    plan_file = (
        Path(__file__).resolve().parents[2] / "config" / "plan" / "plan-2022.yaml"
    )
    document = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    try:
        call_action(
            "openlima_plan_load",
            {"user": sysadmin["name"]},
            plan=document["plan"],
            commitments=document["commitments"],
            reason="",
        )
    except KeyError:
        pytest.skip("the commitments dashboard (openlima_plan) is not enabled")
    plan = call_action("openlima_plan_show")
    commitment = next(c for c in plan["commitments"] if c["milestones"])
    milestone = commitment["milestones"][0]
    call_action(
        "limaactiva_proposal_answer",
        {"user": sysadmin["name"]},
        id=proposal["id"],
        state="accepted",
        answer_text="Se incorpora al compromiso.",
        commitment_milestone_ref=f"{commitment['name']}/{milestone['code']}",
    )
    page = app.get(f"/participa/propuesta/{proposal['id']}")
    assert page.status_code == 200
    assert milestone["title"] in page.body
    assert f'href="/compromisos/{commitment["name"]}"' in page.body
