"""Columns for the fields CKAN filters on in every query (state, capacity, type, labels).

Revision ID: c41d7e9a2b36
Revises: 8b3e5d2c7a14
Create Date: 2026-11-27

Existing rows are filled from their stored documents.
"""
from alembic import op

from ckanext.openlima.search import ddl

revision = "c41d7e9a2b36"
down_revision = "8b3e5d2c7a14"
branch_labels = None
depends_on = None


def upgrade():
    # idempotent: adds the columns and fills them from the stored documents
    ddl.create_schema(op.get_bind())


def downgrade():
    for column in ("state", "capacity", "dataset_type", "permission_labels"):
        op.execute(f"ALTER TABLE {ddl.TABLE} DROP COLUMN IF EXISTS {column}")
