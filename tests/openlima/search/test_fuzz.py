"""Hostile and random queries through the Action API: never a 500, never a database error."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ckan.tests import factories

FIELDS = ["title", "name", "tags", "notes", "organization", "res_format", "metadata_modified",
          "num_resources", "text", "extras_x", "no_such_field", "capacity", "*"]
TOKENS = ["educación", "parque", "AND", "OR", "NOT", "(", ")", '"', "*", "?", ":", "[", "]",
          "{", "}", "TO", "NOW-1DAY", "^2", "~", "\\", "'", ";", "--", "DROP TABLE package",
          "\x00", "+", "-", "/", "/.*/", "!", "{!bool must=x}", "%", "_", "é", "1", "2024-01-01"]

query_text = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(TOKENS), st.sampled_from([f + ":" for f in FIELDS]),
                       st.text(max_size=8)), max_size=12).map(" ".join),
)
sort_text = st.one_of(
    st.sampled_from(["score desc", "title_string asc", "metadata_modified desc, name asc",
                     "tags asc", "nonsense", "name sideways", "", ","]),
    st.text(max_size=20),
)


@pytest.fixture
def fuzz_app(clean_db, clean_index, with_plugins, app):
    # created once per test function: hypothesis reruns the body, not the fixtures
    office = factories.Organization(name="gerencia-de-prueba")
    factories.Dataset(owner_org=office["id"], title="Educación vial", tags=[{"name": "colegios"}])
    factories.Dataset(owner_org=office["id"], title="Parque zonal", private=True)
    return app


@settings(max_examples=2000, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(q=query_text, fq=query_text, sort=sort_text, rows=st.sampled_from(["5", "-1", "x", "0"]))
def test_no_query_makes_a_500(fuzz_app, q, fq, sort, rows):
    response = fuzz_app.get("/api/3/action/package_search",
                            query_string={"q": q, "fq": fq, "sort": sort, "rows": rows,
                                          "facet.field": '["tags", "organization"]'})
    assert response.status_code in (200, 400, 409), (q, fq, sort, response.status_code)
    body = response.json
    if response.status_code == 200:
        for dataset in body["result"]["results"]:
            assert not dataset["private"]
        facet_orgs = body["result"]["search_facets"].get("organization", {}).get("items", [])
        assert sum(i["count"] for i in facet_orgs) <= 1  # the private one is never counted
    else:
        assert body["success"] is False
        assert "psycopg2" not in str(body) and "Traceback" not in str(body)
