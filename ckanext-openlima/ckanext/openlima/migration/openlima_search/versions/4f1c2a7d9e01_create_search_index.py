"""Create the search index table and the Spanish text configuration.

Revision ID: 4f1c2a7d9e01
Revises:
Create Date: 2026-11-27
"""
from alembic import op

from ckanext.openlima.search import ddl

revision = "4f1c2a7d9e01"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    ddl.create_schema(op.get_bind())


def downgrade():
    ddl.drop_schema(op.get_bind())
