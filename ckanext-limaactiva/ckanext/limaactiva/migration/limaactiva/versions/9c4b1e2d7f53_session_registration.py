"""Session registrations (one per person and session)

Revision ID: 9c4b1e2d7f53
Revises: 7d2e4f6a8b31
Create Date: 2026-11-27 03:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9c4b1e2d7f53"
down_revision = "7d2e4f6a8b31"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "limaactiva_session_registration",
        sa.Column(
            "session_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_session.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.UnicodeText, primary_key=True),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )


def downgrade():
    op.drop_table("limaactiva_session_registration")
