"""Survey pages: the space lists its surveys, a participant answers from the form (one
answer, Spanish errors next to the question), the office creates, edits and moderates,
results as HTML, CSV and JSON with small cells suppressed, English under /en/, and no
500 on hostile input."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def auth(user):
    return {"Authorization": user["token"]}


@pytest.fixture(autouse=True)
def _free_clock():
    yield
    clock.set_source(None)


def close(space_dict):
    end = datetime.date.fromisoformat(space_dict["phases"][-1]["end_date"])
    clock.set_source(
        datetime.datetime.combine(
            end + datetime.timedelta(days=1), datetime.time(12), tzinfo=clock.LIMA
        )
    )


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


@pytest.fixture
def survey(sysadmin, space):
    return call_action(
        "limaactiva_survey_create",
        {"user": sysadmin["name"]},
        space_id=space["id"],
        title="Consulta del parque",
        phase_key="prioritisation",
        questions=[
            {
                "kind": "single",
                "text": "¿Qué obra prefiere?",
                "options": ["Parque", "=HYPERLINK(\"x\")"],
                "required": True,
            },
            {"kind": "scale", "text": "¿Cuán urgente es?"},
            {"kind": "text", "text": "¿Algo más?"},
        ],
    )


def form_for(survey, single="0", scale="4", text=""):
    ids = [question["id"] for question in survey["questions"]]
    return {f"q-{ids[0]}": single, f"q-{ids[1]}": scale, f"q-{ids[2]}": text}


def test_space_page_lists_surveys_and_offers_creation_to_the_office(
    app, space, survey, officer, citizen
):
    public = app.get(f"/participa/espacio/{space['name']}").body
    assert "Encuestas y consultas" in public and "Consulta del parque" in public
    assert "Crear una encuesta" not in public
    assert "Crear una encuesta" in app.get(
        f"/participa/espacio/{space['name']}", headers=auth(officer)
    ).body


def test_a_participant_answers_from_the_form_once(app, survey, citizen):
    page = app.get(f"/participa/encuesta/{survey['id']}", headers=auth(citizen)).body
    assert 'id="survey-form"' in page and "¿Qué obra prefiere?" in page
    url = f"/participa/encuesta/{survey['id']}/responder"
    response = app.post(
        url, data=form_for(survey, text="Más bancas"), headers=auth(citizen),
        follow_redirects=False,
    )
    assert response.status_code == 302
    after = app.get(f"/participa/encuesta/{survey['id']}", headers=auth(citizen)).body
    assert 'id="survey-answered"' in after and 'id="survey-form"' not in after
    again = app.post(url, data=form_for(survey, single="1"), headers=auth(citizen))
    assert again.status_code == 400
    assert "Ya respondió esta encuesta" in again.body


def test_form_errors_sit_next_to_their_question(app, survey, citizen):
    response = app.post(
        f"/participa/encuesta/{survey['id']}/responder",
        data=form_for(survey, single="", scale="9", text="guardado"),
        headers=auth(citizen),
    )
    assert response.status_code == 400
    ids = [question["id"] for question in survey["questions"]]
    assert f'id="q-{ids[0]}-error">Responda esta pregunta.' in response.body
    assert f'id="q-{ids[1]}-error">Elija un valor del 1 al 5.' in response.body
    assert ">guardado</textarea>" in response.body  # what was typed is kept


def test_anonymous_visitors_are_asked_to_log_in(app, survey):
    page = app.get(f"/participa/encuesta/{survey['id']}").body
    assert "Inicie sesión para responder" in page and 'id="survey-form"' not in page
    response = app.post(
        f"/participa/encuesta/{survey['id']}/responder", data=form_for(survey)
    )
    assert response.status_code in (400, 403)


def test_results_page_is_public_after_close_with_csv_and_json(
    app, space, survey, make_citizen
):
    results_url = f"/participa/encuesta/{survey['id']}/resultados"
    assert app.get(results_url).status_code == 403
    for number in range(6):
        person = make_citizen()
        app.post(
            f"/participa/encuesta/{survey['id']}/responder",
            data=form_for(survey, single="0" if number < 5 else "1", scale="3"),
            headers=auth(person),
        )
    close(space)
    page = app.get(results_url).body
    assert 'id="survey-respondents">6<' in page
    assert "&lt;5" in page and "oculto" in page
    as_json = json.loads(app.get(results_url + ".json").body)
    assert [c["count"] for c in as_json["questions"][0]["counts"]] == ["oculto", "<5"]
    assert [c["count"] for c in as_json["questions"][1]["counts"]] == [0, 0, 6, 0, 0]
    assert as_json["questions"][1]["mean"] == 3.0
    response = app.get(results_url + ".csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.body)))
    options = [row["option"] for row in table if row["question_position"] == "1"]
    # an option that starts like a formula is written as text
    assert options == ["Parque", "'=HYPERLINK(\"x\")"]
    assert {row["respondents"] for row in table} == {"6"}


def test_the_office_creates_a_survey_from_the_form(app, space, officer):
    url = f"/participa/gestion/espacio/{space['name']}/encuesta"
    page = app.get(url, headers=auth(officer))
    assert page.status_code == 200 and 'name="q0_text"' in page.body
    bad = app.post(
        url,
        data={
            "title": "",
            "phase_key": "prioritisation",
            "q2_text": "¿Color?",
            "q2_kind": "single",
            "q2_options": "Rojo",
        },
        headers=auth(officer),
    )
    assert bad.status_code == 400
    assert "Este campo es obligatorio." in bad.body
    # the only used row (the third) comes back first, with its own message
    assert 'id="q0-error">Pregunta 1: Entre 2 y 20 opciones' in bad.body
    assert 'value="¿Color?"' in bad.body
    good = app.post(
        url,
        data={
            "title": "Horario de la biblioteca",
            "phase_key": "prioritisation",
            "live_results": "on",
            "q1_text": "¿Qué horario prefiere?",
            "q1_kind": "single",
            "q1_options": "Mañana\nTarde\nNoche",
            "q1_required": "on",
            "q3_text": "¿Sugerencias?",
            "q3_kind": "text",
        },
        headers=auth(officer),
        follow_redirects=False,
    )
    assert good.status_code == 302
    created = call_action("limaactiva_survey_list", space_id=space["id"])[0]
    assert created["title"] == "Horario de la biblioteca" and created["live_results"]
    assert [(q["kind"], q["options"], q["required"]) for q in created["questions"]] == [
        ("single", ["Mañana", "Tarde", "Noche"], True),
        ("text", [], False),
    ]


def test_the_office_edits_and_moderates(app, survey, officer, citizen):
    edit_url = f"/participa/gestion/encuesta/{survey['id']}/editar"
    page = app.get(edit_url, headers=auth(officer)).body
    assert 'value="Consulta del parque"' in page and "¿Cuán urgente es?" in page
    app.post(
        f"/participa/encuesta/{survey['id']}/responder",
        data=form_for(survey, text="Pongan más luz"),
        headers=auth(citizen),
    )
    # with answers the questions are shown, not offered for change
    frozen = app.get(edit_url, headers=auth(officer)).body
    assert "sus preguntas no pueden cambiar" in frozen and 'name="q0_text"' not in frozen
    saved = app.post(
        edit_url,
        data={"title": "Consulta renombrada", "phase_key": "prioritisation"},
        headers=auth(officer),
        follow_redirects=False,
    )
    assert saved.status_code == 302
    assert call_action("limaactiva_survey_show", id=survey["id"])["title"] == (
        "Consulta renombrada"
    )
    queue_url = f"/participa/gestion/encuesta/{survey['id']}/moderacion"
    queue = app.get(queue_url, headers=auth(officer)).body
    assert "Pongan más luz" in queue
    answer_id = re.search(r'name="answer_id" value="([^"]+)"', queue).group(1)
    decided = app.post(
        queue_url,
        data={"answer_id": answer_id, "decision": "approve"},
        headers=auth(officer),
        follow_redirects=False,
    )
    assert decided.status_code == 302
    assert "No hay textos por revisar." in app.get(queue_url, headers=auth(officer)).body
    bad = app.post(
        queue_url, data={"answer_id": answer_id, "decision": "borrar"}, headers=auth(officer)
    )
    assert bad.status_code == 400 and "Decisión no válida" in bad.body


def test_office_pages_refuse_others(app, space, survey, citizen):
    outsider = factories.UserWithToken()
    factories.Organization(users=[{"name": outsider["name"], "capacity": "editor"}])
    urls = [
        f"/participa/gestion/espacio/{space['name']}/encuesta",
        f"/participa/gestion/encuesta/{survey['id']}/editar",
        f"/participa/gestion/encuesta/{survey['id']}/moderacion",
    ]
    for url in urls:
        for user in (citizen, outsider):
            assert app.get(url, headers=auth(user)).status_code == 403
            assert app.post(url, data={}, headers=auth(user)).status_code == 403
        anonymous = app.get(url, follow_redirects=False)
        assert anonymous.status_code == 302 and "/user/login" in anonymous.headers["Location"]


def test_unknown_survey_is_404_and_hostile_ids_never_500(app, citizen):
    for survey_id in ("no-existe", "a" * 5000, "%27%22%3E", "ñandú"):
        for suffix in ("", "/resultados", "/resultados.csv", "/resultados.json"):
            assert app.get(f"/participa/encuesta/{survey_id}{suffix}").status_code == 404
        response = app.post(
            f"/participa/encuesta/{survey_id}/responder", data={}, headers=auth(citizen)
        )
        assert response.status_code == 404


def test_hostile_answers_are_400_not_500(app, survey, citizen):
    ids = [question["id"] for question in survey["questions"]]
    for value in ("-1", "1" + "0" * 20, "<script>", "0.5"):
        response = app.post(
            f"/participa/encuesta/{survey['id']}/responder",
            data={f"q-{ids[0]}": value, f"q-{ids[1]}": value},
            headers=auth(citizen),
        )
        assert response.status_code == 400, value
        assert "<script>" not in response.body.split('id="survey-form"')[1].split(
            "</form>"
        )[0].replace("&lt;script&gt;", "")


def test_pages_in_english(app, space, survey, citizen):
    page = app.get(f"/en/participa/encuesta/{survey['id']}", headers=auth(citizen)).body
    assert "Send my answers" in page and "Enviar mis respuestas" not in page
    close(space)
    results = app.get(f"/en/participa/encuesta/{survey['id']}/resultados").body
    assert "People who answered" in results


def test_published_results_are_in_the_open_data_export(
    app, space, survey, make_citizen, sysadmin, office
):
    for _ in range(5):
        app.post(
            f"/participa/encuesta/{survey['id']}/responder",
            data=form_for(survey, single="0", scale="2"),
            headers=auth(make_citizen()),
        )
    # still open: the export has nothing of it
    assert survey["id"] not in app.get("/participa/datos/encuestas.csv").body
    close(space)
    table = list(csv.DictReader(io.StringIO(app.get("/participa/datos/encuestas.csv").body)))
    assert {row["survey_id"] for row in table} == {survey["id"]}
    scale_rows = [r for r in table if r["kind"] == "scale" and r["option"]]
    assert [(r["option"], r["count"]) for r in scale_rows] == [
        ("1", "0"), ("2", "5"), ("3", "0"), ("4", "0"), ("5", "0")
    ]
    dataset = call_action(
        "limaactiva_publish", {"user": sysadmin["name"]}, owner_org=office["name"]
    )
    assert any(r["url"].endswith("/participa/datos/encuestas.csv") for r in dataset["resources"])
