"""The dataset and resource pages (#13): controlled values by their label (publisher
type), repeating blocks headed by a word ("Editor", numbered only when there are
several), no line for a field without a value, the licence in the page's language."""
from __future__ import annotations

import re

import pytest
from ckan.tests import factories, helpers

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
LOCAL_AUTHORITY = "http://purl.org/adms/publishertype/LocalAuthority"

pytestmark = [
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]


def test_publisher_type_by_its_label_and_block_headings_as_words(app, valid_dataset):
    sysadmin = factories.Sysadmin()
    valid_dataset["publisher"] = [{"name": "Municipalidad Metropolitana de Lima", "type": LOCAL_AUTHORITY}]
    dataset = helpers.call_action("package_create", context={"user": sysadmin["name"]}, **valid_dataset)
    page = app.get(f"/dataset/{dataset['name']}").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Tipo de editor Gobierno local" in text
    assert LOCAL_AUTHORITY not in text and "publishertype" not in text
    # one publisher, one contact: headings without a number; two columns: numbered
    assert re.search(r'class="panel-heading">\s*Editor\s*</header>', page)
    assert re.search(r'class="panel-heading">\s*Contacto\s*</header>', page)
    assert re.search(r'class="panel-heading">\s*Columna 2\s*</header>', page)
    # an email the publisher does not have is no empty line
    publisher_panel = page.split('class="panel-heading">Editor')[1].split("</dl>")[0]
    assert "Correo electrónico" not in publisher_panel and "Sitio web" not in publisher_panel

    # fields without a value get no line (the dataset has no provenance nor identifier)
    assert "Procedencia" not in text and "Identificador" not in text
    assert "Cobertura geográfica (DCAT)" not in text

    english = app.get(f"/en/dataset/{dataset['name']}").get_data(as_text=True)
    assert "Local authority" in english


def test_licence_is_named_in_the_page_language(app, valid_dataset):
    dataset = helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                                  **valid_dataset)
    resource_page = f"/dataset/{dataset['name']}/resource/{dataset['resources'][0]['id']}"
    for path, title in ((resource_page, "Creative Commons Atribución 4.0 (CC BY 4.0)"),
                        (f"/dataset/{dataset['name']}", "Creative Commons Atribución 4.0 (CC BY 4.0)"),
                        ("/en" + resource_page, "Creative Commons Attribution 4.0 (CC BY 4.0)")):
        page = app.get(path).get_data(as_text=True)
        assert title in page, path
        if path == resource_page:  # the resource has no language nor issued date
            assert ">Idioma<" not in page and "Fecha de publicación" not in page
        if not path.startswith("/en"):
            assert "Creative Commons Attribution" not in page, path
