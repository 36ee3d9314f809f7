"""The dataset's name as a column with a btree index (package_show's lookup, #18).

Revision ID: e2a6b4c8d913
Revises: c41d7e9a2b36
Create Date: 2026-12-02

Existing rows are filled from their stored documents.
"""
from alembic import op

from ckanext.openlima.search import ddl

revision = "e2a6b4c8d913"
down_revision = "c41d7e9a2b36"
branch_labels = None
depends_on = None


def upgrade():
    # idempotent: adds the column and its index and fills it from the stored documents
    ddl.create_schema(op.get_bind())


def downgrade():
    op.execute(f"DROP INDEX IF EXISTS {ddl.TABLE}_name_idx")
    op.execute(f"ALTER TABLE {ddl.TABLE} DROP COLUMN IF EXISTS name")
