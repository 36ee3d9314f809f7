"""Following and notifications; answer deadlines of a space; the last phase told

Revision ID: c5d8e1f3a9b6
Revises: 9c4b1e2d7f53
Create Date: 2026-12-02 07:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5d8e1f3a9b6"
down_revision = "9c4b1e2d7f53"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "limaactiva_follow",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("object_type", sa.UnicodeText, nullable=False),
        sa.Column("object_id", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "object_type IN ('proposal', 'space')", name="limaactiva_follow_type"
        ),
        sa.UniqueConstraint(
            "user_id", "object_type", "object_id", name="limaactiva_follow_once"
        ),
    )
    op.create_index(
        "limaactiva_follow_object", "limaactiva_follow", ["object_type", "object_id"]
    )
    op.create_table(
        "limaactiva_notification",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("reason", sa.UnicodeText, nullable=False),
        sa.Column("object_type", sa.UnicodeText, nullable=False),
        sa.Column("object_id", sa.UnicodeText, nullable=False),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("detail", sa.UnicodeText),
        sa.Column("emailed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("read_at", sa.DateTime),
    )
    op.create_index(
        "limaactiva_notification_user",
        "limaactiva_notification",
        ["user_id", "created"],
    )
    op.add_column(
        "limaactiva_space", sa.Column("answer_deadline_days", sa.Integer)
    )
    op.add_column(
        "limaactiva_space", sa.Column("announced_phase", sa.UnicodeText)
    )


def downgrade():
    op.drop_column("limaactiva_space", "announced_phase")
    op.drop_column("limaactiva_space", "answer_deadline_days")
    op.drop_table("limaactiva_notification")
    op.drop_table("limaactiva_follow")
