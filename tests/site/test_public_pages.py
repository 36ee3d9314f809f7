"""Every kind of public page of the static site, walked in Chromium on a phone and a desktop.

``PUBLIC_PAGES`` is the one list of the site's public pages (README: "Public pages"). A
page kind the builder starts writing must be added here: the first test fails otherwise.
Each page is checked at 390×844 and 1280×800 for horizontal scrolling, vocabulary URIs or
district codes shown instead of words, English words on the Spanish pages, and axe-core's
serious and critical violations.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ckan.tests.helpers import call_action

# The portal's own schema (test.ini runs ckanext-dcat's): the data dictionary, districts,
# publisher type and the other MML fields the pages label.
MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("with_plugins"),
              pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA)]

# path template -> what it is; {dataset}, {office}, {theme}, {district} are filled in
PUBLIC_PAGES = {
    "": "home: the portal's parts, search box, figures, themes",
    "conjuntos/": "every dataset",
    "conjuntos/{dataset}.html": "one dataset: metadata, resources, data dictionary",
    "oficinas/": "offices",
    "oficinas/{office}/": "one office's datasets",
    "temas/": "themes",
    "temas/{theme}/": "one theme's datasets",
    "distritos/": "the 43 districts and the whole city",
    "distritos/{district}/": "one district (where the portal's /ubigeo/<code> leads)",
    "buscar/": "search (Pagefind for datasets, buscar/otros.json for services, spaces and "
               "commitments, a 'Tipo' filter; without JavaScript a form to the portal's search)",
    "compromisos/": "the commitments dashboard (when the plan is loaded)",
    "cumplimiento/": "the guideline compliance ranking (when the summary answers)",
    "404.html": "not found",
}
VIEWPORTS = [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
# Shown instead of words: vocabulary URIs, the portal's district URIs, bare UBIGEO codes.
RAW = re.compile(r"publications\.europa\.eu|purl\.org/adms|/ubigeo/|(?<![\d-])1501\d\d(?!\d)")
# English words that have no place on a Spanish page (as whole words, case-sensitive).
ENGLISH = re.compile(
    r"\b(Publish|Unpublish|active|draft|Column|Description|Data dictionary|Spatial ubigeo|"
    r"Start|End|Access rights|Frequency|Language|Publisher|Type|Name|Email|None|True|False)\b")
# Text that is data, not interface: sample rows and column names are shown as published.
VISIBLE_TEXT = """() => {
  // every visible text node on its own line (inline elements would glue words together)
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest('.datastore-preview, code, script, style, noscript')) continue;
    if (!element.getClientRects().length) continue;
    parts.push(node.data.trim());
  }
  return parts.filter(Boolean).join('\\n');
}"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def page_kind(rel: str) -> str | None:
    """The PUBLIC_PAGES entry a built file belongs to."""
    path = rel[: -len("index.html")] if rel.endswith("index.html") else rel
    path = re.sub(r"pagina/\d+/$", "", path)
    for template in PUBLIC_PAGES:
        pattern = re.escape(template)
        for name in ("dataset", "office", "theme", "district"):
            pattern = pattern.replace(re.escape("{" + name + "}"), r"[^/]+")
        if re.fullmatch(pattern, path):
            return template
    return None


@pytest.fixture
def walked_site(plan_loaded, tmp_path):
    """The test portal with the plan and one fully described dataset, built once."""
    from openlima_site.build import build_site
    from openlima_site.source import CkanSource

    from .conftest import dataset_fields

    office = plan_loaded["offices"]["transport"]
    described = call_action(
        "package_create", context=dict(plan_loaded["context"]),
        **dataset_fields(
            office["id"], name="paraderos-descritos",
            title="Paraderos con diccionario de datos",
            spatial_ubigeo=["1501", "150122"],
            issued="2025-04-10", modified="2026-01-01",
            temporal_coverage=[{"start": "2025-03-01", "end": "2025-12-31"}],
            language=["http://publications.europa.eu/resource/authority/language/SPA"],
            access_rights="http://publications.europa.eu/resource/authority/access-right/PUBLIC",
            publisher=[{"name": "Gerencia de Transporte Urbano",
                        "type": "http://purl.org/adms/publishertype/LocalAuthority"}],
            data_dictionary=[{"column": "codigo_paradero", "type": "texto",
                              "description": "Código del paradero"},
                             {"column": "pasajeros", "type": "entero",
                              "description": "Pasajeros por día"}],
        ),
    )
    # Lima Activa: a space meeting in Miraflores (listed on that district's page)
    import datetime

    from openlima_common import clock

    context = {"user": plan_loaded["sysadmin"]["name"]}
    today = clock.today()
    space = call_action(
        "limaactiva_space_create", dict(context), name="presupuesto-miraflores",
        title="Presupuesto participativo vecinal", space_type="plan",
        responsible_office=office["name"],
        phases=[{"phase_key": "information", "start_date": today.isoformat(),
                 "end_date": (today + datetime.timedelta(days=20)).isoformat()}])
    call_action("limaactiva_session_create", dict(context), space_id=space["id"],
                title="Asamblea vecinal de Miraflores", modality="in_person",
                place="Parque Kennedy", district="150122",
                starts_at=f"{today + datetime.timedelta(days=7)}T18:00")
    call_action("limaactiva_service_create", dict(context), name="licencia-de-edificacion",
                title="Licencia de edificación", office=office["name"], channel="in_person",
                requirements="Planos firmados")
    out = tmp_path / "dist"
    build_site(out, "http://sitio.test", source=CkanSource(plan_loaded["server"].url))
    return {**plan_loaded, "out": out, "described": described}


def check_every_built_page_is_in_the_list(walked_site):
    out: Path = walked_site["out"]
    built = {str(p.relative_to(out)) for p in out.rglob("*.html")
             if not p.relative_to(out).parts[0].startswith("pagefind")}
    assert [rel for rel in sorted(built) if page_kind(rel) is None] == []
    kinds = {page_kind(rel) for rel in built}
    assert set(PUBLIC_PAGES) - kinds == set(), "a listed page kind was not built"


def check_dataset_page_words_dates_and_districts(walked_site):
    from bs4 import BeautifulSoup

    out: Path = walked_site["out"]
    page = out / "conjuntos" / "paraderos-descritos.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    metadata = {dt.get_text(strip=True): dt.find_next_sibling("dd")
                for dt in soup.select("dl.metadata > dt")}
    text = {key: dd.get_text(" ", strip=True) for key, dd in metadata.items()}
    assert text["Derechos de acceso"] == "Público"
    assert text["Frecuencia de actualización"] == "Mensual"
    assert text["Idioma"] == "Español"
    assert "Gobierno local" in text["Editor"] and "purl.org" not in str(metadata["Editor"])
    # date-only values exactly as stored; a period reads start, then end
    assert text["Fecha de publicación"] == "10/04/2025"
    assert text["Última actualización de los datos"] == "01/01/2026"
    assert text["Cobertura temporal"] == "Inicio 01/03/2025 Fin 31/12/2025"
    assert "Spatial ubigeo" not in soup.get_text() and "Data dictionary" not in soup.get_text()
    dictionary = soup.find(id="diccionario").find_parent("section")
    assert [th.get_text() for th in dictionary.select("thead th")] == [
        "Columna", "Tipo", "Descripción"]
    assert [td.get_text() for td in dictionary.select("tbody td")] == [
        "Texto", "Código del paradero", "Número entero", "Pasajeros por día"]
    # the districts (and the whole city) link to pages that exist
    links = [a["href"] for a in metadata["Distritos"].find_all("a")]
    assert links == ["/distritos/1501/", "/distritos/150122/"]
    for href in links:
        assert (out / href.strip("/") / "index.html").is_file()
    district = (out / "distritos" / "1501" / "index.html").read_text(encoding="utf-8")
    assert "Lima Metropolitana" in district and "Paraderos con diccionario de datos" in district
    # a district page lists the participation spaces meeting there (Lima Activa)
    miraflores = BeautifulSoup((out / "distritos" / "150122" / "index.html").read_text(
        encoding="utf-8"), "html.parser").find(id="participacion").find_parent("section")
    ckan = walked_site["server"].url
    assert miraflores.find("a", string="Presupuesto participativo vecinal")["href"] == \
        f"{ckan}/participa/espacio/presupuesto-miraflores"
    assert "Asamblea vecinal de Miraflores" in miraflores.get_text()
    assert "Parque Kennedy" in miraflores.get_text()
    lima = BeautifulSoup(district, "html.parser")
    assert lima.find(id="participacion") is None  # its sessions are in Miraflores only


def check_home_leads_to_every_part_of_the_portal(walked_site):
    """Navigation, home and footer lead to the portal's parts; each theme counted once."""
    from bs4 import BeautifulSoup

    ckan = walked_site["server"].url
    soup = BeautifulSoup((walked_site["out"] / "index.html").read_text(encoding="utf-8"),
                         "html.parser")
    wanted = {f"{ckan}/dataset/", "/compromisos/", f"{ckan}/denuncias",
              f"{ckan}/participa", f"{ckan}/servicios"}
    for place in ("nav[aria-label='Open Lima']", "#portal + ul", "footer"):
        links = {a["href"] for a in soup.select(f"{place} a")}
        assert wanted <= links, place
    # one line per part saying what it is for
    assert len(soup.select(".portal-parts li p")) == 5
    themes = [a.get_text(" ", strip=True).rsplit(" (", 1)[0] for a in soup.select(".chips a")]
    assert len(themes) == len(set(themes)), themes


def test_public_pages(browser, walked_site, serve_folder, axe_violations):
    """One build (the portal is slow to prepare), checked as files and in Chromium."""
    check_every_built_page_is_in_the_list(walked_site)
    check_dataset_page_words_dates_and_districts(walked_site)
    check_home_leads_to_every_part_of_the_portal(walked_site)
    check_commitments_tell_unreported_from_late(walked_site)
    site = serve_folder(walked_site["out"])
    check_search_without_javascript_goes_to_the_portals_search(browser, walked_site, site)
    check_search_finds_services_spaces_and_commitments_by_kind(browser, walked_site, site)
    check_pages_on_a_phone_and_a_desktop(browser, walked_site, site, axe_violations)


def check_commitments_tell_unreported_from_late(walked_site):
    """The plan's milestones are past due with nothing recorded: "sin avance registrado",
    as on the portal's dashboard, never "(retrasado)" (issue 13)."""
    from bs4 import BeautifulSoup

    page = walked_site["out"] / "compromisos" / "index.html"
    text = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").main.get_text(" ")
    assert "Sin avance registrado (última actualización:" in text
    assert "sin avance registrado: nadie ha informado todavía" in text
    assert "(retrasado)" not in text


def check_pages_on_a_phone_and_a_desktop(browser, walked_site, site, axe_violations):
    fill = {"dataset": "paraderos-descritos",
            "office": walked_site["offices"]["transport"]["name"],
            "theme": walked_site["group"]["name"], "district": "150122"}
    problems = []
    for viewport in VIEWPORTS:
        context = browser.new_context(viewport=viewport, locale="es-PE")
        page = context.new_page()
        for template in PUBLIC_PAGES:
            path = template.format(**fill)
            page.goto(f"{site.url}/{path}")
            where = f"/{path} at {viewport['width']} px"
            overflow = page.evaluate(OVERFLOW)
            if overflow > 0:
                problems.append(f"{where}: {overflow} px of horizontal scrolling")
            text = page.evaluate(VISIBLE_TEXT)
            problems += [f"{where}: raw value {m!r}" for m in RAW.findall(text)]
            problems += [f"{where}: English word {m!r}" for m in ENGLISH.findall(text)]
            problems += [f"{where}: axe {v['id']} on {v['nodes'][:3]}"
                         for v in axe_violations(page)]
        context.close()
    assert problems == []


def check_search_without_javascript_goes_to_the_portals_search(browser, walked_site, site):
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS[0])
    page = context.new_page()
    page.goto(f"{site.url}/buscar/")
    assert not page.locator("#buscador").is_visible()  # the JavaScript search is hidden
    page.fill("#q-portal", "paraderos")
    page.press("#q-portal", "Enter")
    # the portal's one search: datasets, services, participation spaces and commitments
    page.wait_for_url(f"{walked_site['server'].url}/buscar?q=paraderos")
    assert "Paraderos con diccionario de datos" in page.locator("#resultados-datasets").inner_text()
    assert page.locator("#resultados-commitments").count() == 1
    context.close()


def check_search_finds_services_spaces_and_commitments_by_kind(browser, walked_site, site):
    """Beside the datasets, the search page finds services, spaces and commitments
    (buscar/otros.json), grouped by kind, accents aside; "Tipo" keeps one kind."""
    records = json.loads((walked_site["out"] / "buscar" / "otros.json").read_text(encoding="utf-8"))
    assert {r["kind"] for r in records} == {"servicio", "espacio", "compromiso"}
    context = browser.new_context(viewport=VIEWPORTS[0])
    page = context.new_page()
    page.goto(f"{site.url}/buscar/?q=LICENCIA+edificacion")
    page.wait_for_selector("#otros-tipos section[data-kind=servicio]")
    groups = page.locator("#otros-tipos").inner_text()
    assert "Servicios (1)" in groups and "Licencia de edificación" in groups
    assert "Espacios de participación (0)" in groups and "Compromisos (0)" in groups
    page.goto(f"{site.url}/buscar/?q=plataforma&tipo=compromiso")
    page.wait_for_selector("#otros-tipos section[data-kind=compromiso]")
    assert page.locator("#otros-tipos section").count() == 1  # only the kind asked for
    assert "Compromisos (3)" in page.locator("#otros-tipos").inner_text()
    assert page.locator("#resultados li").count() == 0  # no datasets when a kind is chosen
    page.goto(f"{site.url}/buscar/?q=participativo")
    page.wait_for_selector("#otros-tipos section[data-kind=espacio]")
    assert "Presupuesto participativo vecinal" in page.locator(
        "#otros-tipos section[data-kind=espacio]").inner_text()
    context.close()
