"""The reporter's optional notice: an e-mail address sealed to the case key

Revision ID: a1e3c5b7d902
Revises: 9c2d4f6a8b13
Create Date: 2026-12-02 12:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a1e3c5b7d902"
down_revision = "9c2d4f6a8b13"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "limahonesta_reporter_notice",
        sa.Column("case_id", sa.UnicodeText, primary_key=True),
        sa.Column("address", sa.LargeBinary, nullable=False),
    )


def downgrade():
    op.drop_table("limahonesta_reporter_notice")
