"""Public pages under /participa and /servicios: readable by anyone, forms for logged-in
participants, no 500 on bad input, voter identities never shown."""

from __future__ import annotations

import ckan.model as model
import pytest
import sqlalchemy as sa
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
    pytest.mark.ckan_config("WTF_CSRF_ENABLED", False),
]


def auth(user):
    return {"Authorization": user["token"]}


def test_anonymous_reads_every_page(app, space, proposal, sysadmin):
    session = call_action(
        "limaactiva_session_create",
        {"user": sysadmin["name"]},
        space_id=space["id"],
        title="Asamblea en Lince",
        modality="in_person",
        place="Parque Mariscal Castilla",
        starts_at="2026-12-05T10:00",
    )
    index = app.get("/participa/")
    assert index.status_code == 200 and space["title"] in index.body
    page = app.get(f"/participa/espacio/{space['name']}")
    assert page.status_code == 200
    assert proposal["title"] in page.body and "Asamblea en Lince" in page.body
    assert "Inicie sesión" in page.body
    assert 'name="title"' not in page.body  # no proposal form for anonymous visitors
    detail = app.get(f"/participa/propuesta/{proposal['id']}")
    assert detail.status_code == 200 and "Conectar las ciclovías" in detail.body
    assert 'name="weight"' not in detail.body
    assert app.get(f"/participa/sesion/{session['id']}").status_code == 200
    assert app.get("/servicios/").status_code == 200
    civic = app.get(f"/participa/espacio/{space['name']}/aprende")
    assert civic.status_code == 200 and "Cómo participar" in civic.body
    _unknown_things_are_404_not_500(app)
    _anonymous_vote_post_is_refused(app, proposal)


def _unknown_things_are_404_not_500(app):
    assert app.get("/participa/espacio/no-existe").status_code == 404
    assert app.get("/participa/propuesta/no-existe").status_code == 404
    assert app.get("/participa/sesion/no-existe").status_code == 404


def _anonymous_vote_post_is_refused(app, proposal):
    response = app.post(
        f"/participa/propuesta/{proposal['id']}/priorizar", data={"weight": "3"}
    )
    assert response.status_code == 403
    model.Session.remove()
    assert (
        model.Session.execute(sa.text("SELECT count(*) FROM limaactiva_vote")).scalar()
        == 0
    )


def test_propose_comment_vote_and_answer_through_the_forms(
    app, space, citizen, sysadmin
):
    response = app.post(
        f"/participa/espacio/{space['name']}/proponer",
        data={
            "title": "Iluminar el parque",
            "body": "Faltan luminarias.",
            "district": "150135",
            "theme": "seguridad",
        },
        headers=auth(citizen),
        follow_redirects=False,
    )
    assert response.status_code == 302
    proposal_url = response.headers["Location"]
    proposal_id = proposal_url.rstrip("/").split("/")[-1]
    page = app.get(proposal_url, headers=auth(citizen))
    assert "Iluminar el parque" in page.body and 'name="weight"' in page.body

    voted = app.post(
        f"/participa/propuesta/{proposal_id}/priorizar",
        data={"weight": "3"},
        headers=auth(citizen),
        follow_redirects=False,
    )
    assert voted.status_code == 302
    commented = app.post(
        f"/participa/propuesta/{proposal_id}/comentar",
        data={"alignment": "a_favor", "body": "Muy necesario de noche."},
        headers=auth(citizen),
        follow_redirects=False,
    )
    assert commented.status_code == 302
    page = app.get(f"/participa/propuesta/{proposal_id}")
    assert "Muy necesario de noche." in page.body
    assert 'id="proposal-score">3<' in page.body
    assert "<svg" in page.body and "Historial diario del puntaje" in page.body

    officer = factories.UserWithToken()
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id="gerencia-participacion",
        username=officer["name"],
        role="editor",
    )
    assert "Publicar respuesta" not in app.get(proposal_url, headers=auth(citizen)).body
    assert "Publicar respuesta" in app.get(proposal_url, headers=auth(officer)).body
    answered = app.post(
        f"/participa/propuesta/{proposal_id}/responder",
        data={
            "state": "accepted",
            "answer_text": "Se instalarán en marzo.",
        },
        headers=auth(officer),
        follow_redirects=False,
    )
    assert answered.status_code == 302
    answered_page = app.get(proposal_url).body
    assert "Se instalarán en marzo." in answered_page


def test_bad_form_input_shows_spanish_errors_and_changes_nothing(
    app, space, proposal, citizen
):
    response = app.post(
        f"/participa/espacio/{space['name']}/proponer",
        data={"title": "", "body": "Texto", "district": "000000", "theme": "x"},
        headers=auth(citizen),
    )
    assert response.status_code == 400
    assert "Este campo es obligatorio." in response.body
    assert "Distrito no válido" in response.body
    assert 'role="alert"' in response.body
    bad_vote = app.post(
        f"/participa/propuesta/{proposal['id']}/priorizar",
        data={"weight": "7"},
        headers=auth(citizen),
    )
    assert bad_vote.status_code == 400 and "La prioridad debe ser" in bad_vote.body
    model.Session.remove()
    assert (
        model.Session.execute(
            sa.text("SELECT count(*) FROM limaactiva_proposal")
        ).scalar()
        == 1
    )
    assert (
        model.Session.execute(sa.text("SELECT count(*) FROM limaactiva_vote")).scalar()
        == 0
    )


def test_unconfirmed_user_is_sent_to_confirm(app, space, proposal, make_citizen):
    unconfirmed = make_citizen(confirmed=False)
    page = app.get(f"/participa/propuesta/{proposal['id']}", headers=auth(unconfirmed))
    assert "debe confirmar su correo" in page.body
    refused = app.post(
        f"/participa/propuesta/{proposal['id']}/priorizar",
        data={"weight": "2"},
        headers=auth(unconfirmed),
    )
    assert refused.status_code == 403
    profile = app.get("/participa/perfil", headers=auth(unconfirmed))
    assert "Enviarme el enlace de confirmación" in profile.body


def test_space_list_searches_words_ignoring_case_and_accents(make_space):
    make_space(name="vias-seguras", title="Vías seguras para ciclistas",
               description="Rutas y ciclovías del Cercado")
    make_space(name="parques", title="Parques del Rímac", description="Áreas verdes")
    names = [s["name"] for s in call_action("limaactiva_space_list", q="VIAS ciclovias")]
    assert names == ["vias-seguras"]
    # the office is searched too; every word must match somewhere
    assert len(call_action("limaactiva_space_list", q="participación")) == 2
    assert call_action("limaactiva_space_list", q="rimac ciclistas") == []
    # LIKE's wildcards are plain characters
    assert call_action("limaactiva_space_list", q="%") == []
    assert call_action("limaactiva_space_list", q="_") == []


def test_services_directory_search(app, sysadmin, office):
    for name, title, channel in [
        ("licencia-funcionamiento", "Licencia de funcionamiento", "online"),
        ("partida-matrimonio", "Matrimonio civil", "in_person"),
    ]:
        call_action(
            "limaactiva_service_create",
            {"user": sysadmin["name"]},
            name=name,
            title=title,
            office=office["name"],
            channel=channel,
            requirements="DNI vigente; pago de tasa",
            url="https://www.munlima.gob.pe/",
        )
    found = call_action("limaactiva_service_list", q="LICENCIA funcionamiento")
    assert [s["name"] for s in found] == ["licencia-funcionamiento"]
    assert [
        s["name"] for s in call_action("limaactiva_service_list", q="matrimonió")
    ] == ["partida-matrimonio"]
    assert [
        s["name"] for s in call_action("limaactiva_service_list", channel="in_person")
    ] == ["partida-matrimonio"]
    page = app.get("/servicios/", query_string={"q": "licencia"})
    assert (
        "Licencia de funcionamiento" in page.body
        and "Matrimonio civil" not in page.body
    )
    bad = app.get("/servicios/", query_string={"canal": "paloma"})
    assert bad.status_code == 200 and "Canal no válido" in bad.body
