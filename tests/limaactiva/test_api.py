"""The Action API over HTTP: tokens work, bad input is a 409 with Spanish messages (never a
500) and changes nothing, anonymous writes are 403."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import ckan.model as model
from ckan.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def counts():
    model.Session.remove()
    return {
        table: model.Session.execute(
            sa.text(f"SELECT count(*) FROM limaactiva_{table}")
        ).scalar()
        for table in (
            "space",
            "phase",
            "session",
            "proposal",
            "comment",
            "vote",
            "flag",
        )
    }


def test_vote_over_http(app, proposal, citizen):
    url = "/api/3/action/limaactiva_vote_cast"
    anonymous = app.post(url, json={"proposal_id": proposal["id"], "weight": 3})
    assert anonymous.status_code == 403
    ok = app.post(
        url,
        json={"proposal_id": proposal["id"], "weight": 3},
        headers={"Authorization": citizen["token"]},
    )
    assert ok.status_code == 200 and ok.json["result"]["weight"] == 3
    bad = app.post(
        url,
        json={"proposal_id": proposal["id"], "weight": 9},
        headers={"Authorization": citizen["token"]},
    )
    assert bad.status_code == 409
    assert "La prioridad debe ser" in bad.json["error"]["weight"][0]


NASTY = [
    (
        "limaactiva_space_create",
        {
            "name": "x-y",
            "title": "T",
            "space_type": "plan",
            "responsible_office": "gerencia-participacion",
            "phases": "todas",
        },
    ),
    (
        "limaactiva_space_create",
        {
            "name": "x-y",
            "title": ["T"],
            "space_type": {"a": 1},
            "responsible_office": "gerencia-participacion",
            "phases": [{"phase_key": "information"}, "x"],
        },
    ),
    (
        "limaactiva_space_create",
        {
            "name": "x-y",
            "title": "T",
            "space_type": "plan",
            "responsible_office": "gerencia-participacion",
            "phases": [
                {
                    "phase_key": "answer",
                    "start_date": "2026-01-01",
                    "end_date": "2026-02-01",
                },
                {
                    "phase_key": "answer",
                    "start_date": "2026-01-15",
                    "end_date": "2026-03-01",
                },
            ],
        },
    ),
    (
        "limaactiva_session_create",
        {"space_id": ["a"], "title": "T", "modality": "online", "starts_at": "ayer"},
    ),
    (
        "limaactiva_session_close",
        {
            "id": "no-existe",
            "report": "r",
            "attendees_count": 1,
            "contributions_count": 1,
            "organisations": "muchas",
        },
    ),
    (
        "limaactiva_proposal_create",
        {"space_id": None, "title": 5, "body": {}, "district": [], "theme": ""},
    ),
    (
        "limaactiva_comment_create",
        {"proposal_id": "no-existe", "alignment": "neutral", "body": "x" * 6000},
    ),
    ("limaactiva_vote_cast", {"proposal_id": {"id": 1}, "weight": [3]}),
    (
        "limaactiva_flag_create",
        {"target_type": "proposal", "target_id": "", "reason": None},
    ),
    ("limaactiva_service_list", {"q": ["a", "b"], "channel": 3}),
    ("limaactiva_proposal_list", {"district": "15", "state": "x", "space_id": "nada"}),
    ("limaactiva_snapshot_list", {"proposal_id": ""}),
]


def test_bad_input_over_http_is_never_a_500(app, proposal, sysadmin):
    token = factories.APIToken(user=sysadmin["id"])["token"]
    before = counts()
    for action, data in NASTY:
        response = app.post(
            f"/api/3/action/{action}", json=data, headers={"Authorization": token}
        )
        assert response.status_code in (404, 409), (action, response.body)
        assert response.json["success"] is False
        assert "Integrity Error" not in response.body
    assert counts() == before
