"""The Spanish theme: home with search, themes, districts, latest and most consulted
datasets and headline metrics; theme and district filters on the search page."""
from __future__ import annotations

import copy
import re

import pytest
from ckan.tests import factories, helpers

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"}

pytestmark = [
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]


def _create(valid_dataset, **changes):
    data = copy.deepcopy(valid_dataset)
    data.update(changes)
    return helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]}, **data)


def test_home_page_in_spanish_with_search_themes_districts_and_figures(app, valid_dataset):
    first = _create(valid_dataset)
    _create(valid_dataset, name="presupuesto", title="Presupuesto participativo",
            theme=["http://publications.europa.eu/resource/authority/data-theme/ECON"], spatial_ubigeo=["1501"])
    _create(valid_dataset, name="secreto", title="Borrador secreto", private=True)
    app.get(f"/dataset/{first['name']}", headers=BROWSER)

    page = app.get("/", status=200).get_data(as_text=True)
    assert '<html lang="es"' in page
    assert "Datos abiertos de la Municipalidad Metropolitana de Lima" in page
    assert 'label for="openlima-home-q"' in page
    assert "Transporte <span class=\"openlima-count\">(1)</span>" in page
    assert "Economía y finanzas <span class=\"openlima-count\">(1)</span>" in page
    assert "Miraflores (150122)" in page and "Villa María del Triunfo (150143)" in page
    assert "Presupuesto participativo" in page  # latest
    most_consulted = page[page.index("Los más consultados"):]
    assert "Paraderos del Metropolitano" in most_consulted and "1 consultas" in most_consulted
    assert "Borrador secreto" not in page
    assert 'href="/cumplimiento"' in page and 'href="/metricas"' in page


def test_search_filters_by_theme_and_district_in_spanish(app, valid_dataset):
    _create(valid_dataset)
    _create(valid_dataset, name="presupuesto", title="Presupuesto participativo",
            theme=["http://publications.europa.eu/resource/authority/data-theme/ECON"], spatial_ubigeo=["150103"])
    by_theme = helpers.call_action("package_search", fq='tema:"Economía y finanzas"')
    assert [d["name"] for d in by_theme["results"]] == ["presupuesto"]
    by_district = helpers.call_action("package_search", fq='distrito:"Miraflores"')
    assert [d["name"] for d in by_district["results"]] == ["paraderos-metropolitano"]
    page = app.get("/dataset/", query_string={"distrito": "Ate"}).get_data(as_text=True)
    assert "Presupuesto participativo" in page and "Paraderos del Metropolitano" not in page
    assert "Distritos" in page and "Temas" in page


def test_spanish_first_english_offered(app):
    spanish = app.get("/metricas").get_data(as_text=True)
    assert "Métricas de uso del portal" in spanish
    english = app.get("/en/metricas").get_data(as_text=True)
    assert "Portal usage metrics" in english and "Métricas de uso del portal" not in english


def test_catalogues_build_the_javascript_translations(tmp_path):
    # CKAN builds JavaScript translations at start-up from every ITranslation catalogue;
    # one without a Plural-Forms header stops the portal from starting.
    from pathlib import Path

    from ckan.lib import i18n

    catalogues = Path(__file__).resolve().parents[3] / "ckanext-openlima" / "ckanext" / "openlima" / "i18n"
    for lang in ("es", "en"):
        po = catalogues / lang / "LC_MESSAGES" / "ckanext-openlima.po"
        i18n._build_js_translation(lang, [str(po)], set(), str(tmp_path / f"{lang}.js"))
        assert (tmp_path / f"{lang}.js").exists()


def test_compliance_explanations_in_english_too(app, valid_dataset):
    dataset = _create(valid_dataset)
    english = app.get(f"/en/dataset/{dataset['name']}/cumplimiento").get_data(as_text=True)
    assert "Findability" in english and "Waiting for the link checker." in english
    spanish = app.get(f"/dataset/{dataset['name']}/cumplimiento").get_data(as_text=True)
    assert "Encontrabilidad" in spanish and "Pendiente de verificación" in spanish


PORTAL_PARTS = {"/dataset/": "Catálogo de datos abiertos", "/compromisos/": "Compromisos de gobierno abierto",
                "/participa/": "Lima Activa", "/servicios/": "Directorio de servicios",
                "/denuncias/": "Lima Honesta"}


def _main_menu(page: str) -> str:
    start = page.index('id="main-navigation-toggle"')
    return page[start:page.index("</ul>", start)]


def _footer(page: str) -> str:
    return page[page.index('<footer class="site-footer"'):]


def test_one_portal_menu_footer_and_home_lead_to_every_part(app):
    home = app.get("/", status=200).get_data(as_text=True)
    parts = home[home.index('id="openlima-parts-title"'):home.index('id="openlima-figures-title"')]
    for path, title in PORTAL_PARTS.items():
        assert f'<a href="{path}">{title}</a>' in parts, path
    # what each part is for, in one sentence each
    assert "Denuncie un acto de corrupción de forma anónima" in parts
    assert "priorice en los espacios de participación" in parts

    # every page built on CKAN's layout carries the same menu and footer, Lima Activa's too
    for path in ("/", "/dataset/", "/participa/", "/servicios/", "/about"):
        page = app.get(path, status=200).get_data(as_text=True)
        menu, footer = _main_menu(page), _footer(page)
        for target in PORTAL_PARTS:
            assert f'href="{target}"' in menu, (path, target)
            assert f'href="{target}"' in footer, (path, target)
        for target in ("/organization/", "/cumplimiento", "/metricas", "/about"):
            assert f'href="{target}"' in footer, (path, target)
    services = app.get("/servicios/").get_data(as_text=True)
    assert '<li class="active"><a href="/servicios/" aria-current="page">Servicios</a>' in services

    english = app.get("/en/", status=200).get_data(as_text=True)
    menu = _main_menu(english)
    for label in ("Data", "Commitments", "Take part", "Services", "Reports"):
        assert f">{label}</a>" in menu, label
    assert "Report an act of corruption anonymously" in english


def test_search_filters_show_whole_names_in_the_pages_language(app, valid_dataset, office):
    other_office = factories.Organization(name="gerencia-de-desarrollo-social",
                                          title="Gerencia de Desarrollo Social")
    _create(valid_dataset)
    _create(valid_dataset, name="ollas", title="Ollas comunes", owner_org=other_office["id"],
            license_id="cc-by-sa")
    page = app.get("/dataset/").get_data(as_text=True)
    # offices told apart: whole names, not "Gerencia de..." twice
    assert '<span class="item-label">Gerencia de Movilidad Urbana</span>' in page
    assert '<span class="item-label">Gerencia de Desarrollo Social</span>' in page
    assert "Gerencia de...</span>" not in page
    # licences by their Spanish label, not CKAN's English title cut to "Creative Commons..."
    assert '<span class="item-label">Creative Commons Atribución 4.0 (CC BY 4.0)</span>' in page
    assert '<span class="item-label">Creative Commons Atribución-CompartirIgual 4.0 (CC BY-SA 4.0)</span>' in page

    english = app.get("/en/dataset/").get_data(as_text=True)
    assert '<span class="item-label">Transport</span>' in english  # theme filter
    assert '<span class="item-label">Creative Commons Attribution 4.0 (CC BY 4.0)</span>' in english
    home = app.get("/en/").get_data(as_text=True)
    # theme tiles in English, still filtering by the indexed (Spanish) theme
    assert '?tema=Transporte">Transport <span class="openlima-count">(2)</span>' in home


def test_a_refused_search_names_the_portals_search_and_never_fails(app, valid_dataset, office):
    _create(valid_dataset)
    for path in ("/dataset/", f"/organization/{office['name']}"):
        response = app.get(path, query_string={"q": "titulo:[a"})
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert "Búsqueda no válida" in text and "El buscador del portal no pudo interpretar" in text
        assert "SOLR" not in text and "Solr" not in text and "<h1>\n    \n      Error" not in text


def test_avatars_are_initials_without_third_party_requests(app):
    user = factories.Sysadmin(fullname="Rosa Quispe", image_url="")
    headers = {"Authorization": factories.APIToken(user=user["name"])["token"]}
    page = app.get(f"/user/{user['name']}", headers=headers).get_data(as_text=True)
    assert "gravatar.com" not in page
    assert re.search(r'class="user-image openlima-initials" role="img" aria-label="Rosa Quispe">\s*RQ\s*</span>', page), page[page.find("class=\"image\""):][:400]
