"""Add the generation counter that keys the search result cache.

Revision ID: 8b3e5d2c7a14
Revises: 4f1c2a7d9e01
Create Date: 2026-11-27
"""
from alembic import op

from ckanext.openlima.search import ddl

revision = "8b3e5d2c7a14"
down_revision = "4f1c2a7d9e01"
branch_labels = None
depends_on = None


def upgrade():
    ddl.create_schema(op.get_bind())  # idempotent: adds only what is missing


def downgrade():
    op.execute(f"DROP TABLE IF EXISTS {ddl.STATE_TABLE}")
