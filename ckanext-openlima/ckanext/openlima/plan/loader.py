"""Idempotent load of an action plan (``config/plan/*.yaml``) into the dashboard tables.

Records are matched by plan ``id``, commitment ``name`` and milestone / indicator
``code``. Unchanged records are left alone; new ones are created and changed fields are
updated, each with a history row. The file says all the plan says: a field it no longer
gives is cleared. A milestone's operational fields (status, progress, actual dates,
evidence) are the exception: only touched when the file sets them, so a reload never
erases what the plan team recorded. Records missing from the file are kept.
"""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.openlima.plan import history
from ckanext.openlima.plan import model as pm

__all__ = ["load_plan"]

PLAN_FIELDS = (
    "title", "member", "description", "period_start", "period_end", "status",
    "source", "source_url", "team_organization",
)
COMMITMENT_FIELDS = (
    "code", "position", "stage", "stage_note", "title", "subtitle", "summary",
    "responsible_offices", "supporting_actors", "implementation_period",
    "implementation_start", "implementation_end", "commitment_period",
    "commitment_start", "commitment_end", "ogp_values", "ogp_values_text",
    "sdg_targets", "why_important", "objective", "stoppers", "budget", "planned_measures",
    "draft", "portal_traces",
)
# what the plan team records; a file only changes them when it gives them
MILESTONE_OPERATIONAL_FIELDS = ("status", "progress", "actual_start", "actual_end", "evidence")
MILESTONE_FIELDS = (
    "position", "kind", "title", "deliverable", "planned_start", "planned_end", "weight",
    *MILESTONE_OPERATIONAL_FIELDS,
)
INDICATOR_FIELDS = (
    "position", "name", "description", "unit", "baseline", "baseline_date", "target",
    "target_date", "direction", "kind", "metric", "source", "frequency", "origin", "measure",
)


def _given_or_cleared(model_class: Any, data: dict[str, Any], fields: tuple[str, ...],
                      keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """The values ``data`` gives, and the column's default for every other field (except
    those in ``keep``): a field the file no longer states is cleared."""
    values = {}
    for field in fields:
        if field in data:
            values[field] = data[field]
        elif field not in keep:
            column = model_class.__table__.c[field]
            default = column.default.arg if column.default is not None else None
            if callable(default):  # SQLAlchemy wraps ``default=list`` as fn(context)
                default = default(None)
            values[field] = default
    return values


class _Counter:
    def __init__(self) -> None:
        self.created = 0
        self.updated = 0
        self.unchanged = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _now() -> datetime.datetime:
    return clock.utcnow()


def _upsert(
    obj: Any,
    values: dict[str, Any],
    fields: tuple[str, ...],
    *,
    is_new: bool,
    counter: _Counter,
    plan_id: str,
    commitment_id: Optional[str],
    entity_type: str,
    label: str,
    author: str,
    reason: str,
) -> None:
    changes = history.apply_changes(obj, values, fields)
    if is_new:
        pm.Session.add(obj)
        pm.Session.flush()
        counter.created += 1
        action = "created"
    elif changes:
        if hasattr(obj, "modified"):
            obj.modified = _now()
        counter.updated += 1
        action = "updated"
    else:
        counter.unchanged += 1
        return
    history.record(
        plan_id=plan_id,
        commitment_id=commitment_id if entity_type != "commitment" else obj.id,
        entity_type=entity_type,
        entity_id=obj.id,
        entity_label=label,
        action=action,
        changes=changes,
        reason=reason,
        author=author,
    )


def _milestone_values(data: dict[str, Any], position: int, statuses: dict[str, pm.Status]) -> dict[str, Any]:
    values = _given_or_cleared(pm.Milestone, data, MILESTONE_FIELDS, keep=MILESTONE_OPERATIONAL_FIELDS)
    values["position"] = position
    status = values.get("status")
    if status is not None:
        if status not in statuses:
            raise tk.ValidationError(
                {"status": [tk._("Estado de hito desconocido: {status}.").format(status=status)]}
            )
        default = statuses[status].default_progress
        if default is not None and values.get("progress", default) != default:
            raise tk.ValidationError({"progress": [
                tk._("Hito {code}: con el estado «{status}» el avance debe ser {progress} %.").format(
                    code=data["code"], status=tk._(statuses[status].label), progress=default)
            ]})
        if default is not None:
            values["progress"] = default
    return values


def load_plan(
    plan_data: dict[str, Any],
    commitments: list[dict[str, Any]],
    *,
    author: str,
    reason: str,
) -> dict[str, Any]:
    """Create or update the plan and everything under it; return what happened."""
    counter = _Counter()
    statuses = {s.key: s for s in pm.Session.query(pm.Status)}
    plan_id = plan_data["id"]

    plan = pm.Session.get(pm.ActionPlan, plan_id)
    is_new = plan is None
    if is_new:
        plan = pm.ActionPlan(id=plan_id)
    _upsert(
        plan, _given_or_cleared(pm.ActionPlan, plan_data, PLAN_FIELDS), PLAN_FIELDS, is_new=is_new, counter=counter, plan_id=plan_id,
        commitment_id=None, entity_type="plan", label=plan_data["title"],
        author=author, reason=reason,
    )

    for position, data in enumerate(commitments, start=1):
        commitment = (
            pm.Session.query(pm.Commitment)
            .filter_by(plan_id=plan_id, name=data["name"])
            .one_or_none()
        )
        is_new = commitment is None
        if is_new:
            commitment = pm.Commitment(plan_id=plan_id, name=data["name"])
        values = _given_or_cleared(pm.Commitment, data, COMMITMENT_FIELDS)
        values["position"] = position
        _upsert(
            commitment, values, COMMITMENT_FIELDS, is_new=is_new, counter=counter,
            plan_id=plan_id, commitment_id=None, entity_type="commitment",
            label=data["title"], author=author, reason=reason,
        )

        for m_position, m_data in enumerate(data.get("milestones") or [], start=1):
            milestone = (
                pm.Session.query(pm.Milestone)
                .filter_by(commitment_id=commitment.id, code=m_data["code"])
                .one_or_none()
            )
            is_new = milestone is None
            if is_new:
                milestone = pm.Milestone(commitment_id=commitment.id, code=m_data["code"])
            _upsert(
                milestone, _milestone_values(m_data, m_position, statuses), MILESTONE_FIELDS,
                is_new=is_new, counter=counter, plan_id=plan_id,
                commitment_id=commitment.id, entity_type="milestone",
                label=f"{m_data['code']}. {m_data['title']}", author=author, reason=reason,
            )

        for i_position, i_data in enumerate(data.get("indicators") or [], start=1):
            indicator = (
                pm.Session.query(pm.Indicator)
                .filter_by(commitment_id=commitment.id, code=i_data["code"])
                .one_or_none()
            )
            is_new = indicator is None
            if is_new:
                indicator = pm.Indicator(commitment_id=commitment.id, code=i_data["code"])
            values = _given_or_cleared(pm.Indicator, i_data, INDICATOR_FIELDS)
            values["position"] = i_position
            if values.get("kind") == "computed" and not values.get("metric"):
                raise tk.ValidationError(
                    {"indicators": [tk._("El indicador calculado «{code}» necesita «metric».").format(code=i_data["code"])]}
                )
            _upsert(
                indicator, values, INDICATOR_FIELDS, is_new=is_new, counter=counter,
                plan_id=plan_id, commitment_id=commitment.id, entity_type="indicator",
                label=i_data["name"], author=author, reason=reason,
            )

    result = counter.as_dict()
    result["plan_id"] = plan_id
    return result
