"""WCAG 2.1 AA: axe-core in headless Chromium on the home, search, dataset, organisation,
compliance and metrics pages of the running portal reports no serious or critical
violation."""
from __future__ import annotations

import copy

import pytest
from ckan.tests import factories, helpers

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
]


def test_main_pages_have_no_serious_or_critical_axe_violations(portal_server, valid_dataset, office,
                                                               browser, load_axe):
    sysadmin = {"user": factories.Sysadmin()["name"]}
    dataset = helpers.call_action("package_create", context=dict(sysadmin), **copy.deepcopy(valid_dataset))
    other = copy.deepcopy(valid_dataset)
    other.update(name="presupuesto", title="Presupuesto participativo", spatial_ubigeo=["1501"],
                 theme=["http://publications.europa.eu/resource/authority/data-theme/ECON"])
    helpers.call_action("package_create", context=dict(sysadmin), **other)

    pages = ["/", "/dataset/", "/dataset/?tema=Transporte", f"/dataset/{dataset['name']}",
             f"/organization/{office['name']}", "/cumplimiento", f"/cumplimiento/oficina/{office['name']}",
             f"/dataset/{dataset['name']}/cumplimiento", "/metricas"]
    found = {}
    context = browser.new_context(locale="es-PE")
    try:
        page = context.new_page()
        for path in pages:
            response = page.goto(portal_server.url + path)
            assert response.status == 200, path
            assert page.get_attribute("html", "lang") == "es", path
            load_axe(page)
            # WCAG 2.1 A/AA and best practices, stricter than the shared whole-page check
            violations = page.evaluate(
                "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
                "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations.map("
                "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))")
            serious = [v for v in violations if v["impact"] in ("serious", "critical")]
            if serious:
                found[path] = serious
    finally:
        context.close()
    assert found == {}, found
