"""Moderation: reports (flags), hidden proposals and comments, audit log

Revision ID: 7d2e4f6a8b31
Revises: 3a7c5e9b1d20
Create Date: 2026-11-27 02:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7d2e4f6a8b31"
down_revision = "3a7c5e9b1d20"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("limaactiva_proposal", "limaactiva_comment"):
        op.add_column(
            table,
            sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        )
    op.create_table(
        "limaactiva_flag",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("target_type", sa.UnicodeText, nullable=False),
        sa.Column("target_id", sa.UnicodeText, nullable=False),
        sa.Column("reporter_user_id", sa.UnicodeText, nullable=False),
        sa.Column("reason", sa.UnicodeText, nullable=False),
        sa.Column("detail", sa.UnicodeText),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="pending"),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("resolved", sa.DateTime),
        sa.UniqueConstraint(
            "target_type",
            "target_id",
            "reporter_user_id",
            name="limaactiva_flag_once_per_user",
        ),
        sa.CheckConstraint(
            "target_type IN ('proposal', 'comment')",
            name="limaactiva_flag_target_check",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'dismissed', 'upheld')",
            name="limaactiva_flag_status_check",
        ),
    )
    op.create_index(
        "limaactiva_flag_target_idx", "limaactiva_flag", ["target_type", "target_id"]
    )
    op.create_table(
        "limaactiva_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("actor_user_id", sa.UnicodeText),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("target_type", sa.UnicodeText, nullable=False),
        sa.Column("target_id", sa.UnicodeText, nullable=False),
        sa.Column("detail", sa.UnicodeText),
    )


def downgrade():
    op.drop_table("limaactiva_audit")
    op.drop_index("limaactiva_flag_target_idx", table_name="limaactiva_flag")
    op.drop_table("limaactiva_flag")
    for table in ("limaactiva_comment", "limaactiva_proposal"):
        op.drop_column(table, "hidden")
