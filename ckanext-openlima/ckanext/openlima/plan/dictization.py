"""Plan, commitment and milestone records as the dicts the actions return.

Dates are ISO 8601 strings; progress and the delayed flags are derived here, on read,
so they are always current.
"""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.openlima.plan import model as pm
from ckanext.openlima.plan import progress as prog
from ckanext.openlima.plan import vocabulary as vocab
from ckanext.openlima.plan.history import jsonable
from ckanext.openlima.plan.indicators import MetricReader

__all__ = [
    "plan_dictize",
    "commitment_dictize",
    "milestone_dictize",
    "history_dictize",
    "statuses",
]

COMMITMENT_FIELDS = (
    "id", "plan_id", "name", "code", "position", "stage", "stage_note", "title",
    "subtitle", "summary", "responsible_offices", "supporting_actors",
    "implementation_period", "implementation_start", "implementation_end",
    "commitment_period", "commitment_start", "commitment_end", "ogp_values",
    "ogp_values_text", "sdg_targets", "why_important", "objective", "stoppers", "budget",
    "planned_measures", "draft", "portal_traces", "created", "modified",
)
MILESTONE_FIELDS = (
    "id", "commitment_id", "code", "position", "kind", "title", "deliverable",
    "planned_start", "planned_end", "actual_start", "actual_end", "weight", "status",
    "progress", "evidence", "modified",
)
INDICATOR_FIELDS = (
    "id", "commitment_id", "code", "position", "name", "description", "unit", "baseline",
    "baseline_date", "target", "target_date", "direction", "kind", "metric", "source",
    "frequency", "origin", "measure",
)


def _fields(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: jsonable(getattr(obj, f)) for f in fields}


def statuses() -> dict[str, dict[str, Any]]:
    return {
        s.key: {
            "key": s.key,
            "label": tk._(s.label),
            "description": tk._(s.description) if s.description else "",
            "default_progress": s.default_progress,
            "terminal": s.terminal,
        }
        for s in pm.Session.query(pm.Status).order_by(pm.Status.position)
    }


def milestone_dictize(
    milestone: pm.Milestone, on: datetime.date, status_labels: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    data = _fields(milestone, MILESTONE_FIELDS)
    data["delayed"] = prog.is_delayed(
        {"planned_end": milestone.planned_end, "progress": milestone.progress,
         "status": milestone.status},
        on,
    )
    data["status_label"] = status_labels.get(milestone.status, {}).get("label", milestone.status)
    data["progress_recorded"] = prog.progress_recorded(
        {"status": milestone.status, "progress": milestone.progress,
         "actual_start": milestone.actual_start, "actual_end": milestone.actual_end,
         "evidence": milestone.evidence})
    # the day of the milestone's last change (an update, or the plan's load), in Lima
    data["last_update"] = jsonable(clock.local_date(milestone.modified)) if milestone.modified else None
    data["kind_label"] = vocab.label(vocab.MILESTONE_KINDS, milestone.kind)
    return data


def history_dictize(entry: pm.HistoryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "plan_id": entry.plan_id,
        "commitment_id": entry.commitment_id,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "entity_label": entry.entity_label,
        "action": entry.action,
        "changes": entry.changes or [],
        "reason": entry.reason,
        "author": entry.author,
        "created": entry.created.isoformat(timespec="seconds") + "Z",
    }


def _indicator_dictize(
    indicator: pm.Indicator, reader: Optional[MetricReader], on: datetime.date
) -> dict[str, Any]:
    data = _fields(indicator, INDICATOR_FIELDS)
    values = (
        pm.Session.query(pm.IndicatorValue)
        .filter_by(indicator_id=indicator.id)
        .order_by(pm.IndicatorValue.date, pm.IndicatorValue.recorded_at)
        .all()
    )
    data["values"] = [
        {
            "id": v.id,
            "date": v.date.isoformat(),
            "value": jsonable(v.value),
            "source": v.source,
            "evidence_url": v.evidence_url,
            "note": v.note,
            "recorded_by": v.recorded_by,
            "recorded_at": v.recorded_at.isoformat(timespec="seconds") + "Z",
        }
        for v in values
    ]
    data["kind_label"] = vocab.label(vocab.INDICATOR_KINDS, indicator.kind)
    current = None
    if indicator.kind == "computed" and reader is not None:
        computation = reader.read(indicator.metric).as_dict()
        # a source that dates its figure (the integrity register's last change) says when
        computation["date"] = computation.get("date") or on.isoformat()
        current = computation
    elif data["values"]:
        last = data["values"][-1]
        current = {"value": last["value"], "available": True, "breakdown": None,
                   "source_action": None, "date": last["date"]}
    else:
        current = {"value": None, "available": False, "breakdown": None,
                   "source_action": None, "date": None}
    data["current"] = current
    return data


def commitment_dictize(
    commitment: pm.Commitment,
    *,
    on: Optional[datetime.date] = None,
    reader: Optional[MetricReader] = None,
    status_labels: Optional[dict[str, dict[str, Any]]] = None,
    include_indicators: bool = True,
    include_history: bool = False,
) -> dict[str, Any]:
    on = on or clock.today()
    status_labels = status_labels if status_labels is not None else statuses()
    data = _fields(commitment, COMMITMENT_FIELDS)
    milestones = (
        pm.Session.query(pm.Milestone)
        .filter_by(commitment_id=commitment.id)
        .order_by(pm.Milestone.position, pm.Milestone.code)
        .all()
    )
    data["milestones"] = [milestone_dictize(m, on, status_labels) for m in milestones]
    plain = [
        {"progress": m.progress, "weight": m.weight, "status": m.status,
         "planned_end": m.planned_end, "actual_start": m.actual_start,
         "actual_end": m.actual_end, "evidence": m.evidence}
        for m in milestones
    ]
    data["progress"] = prog.commitment_progress(plain)
    status = prog.commitment_status(plain, on)
    if commitment.stage != "approved":
        status = commitment.stage
    data["status"] = status
    data["status_label"] = (
        vocab.label(vocab.COMMITMENT_STAGES, status)
        if commitment.stage != "approved"
        else vocab.label(vocab.COMMITMENT_STATUSES, status)
    )
    data["delayed_milestones"] = sum(1 for m in data["milestones"] if m["delayed"])
    # late by the rule, but with nothing recorded: "sin avance registrado", not "con retraso"
    data["unreported_milestones"] = sum(
        1 for m in data["milestones"] if m["delayed"] and not m["progress_recorded"])
    data["last_update"] = max((m["last_update"] for m in data["milestones"] if m["last_update"]),
                              default=None)
    data["suggested_completion"] = prog.suggested_completion(data["progress"])
    data["stage_label"] = vocab.label(vocab.COMMITMENT_STAGES, commitment.stage)
    data["ogp_value_labels"] = [vocab.label(vocab.OGP_VALUES, key) for key in commitment.ogp_values or []]
    assessments = (
        pm.Session.query(pm.Assessment)
        .filter_by(commitment_id=commitment.id)
        .order_by(pm.Assessment.assessed_on.desc(), pm.Assessment.recorded_at.desc())
        .all()
    )
    data["assessments"] = [
        {
            "id": a.id,
            "assessor": a.assessor,
            "assessor_label": vocab.label(vocab.ASSESSORS, a.assessor),
            "completion": a.completion,
            "completion_label": vocab.label(vocab.COMPLETION_LEVELS, a.completion),
            "assessed_on": a.assessed_on.isoformat(),
            "source": a.source,
            "source_url": a.source_url,
            "notes": a.notes,
            "recorded_by": a.recorded_by,
        }
        for a in assessments
    ]
    if include_indicators:
        indicators = (
            pm.Session.query(pm.Indicator)
            .filter_by(commitment_id=commitment.id)
            .order_by(pm.Indicator.position, pm.Indicator.code)
            .all()
        )
        data["indicators"] = [_indicator_dictize(i, reader, on) for i in indicators]
    if include_history:
        entries = (
            pm.Session.query(pm.HistoryEntry)
            .filter_by(commitment_id=commitment.id)
            .order_by(pm.HistoryEntry.created.desc(), pm.HistoryEntry.id.desc())
            .all()
        )
        data["history"] = [history_dictize(e) for e in entries]
    return data


def plan_dictize(plan: pm.ActionPlan, commitments: list[dict[str, Any]]) -> dict[str, Any]:
    data = {
        f: jsonable(getattr(plan, f))
        for f in ("id", "title", "member", "description", "period_start", "period_end",
                  "status", "source", "source_url", "team_organization", "created",
                  "modified")
    }
    approved = [c for c in commitments if c["stage"] == "approved"]
    data["progress"] = prog.mean_progress(c["progress"] for c in approved)
    data["approved_count"] = len(approved)
    data["draft_count"] = len(commitments) - len(approved)
    data["delayed_milestones"] = sum(c["delayed_milestones"] for c in approved)
    data["unreported_milestones"] = sum(c["unreported_milestones"] for c in approved)
    data["last_update"] = max((c["last_update"] for c in approved if c["last_update"]),
                              default=None)
    data["milestone_count"] = sum(len(c["milestones"]) for c in approved)
    data["completed_milestones"] = sum(
        1 for c in approved for m in c["milestones"] if m["progress"] >= 100
    )
    data["periods"] = plan_periods(approved)
    data["commitments"] = commitments
    return data


def plan_periods(approved: list[dict[str, Any]]) -> dict[str, Any]:
    """The periods the plan states, as it states them, without choosing one: each
    distinct "Plazo de implementación" and "Plazo de compromiso" text of the approved
    commitments, and the span of their milestones' planned dates."""
    def distinct(field: str) -> list[str]:
        found: list[str] = []
        for c in approved:
            if c.get(field) and c[field] not in found:
                found.append(c[field])
        return found

    milestones = [m for c in approved for m in c["milestones"]]
    starts = [m for m in milestones if m.get("planned_start")]
    ends = [m for m in milestones if m.get("planned_end")]
    first = min(starts, key=lambda m: m["planned_start"]) if starts else None
    last = max(ends, key=lambda m: m["planned_end"]) if ends else None
    return {
        "implementation": distinct("implementation_period"),
        "commitment": distinct("commitment_period"),
        "milestones_start": first["planned_start"] if first else None,
        "milestones_start_title": f"{first['code']}. {first['title']}" if first else None,
        "milestones_end": last["planned_end"] if last else None,
        "milestones_end_title": f"{last['code']}. {last['title']}" if last else None,
    }
