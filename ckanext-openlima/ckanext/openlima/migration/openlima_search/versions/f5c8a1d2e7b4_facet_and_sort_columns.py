"""Facet values and sort keys as columns: searches stop reading the jsonb fields (#18).

Revision ID: f5c8a1d2e7b4
Revises: e2a6b4c8d913
Create Date: 2026-12-02

``facet_values`` ("field:value" of the fields the /dataset page facets on and filters by,
GIN-indexed) and ``metadata_modified`` / ``title_string`` (btree, bytewise order) are
filled from the stored documents.
"""
from alembic import op

from ckanext.openlima.search import ddl

revision = "f5c8a1d2e7b4"
down_revision = "e2a6b4c8d913"
branch_labels = None
depends_on = None


def upgrade():
    # idempotent: adds the columns and their indexes, fills them from the stored documents
    ddl.create_schema(op.get_bind())


def downgrade():
    op.execute(f"DROP INDEX IF EXISTS {ddl.TABLE}_facets_idx")
    for name in ddl.SORT_FIELDS:
        op.execute(f"DROP INDEX IF EXISTS {ddl.TABLE}_{name}_idx")
    for column in ("facet_values", *ddl.SORT_FIELDS):
        op.execute(f"ALTER TABLE {ddl.TABLE} DROP COLUMN IF EXISTS {column}")
