"""One search box across the portal's kinds (#13): ``/buscar`` finds datasets, services,
participation spaces and commitments, grouped by kind with counts, ignoring case and
accents, and never shows what the public may not see."""
from __future__ import annotations

import copy
import datetime
import re
from pathlib import Path

import pytest
import yaml
from ckan.tests import factories, helpers

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
pytestmark = [
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
]
PLAN_FILE = Path(__file__).resolve().parents[2] / "config" / "plan" / "plan-2022.yaml"


@pytest.fixture
def portal_content(valid_dataset, office):
    """Something of every kind about "participación", plus a private and a draft dataset."""
    from openlima_common import clock

    context = {"user": factories.Sysadmin()["name"]}

    def dataset(name, title, **changes):
        data = copy.deepcopy(valid_dataset)
        data.update(name=name, title=title, **changes)
        return helpers.call_action("package_create", context=dict(context), **data)

    dataset("participacion-vecinal", "Participación vecinal en cifras")
    dataset("participacion-secreta", "Participación secreta del comité", private=True)
    dataset("participacion-borrador", "Participación en borrador", state="draft")
    dataset("paraderos", "Paraderos del Metropolitano")
    today = clock.today()
    helpers.call_action(
        "limaactiva_space_create", context=dict(context), name="presupuesto-2027",
        title="Presupuesto participativo 2027", description="Participación de los vecinos",
        space_type="plan", responsible_office=office["name"],
        phases=[{"phase_key": "prioritisation",
                 "start_date": (today - datetime.timedelta(days=3)).isoformat(),
                 "end_date": (today + datetime.timedelta(days=10)).isoformat(),
                 "proposals_enabled": True, "comments_enabled": True, "votes_enabled": True}])
    helpers.call_action(
        "limaactiva_service_create", context=dict(context), name="licencia-de-funcionamiento",
        title="Licencia de funcionamiento", office=office["name"], channel="online",
        requirements="DNI y recibo de pago")
    plan = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    plan["portal"] = yaml.safe_load(
        PLAN_FILE.with_name("plan-2022.portal.yaml").read_text(encoding="utf-8"))
    helpers.call_action("openlima_plan_load", context=dict(context), plan=plan["plan"],
                        commitments=plan["commitments"], portal=plan["portal"], reason="")
    return plan


def _count(page: str, kind: str) -> int:
    """The count in the heading of a kind's group."""
    heading = re.search(rf'<h2 id="titulo-{kind}">[^<]*<span class="openlima-count">\((\d+)\)', page)
    assert heading, f"no group {kind}"
    return int(heading.group(1))


def _commitments_about(plan: dict, word: str) -> list[str]:
    return [c["title"] for c in plan["commitments"] if word in c["title"].lower()]


def test_one_query_finds_every_kind_grouped_with_counts(app, portal_content):
    page = app.get("/buscar", query_string={"q": "participacion"}).get_data(as_text=True)
    assert "Participación vecinal en cifras" in page
    assert "Presupuesto participativo 2027" in page  # the space, by its description
    assert _count(page, "datasets") == 1
    assert _count(page, "spaces") == 1
    assert _count(page, "services") == 0
    # the groups come in a fixed order, each with a link to its kind's own listing
    order = [page.index(f'id="titulo-{kind}"') for kind in
             ("datasets", "services", "spaces", "commitments")]
    assert order == sorted(order)
    assert 'href="/dataset/?q=participacion"' in page
    assert 'href="/servicios/?q=participacion"' in page
    assert 'href="/participa/espacio/presupuesto-2027"' in page
    assert "Gerencia de Movilidad Urbana" in page  # the space's office by its title

    service = app.get("/buscar", query_string={"q": "licencia"}).get_data(as_text=True)
    assert _count(service, "services") == 1 and _count(service, "datasets") == 0
    assert "Licencia de funcionamiento" in service


def test_commitments_are_found_by_their_words(app, portal_content):
    titles = _commitments_about(portal_content, "plataforma")
    assert len(titles) == 3  # Open Lima, Lima Honesta and Lima Activa
    page = app.get("/buscar", query_string={"q": "PLATAFORMA"}).get_data(as_text=True)
    assert _count(page, "commitments") == 3
    for title in titles:
        assert title in page
    assert 'href="/compromisos/lima-activa"' in page
    # every word must match, accents aside: only Lima Activa speaks of "participación ciudadana"
    both = app.get("/buscar", query_string={"q": "participacion ciudadana"}).get_data(as_text=True)
    assert _count(both, "commitments") == 1 and 'href="/compromisos/lima-activa"' in both
    none = app.get("/buscar", query_string={"q": "zzzqxw"}).get_data(as_text=True)
    assert _count(none, "commitments") == 0 and _count(none, "datasets") == 0
    assert "Ningún resultado" in none


def test_case_and_accents_do_not_matter(app, portal_content):
    counts = []
    for q in ("participacion", "PARTICIPACIÓN", "Participación"):
        page = app.get("/buscar", query_string={"q": q}).get_data(as_text=True)
        counts.append((_count(page, "datasets"), _count(page, "spaces")))
    assert counts == [(1, 1)] * 3


def test_private_and_draft_datasets_never_appear(app, portal_content):
    sysadmin = factories.Sysadmin()
    token = factories.APIToken(user=sysadmin["name"])["token"]
    for headers in ({}, {"Authorization": token}):
        page = app.get("/buscar", query_string={"q": "participacion"},
                       headers=headers).get_data(as_text=True)
        assert "Participación secreta del comité" not in page
        assert "participacion-secreta" not in page
        assert "Participación en borrador" not in page
        assert _count(page, "datasets") == 1


HOSTILE = ['"', "(", "a:b", "title:*", "*", "\\", "x" * 5000, "' OR 1=1 --",
           "<script>alert(1)</script>", "participación AND (", "[* TO *]", "-participacion",
           "🙂", "participacion\u200b", "ñ" * 300]


def test_hostile_queries_answer_200_without_echoing_markup(app, portal_content):
    for q in HOSTILE:
        response = app.get("/buscar", query_string={"q": q})
        assert response.status_code == 200, q
        page = response.get_data(as_text=True)
        assert "<script>alert" not in page, q
        assert "Traceback" not in page and "psycopg" not in page, q
    # a NUL is refused before any search by the portal's request guard, never a 500
    assert app.get("/buscar", query_string={"q": "a\x00b"}).status_code == 400


def test_wildcards_alone_search_nothing(app, portal_content):
    for q in ("%", "_", "*"):
        page = app.get("/buscar", query_string={"q": q}).get_data(as_text=True)
        assert 'id="titulo-' not in page  # no groups: the words were empty
        assert "Una sola búsqueda encuentra" in page


def test_english_page_and_the_search_boxes_lead_there(app, portal_content):
    english = app.get("/en/buscar", query_string={"q": "participacion"}).get_data(as_text=True)
    assert "Search Open Lima" in english and "Participation spaces" in english
    assert "Datasets" in english and "See all: Datasets" in english
    assert "Espacios de participación" not in english
    spanish = app.get("/buscar").get_data(as_text=True)
    assert "Buscar en Open Lima" in spanish and "Search Open Lima" not in spanish
    home = app.get("/").get_data(as_text=True)
    # the header's box and the home page's box both search the whole portal
    assert len(re.findall(r'<form[^>]+action="/buscar"', home)) == 2
    dataset_page = app.get("/dataset/").get_data(as_text=True)
    assert re.search(r'<form class="d-flex site-search" action="/buscar"', dataset_page)
