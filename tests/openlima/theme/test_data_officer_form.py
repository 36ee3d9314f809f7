"""A data officer publishes a dataset through the web form in a real browser (#13).

Chromium, logged in as an editor of the office: the first step of the form is filled
with only what is required, the optional blocks (publisher, period, data dictionary) and
the publisher left as the form offers them. It saves at the first try; the file uploaded
in the second step gets its SHA-256; the page shows no empty "Editor" block; the dataset's
DCAT names the office as dct:publisher. Then "Retirar de publicación" explains what it
does before doing it, in Spanish and in English, and what it says holds: the dataset
leaves the search, package_list, the DCAT catalogue and its public page, and its office
still sees it. axe-core finds no serious or critical violation on the form or the page.
"""
from __future__ import annotations

import hashlib
import re
import socket
import threading

import pytest
import rdflib
from ckan.tests import factories, helpers
from werkzeug.serving import make_server

import ckan.model as model

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
PASSWORD = "oficial-de-datos-2026"
NAME = "mercados-municipales"
CSV = "mercado,distrito\nMercado Central,150101\nMercado de Surquillo,150141\n".encode()
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# CKAN redirects after a form to ckan.site_url: the portal is served at that address
SITE = f"http://127.0.0.1:{_free_port()}"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
    pytest.mark.ckan_config("ckan.site_url", SITE),
    pytest.mark.ckan_config("ckanext.dcat.base_uri", SITE),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]


@pytest.fixture
def portal(app):
    httpd = make_server("127.0.0.1", int(SITE.rsplit(":", 1)[1]), app.app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield SITE
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture
def data_officer(office):
    user = factories.User(password=PASSWORD)
    helpers.call_action("organization_member_create", context={"ignore_auth": True},
                        id=office["id"], username=user["name"], role="editor")
    return user


def _login(browser, user, locale="es-PE"):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(SITE + "/user/login")
    page.fill("#field-login", user["name"])
    page.fill("#field-password", PASSWORD)
    page.locator("#field-password").press("Enter")
    page.wait_for_url(lambda url: "/user/login" not in url)
    return context, page


def _fresh(action: str, **data):
    model.Session.remove()  # the browser's requests were committed by the server's thread
    return helpers.call_action(action, context={"user": "", "ignore_auth": False}, **data)


def test_data_officer_publishes_with_optional_blocks_empty_then_retires_it(
        portal, browser, data_officer, office, axe_violations, tmp_path):
    context, page = _login(browser, data_officer)
    try:
        page.goto(SITE + "/dataset/new")
        # CKAN's modules start after its translations arrive: wait for the keywords box
        page.wait_for_selector(".select2-selection--multiple", state="attached")
        form_violations = axe_violations(page)
        assert form_violations == [], "\n".join(map(str, form_violations))
        page.fill("#field-title", "Mercados municipales")
        # the URL name follows the title (CKAN's slug preview)
        page.fill("#field-notes", "Mercados de abastos administrados por la MML.")
        # the keywords box is a select2 widget over this input
        page.locator("#field-tag_string").evaluate("(input) => { input.value = 'mercados,abastos'; }")
        page.check('input[name="theme"][value$="/data-theme/ECON"]')
        page.fill("#field-contact-0-name", "Subgerencia de Mercados")
        page.fill("#field-contact-0-email", "mercados@munlima.gob.pe")
        page.select_option("#field-frequency", value="http://publications.europa.eu/resource/authority/frequency/ANNUAL")
        page.select_option("#field-private", "False")  # CKAN offers "Privado" first
        page.select_option("#field-spatial_ubigeo", ["150101", "150141"], force=True)
        # publisher, period and data dictionary: the blank rows, untouched
        assert page.input_value("#field-publisher-0-name") == ""
        assert page.input_value("#field-data_dictionary-0-type") == ""
        page.click('button[name="save"]')

        # saved at the first try: the form's second step (the data)
        page.wait_for_url(re.compile(rf"/dataset/{NAME}/resource/new"))
        upload = tmp_path / "mercados.csv"
        upload.write_bytes(CSV)
        page.set_input_files("#field-resource-upload", str(upload))
        page.fill("#field-name", "Mercados (CSV)")
        if page.locator("#field-format").is_visible():
            page.fill("#field-format", "CSV")
        else:
            page.locator("#field-format").evaluate("(input) => { input.value = 'CSV'; }")
        page.click('button[name="save"][value="go-metadata"]')
        page.wait_for_url(re.compile(rf"/dataset/{NAME}$"))

        dataset = _fresh("package_show", id=NAME)
        assert dataset["state"] == "active"
        assert not dataset.get("publisher") and not dataset.get("data_dictionary")
        assert not dataset.get("temporal_coverage")
        resource = dataset["resources"][0]
        assert resource["hash"] == hashlib.sha256(CSV).hexdigest()
        assert resource["hash_algorithm"] == "sha256"

        # the page: a contact block headed "Contacto", no publisher block, the checksum
        text = page.inner_text("#content")
        assert "Contacto 1" not in text and "Editor 1" not in text
        assert page.locator(".panel-heading", has_text="Editor").count() == 0
        assert page.locator(".panel-heading", has_text="Contacto").inner_text().strip() == "Contacto"
        assert axe_violations(page) == []
        page.goto(f"{SITE}/dataset/{NAME}/resource/{resource['id']}")
        assert hashlib.sha256(CSV).hexdigest() in page.inner_text("#content")

        # DCAT: the office is the dataset's publisher
        turtle = page.request.get(f"{SITE}/dataset/{NAME}.ttl").text()
        graph = rdflib.Graph().parse(data=turtle, format="turtle")
        dataset_ref = next(graph.subjects(rdflib.RDF.type, DCAT.Dataset))
        publishers = list(graph.objects(dataset_ref, DCT.publisher))
        assert len(publishers) == 1, turtle
        assert str(graph.value(publishers[0], FOAF.name)) == office["title"]

        # "Retirar de publicación": first the explanation, then the act
        page.goto(f"{SITE}/dataset/edit/{NAME}")
        confirm = page.locator(".openlima-unpublish-confirm")
        assert not confirm.is_visible()
        page.click("summary:has-text('Retirar de publicación')")
        assert confirm.is_visible()
        explanation = confirm.inner_text()
        for promise in ("solo ve su oficina", "búsqueda", "package_list", "catálogos DCAT",
                        "sitio estático", "No se borra nada"):
            assert promise in explanation, explanation
        assert axe_violations(page, ".openlima-unpublish") == []

        english_context, english = _login(browser, data_officer, locale="en-GB")
        try:
            english.goto(f"{SITE}/en/dataset/edit/{NAME}")
            english.click("summary:has-text('Remove from publication')")
            english_text = english.locator(".openlima-unpublish-confirm").inner_text()
            assert "only its office" in english_text and "package_list" in english_text
            assert "Yes, remove from publication" in english_text
            assert not re.search(r"[áéíóú]|búsqueda|borrador", english_text), english_text
        finally:
            english_context.close()

        confirm.get_by_role("button", name="Sí, retirar de publicación").click()
        page.wait_for_url(re.compile(rf"/dataset/{NAME}$"))
    finally:
        context.close()

    # what the explanation said: gone from search, package_list, DCAT and the public page
    model.Session.remove()
    assert helpers.call_action("package_search", q="mercados")["count"] == 0
    assert NAME not in helpers.call_action("package_list")
    anonymous = browser.new_context(locale="es-PE")
    try:
        public = anonymous.new_page()
        assert public.goto(f"{SITE}/dataset/{NAME}").status == 404
        catalogue = public.request.get(f"{SITE}/catalog.ttl").text()
        assert NAME not in catalogue
        assert public.request.get(f"{SITE}/dataset/{NAME}.ttl").status == 404
    finally:
        anonymous.close()
    # ...and still there for its office, as a draft
    office_view = helpers.call_action("package_show", context={"user": data_officer["name"]}, id=NAME)
    assert office_view["state"] == "draft"
    assert helpers.call_action("package_search", context={"user": data_officer["name"]},
                               q="mercados", include_drafts=True)["count"] == 1
