"""Notice delivery: immediate e-mail, daily digest or none; the catalogue watch's cursor;
commitments can be followed

Revision ID: e4b7a2c6d918
Revises: e4a2c6f8b0d1
Create Date: 2026-12-02 11:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e4b7a2c6d918"
down_revision = "e4a2c6f8b0d1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "limaactiva_notice_setting",
        sa.Column("user_id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "delivery", sa.UnicodeText, nullable=False, server_default="immediate"
        ),
        sa.Column("changed", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("last_digest_at", sa.DateTime),
        sa.CheckConstraint(
            "delivery IN ('immediate', 'digest', 'none')",
            name="limaactiva_notice_setting_delivery",
        ),
    )
    op.create_table(
        "limaactiva_watch_cursor",
        sa.Column("name", sa.UnicodeText, primary_key=True),
        sa.Column("until", sa.DateTime, nullable=False),
    )
    op.drop_constraint("limaactiva_follow_type", "limaactiva_follow", type_="check")
    op.create_check_constraint(
        "limaactiva_follow_type",
        "limaactiva_follow",
        "object_type IN ('proposal', 'space', 'commitment')",
    )


def downgrade():
    op.execute("DELETE FROM limaactiva_follow WHERE object_type = 'commitment'")
    op.drop_constraint("limaactiva_follow_type", "limaactiva_follow", type_="check")
    op.create_check_constraint(
        "limaactiva_follow_type",
        "limaactiva_follow",
        "object_type IN ('proposal', 'space')",
    )
    op.drop_table("limaactiva_watch_cursor")
    op.drop_table("limaactiva_notice_setting")
