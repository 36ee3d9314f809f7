"""Issue #12, the search engine's share: facets show only what the caller may see, and
hostile searches get a clear 409 (never a 500, never database or library text)."""
import json

import pytest

from ckan.tests import factories, helpers

API = "/api/3/action/package_search"

# Every facet.* knob CKAN lets through, on fields that hold private text
LEAK_FIELDS = ["title", "notes", "res_url", "res_name", "extras_contact", "name", "id",
               "permission_labels", "organization", "owner_org", "tags", "state", "capacity",
               "text", "creator_user_id"]
SECRET = "reservado"


def facet_values(result) -> set:
    return {item["name"] for facet in result["search_facets"].values() for item in facet["items"]}


def secret_values(values) -> set:
    return {v for v in values if SECRET in v.lower() or "member-" in v or "creator-" in v}


@pytest.fixture
def catalogue(clean_db, clean_index, with_plugins):
    """A public dataset in office A; a private, a draft and a deleted one in office B;
    and one private dataset in office A."""
    member = factories.User(name="miembro-de-a")
    office_a = factories.Organization(name="oficina-a",
                                      users=[{"name": member["name"], "capacity": "member"}])
    office_b = factories.Organization(name="oficina-b")
    admin = {"user": factories.Sysadmin()["name"]}
    resource = [{"url": "http://reservado.example.org/interno.csv", "name": "Interno reservado"}]
    factories.Dataset(owner_org=office_a["id"], name="publico", title="Presupuesto público",
                      tags=[{"name": "abierto"}])
    factories.Dataset(owner_org=office_a["id"], name="privado-de-a", private=True,
                      title="Borrador reservado de A", notes="Documento reservado de A")
    factories.Dataset(owner_org=office_b["id"], name="privado-de-b", private=True,
                      title="Documento de trabajo reservado", resources=resource,
                      notes="No se publica por razones de seguridad (reservado)",
                      tags=[{"name": "reservado"}])
    factories.Dataset(owner_org=office_b["id"], name="borrador-de-b", state="draft",
                      title="Borrador reservado de B", tags=[{"name": "reservado-borrador"}])
    deleted = factories.Dataset(owner_org=office_b["id"], name="borrado-de-b",
                                title="Conjunto reservado borrado")
    helpers.call_action("package_delete", context=admin, id=deleted["id"])
    return {"a": office_a, "b": office_b, "member": member}


FACET_REQUESTS = [
    {"facet.mincount": 0, "facet.limit": -1},
    {"facet.mincount": 0, "facet.limit": 1000, "include_private": True, "include_drafts": True,
     "include_deleted": True},
    {"facet.mincount": 0, "q": "nada-coincide"},
    {"facet.mincount": 0, "fq": "-name:publico"},
    # facet parameters CKAN does not pass on are refused (400) or, if ever passed, harmless
    {"facet.mincount": 0, "facet.sort": "index"},
    {"facet.mincount": 0, "facet.prefix": "Doc"},
    {"facet.mincount": 0, "f.title.facet.mincount": 0},
    {"facet.query": "private:true"},
    {"facet.range": "metadata_modified"},
]


def test_facets_show_only_what_the_caller_may_see(app, catalogue):
    # anonymous, through the API, with every facet knob
    for extra in FACET_REQUESTS:
        params = {"rows": 0, "facet.field": json.dumps(LEAK_FIELDS), **extra}
        response = app.get(API, query_string=params)
        text = response.body
        assert "reservado" not in text.lower() and catalogue["b"]["id"] not in text, extra
        if response.status_code != 200:
            assert response.status_code == 400, (extra, response.status_code)
            continue
        result = response.json["result"]
        values = facet_values(result)
        if "q" not in extra and "fq" not in extra:
            assert "publico" in values  # facets work at all
        assert secret_values(values) == set(), (extra, values)
        # every listed value is counted: nothing with count 0 from documents out of sight
        assert all(item["count"] > 0 for facet in result["search_facets"].values()
                   for item in facet["items"])

    # a member of office A sees office A's private dataset counted, nothing of office B
    result = helpers.call_action(
        "package_search", context={"user": catalogue["member"]["name"], "ignore_auth": False},
        rows=0, include_private=True, include_drafts=True,
        **{"facet.mincount": 0, "facet.limit": -1, "facet.field": json.dumps(LEAK_FIELDS)})
    values = facet_values(result)
    assert "privado-de-a" in values
    assert f"member-{catalogue['a']['id']}" in values
    assert not {v for v in values if "de B" in v or v.endswith("-de-b")}
    assert f"member-{catalogue['b']['id']}" not in values
    assert catalogue["b"]["id"] not in values


# ----------------------------------------------------------------- hostile requests

DEEP = "(" * 20_000 + "agua" + ")" * 20_000
MANY_OR = " OR ".join(f"palabra{i}" for i in range(20_000))
HOSTILE = {
    "nested parentheses": {"q": DEEP},
    "nested parentheses in fq": {"fq": DEEP},
    "nested fielded groups": {"q": "title:" + "(" * 500 + "a" + ")" * 500},
    "100 kB q": {"q": "agua " * 20_000},
    "100 kB fielded q": {"q": "title:" + "a" * 100_000},
    "20,000-term OR": {"q": MANY_OR},
    "20,000-term fielded OR": {"q": "title:(" + MANY_OR + ")"},
    "20,000-term OR in fq": {"fq": "tags:(" + MANY_OR + ")"},
    "1,100-term OR under the length limit": {"q": " OR ".join(f"t{i}" for i in range(1_100))},
    "1,100-term dismax": {"q": " ".join(f"t{i}" for i in range(1_100))},
    "date overflow": {"q": "metadata_modified:[NOW+99999999999999DAYS TO *]"},
    "date overflow in fq": {"fq": "metadata_modified:[* TO NOW-99999999999YEARS]"},
    "year past 9999": {"q": "metadata_modified:[NOW+8000YEARS TO *]"},
    "infinite dates": {"q": "metadata_modified:[-Infinity TO Infinity]"},
    "infinite numbers": {"q": "views_total:[-Infinity TO Infinity]"},
    "NaN": {"q": "views_total:NaN"},
    "huge number": {"q": "views_total:1e400"},
    "rows as a list": {"rows": ["1", "2"]},
    "start as a list": {"start": ["1", "2"]},
    "facet.limit as a list": {"facet.limit": ["1", "2"]},
    "start out of range": {"start": str(10**20)},
    "facet.limit out of range": {"facet.limit": str(10**20), "facet.field": '["tags"]'},
    "regex repetition": {"q": "name:/a{1000}/"},
    "regex repetition range": {"q": "name:/a{2,99999}/"},
    "regex PostgreSQL does not know": {"q": "name:/(?P<x>a)/"},
}
DATABASE_WORDS = ("psycopg2", "PostgreSQL", "stack depth", "bigint", "invalid repetition",
                  "Traceback", "SOLR returned", "OverflowError", "RecursionError",
                  "invalid regular expression", "numeric", "sqlalchemy")


def test_hostile_searches_get_a_clear_409(app, non_clean_db, with_plugins):
    problems = []
    for case, params in HOSTILE.items():
        response = app.get(API, query_string=params)
        text = response.body
        if response.status_code not in (400, 409) or response.json["success"] is not False:
            problems.append((case, response.status_code))
        elif [word for word in DATABASE_WORDS if word in text]:
            problems.append((case, [word for word in DATABASE_WORDS if word in text]))
        elif len(text) > 2_000:  # the request is not echoed back whole
            problems.append((case, f"{len(text)} characters"))
    assert problems == []
    # within the limits, the same shapes still answer
    many = " OR ".join(["presupuesto"] + [f"t{i}" for i in range(200)])
    for params in ({"q": f"title:({many})"}, {"q": "presupuesto público"},
                   {"q": "(" * 15 + "agua" + ")" * 15},
                   {"q": "metadata_modified:[NOW-10YEARS TO NOW+1DAY]"},
                   {"q": "views_total:[0 TO 1e6]"}, {"q": "name:/a{2,255}/"}):
        assert app.get(API, query_string=params).status_code == 200, params


def test_refusals_say_why_in_spanish_and_english(app, non_clean_db, with_plugins):
    for params, spanish, english in [
        ({"q": "agua " * 20_000}, "demasiado larga", "too long"),
        ({"q": " OR ".join(f"t{i}" for i in range(1_100))}, "demasiados términos", "too many"),
        ({"q": "(" * 100 + "agua" + ")" * 100}, "demasiados paréntesis", "too many parentheses"),
        ({"q": "metadata_modified:[NOW+99999999999999DAYS TO *]"}, "fecha", "date"),
    ]:
        es = app.get(API, query_string=params, status=409).json["error"]
        assert es["__type"] == "Search Error"
        assert spanish in es["message"], es["message"]
        en = app.get("/en" + API, query_string=params, status=409).json["error"]
        assert english in en["message"].lower(), en["message"]
    for name in ("rows", "start", "facet.limit", "facet.mincount"):
        error = app.get(API, query_string={name: ["1", "2"]}, status=409).json["error"]
        assert error["__type"] == "Validation Error"
        assert "número entero" in error[name][0]
        english = app.get("/en" + API, query_string={name: ["1", "2"]}, status=409).json["error"]
        assert "whole number" in english[name][0]


def test_dataset_page_answers_hostile_queries_without_a_500(app, non_clean_db, with_plugins):
    for q in (DEEP, "agua " * 20_000, MANY_OR, "metadata_modified:[NOW+99999999999999DAYS TO *]"):
        response = app.get("/dataset/", query_string={"q": q})
        assert response.status_code in (200, 400)
        assert "psycopg2" not in response.body and "stack depth" not in response.body
