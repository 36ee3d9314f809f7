"""Updating milestones: who may, what is recorded, and bad input that changes nothing."""
from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins")

TEAM_ORG = "subgerencia-de-gobierno-digital-e-innovacion"


@pytest.fixture
def milestone_c(plan_2022):
    commitment = next(c for c in plan_2022["commitments"] if c["name"] == "open-lima")
    return next(m for m in commitment["milestones"] if m["code"] == "C")


def _update(user, **data):
    return call_action(
        "openlima_milestone_update",
        context={"user": user["name"] if user else "", "ignore_auth": False},
        **data,
    )


def _state():
    commitment = call_action("openlima_commitment_show", id="open-lima")
    return commitment["milestones"], commitment["history"]


def test_sysadmin_update_is_recorded_with_before_after_reason_and_author(sysadmin, milestone_c):
    result = _update(
        sysadmin, id=milestone_c["id"], progress=60, actual_start="2022-11-08",
        evidence=[{"url": "https://www.munlima.gob.pe/open-lima", "title": "Nota de prensa"}],
        reason="Plataforma en producción con el catálogo inicial",
    )
    assert result["progress"] == 60 and result["status"] == "in_progress"
    assert result["commitment_progress"] == round(60 / 7, 1)
    milestones, history = _state()
    entry = history[0]
    assert entry["entity_id"] == milestone_c["id"]
    assert entry["reason"] == "Plataforma en producción con el catálogo inicial"
    assert entry["author"] == sysadmin["name"]
    changes = {c["field"]: (c["before"], c["after"]) for c in entry["changes"]}
    assert changes["progress"] == (0, 60)
    assert changes["status"] == ("not_started", "in_progress")
    assert changes["actual_start"] == (None, "2022-11-08")
    assert changes["commitment_progress"] == (0.0, round(60 / 7, 1))
    assert entry["created"].endswith("Z")


def test_completed_status_takes_its_default_progress(sysadmin, milestone_c):
    result = _update(sysadmin, id=milestone_c["id"], status="completed", actual_end="2022-11-10",
                     reason="Lanzamiento realizado")
    assert result["progress"] == 100
    assert result["delayed"] is False
    with pytest.raises(tk.ObjectNotFound):
        _update(sysadmin, id="no-existe", progress=10, reason="x")


BAD_INPUT = [
    ({"progress": 50}, "reason", "Indique el motivo del cambio."),
    ({"progress": 50, "reason": "   "}, "reason", "Indique el motivo del cambio."),
    ({"progress": 150, "reason": "x"}, "progress", "El avance debe ser un número entero entre 0 y 100."),
    ({"progress": "mucho", "reason": "x"}, "progress", "El avance debe ser un número entero entre 0 y 100."),
    ({"actual_start": "08/11/2022", "reason": "x"}, "actual_start", "Fecha no válida"),
    ({"status": "terminado", "reason": "x"}, "status", "Estado no válido"),
    ({"status": "completed", "progress": 50, "reason": "x"}, "progress", "el avance debe ser 100 %"),
    ({"actual_start": "2022-11-10", "actual_end": "2022-11-01", "reason": "x"}, "actual_end",
     "no puede ser anterior"),
    ({"evidence": [{"url": "javascript:alert(1)"}], "reason": "x"}, "evidence", "http"),
    ({"evidence": [{"title": "sin enlace"}], "reason": "x"}, "evidence", "dirección web o un conjunto"),
]


def test_bad_input_is_refused_in_spanish_and_changes_nothing(sysadmin, milestone_c):
    # one database for all cases: each case must leave it exactly as it was
    state = _state()
    for data, field, message in BAD_INPUT:
        with pytest.raises(tk.ValidationError) as error:
            _update(sysadmin, id=milestone_c["id"], **data)
        assert message in " ".join(str(m) for m in error.value.error_dict[field]), data
        assert _state() == state, data


def test_api_answers_409_in_spanish_when_reason_missing(app, sysadmin, milestone_c):
    token = factories.APIToken(user=sysadmin["name"])["token"]
    response = app.post(
        "/api/3/action/openlima_milestone_update",
        json={"id": milestone_c["id"], "progress": 40},
        headers={"Authorization": token},
        status=409,
    )
    body = response.get_json()
    assert body["success"] is False
    assert body["error"]["reason"] == ["Indique el motivo del cambio."]
    assert _state()[0][2]["progress"] == 0


def test_anonymous_outsiders_and_plain_members_cannot_update(milestone_c):
    outsider = factories.User()
    other_office = factories.Organization(users=[{"name": outsider["name"], "capacity": "editor"}])
    assert other_office["name"] != TEAM_ORG
    for user in (None, outsider):
        with pytest.raises(tk.NotAuthorized):
            _update(user, id=milestone_c["id"], progress=10, reason="intento")
    # plain members (not editors) of the responsible office cannot either
    member = factories.User()
    factories.Organization(name=TEAM_ORG, users=[{"name": member["name"], "capacity": "member"}])
    with pytest.raises(tk.NotAuthorized):
        _update(member, id=milestone_c["id"], progress=10, reason="intento")
    assert _state()[0][2]["progress"] == 0


def test_editors_of_the_responsible_office_can_update(milestone_c):
    editor = factories.User()
    factories.Organization(name=TEAM_ORG, users=[{"name": editor["name"], "capacity": "editor"}])
    result = _update(editor, id=milestone_c["id"], progress=10, reason="Avance semanal")
    assert result["progress"] == 10
    assert _state()[1][0]["author"] == editor["name"]


def test_integrity_unit_edits_lima_honesta_but_not_open_lima(plan_2022):
    officer = factories.User()
    factories.Organization(name="unidad-de-integridad-institucional",
                           users=[{"name": officer["name"], "capacity": "admin"}])
    honesta = next(c for c in plan_2022["commitments"] if c["name"] == "lima-honesta")
    open_lima = next(c for c in plan_2022["commitments"] if c["name"] == "open-lima")
    assert _update(officer, id=honesta["milestones"][0]["id"], progress=20, reason="Campaña")["progress"] == 20
    with pytest.raises(tk.NotAuthorized):
        _update(officer, id=open_lima["milestones"][0]["id"], progress=20, reason="Campaña")



def test_concurrent_updates_keep_a_true_before_after_chain(sysadmin, milestone_c):
    import threading

    import ckan.model as model

    errors: list[BaseException] = []

    def update(progress):
        try:
            _update(sysadmin, id=milestone_c["id"], progress=progress, reason=f"avance {progress}")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            model.Session.remove()

    model.Session.commit()
    threads = [threading.Thread(target=update, args=(p,)) for p in (11, 22, 33, 44, 55, 66)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    history = [
        e for e in call_action("openlima_commitment_show", id="open-lima")["history"]
        if e["entity_id"] == milestone_c["id"] and e["action"] == "updated"
    ]
    chain = [{c["field"]: (c["before"], c["after"]) for c in e["changes"]}["progress"] for e in reversed(history)]
    assert len(chain) == 6
    assert chain[0][0] == 0
    for (_, after), (before, _) in zip(chain, chain[1:]):
        assert before == after
    assert _state()[0][2]["progress"] == chain[-1][1]
