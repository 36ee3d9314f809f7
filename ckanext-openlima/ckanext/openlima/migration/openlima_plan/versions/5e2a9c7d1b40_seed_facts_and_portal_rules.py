"""What each commitment's draft said (Fase 3), and the portal's own rules kept apart from
the plan's facts: an indicator's origin (plan or portal) and the plan measure it computes,
and where the portal follows up each draft component.

Revision ID: 5e2a9c7d1b40
Revises: 0b1d2c3e4f50
Create Date: 2026-12-02 03:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "5e2a9c7d1b40"
down_revision = "0b1d2c3e4f50"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("openlima_plan_commitment", sa.Column("draft", JSONB))
    op.add_column(
        "openlima_plan_commitment",
        sa.Column("portal_traces", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    # indicators loaded before this revision were the portal's choices too
    op.add_column(
        "openlima_plan_indicator",
        sa.Column("origin", sa.UnicodeText, nullable=False, server_default="portal"),
    )
    op.add_column("openlima_plan_indicator", sa.Column("measure", sa.UnicodeText))


def downgrade():
    op.drop_column("openlima_plan_indicator", "measure")
    op.drop_column("openlima_plan_indicator", "origin")
    op.drop_column("openlima_plan_commitment", "portal_traces")
    op.drop_column("openlima_plan_commitment", "draft")
