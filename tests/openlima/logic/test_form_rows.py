"""The data officer's form (#13): the blank rows the form offers (data dictionary,
publisher, period) never block saving nor are stored; one message per error; a
publisher left empty is the office (in DCAT too); uploads get their SHA-256."""
from __future__ import annotations

import copy
import hashlib
import io
import re

import pytest
from ckan.tests import factories, helpers
from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
LOCAL_AUTHORITY = "http://purl.org/adms/publishertype/LocalAuthority"

pytestmark = [
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]


def _form(office_id: str, **fields) -> dict:
    """What the browser sends from the first step of the new-dataset form, with the one
    blank row of each optional block untouched."""
    form = {
        "title": "Mercados municipales", "name": "mercados-municipales",
        "notes": "Mercados de abastos administrados por la MML.", "tag_string": "mercados,abastos",
        "theme": THEME + "AGRI", "owner_org": office_id, "license_id": "cc-by",
        "frequency": FREQUENCY + "ANNUAL", "spatial_ubigeo": "1501",
        "contact-0-name": "Subgerencia de Mercados", "contact-0-email": "mercados@munlima.gob.pe",
        "publisher-0-name": "", "publisher-0-email": "", "publisher-0-url": "", "publisher-0-type": "",
        "temporal_coverage-0-start": "", "temporal_coverage-0-end": "",
        "data_dictionary-0-column": "", "data_dictionary-0-type": "",
        "data_dictionary-0-description": "",
        "version": "", "identifier": "", "issued": "", "modified": "", "url": "",
        "save": "continue", "_ckan_phase": "dataset_new_1", "pkg_name": "",
    }
    form.update(fields)
    return form


@pytest.fixture
def data_officer(office):
    user = factories.UserWithToken()
    helpers.call_action("organization_member_create", context={"ignore_auth": True},
                        id=office["id"], username=user["name"], role="editor")
    return user


def _error_summary(html: str) -> list[str]:
    block = re.search(r'<div class="error-explanation.*?</div>', html, re.S)
    assert block, "no error summary on the page"
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip()
            for item in re.findall(r"<li[^>]*>(.*?)</li>", block.group(0), re.S)]


def test_blank_rows_of_the_form_never_block_saving_nor_are_stored(app, office, data_officer):
    response = app.post("/dataset/new", data=_form(office["id"]),
                        headers={"Authorization": data_officer["token"]}, follow_redirects=False)
    assert response.status_code == 302, _error_summary(response.get_data(as_text=True))
    assert response.headers["Location"].endswith("/dataset/mercados-municipales/resource/new")

    dataset = helpers.call_action("package_show", id="mercados-municipales")
    for block in ("publisher", "data_dictionary", "temporal_coverage"):
        assert not dataset.get(block), (block, dataset.get(block))
    assert dataset["contact"] == [{"name": "Subgerencia de Mercados", "email": "mercados@munlima.gob.pe"}]


def test_a_row_with_something_in_it_is_still_checked(valid_dataset):
    valid_dataset["data_dictionary"] = [{"column": "", "type": "", "description": "Código"}]
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                            **valid_dataset)
    assert refused.value.error_dict == {"data_dictionary": [{
        "column": ["Indique el nombre de la columna."], "type": ["Indique el tipo de la columna."]}]}


def test_blank_rows_sent_by_the_api_are_dropped_and_filled_ones_kept_in_order(valid_dataset):
    valid_dataset["publisher"] = [{"name": "", "email": "", "url": "", "type": ""}]
    valid_dataset["temporal_coverage"] = [{"start": "", "end": ""}]
    valid_dataset["data_dictionary"] = [
        {"column": "", "type": "", "description": ""},
        {"column": "codigo", "type": "texto", "description": ""},
        {},
        {"column": "latitud", "type": "decimal", "description": "Latitud WGS84"},
    ]
    dataset = helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                                  **valid_dataset)
    assert "publisher" not in dataset and "temporal_coverage" not in dataset
    assert [row["column"] for row in dataset["data_dictionary"]] == ["codigo", "latitud"]


def test_a_required_block_left_empty_has_one_message(valid_dataset):
    valid_dataset["contact"] = [{"name": "", "email": ""}]
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                            **valid_dataset)
    assert refused.value.error_dict == {
        "contact": [{"name": ["Indique un punto de contacto (nombre y correo electrónico)."]}]}


def test_form_shows_each_error_once(app, office, data_officer):
    form = _form(office["id"], tag_string="a,mercados", **{"contact-0-name": "", "contact-0-email": ""})
    html = app.post("/dataset/new", data=form,
                    headers={"Authorization": data_officer["token"]}).get_data(as_text=True)
    summary = _error_summary(html)
    keyword_errors = [item for item in summary if "etiqueta" in item]
    assert len(keyword_errors) == 1 and keyword_errors[0].startswith("Palabras clave:"), summary
    assert not any(item.startswith("tags") for item in summary), summary
    contact_messages = re.findall(r"Indique (?:un punto de contacto|el nombre|el correo)", " ".join(summary))
    assert contact_messages == ["Indique un punto de contacto"], summary
    # inline, under the field: the same single messages
    inline = re.findall(r'<span class="error-block">(.*?)</span>', html, re.S)
    assert len(inline) == len(set(inline)) == 2, inline
    assert helpers.call_action("package_search", q="*:*", include_private=True)["count"] == 0


def test_publisher_left_empty_is_the_office_in_dcat_and_not_on_the_page(app, office, data_officer):
    app.post("/dataset/new", data=_form(office["id"]),
             headers={"Authorization": data_officer["token"]}, follow_redirects=False)
    helpers.call_action("package_patch", context={"user": data_officer["name"]},
                        id="mercados-municipales", state="active")
    turtle = app.get("/dataset/mercados-municipales.ttl").get_data(as_text=True)
    import rdflib

    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    dct = rdflib.Namespace("http://purl.org/dc/terms/")
    foaf = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
    publishers = list(graph.objects(None, dct.publisher))
    dataset_publishers = [p for s, p in graph.subject_objects(dct.publisher)
                          if (s, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")) in graph]
    assert publishers and dataset_publishers, turtle
    names = {str(name) for name in graph.objects(dataset_publishers[0], foaf.name)}
    assert "Gerencia de Movilidad Urbana" in names, turtle

    page = app.get("/dataset/mercados-municipales").get_data(as_text=True)
    assert not re.search(r"panel-heading\">\s*Editor", page)
    assert "Editor 1" not in page


def test_publisher_type_is_one_of_adms(valid_dataset):
    wrong = copy.deepcopy(valid_dataset)
    wrong["publisher"] = [{"name": "MML", "type": "http://example.org/alcaldia"}]
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]}, **wrong)
    assert "Valor no permitido" in refused.value.error_dict["publisher"][0]["type"][0]
    valid_dataset["publisher"] = [{"name": "MML", "type": LOCAL_AUTHORITY}]
    dataset = helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                                  **valid_dataset)
    assert dataset["publisher"] == [{"name": "MML", "type": LOCAL_AUTHORITY}]


def test_uploaded_file_gets_its_sha256_shown_on_the_resource_page(app, valid_dataset):
    sysadmin = factories.Sysadmin()
    dataset = helpers.call_action("package_create", context={"user": sysadmin["name"]}, **valid_dataset)
    content = "mercado,distrito\nCentral,150101\n".encode()
    resource = helpers.call_action(
        "resource_create", context={"user": sysadmin["name"]}, package_id=dataset["id"],
        name="Mercados (CSV)", format="CSV", url="", hash="0" * 64, hash_algorithm="md5",
        upload=FileStorage(io.BytesIO(content), filename="mercados.csv"))
    expected = hashlib.sha256(content).hexdigest()
    assert (resource["hash"], resource["hash_algorithm"]) == (expected, "sha256")
    assert resource["url_type"] == "upload" and resource["size"] == len(content)

    # the file stored is the file hashed
    stored = app.get(f"/dataset/{dataset['id']}/resource/{resource['id']}/download/mercados.csv")
    assert hashlib.sha256(stored.get_data()).hexdigest() == expected

    page = app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}").get_data(as_text=True)
    assert expected in page and "SHA-256" in page

    replaced = helpers.call_action(
        "resource_patch", context={"user": sysadmin["name"]}, id=resource["id"],
        upload=FileStorage(io.BytesIO(b"mercado\nCentral\n"), filename="mercados.csv"))
    assert replaced["hash"] == hashlib.sha256(b"mercado\nCentral\n").hexdigest()


def test_drop_empty_rows_validator_unit():
    schema = {"dataset_fields": [
        {"field_name": "title"},
        {"field_name": "data_dictionary", "repeating_subfields": [{"field_name": "column"}]}]}
    validator = tk.get_validator("openlima_drop_empty_rows")(None, schema)
    data = {("title",): "", ("data_dictionary", 0, "column"): "  ",
            ("data_dictionary", 1, "column"): "codigo", ("other", 0, "x"): ""}
    context: dict = {}
    validator(("__before",), data, {}, context)
    assert data == {("title",): "", ("data_dictionary", 1, "column"): "codigo", ("other", 0, "x"): ""}
    assert context["openlima_dropped_rows"] == {("data_dictionary", 0)}
