"""Proposal → result (#16): the office links a proposal to the commitment, milestone or
indicator of the plan that takes it up; the reference must exist in the loaded plan; the
proposal page and the commitment page show the link, and the export carries it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
import yaml
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
    pytest.mark.ckan_config("WTF_CSRF_ENABLED", False),
]

PLAN = Path(__file__).resolve().parents[2] / "config" / "plan" / "plan-2022.yaml"


def _read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture
def plan(sysadmin):
    document = _read(PLAN)
    call_action(
        "openlima_plan_load",
        {"user": sysadmin["name"]},
        plan=document["plan"],
        commitments=document["commitments"],
        portal=_read(PLAN.with_name("plan-2022.portal.yaml")),
        reason="",
    )
    return call_action("openlima_plan_show")


@pytest.fixture
def officer(sysadmin, office):
    user = factories.UserWithToken()
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id=office["name"],
        username=user["name"],
        role="editor",
    )
    return user


def answer(officer, proposal, ref, **extra):
    return call_action(
        "limaactiva_proposal_answer",
        {"user": officer["name"], "ignore_auth": False},
        id=proposal["id"],
        state=extra.pop("state", "accepted"),
        answer_text=extra.pop("answer_text", "Se incorpora al plan."),
        commitment_milestone_ref=ref,
    )


def test_a_proposal_links_to_a_milestone_commitment_or_indicator(
    app, plan, officer, space, make_proposal
):
    lima_activa = next(c for c in plan["commitments"] if c["name"] == "lima-activa")
    milestone = next(m for m in lima_activa["milestones"] if m["code"] == "B")
    indicator = lima_activa["indicators"][0]
    by_milestone = make_proposal(space, title="Una plataforma accesible")
    by_commitment = make_proposal(space, title="Participación en cada distrito")
    by_indicator = make_proposal(space, title="Contar las propuestas")
    unlinked = make_proposal(space, title="Propuesta sin enlace")

    # the commitment's code works too; it is stored by the commitment's name
    linked = answer(officer, by_milestone, f"{lima_activa['code']}/B")
    assert linked["commitment_milestone_ref"] == "lima-activa/B"
    by_id = answer(officer, by_commitment, milestone["id"])
    assert by_id["commitment_milestone_ref"] == "lima-activa/B"
    assert answer(officer, by_commitment, "lima-activa")[
        "commitment_milestone_ref"] == "lima-activa"
    assert answer(officer, by_indicator, f"lima-activa/indicador/{indicator['code']}")[
        "commitment_milestone_ref"] == f"lima-activa/indicador/{indicator['code']}"

    shown = call_action("limaactiva_proposal_show", id=by_milestone["id"])
    assert shown["result"]["kind"] == "milestone"
    assert shown["result"]["title"] == milestone["title"]
    page = app.get(f"/participa/propuesta/{by_milestone['id']}").body
    assert 'href="/compromisos/lima-activa"' in page and milestone["title"] in page
    assert "el hito" in page

    commitment_page = app.get("/compromisos/lima-activa")
    assert commitment_page.status_code == 200
    body = commitment_page.body
    assert "Propuestas ciudadanas que recoge" in body
    assert f'href="/participa/propuesta/{by_milestone["id"]}"' in body
    assert f"en el hito B: {milestone['title']}" in body
    assert "Participación en cada distrito" in body and "en el compromiso" in body
    assert f"en el indicador {indicator['name']}" in body
    assert unlinked["title"] not in body
    # another commitment lists none of them
    other = app.get("/compromisos/open-lima").body
    assert "Una plataforma accesible" not in other
    assert "Ninguna propuesta de Lima Activa está enlazada" in other

    listed = call_action("limaactiva_proposal_list", commitment="lima-activa")
    assert {p["id"] for p in listed} == {
        by_milestone["id"], by_commitment["id"], by_indicator["id"]}
    # a LIKE wildcard is a plain character
    assert call_action("limaactiva_proposal_list", commitment="lima%") == []

    exported = list(csv.DictReader(io.StringIO(app.get("/participa/datos/propuestas.csv").body)))
    refs = {row["proposal_id"]: row["commitment_result_ref"] for row in exported}
    assert refs[by_milestone["id"]] == "lima-activa/B"
    assert refs[unlinked["id"]] == ""

    # hidden by moderation: gone from the commitment page too
    model.Session.execute(
        sa.text("UPDATE limaactiva_proposal SET hidden = true WHERE id = :id"),
        {"id": by_milestone["id"]},
    )
    model.repo.commit()
    assert "Una plataforma accesible" not in app.get("/compromisos/lima-activa").body


def test_a_reference_not_in_the_plan_is_refused_and_changes_nothing(
    app, plan, officer, space, proposal
):
    for reference in ("lima-activa/Z", "no-existe", "lima-activa/indicador/nada",
                      "lima-activa/indicador/", "/B"):
        with pytest.raises(tk.ValidationError) as error:
            answer(officer, proposal, reference, state="rejected", answer_text="No.")
        assert "No existe ese compromiso, hito o indicador" in str(
            error.value.error_dict["commitment_milestone_ref"])
    model.Session.remove()
    unchanged = call_action("limaactiva_proposal_show", id=proposal["id"])
    assert (unchanged["state"], unchanged["answer_text"]) == ("received", None)
    assert unchanged["commitment_milestone_ref"] is None

    response = app.post(
        f"/participa/propuesta/{proposal['id']}/responder",
        data={"state": "accepted", "answer_text": "Sí.", "commitment_milestone_ref": "H9"},
        headers={"Authorization": officer["token"]},
    )
    assert response.status_code == 400 and "No existe ese compromiso" in response.body
    assert call_action("limaactiva_proposal_show", id=proposal["id"])["state"] == "received"


def test_without_a_loaded_plan_nothing_can_be_linked(officer, proposal):
    with pytest.raises(tk.ValidationError) as error:
        answer(officer, proposal, "lima-activa/B")
    assert "No hay un plan de compromisos cargado" in str(error.value.error_dict)
