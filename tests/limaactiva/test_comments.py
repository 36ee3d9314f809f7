"""Threads: depth at most 3, a favor / neutral / en contra, edit window, soft delete."""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def comment(user, proposal, parent=None, alignment="a_favor", body="Estoy de acuerdo."):
    data = {"proposal_id": proposal["id"], "alignment": alignment, "body": body}
    if parent:
        data["parent_id"] = parent["id"]
    return call_action(
        "limaactiva_comment_create",
        {"user": user["name"], "ignore_auth": False},
        **data,
    )


def count_comments():
    model.Session.remove()
    return model.Session.execute(
        sa.text("SELECT count(*) FROM limaactiva_comment")
    ).scalar()


def test_replies_nest_to_depth_three_and_no_further(proposal, citizen):
    first = comment(citizen, proposal)
    second = comment(citizen, proposal, first, "neutral")
    third = comment(citizen, proposal, second, "en_contra")
    assert [first["depth"], second["depth"], third["depth"]] == [1, 2, 3]
    with pytest.raises(tk.ValidationError) as error:
        comment(citizen, proposal, third)
    assert "máximo 3 niveles" in error.value.error_dict["parent_id"][0]
    assert count_comments() == 3
    thread = call_action("limaactiva_comment_list", proposal_id=proposal["id"])
    assert [c["id"] for c in thread] == [first["id"], second["id"], third["id"]]


def test_alignment_must_be_one_of_three(proposal, citizen):
    with pytest.raises(tk.ValidationError) as error:
        comment(citizen, proposal, alignment="quizas")
    assert "a_favor, neutral o en_contra" in error.value.error_dict["alignment"][0]
    assert count_comments() == 0
    _empty_body_is_a_spanish_error(proposal, citizen)


def _empty_body_is_a_spanish_error(proposal, citizen):
    with pytest.raises(tk.ValidationError) as error:
        comment(citizen, proposal, body="   ")
    assert error.value.error_dict["body"] == ["Este campo es obligatorio."]


def test_author_edits_within_the_window_and_not_after(proposal, citizen, make_citizen):
    created = comment(citizen, proposal)
    edited = call_action(
        "limaactiva_comment_update",
        {"user": citizen["name"], "ignore_auth": False},
        id=created["id"],
        body="Lo pensé mejor.",
        alignment="neutral",
    )
    assert edited["body"] == "Lo pensé mejor." and edited["alignment"] == "neutral"
    model.Session.execute(
        sa.text(
            "UPDATE limaactiva_comment SET created = created - interval '1 hour' WHERE id = :i"
        ),
        {"i": created["id"]},
    )
    model.Session.commit()
    with pytest.raises(tk.ValidationError) as error:
        call_action(
            "limaactiva_comment_update",
            {"user": citizen["name"], "ignore_auth": False},
            id=created["id"],
            body="Otro cambio.",
        )
    assert "plazo para editar" in error.value.error_dict["body"][0]
    thread = call_action("limaactiva_comment_list", proposal_id=proposal["id"])
    assert thread[0]["body"] == "Lo pensé mejor."
    _only_the_author_edits(proposal, citizen, make_citizen)


def _only_the_author_edits(proposal, citizen, make_citizen):
    created = comment(citizen, proposal)
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_comment_update",
            {"user": make_citizen()["name"], "ignore_auth": False},
            id=created["id"],
            body="Suplantación.",
        )


def test_soft_delete_hides_the_text_but_keeps_the_thread(
    proposal, citizen, make_citizen
):
    parent = comment(citizen, proposal, body="Texto a eliminar")
    reply = comment(make_citizen(), proposal, parent, body="Una respuesta")
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_comment_delete",
            {"user": make_citizen()["name"], "ignore_auth": False},
            id=parent["id"],
        )
    call_action(
        "limaactiva_comment_delete",
        {"user": citizen["name"], "ignore_auth": False},
        id=parent["id"],
    )
    thread = call_action("limaactiva_comment_list", proposal_id=proposal["id"])
    assert [c["id"] for c in thread] == [parent["id"], reply["id"]]
    assert thread[0]["deleted"] is True and thread[0]["body"] is None
    assert "Texto a eliminar" not in str(thread)
    assert count_comments() == 2
    with pytest.raises(tk.ValidationError):
        comment(citizen, proposal, parent)
    stats = call_action("limaactiva_statistics")
    assert stats["comments"] == 1


def test_the_office_moderates_its_threads(proposal, citizen, sysadmin):
    from ckan.tests import factories

    officer = factories.User()
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id="gerencia-participacion",
        username=officer["name"],
        role="editor",
    )
    created = comment(citizen, proposal)
    result = call_action(
        "limaactiva_comment_delete",
        {"user": officer["name"], "ignore_auth": False},
        id=created["id"],
    )
    assert result["deleted"] is True


def test_comments_closed_by_phase(make_space, make_proposal, citizen):
    closed = make_space(comments=False)
    proposal = make_proposal(closed)
    with pytest.raises(tk.ValidationError) as error:
        comment(citizen, proposal)
    assert "cerrados" in error.value.error_dict["proposal_id"][0]
    assert count_comments() == 0
    _anonymous_cannot_comment(proposal)


def _anonymous_cannot_comment(proposal):
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_comment_create",
            {"user": "", "ignore_auth": False},
            proposal_id=proposal["id"],
            alignment="neutral",
            body="Hola",
        )
