"""Integrity Unit key pair: every case key is also sealed to the unit (#12, no lost report)

Revision ID: 6a4d8e2b9c31
Revises: 3b7e9d2c5a10
Create Date: 2026-12-02 03:20:00

Only tables and a column: no key can be made here (making one needs the pepper or the
reviewers' keys). The unit key is created by ``ckan limahonesta setup`` or the first
time it is needed; cases stored before this revision receive their unit copy when
somebody who holds their key opens them (a reviewer signing in, or the reporter).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "6a4d8e2b9c31"
down_revision = "3b7e9d2c5a10"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "limahonesta_unit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("bootstrap_wrapped_key", sa.LargeBinary),
        sa.Column("created_on", sa.Date, nullable=False),
    )
    op.create_table(
        "limahonesta_unit_key",
        sa.Column("reviewer_id", sa.UnicodeText, primary_key=True),
        sa.Column("sealed_key", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "limahonesta_case_exclusion",
        sa.Column("case_id", sa.UnicodeText, primary_key=True),
        sa.Column("reviewer_id", sa.UnicodeText, primary_key=True),
    )
    op.add_column("limahonesta_case", sa.Column("unit_wrapped_key", sa.LargeBinary))


def downgrade():
    op.drop_column("limahonesta_case", "unit_wrapped_key")
    for table in ("limahonesta_case_exclusion", "limahonesta_unit_key", "limahonesta_unit"):
        op.drop_table(table)
