"""Reports once per person, auto-hide at the threshold, office review, audit log, rate limits."""

from __future__ import annotations

import json

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def as_user(user):
    return {"user": user["name"], "ignore_auth": False}


def report(user, target_type, target_id, reason="ofensivo"):
    return call_action(
        "limaactiva_flag_create",
        as_user(user),
        target_type=target_type,
        target_id=target_id,
        reason=reason,
    )


@pytest.fixture
def officer(sysadmin, office):
    user = factories.User()
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id=office["name"],
        username=user["name"],
        role="editor",
    )
    return user


def test_reports_once_per_person_and_hide_at_three(proposal, make_citizen, officer):
    reporters = [make_citizen() for _ in range(3)]
    assert report(reporters[0], "proposal", proposal["id"])["hidden"] is False
    with pytest.raises(tk.ValidationError) as error:
        report(reporters[0], "proposal", proposal["id"], "spam")
    assert "Ya reportó" in error.value.error_dict["target_id"][0]
    assert report(reporters[1], "proposal", proposal["id"])["hidden"] is False
    assert report(reporters[2], "proposal", proposal["id"], "spam")["hidden"] is True

    public = call_action("limaactiva_proposal_list", as_user({"name": ""}))
    assert proposal["id"] not in json.dumps(public)
    with pytest.raises(tk.ObjectNotFound):
        call_action(
            "limaactiva_proposal_show", as_user({"name": ""}), id=proposal["id"]
        )
    with pytest.raises(tk.ObjectNotFound):
        call_action(
            "limaactiva_vote_cast",
            as_user(reporters[0]),
            proposal_id=proposal["id"],
            weight=3,
        )
    assert call_action("limaactiva_proposal_show", as_user(officer), id=proposal["id"])[
        "hidden"
    ]

    queue = call_action("limaactiva_flag_list", as_user(officer))
    assert len(queue) == 1
    assert queue[0]["pending"] == 3 and queue[0]["reasons"] == {
        "ofensivo": 2,
        "spam": 1,
    }
    for reporter in reporters:
        assert reporter["id"] not in json.dumps(queue)
        assert reporter["name"] not in json.dumps(queue)

    restored = call_action(
        "limaactiva_flag_resolve",
        as_user(officer),
        target_type="proposal",
        target_id=proposal["id"],
        decision="restore",
    )
    assert restored["hidden"] is False
    assert call_action("limaactiva_flag_list", as_user(officer)) == []
    assert call_action("limaactiva_proposal_show", id=proposal["id"])["hidden"] is False


def test_hidden_comment_text_is_withheld(
    proposal, citizen, make_citizen, officer, sysadmin
):
    comment = call_action(
        "limaactiva_comment_create",
        as_user(citizen),
        proposal_id=proposal["id"],
        alignment="en_contra",
        body="Texto reportado",
    )
    for _ in range(3):
        report(make_citizen(), "comment", comment["id"])
    thread = call_action("limaactiva_comment_list", proposal_id=proposal["id"])
    assert thread[0]["hidden"] is True and thread[0]["body"] is None
    assert "Texto reportado" not in json.dumps(thread)
    call_action(
        "limaactiva_flag_resolve",
        as_user(officer),
        target_type="comment",
        target_id=comment["id"],
        decision="hide",
    )
    audit = call_action("limaactiva_audit_list", {"user": sysadmin["name"]})
    actions = [entry["action"] for entry in audit]
    assert "auto_hidden" in actions and "moderation_hide" in actions
    assert "moderators_alerted" in actions


def test_only_the_office_resolves_and_only_sysadmins_read_the_audit(
    proposal, make_citizen
):
    outsider = make_citizen()
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_flag_resolve",
            as_user(outsider),
            target_type="proposal",
            target_id=proposal["id"],
            decision="hide",
        )
    with pytest.raises(tk.NotAuthorized):
        call_action("limaactiva_audit_list", as_user(outsider))
    assert call_action("limaactiva_flag_list", as_user(outsider)) == []


def test_bad_reports_are_spanish_errors(proposal, citizen, make_citizen):
    with pytest.raises(tk.ValidationError) as error:
        report(make_citizen(), "proposal", proposal["id"], reason="me cae mal")
    assert "Motivo no válido" in error.value.error_dict["reason"][0]
    with pytest.raises(tk.ValidationError) as error:
        report(make_citizen(), "dataset", proposal["id"])
    assert "propuestas o comentarios" in error.value.error_dict["target_type"][0]
    with pytest.raises(tk.ValidationError) as error:
        report(citizen, "proposal", proposal["id"])
    assert "propio contenido" in error.value.error_dict["target_id"][0]
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_flag_create",
            {"user": "", "ignore_auth": False},
            target_type="proposal",
            target_id=proposal["id"],
            reason="spam",
        )


@pytest.mark.ckan_config("ckanext.limaactiva.max_comments_per_hour", 2)
@pytest.mark.ckan_config("ckanext.limaactiva.max_proposals_per_day", 1)
def test_rate_limits(space, proposal, citizen):
    for body in ("uno", "dos"):
        call_action(
            "limaactiva_comment_create",
            as_user(citizen),
            proposal_id=proposal["id"],
            alignment="neutral",
            body=body,
        )
    with pytest.raises(tk.ValidationError) as error:
        call_action(
            "limaactiva_comment_create",
            as_user(citizen),
            proposal_id=proposal["id"],
            alignment="neutral",
            body="tres",
        )
    assert "demasiados comentarios" in error.value.error_dict["body"][0]
    with pytest.raises(tk.ValidationError) as error:
        call_action(
            "limaactiva_proposal_create",
            as_user(citizen),
            space_id=space["id"],
            title="Otra",
            body="b",
            district="150101",
            theme="t",
        )
    assert "máximo de propuestas" in error.value.error_dict["title"][0]


@pytest.mark.ckan_config("WTF_CSRF_ENABLED", False)
def test_report_and_review_through_the_pages(
    app, proposal, make_citizen, sysadmin, office
):
    officer = factories.UserWithToken()
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id=office["name"],
        username=officer["name"],
        role="editor",
    )
    reporters = [make_citizen() for _ in range(3)]
    page = app.get(
        f"/participa/propuesta/{proposal['id']}",
        headers={"Authorization": reporters[0]["token"]},
    )
    assert "Motivo del reporte" in page.body
    for reporter in reporters:
        response = app.post(
            f"/participa/propuesta/{proposal['id']}/reportar",
            data={
                "target_type": "proposal",
                "target_id": proposal["id"],
                "reason": "spam",
            },
            headers={"Authorization": reporter["token"]},
            follow_redirects=False,
        )
        assert response.status_code in (302, 404)  # hidden after the third report
    assert app.get(f"/participa/propuesta/{proposal['id']}").status_code == 404
    session = call_action(
        "limaactiva_session_create",
        {"user": sysadmin["name"]},
        space_id=proposal["space_id"],
        title="Sesión con propuesta oculta",
        modality="online",
        online_url="https://meet.example.org/s",
        starts_at="2026-12-01T18:00",
    )
    call_action(
        "limaactiva_session_close",
        {"user": sysadmin["name"]},
        id=session["id"],
        report="Informe",
        attendees_count=3,
        contributions_count=1,
        proposal_ids=[proposal["id"]],
    )
    session_page = app.get(f"/participa/sesion/{session['id']}")
    assert (
        session_page.status_code == 200 and proposal["title"] not in session_page.body
    )
    queue = app.get(
        "/participa/moderacion", headers={"Authorization": officer["token"]}
    )
    assert queue.status_code == 200 and "Restaurar" in queue.body
    assert reporters[0]["name"] not in queue.body
    done = app.post(
        "/participa/moderacion",
        data={
            "target_type": "proposal",
            "target_id": proposal["id"],
            "decision": "restore",
        },
        headers={"Authorization": officer["token"]},
        follow_redirects=False,
    )
    assert done.status_code == 302
    assert app.get(f"/participa/propuesta/{proposal['id']}").status_code == 200
