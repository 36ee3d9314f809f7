"""The search index's table and Spanish text configuration, as SQL.

Used by the plugin's alembic migration (``ckan db upgrade -p openlima_search``) and by
``ensure_schema``: CKAN's test fixture ``clean_db`` drops every table of the database,
and Solr's index would survive that, so the engine recreates its (empty, rebuildable)
index table when it finds it gone instead of failing every dataset write.
"""
from __future__ import annotations

import sqlalchemy as sa

TABLE = "openlima_search_index"
# One row: bumped by every index write, in the writer's transaction. Search results
# are cached (in Redis) under the generation they were computed at.
STATE_TABLE = "openlima_search_state"
# The words of public datasets, for "did you mean" (trigram similarity on ``folded``).
VOCABULARY_TABLE = "openlima_search_vocabulary"
TEXT_CONFIG = "openlima_es"
# Fields the /dataset page facets on and filters by (CKAN's five, Open Lima's themes and
# districts), also kept as "field:value" in one small text[] column: counting facets and
# filtering on these reads that column, never the (TOASTed, large) jsonb ``fields``, and
# its statistics give the planner real frequencies for each value (#18).
FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id", "tema",
                "distrito")
# Single-valued fields CKAN sorts on, as columns in the order Solr sorts them (bytewise).
SORT_FIELDS = ("metadata_modified", "title_string")
_FACET_ARRAY = "ARRAY[" + ", ".join(f"'{name}'" for name in FACET_FIELDS) + "]"
# Any constant works: it only serialises concurrent creation across processes.
_DDL_LOCK_KEY = 726_415_001

STATEMENTS = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"""
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{TEXT_CONFIG}') THEN
            CREATE TEXT SEARCH CONFIGURATION {TEXT_CONFIG} (COPY = pg_catalog.spanish);
            ALTER TEXT SEARCH CONFIGURATION {TEXT_CONFIG}
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;
        END IF;
    END
    $$
    """,
    f"""
    CREATE TABLE IF NOT EXISTS {TABLE} (
        index_id text PRIMARY KEY,
        site_id text NOT NULL,
        entity_type text,
        entity_id text,
        doc jsonb NOT NULL,
        fields jsonb NOT NULL,
        search_vector tsvector NOT NULL,
        seq bigint NOT NULL,
        indexed_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    f"CREATE SEQUENCE IF NOT EXISTS {TABLE}_seq",
    # Fields that CKAN puts in (nearly) every filter, as plain columns: PostgreSQL keeps
    # statistics for these, where it can only guess how many rows a jsonb @> matches, and
    # a bad guess made it scan every row to find one dataset by name.
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS state text",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS capacity text",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS dataset_type text",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS permission_labels text[]",
    # CKAN's package_show looks a dataset up with ``name:"<x>" OR id:"<x>"``: with the
    # name in a column of its own (statistics: unique) both halves are btree lookups at
    # every catalogue size; as a jsonb @> the planner guessed 1% of the rows and scanned
    # all of them at 10,000 datasets (#18)
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS name text",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS facet_values text[]",
    *[f'ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {name} text COLLATE "C"'
      for name in SORT_FIELDS],
    f"CREATE INDEX IF NOT EXISTS {TABLE}_vector_idx ON {TABLE} USING gin (search_vector)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_fields_idx ON {TABLE} USING gin (fields jsonb_path_ops)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_site_idx ON {TABLE} (site_id, entity_type)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_entity_idx ON {TABLE} (entity_id)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_labels_idx ON {TABLE} USING gin (permission_labels)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_name_idx ON {TABLE} (name)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_facets_idx ON {TABLE} USING gin (facet_values)",
    *[f"CREATE INDEX IF NOT EXISTS {TABLE}_{name}_idx ON {TABLE} ({name})"
      for name in SORT_FIELDS],
    # rows indexed before those columns existed get them from their stored document
    f"""
    UPDATE {TABLE} SET
        state = doc->>'state',
        capacity = doc->>'capacity',
        dataset_type = doc->>'dataset_type',
        permission_labels = ARRAY(SELECT jsonb_array_elements_text(fields->'permission_labels'))
    WHERE permission_labels IS NULL
    """,
    f"UPDATE {TABLE} SET name = doc->>'name' WHERE name IS NULL AND doc ? 'name'",
    f"""
    UPDATE {TABLE} SET
        facet_values = ARRAY(
            SELECT facet.name || ':' || value
            FROM unnest({_FACET_ARRAY}) AS facet(name),
                 jsonb_array_elements_text(COALESCE(fields -> facet.name, '[]'::jsonb)) AS value
        ),
        metadata_modified = fields -> 'metadata_modified' ->> 0,
        title_string = fields -> 'title_string' ->> 0
    WHERE facet_values IS NULL
    """,
    f"""
    CREATE TABLE IF NOT EXISTS {STATE_TABLE} (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        generation bigint NOT NULL DEFAULT 0
    )
    """,
    # a random start, so a recreated table never reuses generations cached before
    f"INSERT INTO {STATE_TABLE} (singleton, generation) "
    f"VALUES (true, (random() * 4e18)::bigint) ON CONFLICT DO NOTHING",
    # ``word`` as written in the catalogue (lower case, accents kept: what a suggestion
    # shows), ``folded`` without accents (what a typed word is compared with)
    f"""
    CREATE TABLE IF NOT EXISTS {VOCABULARY_TABLE} (
        word text PRIMARY KEY,
        folded text NOT NULL
    )
    """,
    f"CREATE INDEX IF NOT EXISTS {VOCABULARY_TABLE}_folded_idx ON {VOCABULARY_TABLE} (folded)",
    f"CREATE INDEX IF NOT EXISTS {VOCABULARY_TABLE}_trgm_idx ON {VOCABULARY_TABLE} "
    f"USING gin (folded gin_trgm_ops)",
]

# Solr field -> column holding its value(s); ``permission_labels`` is multi-valued.
COLUMN_FIELDS = {
    "id": "entity_id",
    "site_id": "site_id",
    "entity_type": "entity_type",
    "state": "state",
    "capacity": "capacity",
    "dataset_type": "dataset_type",
    "permission_labels": "permission_labels",
    "name": "name",
}

DROP_STATEMENTS = [
    f"DROP TABLE IF EXISTS {VOCABULARY_TABLE}",
    f"DROP TABLE IF EXISTS {STATE_TABLE}",
    f"DROP TABLE IF EXISTS {TABLE}",
    f"DROP SEQUENCE IF EXISTS {TABLE}_seq",
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {TEXT_CONFIG}",
]


def create_schema(connection) -> None:
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DDL_LOCK_KEY})
    for statement in STATEMENTS:
        connection.execute(sa.text(statement))


def drop_schema(connection) -> None:
    for statement in DROP_STATEMENTS:
        connection.execute(sa.text(statement))


def schema_exists(connection) -> bool:
    found = connection.execute(
        sa.text("SELECT to_regclass(:table) IS NOT NULL"), {"table": TABLE}
    ).scalar()
    return bool(found)
