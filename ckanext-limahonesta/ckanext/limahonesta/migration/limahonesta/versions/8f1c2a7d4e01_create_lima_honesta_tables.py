"""Create Lima Honesta tables

Revision ID: 8f1c2a7d4e01
Revises:
Create Date: 2026-11-27 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "8f1c2a7d4e01"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "limahonesta_case",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("case_number", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("channel", sa.UnicodeText, nullable=False),
        sa.Column("confidentiality", sa.UnicodeText, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("outcome", sa.UnicodeText),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("acknowledged_on", sa.Date),
        sa.Column("feedback_on", sa.Date),
        sa.Column("closed_on", sa.Date),
        sa.Column("assigned_to", sa.UnicodeText),
        sa.Column("pdudc_code", sa.UnicodeText),
        sa.Column("rating", sa.Integer),
        sa.Column("code_lookup", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("code_kdf", sa.UnicodeText, nullable=False),
        sa.Column("code_salt", sa.LargeBinary, nullable=False),
        sa.Column("code_change_required", sa.Boolean, nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("reporter_wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "limahonesta_case_key",
        sa.Column("case_id", sa.UnicodeText, primary_key=True),
        sa.Column("reviewer_id", sa.UnicodeText, primary_key=True),
        sa.Column("sealed_key", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "limahonesta_identity",
        sa.Column("case_id", sa.UnicodeText, primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "limahonesta_status_change",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("case_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("outcome", sa.UnicodeText),
        sa.Column("changed_on", sa.Date, nullable=False),
        sa.Column("changed_by", sa.UnicodeText),
        sa.Column("reason", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "limahonesta_message",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("case_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("author_role", sa.UnicodeText, nullable=False),
        sa.Column("author_id", sa.UnicodeText),
        sa.Column("internal", sa.Boolean, nullable=False),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "limahonesta_attachment",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("case_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("origin", sa.UnicodeText, nullable=False),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("storage_name", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("meta", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "limahonesta_reviewer",
        sa.Column("user_id", sa.UnicodeText, primary_key=True),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("key_kdf", sa.UnicodeText, nullable=False),
        sa.Column("key_salt", sa.LargeBinary, nullable=False),
        sa.Column("passphrase_wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("recovery_wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("totp_secret", sa.LargeBinary, nullable=False),
        sa.Column("totp_last_step", sa.BigInteger, nullable=False),
        sa.Column("recovery_codes", sa.JSON, nullable=False),
        sa.Column("enrolled_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "limahonesta_identity_request",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("case_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("requested_by", sa.UnicodeText, nullable=False),
        sa.Column("reason", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("decided_by", sa.UnicodeText),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
    )
    op.create_table(
        "limahonesta_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("case_id", sa.UnicodeText, index=True),
        sa.Column("detail", sa.UnicodeText),
    )


def downgrade():
    for table in ("limahonesta_audit", "limahonesta_identity_request",
                  "limahonesta_reviewer", "limahonesta_attachment",
                  "limahonesta_message", "limahonesta_status_change",
                  "limahonesta_identity", "limahonesta_case_key", "limahonesta_case"):
        op.drop_table(table)
