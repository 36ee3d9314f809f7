"""package_show through the engine finds its document with an index, whatever the size.

CKAN's ``package_show`` (``use_cache`` on) asks the index for
``name:"<x>" OR id:"<x>"``. The test checks the plans PostgreSQL makes for the SQL the
engine sends for that lookup, over an index of 10,000 rows with fresh statistics: a plan,
not a time (at 10,000 rows a sequential scan cost 120 ms, #18).
"""
import json

import pytest
import sqlalchemy as sa

import ckan.model as model
from ckan.tests import factories, helpers

INDEX = "openlima_search_index"


def copy_index_rows(source_id: str, first: int, last: int) -> None:
    """Index rows ``first``..``last`` copied from ``source_id``'s, each with its own id,
    name, title and description (distinct values, as in a real catalogue)."""
    model.Session.execute(sa.text(f"""
        INSERT INTO {INDEX} (index_id, site_id, entity_type, entity_id, state, capacity,
                             dataset_type, name, permission_labels, doc, fields,
                             search_vector, seq)
        SELECT md5('copia' || n), s.site_id, s.entity_type, md5('id' || n), s.state,
               s.capacity, s.dataset_type, 'conjunto-' || n, s.permission_labels,
               s.doc || jsonb_build_object('id', md5('id' || n), 'name', 'conjunto-' || n),
               s.fields || jsonb_build_object(
                   'id', jsonb_build_array(md5('id' || n)),
                   'index_id', jsonb_build_array(md5('copia' || n)),
                   'name', jsonb_build_array('conjunto-' || n),
                   'title', jsonb_build_array('Conjunto ' || n),
                   'notes', jsonb_build_array(repeat(md5('notas' || n), 40))),
               s.search_vector, nextval('{INDEX}_seq')
        FROM {INDEX} s, generate_series(:first, :last) AS n
        WHERE s.entity_id = :source
    """), {"first": first, "last": last, "source": source_id})
    # a new generation: the lookup below must run its SQL, not answer from the cache
    model.Session.execute(sa.text("UPDATE openlima_search_state SET generation = generation + 1"))
    model.Session.commit()
    model.Session.execute(sa.text(f"ANALYZE {INDEX}"))
    model.Session.commit()


def index_statements(action, **data):
    """The SELECTs on the index table that ``action`` runs, with their parameters."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if INDEX in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    engine = model.meta.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        result = helpers.call_action(action, **data)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return result, seen


def plan_nodes(plan: dict) -> list[dict]:
    """Every node of a JSON plan."""
    return [plan] + [node for child in plan.get("Plans", []) for node in plan_nodes(child)]


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
def test_package_show_looks_datasets_up_by_index_at_1000_and_10000():
    """Both halves of CKAN's lookup are btree index conditions (name, id) and nothing
    reads the whole table. Before #18 ``name`` was a jsonb containment the planner guessed
    at 1% of the rows: a scan of every row at 10,000 datasets (120 ms), or a GIN lookup
    when the GIN index's pending list happened to be short."""
    office = factories.Organization()
    dataset = factories.Dataset(owner_org=office["id"], name="paraderos",
                                title="Paraderos del Metropolitano")
    copied = 0
    for size in (1_000, 10_000):
        copy_index_rows(dataset["id"], copied + 1, size - 1)
        copied = size - 1
        for reference in (dataset["name"], dataset["id"]):
            shown, statements = index_statements("package_show", id=reference)
            assert shown["id"] == dataset["id"]
            assert statements, "package_show did not ask the search index"
            for statement, parameters in statements:
                explained = model.Session.connection().exec_driver_sql(
                    "EXPLAIN (FORMAT JSON) " + statement, parameters
                ).scalar()
                plan = (explained if isinstance(explained, list) else json.loads(explained))[0]
                nodes = plan_nodes(plan["Plan"])
                reads = [node["Node Type"] for node in nodes
                         if node.get("Relation Name") == INDEX]
                conditions = " ".join(node.get("Index Cond", "") for node in nodes)
                assert reads and "Seq Scan" not in reads, (size, statement, reads)
                assert f"(name = '{reference}'" in conditions, (size, statement, conditions)
                assert f"(entity_id = '{reference}'" in conditions, (size, statement, conditions)
