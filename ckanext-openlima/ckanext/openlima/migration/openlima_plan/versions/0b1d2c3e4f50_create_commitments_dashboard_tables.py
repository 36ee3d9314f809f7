"""Create the commitments dashboard tables and the default milestone statuses.

Revision ID: 0b1d2c3e4f50
Revises:
Create Date: 2026-11-27 02:30:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0b1d2c3e4f50"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = [
    # key, label, description, default_progress, terminal, position
    ("not_started", "No iniciado", "El hito aún no empieza.", 0, False, 1),
    ("in_progress", "En curso", "El hito está en ejecución; su avance se registra.", None, False, 2),
    ("completed", "Completado", "El hito entregó su producto verificable.", 100, True, 3),
    ("cancelled", "Cancelado", "El hito se dejó sin efecto; no cuenta en el avance.", None, True, 4),
]


def _timestamps():
    return [
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("modified", sa.DateTime, nullable=False, server_default=sa.func.now()),
    ]


def _text(name, **kwargs):
    kwargs.setdefault("nullable", False)
    kwargs.setdefault("server_default", "")
    return sa.Column(name, sa.UnicodeText, **kwargs)


def _json_list(name):
    return sa.Column(name, JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))


def upgrade():
    op.create_table(
        "openlima_plan_action_plan",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        _text("member"),
        _text("description"),
        sa.Column("period_start", sa.Date),
        sa.Column("period_end", sa.Date),
        _text("status"),
        _text("source"),
        _text("source_url"),
        _text("team_organization"),
        *_timestamps(),
    )
    op.create_table(
        "openlima_plan_commitment",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "plan_id",
            sa.UnicodeText,
            sa.ForeignKey("openlima_plan_action_plan.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.UnicodeText, nullable=False),
        _text("code"),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        _text("stage", server_default="approved"),
        _text("stage_note"),
        sa.Column("title", sa.UnicodeText, nullable=False),
        _text("subtitle"),
        _text("summary"),
        _json_list("responsible_offices"),
        _json_list("supporting_actors"),
        _text("implementation_period"),
        sa.Column("implementation_start", sa.Date),
        sa.Column("implementation_end", sa.Date),
        _text("commitment_period"),
        sa.Column("commitment_start", sa.Date),
        sa.Column("commitment_end", sa.Date),
        _json_list("ogp_values"),
        _json_list("ogp_values_text"),
        _json_list("sdg_targets"),
        _text("why_important"),
        _text("objective"),
        _json_list("stoppers"),
        sa.Column("budget", sa.UnicodeText),
        _json_list("planned_measures"),
        *_timestamps(),
        sa.UniqueConstraint("plan_id", "name"),
    )
    op.create_table(
        "openlima_plan_status",
        sa.Column("key", sa.UnicodeText, primary_key=True),
        sa.Column("label", sa.UnicodeText, nullable=False),
        _text("description"),
        sa.Column("default_progress", sa.Integer),
        sa.Column("terminal", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "openlima_plan_milestone",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "commitment_id",
            sa.UnicodeText,
            sa.ForeignKey("openlima_plan_commitment.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("code", sa.UnicodeText, nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        _text("kind"),
        sa.Column("title", sa.UnicodeText, nullable=False),
        _text("deliverable"),
        sa.Column("planned_start", sa.Date),
        sa.Column("planned_end", sa.Date),
        sa.Column("actual_start", sa.Date),
        sa.Column("actual_end", sa.Date),
        sa.Column("weight", sa.Numeric(9, 3)),
        sa.Column(
            "status",
            sa.UnicodeText,
            sa.ForeignKey("openlima_plan_status.key"),
            nullable=False,
            server_default="not_started",
        ),
        sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
        _json_list("evidence"),
        *_timestamps(),
        sa.UniqueConstraint("commitment_id", "code"),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="openlima_plan_milestone_progress_range"),
        sa.CheckConstraint("weight IS NULL OR weight >= 0", name="openlima_plan_milestone_weight_positive"),
    )
    op.create_table(
        "openlima_plan_indicator",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "commitment_id",
            sa.UnicodeText,
            sa.ForeignKey("openlima_plan_commitment.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("code", sa.UnicodeText, nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("name", sa.UnicodeText, nullable=False),
        _text("description"),
        _text("unit"),
        sa.Column("baseline", sa.Numeric(14, 3)),
        sa.Column("baseline_date", sa.Date),
        sa.Column("target", sa.Numeric(14, 3)),
        sa.Column("target_date", sa.Date),
        _text("direction", server_default="increase"),
        _text("kind", server_default="manual"),
        sa.Column("metric", sa.UnicodeText),
        _text("source"),
        _text("frequency"),
        *_timestamps(),
        sa.UniqueConstraint("commitment_id", "code"),
    )
    op.create_table(
        "openlima_plan_indicator_value",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "indicator_id",
            sa.UnicodeText,
            sa.ForeignKey("openlima_plan_indicator.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("value", sa.Numeric(14, 3), nullable=False),
        sa.Column("source", sa.UnicodeText, nullable=False),
        _text("evidence_url"),
        _text("note"),
        _text("recorded_by"),
        sa.Column("recorded_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "openlima_plan_assessment",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "commitment_id",
            sa.UnicodeText,
            sa.ForeignKey("openlima_plan_commitment.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("assessor", sa.UnicodeText, nullable=False),
        sa.Column("completion", sa.UnicodeText, nullable=False),
        sa.Column("assessed_on", sa.Date, nullable=False),
        sa.Column("source", sa.UnicodeText, nullable=False),
        _text("source_url"),
        _text("notes"),
        _text("recorded_by"),
        sa.Column("recorded_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "openlima_plan_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("commitment_id", sa.UnicodeText, index=True),
        sa.Column("entity_type", sa.UnicodeText, nullable=False),
        sa.Column("entity_id", sa.UnicodeText, nullable=False),
        _text("entity_label"),
        sa.Column("action", sa.UnicodeText, nullable=False),
        _json_list("changes"),
        sa.Column("reason", sa.UnicodeText, nullable=False),
        _text("author"),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    status_table = sa.table(
        "openlima_plan_status",
        sa.column("key"),
        sa.column("label"),
        sa.column("description"),
        sa.column("default_progress"),
        sa.column("terminal"),
        sa.column("position"),
    )
    op.bulk_insert(
        status_table,
        [
            dict(zip(("key", "label", "description", "default_progress", "terminal", "position"), row))
            for row in STATUSES
        ],
    )


def downgrade():
    for table in (
        "openlima_plan_history",
        "openlima_plan_assessment",
        "openlima_plan_indicator_value",
        "openlima_plan_indicator",
        "openlima_plan_milestone",
        "openlima_plan_status",
        "openlima_plan_commitment",
        "openlima_plan_action_plan",
    ):
        op.drop_table(table)
