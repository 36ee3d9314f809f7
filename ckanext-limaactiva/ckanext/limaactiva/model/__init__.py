"""Lima Activa tables (created by the alembic migrations in ``migration/limaactiva``).

Nothing here creates tables: the mapping only describes what the migration made.
Identifiers of CKAN users and organisations are stored as plain text, never as
foreign keys into core tables.
"""

from __future__ import annotations

import datetime
import uuid

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from openlima_common import clock
from sqlalchemy import orm

__all__ = [
    "Space",
    "Phase",
    "ParticipationSession",
    "SessionOrganisation",
    "SessionProposal",
    "Proposal",
    "Comment",
    "Vote",
    "VoteEvent",
    "Snapshot",
    "Participant",
    "Service",
    "Flag",
    "AuditEntry",
    "SessionRegistration",
    "Follow",
    "Notification",
    "new_id",
    "utcnow",
]


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime.datetime:
    return clock.utcnow()


class _Timestamps:
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    modified = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Space(tk.BaseModel, _Timestamps):
    __tablename__ = "limaactiva_space"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    name = sa.Column(sa.UnicodeText, nullable=False, unique=True)
    title = sa.Column(sa.UnicodeText, nullable=False)
    description = sa.Column(sa.UnicodeText, nullable=False, default="")
    space_type = sa.Column(sa.UnicodeText, nullable=False)
    responsible_office = sa.Column(sa.UnicodeText, nullable=False)
    civic_education = sa.Column(sa.UnicodeText, nullable=False, default="")
    commitment_ref = sa.Column(sa.UnicodeText)
    # days the office has to answer a proposal (None: ckanext.limaactiva.answer_deadline_days)
    answer_deadline_days = sa.Column(sa.Integer)
    # "<phase_key>@<start date>" of the last phase its followers were told about
    announced_phase = sa.Column(sa.UnicodeText)
    phases = orm.relationship(
        "Phase",
        order_by="Phase.position",
        cascade="all, delete-orphan",
        back_populates="space",
    )


class Phase(tk.BaseModel):
    __tablename__ = "limaactiva_phase"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    space_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_space.id"), nullable=False
    )
    position = sa.Column(sa.Integer, nullable=False)
    phase_key = sa.Column(sa.UnicodeText, nullable=False)
    title = sa.Column(sa.UnicodeText, nullable=False)
    start_date = sa.Column(sa.Date, nullable=False)
    end_date = sa.Column(sa.Date, nullable=False)
    proposals_enabled = sa.Column(sa.Boolean, nullable=False, default=False)
    comments_enabled = sa.Column(sa.Boolean, nullable=False, default=False)
    votes_enabled = sa.Column(sa.Boolean, nullable=False, default=False)
    space = orm.relationship("Space", back_populates="phases")


class ParticipationSession(tk.BaseModel, _Timestamps):
    __tablename__ = "limaactiva_session"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    space_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_space.id"), nullable=False
    )
    title = sa.Column(sa.UnicodeText, nullable=False)
    description = sa.Column(sa.UnicodeText, nullable=False, default="")
    modality = sa.Column(sa.UnicodeText, nullable=False)
    place = sa.Column(sa.UnicodeText)
    district = sa.Column(sa.UnicodeText)
    online_url = sa.Column(sa.UnicodeText)
    registration_url = sa.Column(sa.UnicodeText)
    registration_required = sa.Column(sa.Boolean, nullable=False, default=False)
    capacity = sa.Column(sa.Integer)
    starts_at = sa.Column(sa.DateTime, nullable=False)
    ends_at = sa.Column(sa.DateTime)
    closed_at = sa.Column(sa.DateTime)
    report = sa.Column(sa.UnicodeText)
    attendees_count = sa.Column(sa.Integer)
    contributions_count = sa.Column(sa.Integer)
    recording_url = sa.Column(sa.UnicodeText)


class SessionOrganisation(tk.BaseModel):
    __tablename__ = "limaactiva_session_organisation"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    session_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_session.id"), nullable=False
    )
    organisation = sa.Column(sa.UnicodeText, nullable=False)
    district = sa.Column(sa.UnicodeText, nullable=False)
    people = sa.Column(sa.Integer, nullable=False)


class SessionProposal(tk.BaseModel):
    __tablename__ = "limaactiva_session_proposal"
    session_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_session.id"), primary_key=True
    )
    proposal_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_proposal.id"), primary_key=True
    )


class Proposal(tk.BaseModel, _Timestamps):
    __tablename__ = "limaactiva_proposal"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    space_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_space.id"), nullable=False
    )
    author_user_id = sa.Column(sa.UnicodeText, nullable=False)
    author_organisation = sa.Column(sa.UnicodeText)
    author_public_name = sa.Column(sa.UnicodeText)
    district = sa.Column(sa.UnicodeText, nullable=False)
    theme = sa.Column(sa.UnicodeText, nullable=False)
    title = sa.Column(sa.UnicodeText, nullable=False)
    body = sa.Column(sa.UnicodeText, nullable=False)
    state = sa.Column(sa.UnicodeText, nullable=False, default="received")
    answer_text = sa.Column(sa.UnicodeText)
    answer_date = sa.Column(sa.Date)
    answer_office = sa.Column(sa.UnicodeText)
    answered_by = sa.Column(sa.UnicodeText)
    commitment_milestone_ref = sa.Column(sa.UnicodeText)
    hidden = sa.Column(sa.Boolean, nullable=False, default=False)


class Comment(tk.BaseModel, _Timestamps):
    __tablename__ = "limaactiva_comment"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    proposal_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_proposal.id"), nullable=False
    )
    parent_id = sa.Column(sa.UnicodeText, sa.ForeignKey("limaactiva_comment.id"))
    depth = sa.Column(sa.Integer, nullable=False)
    author_user_id = sa.Column(sa.UnicodeText, nullable=False)
    alignment = sa.Column(sa.UnicodeText, nullable=False)
    body = sa.Column(sa.UnicodeText, nullable=False)
    deleted = sa.Column(sa.Boolean, nullable=False, default=False)
    deleted_at = sa.Column(sa.DateTime)
    hidden = sa.Column(sa.Boolean, nullable=False, default=False)


class Vote(tk.BaseModel, _Timestamps):
    __tablename__ = "limaactiva_vote"
    __table_args__ = (
        sa.UniqueConstraint(
            "proposal_id", "user_id", name="limaactiva_vote_one_per_person"
        ),
    )
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    proposal_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_proposal.id"), nullable=False
    )
    user_id = sa.Column(sa.UnicodeText, nullable=False)
    weight = sa.Column(sa.Integer, nullable=False)


class VoteEvent(tk.BaseModel):
    __tablename__ = "limaactiva_vote_event"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    vote_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_vote.id"), nullable=False
    )
    proposal_id = sa.Column(sa.UnicodeText, nullable=False)
    old_weight = sa.Column(sa.Integer)
    new_weight = sa.Column(sa.Integer, nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class Snapshot(tk.BaseModel):
    __tablename__ = "limaactiva_snapshot"
    __table_args__ = (
        sa.UniqueConstraint(
            "proposal_id", "snapshot_date", name="limaactiva_snapshot_one_per_day"
        ),
    )
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    proposal_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_proposal.id"), nullable=False
    )
    snapshot_date = sa.Column(sa.Date, nullable=False)
    score = sa.Column(sa.Integer, nullable=False)
    count_3 = sa.Column(sa.Integer, nullable=False)
    count_2 = sa.Column(sa.Integer, nullable=False)
    count_1 = sa.Column(sa.Integer, nullable=False)


class Participant(tk.BaseModel, _Timestamps):
    __tablename__ = "limaactiva_participant"
    user_id = sa.Column(sa.UnicodeText, primary_key=True)
    email_confirmed_at = sa.Column(sa.DateTime)
    confirmed_email = sa.Column(sa.UnicodeText)
    confirmation_token_hash = sa.Column(sa.UnicodeText)
    confirmation_sent_at = sa.Column(sa.DateTime)
    dni_hmac = sa.Column(sa.UnicodeText, unique=True)
    district = sa.Column(sa.UnicodeText)
    public_name = sa.Column(sa.UnicodeText)
    show_publicly = sa.Column(sa.Boolean, nullable=False, default=False)


class Service(tk.BaseModel, _Timestamps):
    __tablename__ = "limaactiva_service"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    name = sa.Column(sa.UnicodeText, nullable=False, unique=True)
    title = sa.Column(sa.UnicodeText, nullable=False)
    description = sa.Column(sa.UnicodeText, nullable=False, default="")
    office = sa.Column(sa.UnicodeText, nullable=False)
    channel = sa.Column(sa.UnicodeText, nullable=False)
    requirements = sa.Column(sa.UnicodeText, nullable=False, default="")
    url = sa.Column(sa.UnicodeText)


class Flag(tk.BaseModel):
    """A participant's report of a proposal or comment (once per person and target)."""

    __tablename__ = "limaactiva_flag"
    __table_args__ = (
        sa.UniqueConstraint(
            "target_type",
            "target_id",
            "reporter_user_id",
            name="limaactiva_flag_once_per_user",
        ),
    )
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    target_type = sa.Column(sa.UnicodeText, nullable=False)
    target_id = sa.Column(sa.UnicodeText, nullable=False)
    reporter_user_id = sa.Column(sa.UnicodeText, nullable=False)
    reason = sa.Column(sa.UnicodeText, nullable=False)
    detail = sa.Column(sa.UnicodeText)
    status = sa.Column(sa.UnicodeText, nullable=False, default="pending")
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    resolved = sa.Column(sa.DateTime)


class AuditEntry(tk.BaseModel):
    """Internal audit log of moderation and official acts (never published)."""

    __tablename__ = "limaactiva_audit"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    actor_user_id = sa.Column(sa.UnicodeText)
    action = sa.Column(sa.UnicodeText, nullable=False)
    target_type = sa.Column(sa.UnicodeText, nullable=False)
    target_id = sa.Column(sa.UnicodeText, nullable=False)
    detail = sa.Column(sa.UnicodeText)


class SessionRegistration(tk.BaseModel):
    """A person's place in a session (never published; only the count is)."""

    __tablename__ = "limaactiva_session_registration"
    session_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_session.id"), primary_key=True
    )
    user_id = sa.Column(sa.UnicodeText, primary_key=True)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class Follow(tk.BaseModel):
    """A person follows a proposal or a space (never published; only the count is)."""

    __tablename__ = "limaactiva_follow"
    __table_args__ = (
        sa.UniqueConstraint(
            "user_id", "object_type", "object_id", name="limaactiva_follow_once"
        ),
    )
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    user_id = sa.Column(sa.UnicodeText, nullable=False)
    object_type = sa.Column(sa.UnicodeText, nullable=False)
    object_id = sa.Column(sa.UnicodeText, nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class Notification(tk.BaseModel):
    """What one person is told (their dashboard; also e-mailed when they have an address).

    ``kind`` is ``answer``, ``state`` or ``phase``; ``reason`` why they are told:
    ``author`` (their own proposal), ``proposal`` or ``space`` (they follow it).
    """

    __tablename__ = "limaactiva_notification"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    user_id = sa.Column(sa.UnicodeText, nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    kind = sa.Column(sa.UnicodeText, nullable=False)
    reason = sa.Column(sa.UnicodeText, nullable=False)
    object_type = sa.Column(sa.UnicodeText, nullable=False)
    object_id = sa.Column(sa.UnicodeText, nullable=False)
    title = sa.Column(sa.UnicodeText, nullable=False)
    detail = sa.Column(sa.UnicodeText)
    emailed = sa.Column(sa.Boolean, nullable=False, default=False)
    read_at = sa.Column(sa.DateTime)
