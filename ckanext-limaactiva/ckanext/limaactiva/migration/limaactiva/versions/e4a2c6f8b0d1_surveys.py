"""Surveys of a space: questions, one response per person, answers, text moderation

Revision ID: e4a2c6f8b0d1
Revises: c5d8e1f3a9b6
Create Date: 2026-12-02 11:20:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

# revision identifiers, used by Alembic.
revision = "e4a2c6f8b0d1"
down_revision = "c5d8e1f3a9b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "limaactiva_survey",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "space_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_space.id"),
            nullable=False,
        ),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("phase_key", sa.UnicodeText, nullable=False),
        sa.Column(
            "live_results", sa.Boolean, nullable=False, server_default=sa.false()
        ),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column(
            "modified", sa.DateTime, nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("limaactiva_survey_space", "limaactiva_survey", ["space_id"])
    op.create_table(
        "limaactiva_survey_question",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "survey_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_survey.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("text", sa.UnicodeText, nullable=False),
        sa.Column("options", JSONB, nullable=False, server_default="[]"),
        sa.Column("required", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.CheckConstraint(
            "kind IN ('single', 'multiple', 'scale', 'text')",
            name="limaactiva_survey_question_kind",
        ),
    )
    op.create_table(
        "limaactiva_survey_response",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "survey_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_survey.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("survey_id", "user_id", name="limaactiva_survey_once"),
    )
    op.create_table(
        "limaactiva_survey_answer",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "response_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_survey_response.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "question_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_survey_question.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("option_index", sa.Integer),
        sa.Column("scale_value", sa.Integer),
        sa.Column("text", sa.UnicodeText),
        sa.Column("text_state", sa.UnicodeText),
        sa.Column("moderated_at", sa.DateTime),
        sa.CheckConstraint(
            "scale_value IS NULL OR scale_value BETWEEN 1 AND 5",
            name="limaactiva_survey_answer_scale",
        ),
        sa.CheckConstraint(
            "text_state IS NULL OR text_state IN ('pending', 'approved', 'rejected')",
            name="limaactiva_survey_answer_text_state",
        ),
        # a chosen option is chosen once per response
        sa.UniqueConstraint(
            "response_id",
            "question_id",
            "option_index",
            name="limaactiva_survey_answer_once",
        ),
    )
    op.create_index(
        "limaactiva_survey_answer_question",
        "limaactiva_survey_answer",
        ["question_id"],
    )


def downgrade():
    op.drop_table("limaactiva_survey_answer")
    op.drop_table("limaactiva_survey_response")
    op.drop_table("limaactiva_survey_question")
    op.drop_table("limaactiva_survey")
