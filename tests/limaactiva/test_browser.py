"""Lima Activa in headless Chromium: propose → comment → vote → official answer without
JavaScript, and axe-core finds no serious or critical violation on the space, proposal,
directory, office and edit pages (the space and session edit forms are submitted too)."""

from __future__ import annotations

import datetime

import pytest
import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("with_plugins", "clean_db")]

PASSWORD = "vecina-de-lima-2026"


def stored_title(action: str, id_: str) -> str:
    """The title as stored now, read afresh: the browser's request was served (and
    committed) by the test server's thread, not by this thread's database session."""
    model.Session.remove()
    return call_action(action, id=id_)["title"]


def login(browser, server, user, javascript=False):
    context = browser.new_context(locale="es-PE", java_script_enabled=javascript)
    page = context.new_page()
    page.goto(server + "/user/login")
    page.fill("#field-login", user["name"])
    page.fill("#field-password", PASSWORD)
    # CKAN answers the login with a redirect built from ckan.site_url (test.ckan.net in the
    # test settings), which does not resolve here: answer it locally.
    context.route(
        "http://test.ckan.net/**", lambda route: route.fulfill(status=200, body="ok")
    )
    page.locator("#field-password").press("Enter")
    page.wait_for_url(lambda url: "/user/login" not in url)
    page.wait_for_load_state()
    return context, page


def test_propose_comment_vote_answer_without_javascript(
    browser, server, space, sysadmin, office
):
    citizen = factories.User(password=PASSWORD)
    call_action(
        "limaactiva_participant_confirm",
        {"user": sysadmin["name"]},
        user=citizen["name"],
    )
    officer = factories.User(password=PASSWORD)
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id=office["name"],
        username=officer["name"],
        role="editor",
    )

    context, page = login(browser, server, citizen)
    page.goto(f"{server}/participa/espacio/{space['name']}")
    page.fill("#field-title", "Bebederos en el parque zonal")
    page.fill("#field-body", "Instalar bebederos de agua potable.")
    page.select_option("#field-district", "150103")
    page.fill("#field-theme", "agua")
    page.click("form[action$='/proponer'] button[type=submit]")
    page.wait_for_url("**/participa/propuesta/**")
    assert page.locator("h1").first.inner_text() == "Bebederos en el parque zonal"
    proposal_url = page.url

    page.check("input[name=alignment][value=a_favor]")
    page.fill("#comment-body-new", "Hace mucha falta en verano.")
    page.click(
        "form[action$='/comentar']:not(:has(input[name=parent_id])) button[type=submit]"
    )
    page.wait_for_load_state()
    assert "Hace mucha falta en verano." in page.content()

    page.check("input[name=weight][value='3']")
    page.click("form[action$='/priorizar'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#proposal-score").inner_text() == "3"
    assert "Publicar respuesta" not in page.content()
    context.close()

    context, page = login(browser, server, officer)
    page.goto(proposal_url)
    page.select_option("#answer-state", "accepted")
    page.fill("#answer-text", "Se instalarán diez bebederos en 2027.")
    page.click("form[action$='/responder'] button[type=submit]")
    page.wait_for_load_state()
    assert "Se instalarán diez bebederos en 2027." in page.content()
    assert "Aceptada" in page.content()
    context.close()


def test_space_proposal_and_directory_pass_axe(
    browser, server, space, proposal, sysadmin, office, axe_violations
):
    call_action(
        "limaactiva_service_create",
        {"user": sysadmin["name"]},
        name="licencia",
        title="Licencia de funcionamiento",
        office=office["name"],
        channel="online",
        requirements="DNI",
        url="https://www.munlima.gob.pe/",
    )
    session = call_action(
        "limaactiva_session_create",
        {"user": sysadmin["name"]},
        space_id=space["id"],
        title="Asamblea vecinal",
        modality="in_person",
        place="Local comunal",
        district="150116",
        starts_at=f"{clock.today() + datetime.timedelta(days=7)}T18:00",
    )
    citizen = factories.User(password=PASSWORD)
    call_action(
        "limaactiva_participant_confirm",
        {"user": sysadmin["name"]},
        user=citizen["name"],
    )
    call_action(
        "limaactiva_vote_cast",
        {"user": citizen["name"], "ignore_auth": False},
        proposal_id=proposal["id"],
        weight=2,
    )
    anonymous = browser.new_context(locale="es-PE")
    page = anonymous.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for path in (
        "/participa/",
        f"/participa/espacio/{space['name']}",
        f"/participa/propuesta/{proposal['id']}",
        "/servicios/?q=licencia",
    ):
        page.goto(server + path)
        assert axe_violations(page, within="[role=main]") == [], path
    anonymous.close()
    context, page = login(browser, server, citizen, javascript=True)
    for path in (
        f"/participa/espacio/{space['name']}",
        f"/participa/propuesta/{proposal['id']}",
    ):
        page.goto(server + path)
        assert axe_violations(page, within="[role=main]") == [], path
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
    for path in ("/participa/gestion", "/participa/moderacion"):
        page.goto(server + path)
        assert "Gestión" in page.content() or "Moderación" in page.content()
        assert axe_violations(page, within="[role=main]") == [], path
    for path in (
        f"/participa/gestion/espacio/{space['name']}/editar",
        "/participa/gestion/servicio/licencia/editar",
        f"/participa/gestion/sesion/{session['id']}/editar",
    ):
        page.goto(server + path)
        assert "Guardar cambios" in page.content()
        assert axe_violations(page, within="[role=main]") == [], path
    # the edit form, posted by the browser with its CSRF token, saves the change
    page.goto(server + f"/participa/gestion/espacio/{space['name']}/editar")
    page.fill("#space-title", "Presupuesto participativo editado")
    assert page.input_value("#space-title") == "Presupuesto participativo editado"
    page.click("form[action$='/editar'] button[type=submit]")
    page.wait_for_url(lambda url: url.endswith(f"/participa/espacio/{space['name']}"))
    assert "Espacio actualizado." in page.content()
    assert "Presupuesto participativo editado" in page.content()
    assert stored_title("limaactiva_space_show", space["id"]) == (
        "Presupuesto participativo editado"
    )
    page.goto(server + f"/participa/gestion/sesion/{session['id']}/editar")
    page.fill("#session-title", "Asamblea vecinal reprogramada")
    assert page.input_value("#session-title") == "Asamblea vecinal reprogramada"
    page.click("form[action$='/editar'] button[type=submit]")
    page.wait_for_url(lambda url: url.endswith(f"/participa/sesion/{session['id']}"))
    assert "Sesión actualizada." in page.content()
    assert stored_title("limaactiva_session_show", session["id"]) == (
        "Asamblea vecinal reprogramada"
    )
    context.close()
    assert errors == []


def test_follow_a_proposal_read_the_notice_and_unfollow_in_the_browser(
    browser, server, space, proposal, sysadmin, axe_violations
):
    """Follow from the proposal page, get told of the official answer on the dashboard,
    unfollow from there (plain forms; JavaScript on only for axe, which finds nothing
    serious)."""
    neighbour = factories.User(password=PASSWORD)
    context, page = login(browser, server, neighbour, javascript=True)
    page.goto(f"{server}/participa/propuesta/{proposal['id']}")
    assert "vence el" in page.content()
    page.get_by_role("button", name="Seguir esta propuesta").click()
    page.wait_for_load_state()
    assert "Dejar de seguir esta propuesta" in page.content()
    assert "Personas que siguen: 1" in page.content()
    assert axe_violations(page, within="[role=main]") == []
    model.Session.remove()
    call_action(
        "limaactiva_proposal_answer",
        {"user": sysadmin["name"]},
        id=proposal["id"],
        state="under_evaluation",
        answer_text="La oficina la evalúa con el área de movilidad.",
    )
    page.goto(f"{server}/dashboard/participa")
    content = page.content()
    assert "Participación (1)" in content
    assert f"La propuesta «{proposal['title']}» recibió una respuesta oficial" in content
    # CKAN's dashboard pages have no role=main (its header's own account link is CKAN's)
    assert axe_violations(page, within="article.module") == []
    page.get_by_role("button", name="Dejar de seguir").click()
    page.wait_for_load_state()
    assert "No sigue ninguna propuesta ni espacio." in page.content()
    context.close()
