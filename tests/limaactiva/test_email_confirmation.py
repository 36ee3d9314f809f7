"""The e-mail confirmation flow that unlocks proposing, commenting and voting."""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "with_request_context")


def test_token_link_confirms_and_unlocks_voting(app, proposal, make_citizen):
    user = make_citizen(confirmed=False, email="vecina@example.org")
    requested = call_action(
        "limaactiva_email_confirmation_request",
        {"user": user["name"], "ignore_auth": False, "limaactiva_return_token": True},
    )
    token = requested["token"]
    model.Session.remove()
    stored = model.Session.execute(
        sa.text(
            "SELECT confirmation_token_hash FROM limaactiva_participant WHERE user_id = :u"
        ),
        {"u": user["id"]},
    ).scalar()
    assert stored and token not in stored
    assert app.get("/participa/confirmar/no-es-un-token").status_code == 400
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_vote_cast",
            {"user": user["name"], "ignore_auth": False},
            proposal_id=proposal["id"],
            weight=2,
        )
    page = app.get(f"/participa/confirmar/{token}")
    assert page.status_code == 200 and "quedó confirmado" in page.body
    result = call_action(
        "limaactiva_vote_cast",
        {"user": user["name"], "ignore_auth": False},
        proposal_id=proposal["id"],
        weight=2,
    )
    assert result["weight"] == 2
    # the token is single-use
    assert app.get(f"/participa/confirmar/{token}").status_code == 400


def test_changing_the_email_requires_confirming_again(proposal, citizen, sysadmin):
    call_action(
        "user_patch",
        {"user": sysadmin["name"]},
        id=citizen["id"],
        email="nuevo@example.org",
    )
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_vote_cast",
            {"user": citizen["name"], "ignore_auth": False},
            proposal_id=proposal["id"],
            weight=2,
        )
