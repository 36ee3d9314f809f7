"""A survey end to end in headless Chromium, without JavaScript: the office creates it from
the space page, a participant answers it, the office publishes a free text, and once the
phase ends anyone reads the results, small cells suppressed. axe-core finds no serious or
critical violation on the survey, its forms, the moderation queue and the results."""

from __future__ import annotations

import datetime

import ckan.model as model
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("with_plugins", "clean_db")]

PASSWORD = "vecina-de-lima-2026"


@pytest.fixture(autouse=True)
def _free_clock():
    yield
    clock.set_source(None)


def login(browser, server, user, javascript=False):
    context = browser.new_context(locale="es-PE", java_script_enabled=javascript)
    page = context.new_page()
    page.goto(server + "/user/login")
    page.fill("#field-login", user["name"])
    page.fill("#field-password", PASSWORD)
    # CKAN's post-login redirect is built from ckan.site_url (test.ckan.net): answer it here
    context.route(
        "http://test.ckan.net/**", lambda route: route.fulfill(status=200, body="ok")
    )
    page.locator("#field-password").press("Enter")
    page.wait_for_url(lambda url: "/user/login" not in url)
    page.wait_for_load_state()
    return context, page


def test_manager_creates_participant_answers_public_reads_results(
    browser, server, space, sysadmin, office, make_citizen, axe_violations
):
    officer = factories.User(password=PASSWORD)
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id=office["name"],
        username=officer["name"],
        role="editor",
    )
    citizen = make_citizen(password=PASSWORD)

    # the office creates the survey from the space page
    context, page = login(browser, server, officer)
    page.goto(f"{server}/participa/espacio/{space['name']}")
    page.click("text=Crear una encuesta")
    page.fill("#survey-title", "¿Cómo usar la losa deportiva?")
    page.select_option("#survey-phase", "prioritisation")
    page.fill("#q0-text", "¿Qué deporte prefiere?")
    page.select_option("#q0-kind", "single")
    page.fill("#q0-options", "Fútbol\nVóley\nBásquet")
    page.check("input[name=q0_required]")
    page.fill("#q1-text", "¿Qué tan seguido la usaría?")
    page.select_option("#q1-kind", "scale")
    page.fill("#q2-text", "¿Alguna idea?")
    page.select_option("#q2-kind", "text")
    page.click("#survey-edit-form button[type=submit]")
    page.wait_for_url("**/participa/encuesta/**")
    assert "Encuesta creada." in page.content()
    survey_url = page.url
    survey_id = survey_url.rstrip("/").rsplit("/", 1)[1]
    context.close()

    # a participant answers, once
    context, page = login(browser, server, citizen)
    page.goto(survey_url)
    page.check("input[type=radio] >> nth=1")  # Vóley
    page.check("label.radio-inline:has-text('5') input")
    page.fill("textarea[name^='q-']", "Horario nocturno con buena iluminación")
    page.click("#survey-form button[type=submit]")
    page.wait_for_load_state()
    assert "Gracias: su respuesta quedó registrada." in page.content()
    assert page.locator("#survey-answered").count() == 1
    assert page.locator("#survey-form").count() == 0
    context.close()

    # five more people answer (the same action the form calls)
    model.Session.remove()
    survey = call_action("limaactiva_survey_show", id=survey_id)
    ids = [question["id"] for question in survey["questions"]]
    for _ in range(5):
        person = make_citizen()
        call_action(
            "limaactiva_survey_answer",
            {"user": person["name"], "ignore_auth": False},
            id=survey_id,
            answers={ids[0]: 0, ids[1]: 5, ids[2]: "Texto aún sin revisar"},
        )
    model.Session.remove()

    # the office publishes the free text
    context, page = login(browser, server, officer)
    page.goto(survey_url)
    page.click("text=Moderar las respuestas de texto")
    assert "Horario nocturno con buena iluminación" in page.content()
    page.click(
        "li:has-text('Horario nocturno con buena iluminación')"
        " button[name=decision][value=approve]"
    )
    page.wait_for_load_state()
    assert "Decisión registrada." in page.content()
    assert "Por revisar (5)" in page.content()
    context.close()

    # results are not public while the phase runs
    anonymous = browser.new_context(locale="es-PE", java_script_enabled=False)
    page = anonymous.new_page()
    response = page.goto(survey_url + "/resultados")
    assert response.status == 403
    anonymous.close()

    # the phase ends: anyone reads the results
    end = datetime.date.fromisoformat(space["phases"][-1]["end_date"])
    clock.set_source(
        datetime.datetime.combine(
            end + datetime.timedelta(days=1), datetime.time(9), tzinfo=clock.LIMA
        )
    )
    anonymous = browser.new_context(locale="es-PE", java_script_enabled=True)
    page = anonymous.new_page()
    page.goto(survey_url)
    assert "Cerrada" in page.content()
    page.click("text=Ver los resultados")
    assert page.locator("#survey-respondents").inner_text() == "6"
    sport = page.locator("#pregunta-1 tbody tr")
    # Vóley's 1 reads "<5"; Fútbol's 5 is withheld, or 6 − 5 would give it away
    assert [sport.nth(i).inner_text().split("\t") for i in range(3)] == [
        ["Fútbol", "oculto"],
        ["Vóley", "<5"],
        ["Básquet", "0"],
    ]
    texts = page.locator("#pregunta-3").inner_text()
    assert "Horario nocturno con buena iluminación" in texts
    assert "Texto aún sin revisar" not in texts
    assert axe_violations(page, within="[role=main]") == []
    page.goto(f"{server}/participa/espacio/{space['name']}")
    assert axe_violations(page, within="[role=main]") == []
    anonymous.close()


def test_survey_forms_pass_axe(
    browser, server, space, sysadmin, office, make_citizen, axe_violations
):
    survey = call_action(
        "limaactiva_survey_create",
        {"user": sysadmin["name"]},
        space_id=space["id"],
        title="Consulta de movilidad",
        phase_key="prioritisation",
        live_results=True,
        questions=[
            {"kind": "single", "text": "¿Cómo llega?", "options": ["Bus", "A pie"]},
            {"kind": "multiple", "text": "¿Qué usa?", "options": ["Bici", "Auto"]},
            {"kind": "scale", "text": "¿Satisfacción?"},
            {"kind": "text", "text": "¿Comentarios?"},
        ],
    )
    citizen = make_citizen(password=PASSWORD)
    context, page = login(browser, server, citizen, javascript=True)
    page.goto(f"{server}/participa/encuesta/{survey['id']}")
    assert page.locator("#survey-form").count() == 1
    assert axe_violations(page, within="[role=main]") == []
    # an error shown next to its question keeps the page accessible
    page.fill("textarea[name^='q-']", "x" * 10)
    page.evaluate(
        "document.querySelector('textarea[name^=\"q-\"]').removeAttribute('maxlength')"
    )
    page.fill("textarea[name^='q-']", "x" * 2001)
    page.click("#survey-form button[type=submit]")
    page.wait_for_load_state()
    assert "Como máximo 2000 caracteres." in page.content()
    assert axe_violations(page, within="[role=main]") == []
    page.goto(f"{server}/participa/encuesta/{survey['id']}/resultados")
    assert "Resultados parciales" in page.content()
    assert axe_violations(page, within="[role=main]") == []
    context.close()

    officer = factories.User(password=PASSWORD)
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id=office["name"],
        username=officer["name"],
        role="editor",
    )
    context, page = login(browser, server, officer, javascript=True)
    for path in (
        f"/participa/gestion/espacio/{space['name']}/encuesta",
        f"/participa/gestion/encuesta/{survey['id']}/editar",
        f"/participa/gestion/encuesta/{survey['id']}/moderacion",
    ):
        page.goto(server + path)
        assert axe_violations(page, within="[role=main]") == [], path
    context.close()
