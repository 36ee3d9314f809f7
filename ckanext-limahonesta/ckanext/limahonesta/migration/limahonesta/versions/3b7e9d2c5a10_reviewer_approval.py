"""Reviewer approval (four eyes on enrolment)

Revision ID: 3b7e9d2c5a10
Revises: 8f1c2a7d4e01
Create Date: 2026-11-27 03:10:00

Reviewers enrolled before this revision were trusted with every new case, so they are
marked approved by "migration"; encrypted cases are untouched.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3b7e9d2c5a10"
down_revision = "8f1c2a7d4e01"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("limahonesta_reviewer", sa.Column("approved_by", sa.UnicodeText))
    op.add_column("limahonesta_reviewer", sa.Column("approved_at", sa.DateTime))
    op.execute("update limahonesta_reviewer set approved_by = 'migration', "
               "approved_at = now() at time zone 'utc'")


def downgrade():
    op.drop_column("limahonesta_reviewer", "approved_at")
    op.drop_column("limahonesta_reviewer", "approved_by")
