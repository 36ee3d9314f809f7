"""Every public CKAN page, walked in a real browser (#13).

``PUBLIC_PAGES`` is the one list of the portal's public CKAN pages: a new public page is
added here. Each is opened in Debian's Chromium at 390×844 (a phone) and 1280×800, in
Spanish and in English, and fails on: horizontal scrolling, a broken title ("Participa -
- Open Lima"), raw vocabulary URIs or slugs in the visible text, English words of the UI on a Spanish page, and axe-core's serious or
critical violations (checked once per language, at phone width), anything the
portal's Content Security Policy refused (an inline script without its nonce, a
third-party image: ckanext/openlima/csp.py), and a repeating block's heading numbered
though it is alone ("Editor 1").
"""
from __future__ import annotations

import copy
import datetime
import re

import pytest
from ckan.tests import factories, helpers

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
]

# path templates, filled with the test catalogue's names
PUBLIC_PAGES = [
    "/",
    "/dataset/",
    "/dataset/?tema=Transporte",
    "/dataset/{dataset}",
    "/dataset/{dataset}/resource/{resource}",
    "/organization/",
    "/organization/{office}",
    "/group/",
    "/group/{group}",
    "/cumplimiento",
    "/metricas",
    "/compromisos/",
    "/compromisos/open-lima",
    "/participa/",
    "/participa/espacio/{space}",
    "/servicios/",
    "/buscar",
    "/buscar?q=presupuesto",
    "/about",
]
VIEWPORTS = [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
# CKAN's English that must not reach a Spanish page (whole words, case-sensitive)
ENGLISH_WORDS = ["Publish", "Unpublish", "active", "draft", "Column", "Description",
                 "Followers", "Activity Stream", "License", "Search", "Powered by", "Data dictionary",
                 "Read more", "Explore", "Download"]
# repeating blocks' headings, numbered only when there are several
SINGLE_BLOCK = re.compile(r"\b(Editor|Publisher|Contacto|Contact|Periodo|Period|Columna|Column) 1\b")
# what a visitor must never read: vocabulary URIs and our own district URIs
RAW_VALUES = ["publications.europa.eu/resource/authority", "purl.org/adms", "/ubigeo/15",
              "http://www.w3.org", "publishertype"]


def _plan_document() -> dict:
    from pathlib import Path

    import yaml

    plan_file = Path(__file__).resolve().parents[3] / "config" / "plan" / "plan-2022.yaml"
    document = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    document["portal"] = yaml.safe_load(
        plan_file.with_name("plan-2022.portal.yaml").read_text(encoding="utf-8"))
    return document


@pytest.fixture
def public_catalogue(portal_server, valid_dataset, office):
    """A small catalogue with one of everything a public page shows; the pages' paths."""
    from openlima_common import clock

    sysadmin = factories.Sysadmin()
    context = {"user": sysadmin["name"]}
    group = factories.Group(name="movilidad-y-transporte", title="Movilidad y transporte")
    data = copy.deepcopy(valid_dataset)
    # a publisher with its ADMS type and districts: shown by their labels, never URIs
    data.update(groups=[{"name": group["name"]}], issued="2025-04-10", modified="2026-01-01",
                publisher=[{"name": "Municipalidad Metropolitana de Lima",
                            "url": "https://www.munlima.gob.pe",
                            "type": "http://purl.org/adms/publishertype/LocalAuthority"}])
    dataset = helpers.call_action("package_create", context=dict(context), **data)
    plan = _plan_document()
    helpers.call_action("openlima_plan_load", context=dict(context), plan=plan["plan"],
                        commitments=plan["commitments"], portal=plan["portal"], reason="")
    today = clock.today()
    space = helpers.call_action(
        "limaactiva_space_create", context=dict(context), name="presupuesto-2027",
        title="Presupuesto participativo 2027", space_type="plan", responsible_office=office["name"],
        phases=[{"phase_key": "prioritisation",
                 "start_date": (today - datetime.timedelta(days=3)).isoformat(),
                 "end_date": (today + datetime.timedelta(days=10)).isoformat(),
                 "proposals_enabled": True, "comments_enabled": True, "votes_enabled": True}])
    helpers.call_action("limaactiva_service_create", context=dict(context), name="licencia-de-funcionamiento",
                        title="Licencia de funcionamiento", office=office["name"], channel="online",
                        requirements="DNI y recibo de pago", url="https://www.munlima.gob.pe/licencias")
    names = {"dataset": dataset["name"], "resource": dataset["resources"][0]["id"],
             "office": office["name"], "group": group["name"], "space": space["name"]}
    slugs = [office["name"], space["name"], "licencia-de-funcionamiento"]
    return portal_server, [path.format(**names) for path in PUBLIC_PAGES], slugs


def _problems(page, lang: str, slugs: list[str]) -> list[str]:
    found = []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        wide = page.evaluate(
            "() => [...document.querySelectorAll('body *')].filter(e => "
            "e.getBoundingClientRect().right > window.innerWidth + 1).slice(-3).map(e => "
            "e.tagName + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.'))")
        found.append(f"scrolls sideways by {overflow}px: {wide}")
    title = page.title()
    if re.search(r"-\s*-", title) or not title.strip() or title.strip().startswith("-"):
        found.append(f"title {title!r}")
    text = page.inner_text("body")
    found += [f"raw value {raw!r}" for raw in RAW_VALUES if raw in text]
    found += [f"slug {slug!r}" for slug in slugs if slug in text]
    # a block's heading numbered though it is the only one ("Editor 1" without "Editor 2")
    found += [f"numbered single block {match.group(0)!r}" for match in SINGLE_BLOCK.finditer(text)
              if f"{match.group(1)} 2" not in text]
    if lang == "es":
        found += [f"English {word!r}" for word in ENGLISH_WORDS
                  if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]
    return found


def test_public_pages_on_phone_and_desktop_in_spanish_and_english(public_catalogue, browser,
                                                                   axe_violations):
    server, paths, slugs = public_catalogue
    problems: dict[str, list] = {}
    for lang in ("es", "en"):
        for viewport in VIEWPORTS:
            context = browser.new_context(viewport=viewport, locale="es-PE" if lang == "es" else "en-GB")
            try:
                page = context.new_page()
                refused: list[str] = []
                page.on("console", lambda message: refused.append(message.text)
                        if "Content Security Policy" in message.text else None)
                for path in paths:
                    url = server.url + (path if lang == "es" else "/en" + path)
                    response = page.goto(url)
                    key = f"{lang} {viewport['width']} {path}"
                    if response.status != 200:
                        problems[key] = [f"status {response.status}"]
                        continue
                    found = _problems(page, lang, slugs) + [f"CSP: {text[:160]}" for text in refused]
                    refused.clear()
                    if viewport["width"] == 390:
                        found += [f"axe {v['id']} {v['nodes'][:2]}" for v in axe_violations(page)]
                    if found:
                        problems[key] = found
            finally:
                context.close()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
