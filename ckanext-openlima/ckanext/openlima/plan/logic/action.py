"""Actions of the commitments dashboard (plugin ``openlima_plan``).

Reading is public. Changing a milestone, adding an indicator value or an assessment is
for sysadmins and the plan team (editors/admins of the plan's team organisation or of
one of the commitment's responsible offices); loading a plan file is for sysadmins.
Every change is written to the append-only history in the same transaction, then the
plan's CKAN dataset is refreshed.
"""
from __future__ import annotations

import datetime
import logging
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.openlima.plan import dictization, history, loader, publish
from ckanext.openlima.plan import model as pm
from ckanext.openlima.plan.indicators import MetricReader
from ckanext.openlima.plan.logic import schema
from ckanext.openlima.plan.logic.auth import user_can_edit_commitment

log = logging.getLogger(__name__)

__all__ = [
    "openlima_plan_show",
    "openlima_plan_load",
    "openlima_commitment_list",
    "openlima_commitment_show",
    "openlima_milestone_update",
    "openlima_indicator_value_add",
    "openlima_assessment_add",
]


def _validate(data_dict: dict[str, Any], schema_: dict[str, Any], context) -> dict[str, Any]:
    data, errors = tk.navl_validate(data_dict, schema_, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _today() -> datetime.date:
    return clock.today()


def _default_plan_id() -> str:
    return tk.config.get("ckanext.openlima_plan.default_plan") or "lima-2022"


def _get_plan(plan_id: Optional[str]) -> pm.ActionPlan:
    plan = pm.Session.get(pm.ActionPlan, plan_id or _default_plan_id())
    if plan is None:
        raise tk.ObjectNotFound(tk._("Plan de acción no encontrado."))
    return plan


def get_commitment(id_or_name: str, plan_id: Optional[str] = None) -> pm.Commitment:
    """A commitment by id, or by name within the plan (the default plan if none given)."""
    commitment = pm.Session.get(pm.Commitment, id_or_name)
    if commitment is None:
        commitment = (
            pm.Session.query(pm.Commitment)
            .filter_by(plan_id=plan_id or _default_plan_id(), name=id_or_name)
            .one_or_none()
        )
    if commitment is None:
        raise tk.ObjectNotFound(tk._("Compromiso no encontrado."))
    return commitment


def _author(context) -> str:
    return context.get("user") or ""


def _authors_visible(context, commitment: Optional[pm.Commitment] = None) -> bool:
    """Who made a change is shown when user details are public (``ckan.auth.
    public_user_details``), and otherwise only to sysadmins and the plan team."""
    if tk.asbool(tk.config.get("ckan.auth.public_user_details")):
        return True
    user = context.get("user")
    if not user:
        return False
    if commitment is not None:
        return user_can_edit_commitment(user, commitment)
    try:
        return bool(tk.get_action("user_show")({"ignore_auth": True}, {"id": user}).get("sysadmin"))
    except tk.ObjectNotFound:
        return False


def _hide_authors(commitment: dict[str, Any]) -> dict[str, Any]:
    for entry in commitment.get("history", []):
        entry["author"] = None
    for assessment in commitment.get("assessments", []):
        assessment["recorded_by"] = None
    for indicator in commitment.get("indicators", []):
        for value in indicator.get("values", []):
            value["recorded_by"] = None
    return commitment


def _after_change(context, plan_id: str) -> None:
    """Commit, then refresh the published dataset (never undoing the change)."""
    if not context.get("defer_commit"):
        pm.Session.commit()
        publish.refresh_dataset_safely(plan_id)


@tk.side_effect_free
def openlima_plan_show(context, data_dict):
    """The action plan with its commitments, milestones, indicators and overall progress.

    :param id: the plan's id (default: ``ckanext.openlima_plan.default_plan``)
    :type id: string
    :returns: the plan; dates are ISO 8601, progress in percent (``null`` when unknown)
    :rtype: dictionary
    """
    tk.check_access("openlima_plan_show", context, data_dict)
    plan = _get_plan(data_dict.get("id"))
    on, reader, labels = _today(), MetricReader(), dictization.statuses()
    commitments = [
        dictization.commitment_dictize(c, on=on, reader=reader, status_labels=labels)
        for c in pm.Session.query(pm.Commitment)
        .filter_by(plan_id=plan.id)
        .order_by(pm.Commitment.position, pm.Commitment.code)
    ]
    if not _authors_visible(context):
        commitments = [_hide_authors(c) for c in commitments]
    result = dictization.plan_dictize(plan, commitments)
    result["statuses"] = list(labels.values())
    result["as_of"] = on.isoformat()
    return result


def openlima_plan_load(context, data_dict):
    """Load or update a plan idempotently (what ``ckan openlima plan load`` calls).

    :param plan: the plan's fields (``id``, ``title``, ...)
    :type plan: dictionary
    :param commitments: commitments with their ``milestones`` and ``indicators``
    :type commitments: list of dictionaries
    :param portal: optional rules of the portal for this plan (``plan-<id>.portal.yaml``):
        ``{"plan": <id>, "commitments": {<name>: {"indicators": [...], "traces": [...]}}}``
    :type portal: dictionary
    :param reason: the reason written to the history (default: a plan load)
    :type reason: string
    :returns: ``plan_id`` and the number of records ``created``, ``updated``, ``unchanged``
    :rtype: dictionary
    """
    tk.check_access("openlima_plan_load", context, data_dict)
    plan_raw = data_dict.get("plan")
    commitments_raw = data_dict.get("commitments")
    if not isinstance(plan_raw, dict):
        raise tk.ValidationError({"plan": [tk._("Falta el plan o no es un objeto.")]})
    if commitments_raw is None:
        commitments_raw = []
    if not isinstance(commitments_raw, list) or not all(isinstance(c, dict) for c in commitments_raw):
        raise tk.ValidationError({"commitments": [tk._("Los compromisos deben ser una lista de objetos.")]})
    plan_data = _validate(plan_raw, schema.plan_schema(), context)
    commitments, errors, names = [], [], set()
    for raw in commitments_raw:
        data, error = tk.navl_validate(raw, schema.commitment_schema(), context)
        if not error and data["name"] in names:
            error = {"name": [tk._("Nombre de compromiso repetido: {name}.").format(name=data["name"])]}
        names.add(data.get("name"))
        commitments.append(data)
        errors.append(error or {})
    if any(errors):
        raise tk.ValidationError({"commitments": errors})
    _merge_portal_rules(plan_data["id"], commitments, data_dict.get("portal"), context)
    reason = (data_dict.get("reason") or "").strip() or tk._("Carga del plan de acción")
    try:
        publish.ensure_default_statuses()
        result = loader.load_plan(plan_data, commitments, author=_author(context), reason=reason)
    except Exception:
        pm.Session.rollback()
        raise
    changed = bool(result["created"] or result["updated"])
    pm.Session.commit()
    if not context.get("defer_commit"):
        publish.refresh_dataset_safely(plan_data["id"], only_if_missing=not changed)
    return result


def _merge_portal_rules(plan_id: str, commitments: list[dict[str, Any]], portal: Any, context) -> None:
    """Add the portal's rules (indicators, follow-up of draft components) to the
    commitments they name. The plan file's own indicators are marked ``origin: plan``,
    the portal's ``origin: portal``; a portal indicator that computes one of the plan's
    measures must quote it as the plan prints it."""
    for commitment in commitments:
        for indicator in commitment.get("indicators") or []:
            indicator["origin"] = "plan"
        commitment["portal_traces"] = []
    if portal in (None, ""):
        return
    if not isinstance(portal, dict) or not isinstance(portal.get("commitments") or {}, dict):
        raise tk.ValidationError({"portal": [tk._(
            "Las reglas del portal deben ser un objeto con «plan» y «commitments»."
        )]})
    if portal.get("plan") not in (None, plan_id):
        raise tk.ValidationError({"portal": [tk._(
            "Las reglas del portal son del plan «{other}», no de «{plan}»."
        ).format(other=portal.get("plan"), plan=plan_id)]})
    by_name = {c["name"]: c for c in commitments}
    errors: dict[str, Any] = {}
    for name, raw in (portal.get("commitments") or {}).items():
        if name not in by_name:
            errors[name] = [tk._("El plan no tiene el compromiso «{name}».").format(name=name)]
            continue
        data, error = tk.navl_validate(raw if isinstance(raw, dict) else {}, schema.portal_commitment_schema(), context)
        commitment = by_name[name]
        measures = set(commitment.get("planned_measures") or [])
        codes = {i["code"] for i in commitment.get("indicators") or []}
        for position, indicator in enumerate(data.get("indicators") or []):
            if indicator.get("measure") and indicator["measure"] not in measures:
                error.setdefault("indicators", {})[position] = [tk._(
                    "La medida «{measure}» no está entre las del plan para este compromiso."
                ).format(measure=indicator["measure"])]
            if indicator.get("code") in codes:
                error.setdefault("indicators", {})[position] = [tk._(
                    "El indicador «{code}» ya está en el plan."
                ).format(code=indicator["code"])]
        if error:
            errors[name] = error
            continue
        for indicator in data.get("indicators") or []:
            indicator["origin"] = "portal"
        commitment["indicators"] = list(commitment.get("indicators") or []) + list(data.get("indicators") or [])
        commitment["portal_traces"] = data.get("traces") or []
    if errors:
        raise tk.ValidationError({"portal": errors})


@tk.side_effect_free
def openlima_commitment_list(context, data_dict):
    """Commitments of a plan, with progress and milestones, optionally filtered.

    :param plan_id: the plan (default: the configured default plan)
    :type plan_id: string
    :param ogp_value: only commitments with this OGP value (``transparency``, ...)
    :type ogp_value: string
    :param sdg_target: only commitments with this SDG target (``16.10``, ...)
    :type sdg_target: string
    :param stage: ``approved`` or ``draft_not_adopted``
    :type stage: string
    :rtype: list of dictionaries
    """
    tk.check_access("openlima_commitment_list", context, data_dict)
    data = _validate(data_dict, schema.commitment_list_schema(), context)
    plan = _get_plan(data.get("plan_id"))
    on, labels = _today(), dictization.statuses()
    result = []
    for commitment in (
        pm.Session.query(pm.Commitment)
        .filter_by(plan_id=plan.id)
        .order_by(pm.Commitment.position, pm.Commitment.code)
    ):
        if data.get("ogp_value") and data["ogp_value"] not in (commitment.ogp_values or []):
            continue
        if data.get("sdg_target") and data["sdg_target"] not in [
            t.get("code") for t in commitment.sdg_targets or []
        ]:
            continue
        if data.get("stage") and commitment.stage != data["stage"]:
            continue
        result.append(
            dictization.commitment_dictize(
                commitment, on=on, status_labels=labels, include_indicators=False
            )
        )
    if not _authors_visible(context):
        result = [_hide_authors(c) for c in result]
    return result


@tk.side_effect_free
def openlima_commitment_show(context, data_dict):
    """One commitment with milestones, indicators (computed live), assessments and history.

    :param id: the commitment's id or name (``open-lima``)
    :type id: string
    :param plan_id: the plan, when ``id`` is a name (default: the default plan)
    :type plan_id: string
    :rtype: dictionary
    """
    tk.check_access("openlima_commitment_show", context, data_dict)
    if not data_dict.get("id"):
        raise tk.ValidationError({"id": [tk._("Indique el compromiso.")]})
    commitment = get_commitment(str(data_dict["id"]), data_dict.get("plan_id"))
    result = dictization.commitment_dictize(
        commitment, on=_today(), reader=MetricReader(), include_history=True
    )
    return result if _authors_visible(context, commitment) else _hide_authors(result)


def _resolve_progress(
    milestone: pm.Milestone, data: dict[str, Any], statuses: dict[str, pm.Status]
) -> dict[str, Any]:
    """The status/progress pair to store, following each status's default progress."""
    values: dict[str, Any] = {}
    status_key = data.get("status")
    if "status" in data and status_key is None:
        raise tk.ValidationError({"status": [tk._("Indique el estado del hito.")]})
    if status_key is not None:
        status = statuses.get(status_key)
        if status is None:
            raise tk.ValidationError(
                {"status": [tk._("Estado no válido. Valores admitidos: {values}.").format(
                    values=", ".join(statuses))]}
            )
        values["status"] = status_key
        if status.default_progress is not None:
            if data.get("progress") is not None and data["progress"] != status.default_progress:
                raise tk.ValidationError(
                    {"progress": [tk._(
                        "Con el estado «{status}» el avance debe ser {progress} %."
                    ).format(status=tk._(status.label), progress=status.default_progress)]}
                )
            values["progress"] = status.default_progress
        elif data.get("progress") is not None:
            values["progress"] = data["progress"]
    elif data.get("progress") is not None:
        new_progress = data["progress"]
        values["progress"] = new_progress
        current = statuses.get(milestone.status)
        if new_progress == 100 and "completed" in statuses:
            values["status"] = "completed"
        elif (
            current is not None
            and current.default_progress is not None
            and current.default_progress != new_progress
            and "in_progress" in statuses
        ):
            values["status"] = "in_progress"
    return values


def _milestone_changes(context, data_dict, milestone: pm.Milestone) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check access and input; return the values to store and the validated data."""
    tk.check_access("openlima_milestone_update", context, data_dict)
    data = _validate(data_dict, schema.milestone_update_schema(), context)
    statuses = {s.key: s for s in pm.Session.query(pm.Status)}
    values = _resolve_progress(milestone, data, statuses)
    for field in ("actual_start", "actual_end", "evidence"):
        if field in data:
            values[field] = data[field]
    start = values.get("actual_start", milestone.actual_start)
    end = values.get("actual_end", milestone.actual_end)
    if start and end and end < start:
        raise tk.ValidationError(
            {"actual_end": [tk._("La fecha real de fin no puede ser anterior a la de inicio.")]}
        )
    return values, data


def openlima_milestone_update(context, data_dict):
    """Record a milestone's status, progress, actual dates or evidence, with a reason.

    Only sysadmins and the plan team (editors/admins of the plan's team organisation or
    of the commitment's responsible offices) may update. A status with a default
    progress (``completed`` → 100, ``not_started`` → 0) sets it.

    :param id: the milestone's id
    :type id: string
    :param status: ``not_started``, ``in_progress``, ``completed`` or ``cancelled``
    :type status: string
    :param progress: 0–100
    :type progress: int
    :param actual_start: ISO 8601 date (empty to clear)
    :type actual_start: string
    :param actual_end: ISO 8601 date (empty to clear)
    :type actual_end: string
    :param evidence: ``[{"url": ..., "title": ...}]`` or ``[{"dataset": ..., "title": ...}]``
    :type evidence: list of dictionaries
    :param reason: why (required; kept in the history)
    :type reason: string
    :returns: the milestone, with ``delayed`` and the commitment's new ``commitment_progress``
    :rtype: dictionary
    """
    # the row lock makes concurrent updates queue, so each history "before" is true
    milestone = (
        pm.Session.query(pm.Milestone)
        .filter_by(id=str(data_dict.get("id") or ""))
        .with_for_update()
        .one_or_none()
    )
    if milestone is None:
        raise tk.ObjectNotFound(tk._("Hito no encontrado."))
    try:
        values, data = _milestone_changes(context, data_dict, milestone)
    except (tk.NotAuthorized, tk.ValidationError):
        pm.Session.rollback()  # releases the row lock; nothing was changed
        raise

    commitment = pm.Session.get(pm.Commitment, milestone.commitment_id)
    before = dictization.commitment_dictize(commitment, include_indicators=False)["progress"]
    changes = history.apply_changes(milestone, values, ("status", "progress", "actual_start", "actual_end", "evidence"))
    on = _today()
    if changes:
        milestone.modified = clock.utcnow()
        pm.Session.flush()
        after = dictization.commitment_dictize(commitment, include_indicators=False)["progress"]
        if before != after:
            changes.append({"field": "commitment_progress", "before": before, "after": after})
        history.record(
            plan_id=commitment.plan_id,
            commitment_id=commitment.id,
            entity_type="milestone",
            entity_id=milestone.id,
            entity_label=f"{milestone.code}. {milestone.title}",
            action="updated",
            changes=changes,
            reason=data["reason"],
            author=_author(context),
        )
        _after_change(context, commitment.plan_id)
    result = dictization.milestone_dictize(milestone, on, dictization.statuses())
    result["commitment_progress"] = dictization.commitment_dictize(
        commitment, include_indicators=False
    )["progress"]
    result["changes"] = changes
    return result


def openlima_indicator_value_add(context, data_dict):
    """Add a dated value to an indicator, with its source.

    :param indicator_id: the indicator's id
    :type indicator_id: string
    :param date: ISO 8601 date the value refers to
    :type date: string
    :param value: the value (a number)
    :type value: number
    :param source: where the value comes from (required)
    :type source: string
    :param evidence_url: optional link to the evidence
    :type evidence_url: string
    :param note: optional note
    :type note: string
    :rtype: dictionary
    """
    indicator = pm.Session.get(pm.Indicator, str(data_dict.get("indicator_id") or ""))
    if indicator is None:
        raise tk.ObjectNotFound(tk._("Indicador no encontrado."))
    tk.check_access("openlima_indicator_value_add", context, data_dict)
    data = _validate(data_dict, schema.indicator_value_add_schema(), context)
    commitment = pm.Session.get(pm.Commitment, indicator.commitment_id)
    value = pm.IndicatorValue(
        indicator_id=indicator.id,
        date=data["date"],
        value=data["value"],
        source=data["source"],
        evidence_url=data.get("evidence_url") or "",
        note=data.get("note") or "",
        recorded_by=_author(context),
    )
    pm.Session.add(value)
    pm.Session.flush()
    history.record(
        plan_id=commitment.plan_id,
        commitment_id=commitment.id,
        entity_type="indicator_value",
        entity_id=value.id,
        entity_label=indicator.name,
        action="created",
        changes=[
            {"field": "value", "before": None, "after": history.jsonable(data["value"])},
            {"field": "date", "before": None, "after": data["date"].isoformat()},
        ],
        reason=data.get("note") or tk._("Nuevo valor del indicador ({source})").format(source=data["source"]),
        author=_author(context),
    )
    _after_change(context, commitment.plan_id)
    return {
        "id": value.id,
        "indicator_id": indicator.id,
        "date": value.date.isoformat(),
        "value": history.jsonable(value.value),
        "source": value.source,
        "evidence_url": value.evidence_url,
        "note": value.note,
        "recorded_by": value.recorded_by,
    }


def openlima_assessment_add(context, data_dict):
    """Add an OGP-style assessment (self, IRM or monitoring body), apart from progress.

    :param commitment_id: the commitment's id or name
    :type commitment_id: string
    :param assessor: ``self``, ``irm`` or ``monitoring_body``
    :type assessor: string
    :param completion: ``no_evidence``, ``not_started``, ``limited``, ``substantial``, ``complete``
    :type completion: string
    :param assessed_on: ISO 8601 date of the assessment
    :type assessed_on: string
    :param source: the report or document (required)
    :type source: string
    :param source_url: optional link to it
    :type source_url: string
    :param notes: optional notes
    :type notes: string
    :rtype: dictionary
    """
    commitment = get_commitment(str(data_dict.get("commitment_id") or ""), data_dict.get("plan_id"))
    tk.check_access("openlima_assessment_add", context, data_dict)
    data = _validate(data_dict, schema.assessment_add_schema(), context)
    assessment = pm.Assessment(
        commitment_id=commitment.id,
        assessor=data["assessor"],
        completion=data["completion"],
        assessed_on=data["assessed_on"],
        source=data["source"],
        source_url=data.get("source_url") or "",
        notes=data.get("notes") or "",
        recorded_by=_author(context),
    )
    pm.Session.add(assessment)
    pm.Session.flush()
    history.record(
        plan_id=commitment.plan_id,
        commitment_id=commitment.id,
        entity_type="assessment",
        entity_id=assessment.id,
        entity_label=commitment.title,
        action="created",
        changes=[
            {"field": "completion", "before": None, "after": data["completion"]},
            {"field": "assessor", "before": None, "after": data["assessor"]},
        ],
        reason=data.get("notes") or tk._("Nueva evaluación ({source})").format(source=data["source"]),
        author=_author(context),
    )
    _after_change(context, commitment.plan_id)
    return {
        "id": assessment.id,
        "commitment_id": commitment.id,
        "assessor": assessment.assessor,
        "completion": assessment.completion,
        "assessed_on": assessment.assessed_on.isoformat(),
        "source": assessment.source,
        "source_url": assessment.source_url,
        "notes": assessment.notes,
    }
