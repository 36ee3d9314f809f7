"""Link checks, daily usage counts and dataset ratings of the catalogue.

Nothing personal is stored: usage and ratings are per-day aggregates per dataset.

Revision ID: 7c3e9a1f0b21
Revises:
Create Date: 2026-11-27 02:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = "7c3e9a1f0b21"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "openlima_link_check",
        sa.Column("resource_id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("url", sa.UnicodeText, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.UnicodeText),
        sa.Column("checked_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "openlima_usage_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("views", sa.Integer, nullable=False, server_default="0"),
        sa.Column("downloads", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("openlima_usage_daily_package_idx", "openlima_usage_daily", ["package_id"])
    op.create_table(
        "openlima_rating_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("ratings", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rating_sum", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade():
    op.drop_table("openlima_rating_daily")
    op.drop_index("openlima_usage_daily_package_idx", table_name="openlima_usage_daily")
    op.drop_table("openlima_usage_daily")
    op.drop_table("openlima_link_check")
