"""Create Lima Activa tables

Revision ID: 3a7c5e9b1d20
Revises:
Create Date: 2026-11-27 02:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3a7c5e9b1d20"
down_revision = None
branch_labels = None
depends_on = None


def _timestamps():
    return [
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column(
            "modified", sa.DateTime, nullable=False, server_default=sa.func.now()
        ),
    ]


def upgrade():
    op.create_table(
        "limaactiva_space",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("name", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("space_type", sa.UnicodeText, nullable=False),
        sa.Column("responsible_office", sa.UnicodeText, nullable=False),
        sa.Column("civic_education", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("commitment_ref", sa.UnicodeText),
        *_timestamps(),
        sa.CheckConstraint(
            "space_type IN ('policy', 'plan', 'programme', 'project')",
            name="limaactiva_space_type_check",
        ),
    )
    op.create_table(
        "limaactiva_phase",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "space_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_space.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("phase_key", sa.UnicodeText, nullable=False),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column(
            "proposals_enabled", sa.Boolean, nullable=False, server_default=sa.false()
        ),
        sa.Column(
            "comments_enabled", sa.Boolean, nullable=False, server_default=sa.false()
        ),
        sa.Column(
            "votes_enabled", sa.Boolean, nullable=False, server_default=sa.false()
        ),
        sa.CheckConstraint(
            "end_date >= start_date", name="limaactiva_phase_dates_check"
        ),
    )
    op.create_table(
        "limaactiva_session",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "space_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_space.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("modality", sa.UnicodeText, nullable=False),
        sa.Column("place", sa.UnicodeText),
        sa.Column("district", sa.UnicodeText),
        sa.Column("online_url", sa.UnicodeText),
        sa.Column("registration_url", sa.UnicodeText),
        sa.Column(
            "registration_required",
            sa.Boolean,
            nullable=False,
            server_default=sa.false(),
        ),
        sa.Column("capacity", sa.Integer),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime),
        sa.Column("closed_at", sa.DateTime),
        sa.Column("report", sa.UnicodeText),
        sa.Column("attendees_count", sa.Integer),
        sa.Column("contributions_count", sa.Integer),
        sa.Column("recording_url", sa.UnicodeText),
        *_timestamps(),
        sa.CheckConstraint(
            "modality IN ('in_person', 'online', 'hybrid')",
            name="limaactiva_session_modality_check",
        ),
    )
    op.create_table(
        "limaactiva_session_organisation",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "session_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_session.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("organisation", sa.UnicodeText, nullable=False),
        sa.Column("district", sa.UnicodeText, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.CheckConstraint("people >= 0", name="limaactiva_session_org_people_check"),
    )
    op.create_table(
        "limaactiva_proposal",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "space_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_space.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("author_user_id", sa.UnicodeText, nullable=False),
        sa.Column("author_organisation", sa.UnicodeText),
        sa.Column("author_public_name", sa.UnicodeText),
        sa.Column("district", sa.UnicodeText, nullable=False),
        sa.Column("theme", sa.UnicodeText, nullable=False),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("body", sa.UnicodeText, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False, server_default="received"),
        sa.Column("answer_text", sa.UnicodeText),
        sa.Column("answer_date", sa.Date),
        sa.Column("answer_office", sa.UnicodeText),
        sa.Column("answered_by", sa.UnicodeText),
        sa.Column("commitment_milestone_ref", sa.UnicodeText),
        *_timestamps(),
    )
    op.create_table(
        "limaactiva_session_proposal",
        sa.Column(
            "session_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_session.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "proposal_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_proposal.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "limaactiva_comment",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "proposal_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_proposal.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "parent_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_comment.id", ondelete="CASCADE"),
        ),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("author_user_id", sa.UnicodeText, nullable=False),
        sa.Column("alignment", sa.UnicodeText, nullable=False),
        sa.Column("body", sa.UnicodeText, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("deleted_at", sa.DateTime),
        *_timestamps(),
        sa.CheckConstraint(
            "depth BETWEEN 1 AND 3", name="limaactiva_comment_depth_check"
        ),
        sa.CheckConstraint(
            "alignment IN ('a_favor', 'neutral', 'en_contra')",
            name="limaactiva_comment_alignment_check",
        ),
    )
    op.create_table(
        "limaactiva_vote",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "proposal_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_proposal.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("weight", sa.Integer, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint(
            "proposal_id", "user_id", name="limaactiva_vote_one_per_person"
        ),
        sa.CheckConstraint("weight IN (1, 2, 3)", name="limaactiva_vote_weight_check"),
    )
    op.create_table(
        "limaactiva_vote_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "vote_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_vote.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("proposal_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("old_weight", sa.Integer),
        sa.Column("new_weight", sa.Integer, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "limaactiva_snapshot",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "proposal_id",
            sa.UnicodeText,
            sa.ForeignKey("limaactiva_proposal.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("snapshot_date", sa.Date, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("count_3", sa.Integer, nullable=False),
        sa.Column("count_2", sa.Integer, nullable=False),
        sa.Column("count_1", sa.Integer, nullable=False),
        sa.UniqueConstraint(
            "proposal_id", "snapshot_date", name="limaactiva_snapshot_one_per_day"
        ),
    )
    op.create_table(
        "limaactiva_participant",
        sa.Column("user_id", sa.UnicodeText, primary_key=True),
        sa.Column("email_confirmed_at", sa.DateTime),
        sa.Column("confirmed_email", sa.UnicodeText),
        sa.Column("confirmation_token_hash", sa.UnicodeText),
        sa.Column("confirmation_sent_at", sa.DateTime),
        sa.Column("dni_hmac", sa.UnicodeText, unique=True),
        sa.Column("district", sa.UnicodeText),
        sa.Column("public_name", sa.UnicodeText),
        sa.Column(
            "show_publicly", sa.Boolean, nullable=False, server_default=sa.false()
        ),
        *_timestamps(),
    )
    op.create_table(
        "limaactiva_service",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("name", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("office", sa.UnicodeText, nullable=False),
        sa.Column("channel", sa.UnicodeText, nullable=False),
        sa.Column("requirements", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("url", sa.UnicodeText),
        *_timestamps(),
        sa.CheckConstraint(
            "channel IN ('online', 'in_person', 'both')",
            name="limaactiva_service_channel_check",
        ),
    )


def downgrade():
    for table in (
        "limaactiva_service",
        "limaactiva_participant",
        "limaactiva_snapshot",
        "limaactiva_vote_event",
        "limaactiva_vote",
        "limaactiva_comment",
        "limaactiva_session_proposal",
        "limaactiva_proposal",
        "limaactiva_session_organisation",
        "limaactiva_session",
        "limaactiva_phase",
        "limaactiva_space",
    ):
        op.drop_table(table)
