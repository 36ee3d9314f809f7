"""Reporter events apart from the timestamped audit log, with random ids (#12)

Revision ID: 7b5e9f3c0d42
Revises: 6a4d8e2b9c31
Create Date: 2026-12-02 03:25:00

The audit log's integer sequence (and the rows' physical order) placed each reporter
event, stored with its date only, between timestamped staff events, which told its time
of day. Reporter events move to ``limahonesta_reporter_event`` (date, action, case; a
random id), copied in random order; the staff and system log is rebuilt with random
ids in a new table, so no old row order survives in either file.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7b5e9f3c0d42"
down_revision = "6a4d8e2b9c31"
branch_labels = None
depends_on = None

REPORTER_ACTIONS = ("case_created", "reporter_opened_case", "reporter_message",
                    "reporter_rating", "reporter_code_changed")
REPORTER_WHERE = ("actor_id is null and action in ("
                  + ", ".join(f"'{a}'" for a in REPORTER_ACTIONS) + ")")


def _create_audit(id_column: sa.Column) -> None:
    op.create_table(
        "limahonesta_audit",
        id_column,
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("case_id", sa.UnicodeText, index=True),
        sa.Column("detail", sa.UnicodeText),
    )


def upgrade():
    op.create_table(
        "limahonesta_reporter_event",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("case_id", sa.UnicodeText, index=True),
    )
    op.execute(
        "insert into limahonesta_reporter_event (id, occurred_on, action, case_id) "
        "select gen_random_uuid()::text, occurred_at::date, action, case_id "
        f"from limahonesta_audit where {REPORTER_WHERE} order by random()")
    op.rename_table("limahonesta_audit", "limahonesta_audit_old")
    op.execute("alter index if exists ix_limahonesta_audit_case_id "
               "rename to ix_limahonesta_audit_old_case_id")
    _create_audit(sa.Column("id", sa.UnicodeText, primary_key=True))
    op.execute(
        "insert into limahonesta_audit (id, occurred_at, actor_id, action, case_id, detail) "
        "select gen_random_uuid()::text, occurred_at, actor_id, action, case_id, detail "
        f"from limahonesta_audit_old where not ({REPORTER_WHERE}) order by random()")
    op.drop_table("limahonesta_audit_old")


def downgrade():
    op.rename_table("limahonesta_audit", "limahonesta_audit_new")
    op.execute("alter index if exists ix_limahonesta_audit_case_id "
               "rename to ix_limahonesta_audit_new_case_id")
    _create_audit(sa.Column("id", sa.Integer, primary_key=True, autoincrement=True))
    op.execute(
        "insert into limahonesta_audit (occurred_at, actor_id, action, case_id, detail) "
        "select occurred_at, actor_id, action, case_id, detail from ("
        "  select occurred_at, actor_id, action, case_id, detail from limahonesta_audit_new"
        "  union all select occurred_on::timestamp, null, action, case_id, null"
        "  from limahonesta_reporter_event) merged order by occurred_at")
    op.drop_table("limahonesta_audit_new")
    op.drop_table("limahonesta_reporter_event")
