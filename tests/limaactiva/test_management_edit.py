"""The office's edit forms for an existing space or service (/participa/gestion/…/editar):
pre-filled, field-level Spanish errors that keep what was typed and change nothing, 403
for another office and for anonymous visitors, 404 for an unknown space or service, and
the same CSRF protection as every other form."""

from __future__ import annotations

import datetime
import re

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock


def today() -> datetime.date:
    return clock.today()


def member(sysadmin, office, role="editor", **kwargs):
    user = factories.UserWithToken(**kwargs)
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id=office["name"],
        username=user["name"],
        role=role,
    )
    return user


def auth(user):
    return {"Authorization": user["token"]}


@pytest.fixture
def officer(sysadmin, office):
    return member(sysadmin, office)


@pytest.fixture
def other_office(sysadmin):
    return factories.Organization(name="gerencia-de-transporte", user=sysadmin)


@pytest.fixture
def outsider(sysadmin, other_office):
    """An editor of another office."""
    return member(sysadmin, other_office)


@pytest.fixture
def service(sysadmin, office):
    return call_action(
        "limaactiva_service_create",
        {"user": sysadmin["name"]},
        name="licencia-de-funcionamiento",
        title="Licencia de funcionamiento",
        office=office["name"],
        channel="online",
        requirements="DNI y recibo de pago",
        url="https://www.munlima.gob.pe/licencias",
    )


def space_form(space: dict, **changes) -> dict:
    """What the edit page posts when nothing is changed, with ``changes`` applied."""
    form = {
        "name": space["name"],
        "title": space["title"],
        "space_type": space["space_type"],
        "responsible_office": space["responsible_office"],
        "description": space["description"],
        "civic_education": space["civic_education"],
        "commitment_ref": space["commitment_ref"] or "",
    }
    for index, phase in enumerate(space["phases"]):
        form[f"phase-{index}-phase_key"] = phase["phase_key"]
        form[f"phase-{index}-title"] = ""
        form[f"phase-{index}-start_date"] = phase["start_date"]
        form[f"phase-{index}-end_date"] = phase["end_date"]
        for switch in ("proposals_enabled", "comments_enabled", "votes_enabled"):
            if phase[switch]:
                form[f"phase-{index}-{switch}"] = "on"
    form.update(changes)
    return form


def service_form(service: dict, **changes) -> dict:
    form = {
        key: service[key] or ""
        for key in (
            "name",
            "title",
            "description",
            "office",
            "channel",
            "requirements",
            "url",
        )
    }
    form.update(changes)
    return form


@pytest.mark.usefixtures("with_plugins", "clean_db")
@pytest.mark.ckan_config("WTF_CSRF_ENABLED", False)
class TestSpaceEdit:
    def test_the_office_edits_its_space_from_the_management_page(
        self, app, space, officer, sysadmin
    ):
        management = app.get("/participa/gestion", headers=auth(officer)).body
        edit_url = f"/participa/gestion/espacio/{space['name']}/editar"
        assert edit_url in management

        page = app.get(edit_url, headers=auth(officer))
        assert page.status_code == 200
        # pre-filled with the space as stored, phases and switches included
        assert f'value="{space["title"]}"' in page.body
        assert f'value="{space["phases"][1]["start_date"]}"' in page.body
        assert 'name="phase-1-votes_enabled" aria-label' in page.body
        assert re.search(r'name="phase-1-votes_enabled"[^>]*checked', page.body)
        assert not re.search(r'name="phase-0-votes_enabled"[^>]*checked', page.body)
        assert 'name="_csrf_token"' in page.body or "csrf" in page.body.lower()

        end = (today() + datetime.timedelta(days=40)).isoformat()
        response = app.post(
            edit_url,
            data=space_form(
                space,
                title="Presupuesto participativo 2027",
                description="Priorizamos las obras de los distritos.",
                commitment_ref="compromiso-03",
                **{
                    "phase-1-end_date": end,
                    "phase-1-votes_enabled": "",
                    "phase-2-phase_key": "answer",
                    "phase-2-title": "Respuesta de la gerencia",
                    "phase-2-start_date": (
                        today() + datetime.timedelta(days=41)
                    ).isoformat(),
                    "phase-2-end_date": (
                        today() + datetime.timedelta(days=60)
                    ).isoformat(),
                },
            ),
            headers=auth(officer),
            follow_redirects=False,
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith(
            f"/participa/espacio/{space['name']}"
        )

        updated = call_action("limaactiva_space_show", id=space["id"])
        assert updated["title"] == "Presupuesto participativo 2027"
        assert updated["description"] == "Priorizamos las obras de los distritos."
        assert updated["commitment_ref"] == "compromiso-03"
        assert [p["phase_key"] for p in updated["phases"]] == [
            "information",
            "prioritisation",
            "answer",
        ]
        assert updated["phases"][1]["end_date"] == end
        assert updated["phases"][2]["title"] == "Respuesta de la gerencia"
        assert updated["proposals_open"] and not updated["votes_open"]

        shown = app.get(f"/participa/espacio/{space['name']}", headers=auth(officer))
        assert "Espacio actualizado." in shown.body
        assert "Presupuesto participativo 2027" in shown.body
        assert "Respuesta de la gerencia" in shown.body
        assert "Editar este espacio" in shown.body
        assert (
            "Editar este espacio"
            not in app.get(f"/participa/espacio/{space['name']}").body
        )

        history = call_action("limaactiva_audit_list", {"user": sysadmin["name"]})
        officer_id = call_action("user_show", id=officer["name"])["id"]
        assert any(
            entry["action"] == "space_updated"
            and entry["target_id"] == space["id"]
            and entry["actor_user_id"] == officer_id
            for entry in history
        )

    def test_renaming_moves_the_page_and_clearing_a_text_empties_it(
        self, app, make_space, officer
    ):
        space = make_space(description="Texto anterior", commitment_ref="c-1")
        response = app.post(
            f"/participa/gestion/espacio/{space['name']}/editar",
            data=space_form(
                space, name="arbolado-2027", description="", commitment_ref=""
            ),
            headers=auth(officer),
            follow_redirects=False,
        )
        assert response.status_code == 302
        updated = call_action("limaactiva_space_show", id=space["id"])
        assert updated["name"] == "arbolado-2027"
        assert updated["description"] == "" and updated["commitment_ref"] is None
        assert app.get("/participa/espacio/arbolado-2027").status_code == 200

    def test_bad_input_changes_nothing_and_shows_spanish_errors_by_field(
        self, app, space, make_space, officer
    ):
        make_space(name="ocupado")
        before = call_action("limaactiva_space_show", id=space["id"])
        edit_url = f"/participa/gestion/espacio/{space['name']}/editar"

        blank = app.post(
            edit_url,
            data=space_form(
                space, title="", description="Lo que escribí y no quiero perder"
            ),
            headers=auth(officer),
        )
        assert blank.status_code == 400
        assert 'id="space-title-error"' in blank.body
        assert "Este campo es obligatorio." in blank.body
        assert "Revise los campos marcados." in blank.body
        assert "Lo que escribí y no quiero perder" in blank.body

        overlapping = app.post(
            edit_url,
            data=space_form(
                space,
                **{"phase-1-start_date": before["phases"][0]["start_date"]},
            ),
            headers=auth(officer),
        )
        assert overlapping.status_code == 400
        assert "no pueden superponerse" in overlapping.body

        bad_date = app.post(
            edit_url,
            data=space_form(
                space, name="ocupado", **{"phase-1-end_date": "31/12/2026"}
            ),
            headers=auth(officer),
        )
        assert bad_date.status_code == 400
        assert 'id="phase-1-end-error"' in bad_date.body
        assert "Fecha no válida: use el formato AAAA-MM-DD." in bad_date.body
        assert 'value="31/12/2026"' in bad_date.body

        taken = app.post(
            edit_url, data=space_form(space, name="ocupado"), headers=auth(officer)
        )
        assert taken.status_code == 400
        assert 'id="space-name-error"' in taken.body
        assert "Ya existe un espacio con ese nombre." in taken.body

        assert call_action("limaactiva_space_show", id=space["id"]) == before

    def test_errors_are_english_under_en(self, app, space, officer):
        page = app.get(
            f"/en/participa/gestion/espacio/{space['name']}/editar",
            headers=auth(officer),
        )
        assert "Edit the space" in page.body and "Save changes" in page.body
        blank = app.post(
            f"/en/participa/gestion/espacio/{space['name']}/editar",
            data=space_form(space, title=""),
            headers=auth(officer),
        )
        assert blank.status_code == 400
        assert "Check the marked fields." in blank.body
        assert "Este campo es obligatorio." not in blank.body

    def test_another_office_and_anonymous_visitors_are_refused(
        self, app, space, outsider, officer, other_office
    ):
        before = call_action("limaactiva_space_show", id=space["id"])
        edit_url = f"/participa/gestion/espacio/{space['name']}/editar"
        assert app.get(edit_url, headers=auth(outsider)).status_code == 403
        assert (
            app.post(
                edit_url, data=space_form(space, title="Tomado"), headers=auth(outsider)
            ).status_code
            == 403
        )
        anonymous = app.get(edit_url, follow_redirects=False)
        assert (
            anonymous.status_code == 302
            and "/user/login" in anonymous.headers["Location"]
        )
        assert (
            app.post(edit_url, data=space_form(space, title="Anónimo")).status_code
            == 403
        )
        # the office may not hand the space to an office it does not manage
        handed = app.post(
            edit_url,
            data=space_form(space, responsible_office=other_office["name"]),
            headers=auth(officer),
        )
        assert handed.status_code == 403
        assert call_action("limaactiva_space_show", id=space["id"]) == before

    def test_unknown_space_is_404(self, app, officer):
        url = "/participa/gestion/espacio/no-existe/editar"
        assert app.get(url, headers=auth(officer)).status_code == 404
        assert (
            app.post(url, data={"title": "x"}, headers=auth(officer)).status_code == 404
        )


@pytest.mark.usefixtures("with_plugins", "clean_db")
@pytest.mark.ckan_config("WTF_CSRF_ENABLED", False)
class TestServiceEdit:
    def test_the_office_edits_its_service(self, app, service, officer):
        management = app.get("/participa/gestion", headers=auth(officer)).body
        edit_url = f"/participa/gestion/servicio/{service['name']}/editar"
        assert edit_url in management
        page = app.get(edit_url, headers=auth(officer))
        assert page.status_code == 200
        assert 'value="DNI y recibo de pago"' in page.body
        assert re.search(r'<option value="online" selected>', page.body)

        response = app.post(
            edit_url,
            data=service_form(
                service,
                title="Licencia de funcionamiento en línea",
                channel="both",
                requirements="",
            ),
            headers=auth(officer),
            follow_redirects=False,
        )
        assert response.status_code == 302
        updated = call_action("limaactiva_service_show", id=service["id"])
        assert updated["title"] == "Licencia de funcionamiento en línea"
        assert updated["channel"] == "both" and updated["requirements"] == ""
        assert updated["url"] == service["url"]
        assert (
            "Servicio actualizado."
            in app.get("/participa/gestion", headers=auth(officer)).body
        )
        directory = app.get("/servicios/?q=en+linea", headers=auth(officer)).body
        assert "Licencia de funcionamiento en línea" in directory
        assert "Editar este servicio" in directory
        assert "Editar este servicio" not in app.get("/servicios/").body

    def test_bad_input_changes_nothing(self, app, service, officer):
        edit_url = f"/participa/gestion/servicio/{service['name']}/editar"
        response = app.post(
            edit_url,
            data=service_form(service, title="", url="www.sin-protocolo.pe"),
            headers=auth(officer),
        )
        assert response.status_code == 400
        assert 'id="service-title-error"' in response.body
        assert "Este campo es obligatorio." in response.body
        assert 'id="service-url-error"' in response.body
        assert "Debe ser una dirección web que empiece con http://" in response.body
        assert 'value="www.sin-protocolo.pe"' in response.body
        assert call_action("limaactiva_service_show", id=service["id"]) == service

    def test_another_office_and_anonymous_are_refused_unknown_is_404(
        self, app, service, outsider, officer
    ):
        edit_url = f"/participa/gestion/servicio/{service['name']}/editar"
        assert app.get(edit_url, headers=auth(outsider)).status_code == 403
        assert (
            app.post(
                edit_url,
                data=service_form(service, title="Ajeno"),
                headers=auth(outsider),
            ).status_code
            == 403
        )
        assert (
            app.post(edit_url, data=service_form(service, title="Anónimo")).status_code
            == 403
        )
        assert call_action("limaactiva_service_show", id=service["id"]) == service
        url = "/participa/gestion/servicio/no-existe/editar"
        assert app.get(url, headers=auth(officer)).status_code == 404
        assert app.post(url, data={}, headers=auth(officer)).status_code == 404


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_service_update_action_checks_the_office(sysadmin, service, officer, outsider):
    import ckan.plugins.toolkit as tk

    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_service_update",
            {"user": outsider["name"], "ignore_auth": False},
            id=service["id"],
            title="Ajeno",
        )
    with pytest.raises(tk.NotAuthorized):  # handing it to an office not managed
        call_action(
            "limaactiva_service_update",
            {"user": officer["name"], "ignore_auth": False},
            id=service["id"],
            office="gerencia-de-transporte",
        )
    updated = call_action(
        "limaactiva_service_update",
        {"user": officer["name"], "ignore_auth": False},
        id=service["name"],
        title="Licencia municipal",
    )
    assert updated["title"] == "Licencia municipal"
    assert updated["requirements"] == "DNI y recibo de pago"  # not given: kept
    with pytest.raises(tk.ObjectNotFound):
        call_action("limaactiva_service_update", id="no-existe", title="x")


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_edit_form_needs_its_csrf_token(app, space, sysadmin, office):
    """Logged in with a session cookie (as in a browser), a post without the form's
    token is refused and changes nothing; with it, the edit goes through."""
    password = "Clave-Segura-2026"
    officer = member(sysadmin, office, password=password)
    login = app.get("/user/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', login.body).group(1)
    app.post(
        "/user/login",
        data={"login": officer["name"], "password": password, "_csrf_token": token},
    )
    edit_url = f"/participa/gestion/espacio/{space['name']}/editar"
    page = app.get(edit_url)
    assert page.status_code == 200
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.body).group(1)

    refused = app.post(edit_url, data=space_form(space, title="Sin token"))
    assert refused.status_code == 400
    assert (
        call_action("limaactiva_space_show", id=space["id"])["title"] == space["title"]
    )
    accepted = app.post(
        edit_url,
        data=space_form(space, title="Con token", _csrf_token=token),
        follow_redirects=False,
    )
    assert accepted.status_code == 302
    assert call_action("limaactiva_space_show", id=space["id"])["title"] == "Con token"


# --------------------------------------------------------------------------- sessions


@pytest.fixture
def session(sysadmin, space):
    starts = (today() + datetime.timedelta(days=7)).isoformat()
    return call_action(
        "limaactiva_session_create",
        {"user": sysadmin["name"]},
        space_id=space["id"],
        title="Asamblea vecinal de Lince",
        description="Presentación de las propuestas priorizadas.",
        modality="hybrid",
        place="Local comunal de Lince",
        district="150116",
        online_url="https://meet.example.pe/asamblea",
        registration_required=True,
        capacity=2,
        starts_at=f"{starts}T18:00",
        ends_at=f"{starts}T20:00",
    )


def session_form(session: dict, **changes) -> dict:
    """What the session edit page posts when nothing is changed."""
    form = {
        key: "" if session[key] is None else str(session[key])
        for key in (
            "title",
            "description",
            "modality",
            "place",
            "district",
            "online_url",
            "registration_url",
            "capacity",
        )
    }
    form["starts_at"] = session["starts_at"][:16]
    form["ends_at"] = (session["ends_at"] or "")[:16]
    if session["registration_required"]:
        form["registration_required"] = "on"
    form.update(changes)
    return form


def session_edit_url(session: dict, prefix: str = "") -> str:
    return f"{prefix}/participa/gestion/sesion/{session['id']}/editar"


@pytest.mark.usefixtures("with_plugins", "clean_db")
@pytest.mark.ckan_config("WTF_CSRF_ENABLED", False)
class TestSessionEdit:
    def test_the_office_edits_an_open_session(self, app, session, officer):
        edit_url = session_edit_url(session)
        assert edit_url in app.get("/participa/gestion", headers=auth(officer)).body
        session_page = f"/participa/sesion/{session['id']}"
        assert "Editar esta sesión" in app.get(session_page, headers=auth(officer)).body
        assert "Editar esta sesión" not in app.get(session_page).body

        page = app.get(edit_url, headers=auth(officer))
        assert page.status_code == 200
        # pre-filled with the session as stored
        assert 'value="Asamblea vecinal de Lince"' in page.body
        assert 'value="Local comunal de Lince"' in page.body
        assert f'value="{session["starts_at"][:16]}"' in page.body
        assert '<option value="hybrid" selected>' in page.body
        assert '<option value="150116" selected>' in page.body
        assert re.search(r'name="registration_required"[^>]*checked', page.body)
        assert 'id="session-capacity" name="capacity" type="number" value="2"' in (
            page.body
        )
        assert "Presentación de las propuestas priorizadas." in page.body

        new_day = (today() + datetime.timedelta(days=9)).isoformat()
        response = app.post(
            edit_url,
            data=session_form(
                session,
                title="Asamblea virtual de Lince",
                modality="online",
                place="",
                district="",
                capacity="",
                starts_at=f"{new_day}T19:30",
                ends_at="",
                registration_required="",
            ),
            headers=auth(officer),
            follow_redirects=False,
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith(session_page)

        updated = call_action("limaactiva_session_show", id=session["id"])
        assert updated["title"] == "Asamblea virtual de Lince"
        assert updated["modality"] == "online"
        assert updated["place"] is None and updated["district"] is None
        assert updated["capacity"] is None and updated["places_left"] is None
        assert updated["starts_at"] == f"{new_day}T19:30:00"
        assert updated["ends_at"] is None
        assert updated["registration_required"] is False
        assert updated["online_url"] == session["online_url"]
        assert updated["description"] == session["description"]
        assert updated["space_id"] == session["space_id"]

        shown = app.get(session_page, headers=auth(officer)).body
        assert "Sesión actualizada." in shown
        assert "Asamblea virtual de Lince" in shown

    def test_bad_input_changes_nothing_and_shows_spanish_errors_by_field(
        self, app, session, officer, make_citizen
    ):
        for _ in range(2):
            call_action(
                "limaactiva_session_register",
                {"user": make_citizen()["name"], "ignore_auth": False},
                id=session["id"],
            )
        before = call_action("limaactiva_session_show", id=session["id"])
        edit_url = session_edit_url(session)

        blank = app.post(
            edit_url,
            data=session_form(
                session,
                title="",
                description="Lo que escribí y no quiero perder",
            ),
            headers=auth(officer),
        )
        assert blank.status_code == 400
        assert "Revise los campos marcados." in blank.body
        assert 'id="session-title-error"' in blank.body
        assert "Este campo es obligatorio." in blank.body
        assert "Lo que escribí y no quiero perder" in blank.body

        no_place = app.post(
            edit_url, data=session_form(session, place=""), headers=auth(officer)
        )
        assert no_place.status_code == 400
        assert 'id="session-place-error"' in no_place.body
        assert "Indique el lugar de la sesión presencial." in no_place.body

        backwards = app.post(
            edit_url,
            data=session_form(
                session, ends_at=session["starts_at"][:11] + "17:00", online_url=""
            ),
            headers=auth(officer),
        )
        assert backwards.status_code == 400
        assert 'id="session-ends-error"' in backwards.body
        assert "La sesión no puede terminar antes de empezar." in backwards.body
        assert 'id="session-online-error"' in backwards.body
        assert "Indique el enlace de la sesión virtual." in backwards.body

        bad_date = app.post(
            edit_url,
            data=session_form(session, starts_at="01/12/2026 18:00"),
            headers=auth(officer),
        )
        assert bad_date.status_code == 400
        assert 'id="session-starts-error"' in bad_date.body
        assert "Fecha y hora no válidas" in bad_date.body
        assert 'value="01/12/2026 18:00"' in bad_date.body

        too_small = app.post(
            edit_url, data=session_form(session, capacity="1"), headers=auth(officer)
        )
        assert too_small.status_code == 400
        assert 'id="session-capacity-error"' in too_small.body
        assert (
            "El aforo no puede ser menor que las personas ya inscritas (2)."
            in too_small.body
        )

        assert call_action("limaactiva_session_show", id=session["id"]) == before

    def test_errors_are_english_under_en(self, app, session, officer):
        page = app.get(session_edit_url(session, "/en"), headers=auth(officer))
        assert "Edit the session" in page.body and "Save changes" in page.body
        blank = app.post(
            session_edit_url(session, "/en"),
            data=session_form(session, title=""),
            headers=auth(officer),
        )
        assert blank.status_code == 400
        assert "Check the marked fields." in blank.body
        assert "Este campo es obligatorio." not in blank.body
        no_place = app.post(
            session_edit_url(session, "/en"),
            data=session_form(session, place=""),
            headers=auth(officer),
        )
        assert no_place.status_code == 400
        assert "Give the venue of the in-person session." in no_place.body

    def test_another_office_anonymous_unknown_and_closed_are_refused(
        self, app, session, outsider, officer, sysadmin
    ):
        before = call_action("limaactiva_session_show", id=session["id"])
        edit_url = session_edit_url(session)
        assert app.get(edit_url, headers=auth(outsider)).status_code == 403
        assert (
            app.post(
                edit_url,
                data=session_form(session, title="Ajena"),
                headers=auth(outsider),
            ).status_code
            == 403
        )
        anonymous = app.get(edit_url, follow_redirects=False)
        assert (
            anonymous.status_code == 302
            and "/user/login" in anonymous.headers["Location"]
        )
        assert (
            app.post(edit_url, data=session_form(session, title="Anónima")).status_code
            == 403
        )
        assert call_action("limaactiva_session_show", id=session["id"]) == before

        unknown = "/participa/gestion/sesion/no-existe/editar"
        assert app.get(unknown, headers=auth(officer)).status_code == 404
        assert (
            app.post(unknown, data={"title": "x"}, headers=auth(officer)).status_code
            == 404
        )

        call_action(
            "limaactiva_session_close",
            {"user": sysadmin["name"]},
            id=session["id"],
            report="Se presentaron las propuestas.",
            attendees_count=40,
            contributions_count=12,
        )
        closed = call_action("limaactiva_session_show", id=session["id"])
        page = app.get(edit_url, headers=auth(officer))
        assert page.status_code == 409
        assert "La sesión ya fue cerrada; ya no se puede editar." in page.body
        assert (
            app.post(
                edit_url,
                data=session_form(session, title="Reprogramada"),
                headers=auth(officer),
            ).status_code
            == 409
        )
        assert call_action("limaactiva_session_show", id=session["id"]) == closed
        assert (
            "Editar esta sesión"
            not in app.get(
                f"/participa/sesion/{session['id']}", headers=auth(officer)
            ).body
        )
        assert edit_url not in app.get("/participa/gestion", headers=auth(officer)).body


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_session_update_action(sysadmin, space, make_space, session, officer, outsider):
    import ckan.plugins.toolkit as tk

    with pytest.raises(tk.NotAuthorized):
        call_action(
            "limaactiva_session_update",
            {"user": outsider["name"], "ignore_auth": False},
            id=session["id"],
            title="Ajena",
        )
    updated = call_action(
        "limaactiva_session_update",
        {"user": officer["name"], "ignore_auth": False},
        id=session["id"],
        title="Asamblea de Lince y Jesús María",
        capacity=50,
    )
    assert updated["title"] == "Asamblea de Lince y Jesús María"
    assert updated["capacity"] == 50
    assert updated["place"] == session["place"]  # not given: kept
    assert updated["starts_at"] == session["starts_at"]

    other_space = make_space()
    with pytest.raises(tk.ValidationError) as moved:
        call_action(
            "limaactiva_session_update",
            {"user": officer["name"], "ignore_auth": False},
            id=session["id"],
            space_id=other_space["id"],
            title="Movida",
        )
    assert "space_id" in moved.value.error_dict
    with pytest.raises(tk.ValidationError) as no_link:  # still hybrid
        call_action(
            "limaactiva_session_update",
            {"user": officer["name"], "ignore_auth": False},
            id=session["id"],
            online_url="",
        )
    assert "online_url" in no_link.value.error_dict
    with pytest.raises(tk.ValidationError) as empty_title:
        call_action(
            "limaactiva_session_update",
            {"user": officer["name"], "ignore_auth": False},
            id=session["id"],
            title=" ",
        )
    assert "title" in empty_title.value.error_dict
    assert call_action("limaactiva_session_show", id=session["id"]) == updated

    call_action(
        "limaactiva_session_close",
        {"user": sysadmin["name"]},
        id=session["id"],
        report="Realizada.",
        attendees_count=10,
        contributions_count=3,
    )
    with pytest.raises(tk.ValidationError) as closed:
        call_action(
            "limaactiva_session_update",
            {"user": sysadmin["name"]},
            id=session["id"],
            title="Después del cierre",
        )
    assert "id" in closed.value.error_dict
    with pytest.raises(tk.ObjectNotFound):
        call_action(
            "limaactiva_session_update", {"user": sysadmin["name"]}, id="no-existe"
        )


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_session_edit_form_needs_its_csrf_token(app, session, sysadmin, office):
    password = "Clave-Segura-2026"
    officer = member(sysadmin, office, password=password)
    login = app.get("/user/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', login.body).group(1)
    app.post(
        "/user/login",
        data={"login": officer["name"], "password": password, "_csrf_token": token},
    )
    edit_url = session_edit_url(session)
    page = app.get(edit_url)
    assert page.status_code == 200
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.body).group(1)

    refused = app.post(edit_url, data=session_form(session, title="Sin token"))
    assert refused.status_code == 400
    shown = call_action("limaactiva_session_show", id=session["id"])
    assert shown["title"] == session["title"]
    accepted = app.post(
        edit_url,
        data=session_form(session, title="Con token", _csrf_token=token),
        follow_redirects=False,
    )
    assert accepted.status_code == 302
    shown = call_action("limaactiva_session_show", id=session["id"])
    assert shown["title"] == "Con token"
