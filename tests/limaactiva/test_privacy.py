"""Who voted, who wrote, e-mails and DNI material never leave the database."""

from __future__ import annotations

import json

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests.helpers import call_action

DNI_KEY = "limaactiva-test-only-key-0123456789abcdef"

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
    pytest.mark.ckan_config("ckanext.limaactiva.dni_hmac_key", DNI_KEY),
]


def test_voter_identity_never_in_api_or_pages(app, proposal, make_citizen):
    voter = make_citizen(
        fullname="Rosa Quispe Votante", email="rosa.votante@example.org"
    )
    call_action(
        "limaactiva_participant_update", {"user": voter["name"]}, dni="44556677"
    )
    call_action(
        "limaactiva_vote_cast",
        {"user": voter["name"], "ignore_auth": False},
        proposal_id=proposal["id"],
        weight=3,
    )
    secrets = [voter["id"], voter["name"], "Rosa Quispe", "rosa.votante", "44556677"]
    outputs = []
    for action, data in [
        ("limaactiva_proposal_show", {"id": proposal["id"]}),
        ("limaactiva_proposal_list", {}),
        ("limaactiva_proposal_score", {"id": proposal["id"]}),
        ("limaactiva_snapshot_list", {"proposal_id": proposal["id"]}),
        ("limaactiva_statistics", {}),
        ("limaactiva_space_show", {"id": proposal["space_id"]}),
    ]:
        outputs.append(
            json.dumps(call_action(action, {"user": "", "ignore_auth": False}, **data))
        )
        api = app.get(f"/api/3/action/{action}", query_string=data)
        assert api.status_code == 200
        outputs.append(api.body)
    for path in (
        f"/participa/propuesta/{proposal['id']}",
        "/participa/",
        f"/participa/espacio/{proposal['space_id']}",
    ):
        outputs.append(app.get(path).body)
    everything = "\n".join(outputs)
    for secret in secrets:
        assert secret not in everything, secret
    assert '"score": 3' in everything or '"score":3' in everything


def test_proposal_author_hidden_unless_opted_in(space, make_citizen):
    shy = make_citizen(fullname="Autor Reservado")
    open_author = make_citizen(fullname="Autora Pública")
    context = lambda user: {"user": user["name"], "ignore_auth": False}  # noqa: E731
    base = {"space_id": space["id"], "body": "b", "district": "150101", "theme": "t"}
    hidden = call_action("limaactiva_proposal_create", context(shy), title="A", **base)
    shown = call_action(
        "limaactiva_proposal_create",
        context(open_author),
        title="B",
        show_author=True,
        **base,
    )
    assert hidden["author_public_name"] is None
    assert shown["author_public_name"] == "Autora Pública"
    listed = json.dumps(call_action("limaactiva_proposal_list", space_id=space["id"]))
    assert "Autor Reservado" not in listed and shy["id"] not in listed


def test_participant_profile_is_only_ones_own(citizen, make_citizen):
    mine = call_action(
        "limaactiva_participant_show", {"user": citizen["name"], "ignore_auth": False}
    )
    assert set(mine) == {
        "email_confirmed",
        "dni_declared",
        "district",
        "public_name",
        "show_publicly",
    }
    with pytest.raises(tk.NotAuthorized):
        call_action("limaactiva_participant_show", {"user": "", "ignore_auth": False})
    _only_sysadmins_confirm_emails_by_hand(make_citizen)


def _only_sysadmins_confirm_emails_by_hand(make_citizen):
    citizen, other = make_citizen(), make_citizen(confirmed=False)
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_participant_confirm",
            {"user": citizen["name"], "ignore_auth": False},
            user=other["name"],
        )


def test_contributors_appear_by_district_only_if_they_opt_in(
    app, proposal, make_citizen
):
    shown, shy, idle = make_citizen(), make_citizen(), make_citizen()
    for user, opt_in in ((shown, True), (shy, False), (idle, True)):
        call_action(
            "limaactiva_participant_update",
            {"user": user["name"], "ignore_auth": False},
            district="150142",
            public_name=f"Nombre {user['name']}",
            show_publicly=opt_in,
        )
    for user in (shown, shy):
        call_action(
            "limaactiva_vote_cast",
            {"user": user["name"], "ignore_auth": False},
            proposal_id=proposal["id"],
            weight=2,
        )
    contributors = call_action(
        "limaactiva_contributor_list", {"user": "", "ignore_auth": False}
    )
    assert contributors == [
        {
            "district": "150142",
            "district_name": "Villa El Salvador",
            "people": [f"Nombre {shown['name']}"],
            "organisations": [],
        }
    ]
    page = app.get("/participa/")
    assert f"Nombre {shown['name']}" in page.body
    assert (
        f"Nombre {shy['name']}" not in page.body
        and f"Nombre {idle['name']}" not in page.body
    )
