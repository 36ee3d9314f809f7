"""The office's web forms: create a space with phases, schedule and close a session with
attending organisations, add a service. Citizens cannot use them."""

from __future__ import annotations

import datetime

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
    pytest.mark.ckan_config("WTF_CSRF_ENABLED", False),
]


def test_office_manages_spaces_sessions_and_services(app, office, sysadmin, citizen):
    officer = factories.UserWithToken()
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id=office["name"],
        username=officer["name"],
        role="editor",
    )
    headers = {"Authorization": officer["token"]}
    assert (
        app.get(
            "/participa/gestion", headers={"Authorization": citizen["token"]}
        ).status_code
        == 403
    )
    assert "Crear un espacio" in app.get("/participa/gestion", headers=headers).body

    today = clock.today()
    space_form = {
        "name": "plan-de-arbolado",
        "title": "Plan de arbolado urbano",
        "space_type": "plan",
        "responsible_office": office["name"],
        "phase-0-phase_key": "information",
        "phase-0-start_date": str(today - datetime.timedelta(days=5)),
        "phase-0-end_date": str(today + datetime.timedelta(days=5)),
        "phase-0-proposals_enabled": "on",
        "phase-1-phase_key": "prioritisation",
        "phase-1-start_date": str(today + datetime.timedelta(days=3)),
        "phase-1-end_date": str(today + datetime.timedelta(days=9)),
    }
    overlapping = app.post(
        "/participa/gestion/espacio", data=space_form, headers=headers
    )
    assert (
        overlapping.status_code == 400 and "no pueden superponerse" in overlapping.body
    )
    assert call_action("limaactiva_space_list") == []
    space_form["phase-1-start_date"] = str(today + datetime.timedelta(days=6))
    created = app.post(
        "/participa/gestion/espacio",
        data=space_form,
        headers=headers,
        follow_redirects=False,
    )
    assert created.status_code == 302
    space = call_action("limaactiva_space_show", id="plan-de-arbolado")
    assert [p["phase_key"] for p in space["phases"]] == [
        "information",
        "prioritisation",
    ]
    assert space["proposals_open"] and not space["votes_open"]

    scheduled = app.post(
        "/participa/gestion/sesion",
        data={
            "space_id": space["id"],
            "title": "Caminata de arbolado",
            "modality": "in_person",
            "place": "Parque de la Reserva",
            "district": "150101",
            "starts_at": "2026-12-10T09:00",
            "capacity": "40",
        },
        headers=headers,
        follow_redirects=False,
    )
    assert scheduled.status_code == 302
    session = call_action("limaactiva_session_list", space_id=space["id"])[0]
    assert session["capacity"] == 40
    closed = app.post(
        f"/participa/gestion/sesion/{session['id']}/cerrar",
        data={
            "report": "Se recorrieron 3 km.",
            "attendees_count": "35",
            "contributions_count": "8",
            "org-0-organisation": "Vecinos del Parque",
            "org-0-district": "150101",
            "org-0-people": "12",
        },
        headers=headers,
        follow_redirects=False,
    )
    assert closed.status_code == 302
    session = call_action("limaactiva_session_show", id=session["id"])
    assert session["closed"] and session["organisations"] == [
        {"organisation": "Vecinos del Parque", "district": "150101", "people": 12}
    ]

    service = app.post(
        "/participa/gestion/servicio",
        data={
            "name": "poda",
            "title": "Solicitud de poda",
            "office": office["name"],
            "channel": "online",
        },
        headers=headers,
        follow_redirects=False,
    )
    assert service.status_code == 302
    assert [s["name"] for s in call_action("limaactiva_service_list")] == ["poda"]
