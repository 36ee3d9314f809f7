"""The integrity commitment register: each office's signature and its audit trail (#16)

Revision ID: 9c2d4f6a8b13
Revises: 7b5e9f3c0d42
Create Date: 2026-12-02 11:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9c2d4f6a8b13"
down_revision = "7b5e9f3c0d42"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "limahonesta_integrity_signature",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("organization_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("signed_on", sa.Date, nullable=False),
        sa.Column("signatory_role", sa.UnicodeText, nullable=False),
        sa.Column("signatory_name", sa.UnicodeText),
        sa.Column("document_url", sa.UnicodeText),
        sa.Column("document_storage_name", sa.UnicodeText),
        sa.Column("document_name", sa.UnicodeText),
        sa.Column("notes", sa.UnicodeText),
        sa.Column("ended_on", sa.Date),
        sa.Column("withdrawal_reason", sa.UnicodeText),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("modified_at", sa.DateTime, nullable=False),
    )
    # at most one signature in force per office
    op.create_index("limahonesta_integrity_signature_in_force",
                    "limahonesta_integrity_signature", ["organization_id"], unique=True,
                    postgresql_where=sa.text("state = 'vigente'"))
    op.create_table(
        "limahonesta_integrity_signature_change",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("signature_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("organization_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("changed_at", sa.DateTime, nullable=False),
        sa.Column("changed_by", sa.UnicodeText, nullable=False),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
    )


def downgrade():
    op.drop_table("limahonesta_integrity_signature_change")
    op.drop_index("limahonesta_integrity_signature_in_force",
                  table_name="limahonesta_integrity_signature")
    op.drop_table("limahonesta_integrity_signature")
