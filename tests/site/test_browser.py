"""The built site in headless Chromium: Spanish search, filters, downloads, accessibility."""
from __future__ import annotations


import pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("with_plugins")]

@pytest.fixture
def page(browser):
    context = browser.new_context(locale="es-PE")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors


def result_titles(page):
    return page.eval_on_selector_all("#resultados li h2 a",
                                     "links => links.map(a => a.textContent)")


def test_search_without_accents_finds_the_accented_dataset_and_filters_narrow(
        page, static_server, built_site):
    page.goto(static_server.url + "/")
    assert page.title().startswith("Inicio")
    assert page.locator("h1").inner_text() == "Datos abiertos de Lima"
    page.fill("#q-inicio", "poblacion atendida comedores")
    page.press("#q-inicio", "Enter")
    page.wait_for_url("**/buscar/?q=*")
    page.wait_for_selector("#resultados li")
    assert result_titles(page)[0] == built_site["accented"]["title"]
    assert "encontrado" in page.locator("#estado").inner_text()

    # A filter narrows the results.
    page.goto(static_server.url + "/buscar/?q=poblacion")
    page.wait_for_function("document.querySelectorAll('#resultados li').length === 2")
    assert sorted(result_titles(page)) == sorted(
        [built_site["accented"]["title"], built_site["transport"]["title"]])
    page.select_option("#f-oficina", "Gerencia de Transporte Urbano")
    page.wait_for_function("document.querySelectorAll('#resultados li').length === 1")
    assert result_titles(page) == [built_site["transport"]["title"]]
    assert "oficina=Gerencia" in page.url
    page.select_option("#f-oficina", "")
    page.select_option("#f-formato", "CSV")
    page.wait_for_function("document.querySelectorAll('#resultados li').length === 1")
    assert result_titles(page) == [built_site["accented"]["title"]]


def test_download_link_points_to_ckan_and_browsing_needs_no_javascript(
        page, browser, static_server, built_site):
    ds = built_site["accented"]
    page.goto(f"{static_server.url}/conjuntos/{ds['name']}.html")
    href = page.get_attribute("a.download", "href")
    assert href == (f"{built_site['server'].url}/dataset/{ds['name']}/resource/"
                    f"{ds['resources'][0]['id']}/download")
    page.click("text=Gerencia de Educación y Deportes >> nth=0")
    page.wait_for_url("**/oficinas/gerencia-de-educacion/")
    assert page.locator("h1").inner_text() == "Gerencia de Educación y Deportes"

    # Browsing works without JavaScript; only the search page needs it, and says so.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(static_server.url + "/")
    page.click("nav >> text=Distritos")
    page.click("text=Miraflores")
    page.wait_for_url("**/distritos/150122/")
    page.click(f"text={built_site['accented']['title']}")
    page.wait_for_url(f"**/conjuntos/{built_site['accented']['name']}.html")
    assert page.locator("h1").inner_text() == built_site["accented"]["title"]
    page.goto(static_server.url + "/buscar/")
    assert "necesita JavaScript" in page.locator("main").inner_text()
    context.close()


def test_axe_finds_no_serious_or_critical_violations(page, static_server, built_site, axe_violations):
    ds = built_site["accented"]
    paths = ["/", "/buscar/?q=poblacion", f"/conjuntos/{ds['name']}.html",
             "/oficinas/gerencia-de-educacion/", "/distritos/", "/404.html"]
    if (built_site["out"] / "cumplimiento" / "index.html").exists():
        paths.append("/cumplimiento/")
    for path in paths:
        page.goto(static_server.url + path)
        if path.startswith("/buscar"):
            page.wait_for_selector("#resultados li")
        assert axe_violations(page) == [], path


def test_commitments_dashboard_built_from_ckan(page, plan_loaded, tmp_path, serve_folder,
                                              axe_violations):
    from openlima_site.build import build_site
    from openlima_site.source import CkanSource

    out = tmp_path / "dist"
    build_site(out, "http://sitio.test", source=CkanSource(plan_loaded["server"].url))
    site = serve_folder(out)
    page.goto(site.url + "/")
    page.click("nav >> text=Compromisos")
    page.wait_for_url("**/compromisos/")
    text = page.locator("main").inner_text()
    assert plan_loaded["plan"]["plan"]["title"] in text
    approved = [c for c in plan_loaded["plan"]["commitments"]
                if c.get("stage", "approved") == "approved"]
    assert approved
    for commitment in plan_loaded["plan"]["commitments"]:
        assert commitment["title"] in text
    assert "Avance general del plan" in text
    # indicators the plan does not state carry the portal's label (issue 16)
    assert "Regla del portal (valor de ejemplo)" in text
    assert page.locator("table caption").count() >= len(approved)
    assert axe_violations(page) == []


@pytest.fixture
def commitments_site(tmp_path, serve_folder):
    """A site whose CKAN answers the commitments actions (data in the plan's own shape)."""
    from openlima_site.build import build_site
    from openlima_site.synthetic import make_catalogue

    catalogue = make_catalogue(3)
    catalogue.extras = {
        "openlima_plan_show": {"title": "Plan de Acción de Gobierno Abierto 2022",
                               "progress": 42.5, "start": "2022-11-08", "end": "2024-06-30"},
        "openlima_commitment_list": [{
            "code": "1", "title": "Open Lima", "status": "En curso", "progress": 60,
            "responsible_offices": ["Subgerencia de Gobierno Digital e Innovación"],
            "milestones": [
                {"title": "Hito A: lineamientos aprobados", "planned_start": "2022-11-08",
                 "planned_end": "2023-01-31", "actual_end": "2023-02-15", "status": "Completado",
                 "progress": 100},
                {"title": "Hito B: portal publicado", "planned_start": "2023-02-01",
                 "planned_end": "2023-06-30", "status": "En curso", "progress": 20,
                 "delayed": True},
            ],
        }],
    }
    out = tmp_path / "plan-dist"
    build_site(out, "http://sitio.test", catalogue=catalogue, ckan_url="http://ckan.test")
    return serve_folder(out)


def test_commitments_dashboard_is_accessible(page, commitments_site, axe_violations):
    page.goto(commitments_site.url + "/")
    page.click("nav >> text=Compromisos")
    page.wait_for_url("**/compromisos/")
    text = page.locator("main").inner_text()
    assert "Hito B: portal publicado" in text and "(retrasado)" in text
    assert "30/06/2023" in text and "42,5 %" in text
    assert axe_violations(page) == []


def test_search_across_several_index_bundles(page, built_site, tmp_path, serve_folder):
    """Large catalogues split the index into bundles merged in the browser."""
    from openlima_site.build import build_site
    from openlima_site.source import CkanSource

    out = tmp_path / "bundled"
    build_site(out, "http://sitio.test", source=CkanSource(built_site["server"].url),
               search_shard_size=1)
    # Bundles by a stable hash of the name: the two "poblacion" datasets land apart.
    assert sorted(p.name for p in out.glob("pagefind-*")) == ["pagefind-0", "pagefind-1"]
    site = serve_folder(out)
    # The first answer comes from pagefind-0 alone: what a visitor downloads before the
    # first result does not grow with the number of bundles (100,000 datasets: 100).
    page.add_init_script("""new MutationObserver((changes, observer) => {
        if (!document.querySelector('#resultados li')) return;
        window.firstResultAt = performance.timeOrigin + performance.now();
        observer.disconnect();
    }).observe(document, {childList: true, subtree: true});""")
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto(site.url + "/buscar/?q=poblacion")
    page.wait_for_function("document.querySelectorAll('#resultados li').length === 2")
    first_result_at = page.evaluate("window.firstResultAt")
    before = {r.url.split("/")[3] for r in requests if r.timing["startTime"] < first_result_at}
    after = {r.url.split("/")[3] for r in requests if r.timing["startTime"] > first_result_at}
    assert "pagefind-0" in before and "pagefind-1" not in before and "pagefind-1" in after
    assert "encontrados" in page.locator("#estado").inner_text()  # then the complete answer
    assert sorted(result_titles(page)) == sorted(
        [built_site["accented"]["title"], built_site["transport"]["title"]])
    page.select_option("#f-distrito", "Miraflores")
    page.wait_for_function("document.querySelectorAll('#resultados li').length === 1")
    assert result_titles(page) == [built_site["accented"]["title"]]
