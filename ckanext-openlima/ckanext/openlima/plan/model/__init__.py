"""Tables of the commitments dashboard.

action plan → commitments → milestones; indicators → dated values; assessments kept
apart from progress; statuses with their default progress; and an append-only history
of every change. Tables are created by the plugin's alembic migrations
(``ckan db upgrade -p openlima_plan``), never at import or load, and hold no foreign
keys into CKAN's core tables (users and organisations are referenced by name).
"""
from __future__ import annotations

import datetime
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

import ckan.model as model
import ckan.plugins.toolkit as tk
from openlima_common import clock

__all__ = [
    "ActionPlan",
    "Commitment",
    "Milestone",
    "Status",
    "Indicator",
    "IndicatorValue",
    "Assessment",
    "HistoryEntry",
    "Session",
]

Session = model.Session


def _uuid() -> str:
    return str(uuid.uuid4())


def _utcnow() -> datetime.datetime:
    return clock.utcnow()


class ActionPlan(tk.BaseModel):
    __tablename__ = "openlima_plan_action_plan"

    id = sa.Column(sa.UnicodeText, primary_key=True)
    title = sa.Column(sa.UnicodeText, nullable=False)
    member = sa.Column(sa.UnicodeText, nullable=False, default="")
    description = sa.Column(sa.UnicodeText, nullable=False, default="")
    period_start = sa.Column(sa.Date)
    period_end = sa.Column(sa.Date)
    status = sa.Column(sa.UnicodeText, nullable=False, default="")
    source = sa.Column(sa.UnicodeText, nullable=False, default="")
    source_url = sa.Column(sa.UnicodeText, nullable=False, default="")
    team_organization = sa.Column(sa.UnicodeText, nullable=False, default="")
    created = sa.Column(sa.DateTime, nullable=False, default=_utcnow)
    modified = sa.Column(sa.DateTime, nullable=False, default=_utcnow)


class Commitment(tk.BaseModel):
    __tablename__ = "openlima_plan_commitment"
    __table_args__ = (sa.UniqueConstraint("plan_id", "name"),)

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    plan_id = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("openlima_plan_action_plan.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    # ``name`` is the URL slug (``open-lima``), ``code`` the plan's numbering (``01``).
    name = sa.Column(sa.UnicodeText, nullable=False)
    code = sa.Column(sa.UnicodeText, nullable=False, default="")
    position = sa.Column(sa.Integer, nullable=False, default=0)
    # approved | draft_not_adopted
    stage = sa.Column(sa.UnicodeText, nullable=False, default="approved")
    stage_note = sa.Column(sa.UnicodeText, nullable=False, default="")
    title = sa.Column(sa.UnicodeText, nullable=False)
    subtitle = sa.Column(sa.UnicodeText, nullable=False, default="")
    summary = sa.Column(sa.UnicodeText, nullable=False, default="")
    # [{"name": <CKAN organisation name>, "title": <office name>}]
    responsible_offices = sa.Column(JSONB, nullable=False, default=list)
    supporting_actors = sa.Column(JSONB, nullable=False, default=list)
    implementation_period = sa.Column(sa.UnicodeText, nullable=False, default="")
    implementation_start = sa.Column(sa.Date)
    implementation_end = sa.Column(sa.Date)
    commitment_period = sa.Column(sa.UnicodeText, nullable=False, default="")
    commitment_start = sa.Column(sa.Date)
    commitment_end = sa.Column(sa.Date)
    # transparency | accountability | participation | tech_innovation | inclusion
    ogp_values = sa.Column(JSONB, nullable=False, default=list)
    # as written in the plan, e.g. "Tecnología/ innovación para la transparencia"
    ogp_values_text = sa.Column(JSONB, nullable=False, default=list)
    # [{"code": "16.6", "text": "..."}]
    sdg_targets = sa.Column(JSONB, nullable=False, default=list)
    why_important = sa.Column(sa.UnicodeText, nullable=False, default="")
    objective = sa.Column(sa.UnicodeText, nullable=False, default="")
    # [{"title": "...", "description": "..."}]
    stoppers = sa.Column(JSONB, nullable=False, default=list)
    budget = sa.Column(sa.UnicodeText)
    # what the draft said it would measure ("¿Qué mediremos?" of Fase 3)
    planned_measures = sa.Column(JSONB, nullable=False, default=list)
    # what the Fase 3 draft said, as printed: {"section", "texts": [...], "problem",
    # "periods": [...], "components": [{"title", "text"}]}
    draft = sa.Column(JSONB)
    # portal rule: where the portal follows up each draft component
    # [{"component", "text", "url"}]
    portal_traces = sa.Column(JSONB, nullable=False, default=list)
    created = sa.Column(sa.DateTime, nullable=False, default=_utcnow)
    modified = sa.Column(sa.DateTime, nullable=False, default=_utcnow)


class Status(tk.BaseModel):
    __tablename__ = "openlima_plan_status"

    key = sa.Column(sa.UnicodeText, primary_key=True)
    label = sa.Column(sa.UnicodeText, nullable=False)
    description = sa.Column(sa.UnicodeText, nullable=False, default="")
    # the progress a milestone takes when it gets this status (None: keep its own)
    default_progress = sa.Column(sa.Integer)
    terminal = sa.Column(sa.Boolean, nullable=False, default=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)


class Milestone(tk.BaseModel):
    __tablename__ = "openlima_plan_milestone"
    __table_args__ = (sa.UniqueConstraint("commitment_id", "code"),)

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    commitment_id = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("openlima_plan_commitment.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    code = sa.Column(sa.UnicodeText, nullable=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    # communication | platform_development | launch | internal_campaign |
    # external_campaign | regulatory_proposal | evaluation_monitoring
    kind = sa.Column(sa.UnicodeText, nullable=False, default="")
    title = sa.Column(sa.UnicodeText, nullable=False)
    deliverable = sa.Column(sa.UnicodeText, nullable=False, default="")
    planned_start = sa.Column(sa.Date)
    planned_end = sa.Column(sa.Date)
    actual_start = sa.Column(sa.Date)
    actual_end = sa.Column(sa.Date)
    weight = sa.Column(sa.Numeric(9, 3))
    status = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("openlima_plan_status.key"),
        nullable=False,
        default="not_started",
    )
    progress = sa.Column(sa.Integer, nullable=False, default=0)
    # [{"url": ..., "title": ...} | {"dataset": <CKAN dataset name>, "title": ...}]
    evidence = sa.Column(JSONB, nullable=False, default=list)
    created = sa.Column(sa.DateTime, nullable=False, default=_utcnow)
    modified = sa.Column(sa.DateTime, nullable=False, default=_utcnow)


class Indicator(tk.BaseModel):
    __tablename__ = "openlima_plan_indicator"
    __table_args__ = (sa.UniqueConstraint("commitment_id", "code"),)

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    commitment_id = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("openlima_plan_commitment.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    code = sa.Column(sa.UnicodeText, nullable=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    name = sa.Column(sa.UnicodeText, nullable=False)
    description = sa.Column(sa.UnicodeText, nullable=False, default="")
    unit = sa.Column(sa.UnicodeText, nullable=False, default="")
    baseline = sa.Column(sa.Numeric(14, 3))
    baseline_date = sa.Column(sa.Date)
    target = sa.Column(sa.Numeric(14, 3))
    target_date = sa.Column(sa.Date)
    # increase | decrease
    direction = sa.Column(sa.UnicodeText, nullable=False, default="increase")
    # computed (``metric`` names what the platform counts) | manual
    kind = sa.Column(sa.UnicodeText, nullable=False, default="manual")
    metric = sa.Column(sa.UnicodeText)
    source = sa.Column(sa.UnicodeText, nullable=False, default="")
    frequency = sa.Column(sa.UnicodeText, nullable=False, default="")
    # plan: the plan file states it | portal: a rule of the portal (labelled as such)
    origin = sa.Column(sa.UnicodeText, nullable=False, default="portal")
    # the plan's own wording of the measure this indicator computes, if any
    measure = sa.Column(sa.UnicodeText)
    created = sa.Column(sa.DateTime, nullable=False, default=_utcnow)
    modified = sa.Column(sa.DateTime, nullable=False, default=_utcnow)


class IndicatorValue(tk.BaseModel):
    __tablename__ = "openlima_plan_indicator_value"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    indicator_id = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("openlima_plan_indicator.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    date = sa.Column(sa.Date, nullable=False)
    value = sa.Column(sa.Numeric(14, 3), nullable=False)
    source = sa.Column(sa.UnicodeText, nullable=False)
    evidence_url = sa.Column(sa.UnicodeText, nullable=False, default="")
    note = sa.Column(sa.UnicodeText, nullable=False, default="")
    recorded_by = sa.Column(sa.UnicodeText, nullable=False, default="")
    recorded_at = sa.Column(sa.DateTime, nullable=False, default=_utcnow)


class Assessment(tk.BaseModel):
    """An OGP-style assessment, kept apart from the operational progress."""

    __tablename__ = "openlima_plan_assessment"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    commitment_id = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("openlima_plan_commitment.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    # self | irm | monitoring_body
    assessor = sa.Column(sa.UnicodeText, nullable=False)
    # no_evidence | not_started | limited | substantial | complete
    completion = sa.Column(sa.UnicodeText, nullable=False)
    assessed_on = sa.Column(sa.Date, nullable=False)
    source = sa.Column(sa.UnicodeText, nullable=False)
    source_url = sa.Column(sa.UnicodeText, nullable=False, default="")
    notes = sa.Column(sa.UnicodeText, nullable=False, default="")
    recorded_by = sa.Column(sa.UnicodeText, nullable=False, default="")
    recorded_at = sa.Column(sa.DateTime, nullable=False, default=_utcnow)


class HistoryEntry(tk.BaseModel):
    """Append-only record of a change: who, when, before → after, reason."""

    __tablename__ = "openlima_plan_history"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    plan_id = sa.Column(sa.UnicodeText, nullable=False, index=True)
    commitment_id = sa.Column(sa.UnicodeText, index=True)
    # plan | commitment | milestone | indicator | indicator_value | assessment
    entity_type = sa.Column(sa.UnicodeText, nullable=False)
    entity_id = sa.Column(sa.UnicodeText, nullable=False)
    entity_label = sa.Column(sa.UnicodeText, nullable=False, default="")
    # created | updated
    action = sa.Column(sa.UnicodeText, nullable=False)
    # [{"field": ..., "before": ..., "after": ...}]
    changes = sa.Column(JSONB, nullable=False, default=list)
    reason = sa.Column(sa.UnicodeText, nullable=False)
    author = sa.Column(sa.UnicodeText, nullable=False, default="")
    created = sa.Column(sa.DateTime, nullable=False, default=_utcnow)
