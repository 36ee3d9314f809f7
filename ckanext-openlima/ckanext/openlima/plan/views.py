"""Public pages, exports and plan-team forms under ``/compromisos``.

Every page works without JavaScript: filters are GET forms, updates are POST forms,
charts are SVG with a table holding the same figures.
"""
from __future__ import annotations

import json
from typing import Any, Optional

from flask import Blueprint, Response

import ckan.plugins.toolkit as tk

from ckanext.openlima.plan import dictization, publish
from ckanext.openlima.plan import vocabulary as vocab
from ckanext.openlima.plan import model as pm
from ckanext.openlima.plan.logic.auth import user_can_edit_commitment

__all__ = ["openlima_plan"]

openlima_plan = Blueprint("openlima_plan", __name__, url_prefix="/compromisos")


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


def _plan_id() -> Optional[str]:
    return tk.request.args.get("plan") or None


def _plan_or_404() -> dict[str, Any]:
    try:
        return tk.get_action("openlima_plan_show")(_context(), {"id": _plan_id()})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Plan de acción no encontrado."))


def index():
    plan = _plan_or_404()
    ogp_value = tk.request.args.get("ogp_value") or ""
    sdg_target = tk.request.args.get("sdg_target") or ""
    try:
        filtered = tk.get_action("openlima_commitment_list")(
            _context(),
            {"plan_id": plan["id"], "ogp_value": ogp_value, "sdg_target": sdg_target},
        )
    except tk.ValidationError:
        filtered = []
    names = {c["name"] for c in filtered}
    sdg_choices = sorted(
        {t["code"] for c in plan["commitments"] for t in c["sdg_targets"] or []},
        key=lambda code: [int(part) if part.isdigit() else part for part in code.split(".")],
    )
    return tk.render(
        "openlima_plan/index.html",
        {
            "plan": plan,
            "approved": [c for c in plan["commitments"] if c["stage"] == "approved" and c["name"] in names],
            "drafts": [c for c in plan["commitments"] if c["stage"] != "approved" and c["name"] in names],
            "ogp_value": ogp_value,
            "sdg_target": sdg_target,
            "sdg_choices": sdg_choices,
            "filtered": bool(ogp_value or sdg_target),
        },
    )


def _commitment_or_404(name: str) -> dict[str, Any]:
    try:
        return tk.get_action("openlima_commitment_show")(
            _context(), {"id": name, "plan_id": _plan_id()}
        )
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Compromiso no encontrado."))


def _can_edit(commitment_id: str) -> bool:
    if not tk.current_user.is_authenticated:
        return False
    return user_can_edit_commitment(tk.current_user.name, pm.Session.get(pm.Commitment, commitment_id))


def _proposals_taken_up(commitment: dict[str, Any]) -> list[dict[str, Any]]:
    """Lima Activa's public proposals linked to this commitment or to one of its milestones
    or indicators (none when Lima Activa is not enabled)."""
    try:
        proposals = tk.get_action("limaactiva_proposal_list")(
            {"user": ""}, {"commitment": commitment["name"], "sort": "recent"})
    except KeyError:  # Lima Activa is not enabled
        return []
    milestones = {str(m["code"]): m["title"] for m in commitment.get("milestones") or []}
    indicators = {str(i["code"]): i["name"] for i in commitment.get("indicators") or []}
    for proposal in proposals:
        part = (proposal.get("commitment_milestone_ref") or "").partition("/")[2]
        kind, _sep, code = part.partition("/")
        if not part:
            proposal["taken_up_by"] = None  # the commitment as a whole
        elif kind == "indicador":
            proposal["taken_up_by"] = {"kind": "indicator", "code": code,
                                       "title": indicators.get(code, code)}
        else:
            proposal["taken_up_by"] = {"kind": "milestone", "code": part,
                                       "title": milestones.get(part, part)}
    return proposals


def _followable() -> bool:
    """Whether people can follow commitments (through Lima Activa, when it is enabled)."""
    try:
        tk.get_action("limaactiva_follow_show")
    except KeyError:
        return False
    return True


def _render_commitment(data: dict[str, Any], form_errors: Optional[dict[str, Any]] = None,
                       form_values: Optional[dict[str, Any]] = None, status: int = 200):
    plan = pm.Session.get(pm.ActionPlan, data["plan_id"])
    return tk.render(
        "openlima_plan/commitment.html",
        {"commitment": data, "plan": plan, "can_edit": _can_edit(data["id"]),
         "proposals": _proposals_taken_up(data), "followable": _followable(),
         "form_errors": form_errors or {}, "form_values": form_values or {},
         "assessors": vocab.ASSESSORS, "completion_levels": vocab.COMPLETION_LEVELS},
    ), status


def commitment(name: str):
    return _render_commitment(_commitment_or_404(name))


def _team_post(name: str, form_id: str, action: str, payload_keys: tuple[str, ...],
               extra: dict[str, Any], success: str, anchor: str):
    """Run a plan-team form: redirect on success, the page with Spanish errors (400) if not."""
    data = _commitment_or_404(name)
    if not _can_edit(data["id"]):
        return tk.abort(403, tk._("Solo el equipo del plan o un administrador del sistema puede registrar datos."))
    values = {key: tk.request.form.get(key, "") for key in payload_keys}
    payload = {key: value for key, value in values.items() if value != ""}
    try:
        tk.get_action(action)(_context(), {**payload, **extra})
    except tk.ValidationError as error:
        return _render_commitment(data, {form_id: error.error_dict}, {form_id: values}, 400)
    except tk.NotAuthorized:
        return tk.abort(403, tk._("No autorizado."))
    tk.h.flash_success(success)
    return tk.redirect_to("openlima_plan.commitment", name=name, _anchor=anchor)


def indicator_value_add(name: str, code: str):
    data = _commitment_or_404(name)
    indicator = next((i for i in data.get("indicators", []) if i["code"] == code), None)
    if indicator is None:
        return tk.abort(404, tk._("Indicador no encontrado."))
    return _team_post(
        name, "indicator-" + code, "openlima_indicator_value_add",
        ("date", "value", "source", "evidence_url", "note"), {"indicator_id": indicator["id"]},
        tk._("Valor registrado. Quedó en el historial."), "indicadores",
    )


def assessment_add(name: str):
    data = _commitment_or_404(name)
    return _team_post(
        name, "assessment", "openlima_assessment_add",
        ("assessor", "completion", "assessed_on", "source", "source_url", "notes"),
        {"commitment_id": data["id"]},
        tk._("Evaluación registrada. Quedó en el historial."), "evaluaciones",
    )


def export_json():
    plan = _plan_or_404()
    body = json.dumps(plan, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'inline; filename="compromisos-{plan["id"]}.json"'})


def export_csv():
    plan = _plan_or_404()
    return Response(
        publish.to_csv(plan),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="compromisos-{plan["id"]}.csv"'},
    )


def _evidence_from_text(text: str) -> list[dict[str, str]]:
    """One evidence a line: ``Título | https://…``, ``https://…`` or ``dataset:nombre``."""
    items = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        title, _, target = line.rpartition("|")
        title, target = title.strip(), target.strip()
        if target.startswith("dataset:"):
            items.append({"dataset": target[len("dataset:"):].strip(), "title": title})
        else:
            items.append({"url": target, "title": title})
    return items


def _evidence_to_text(evidence: list[dict[str, Any]]) -> str:
    lines = []
    for item in evidence or []:
        target = item.get("url") or "dataset:" + (item.get("dataset") or "")
        lines.append(f"{item['title']} | {target}" if item.get("title") else target)
    return "\n".join(lines)


def milestone_edit(name: str, code: str):
    data = _commitment_or_404(name)
    milestone = next((m for m in data["milestones"] if m["code"] == code), None)
    if milestone is None:
        return tk.abort(404, tk._("Hito no encontrado."))
    if not _can_edit(data["id"]):
        return tk.abort(403, tk._(
            "Solo el equipo del plan (las oficinas responsables del compromiso) o un "
            "administrador del sistema puede actualizar hitos."
        ))
    errors: dict[str, Any] = {}
    form = {
        "status": milestone["status"],
        "progress": milestone["progress"],
        "actual_start": milestone["actual_start"] or "",
        "actual_end": milestone["actual_end"] or "",
        "evidence": _evidence_to_text(milestone["evidence"]),
        "reason": "",
    }
    status_code = 200
    if tk.request.method == "POST":
        form = {key: tk.request.form.get(key, "") for key in form}
        payload = {
            "id": milestone["id"],
            "status": form["status"],
            "progress": form["progress"],
            "actual_start": form["actual_start"],
            "actual_end": form["actual_end"],
            "evidence": _evidence_from_text(form["evidence"]),
            "reason": form["reason"],
        }
        # the form always sends the current status and progress; sending both when only
        # the progress changed would trip the status's default progress rule
        if payload["status"] == milestone["status"]:
            payload.pop("status")
        if str(payload["progress"]).strip() == str(milestone["progress"]) and "status" in payload:
            payload.pop("progress")
        try:
            tk.get_action("openlima_milestone_update")(_context(), payload)
        except tk.ValidationError as error:
            errors = error.error_dict
            status_code = 400
        except tk.NotAuthorized:
            return tk.abort(403, tk._("No autorizado."))
        else:
            tk.h.flash_success(tk._("Hito actualizado. El cambio quedó registrado en el historial."))
            return tk.redirect_to("openlima_plan.commitment", name=name, _anchor="hitos")
    statuses = dictization.statuses()
    return tk.render(
        "openlima_plan/milestone_edit.html",
        {"commitment": data, "milestone": milestone, "form": form, "errors": errors,
         "statuses": list(statuses.values())},
    ), status_code


openlima_plan.add_url_rule("/", view_func=index, strict_slashes=False)
openlima_plan.add_url_rule("/export.json", view_func=export_json)
openlima_plan.add_url_rule("/export.csv", view_func=export_csv)
openlima_plan.add_url_rule("/<name>", view_func=commitment)
openlima_plan.add_url_rule(
    "/<name>/hitos/<code>/editar", view_func=milestone_edit, methods=["GET", "POST"]
)
openlima_plan.add_url_rule(
    "/<name>/indicadores/<code>/valores", view_func=indicator_value_add, methods=["POST"]
)
openlima_plan.add_url_rule("/<name>/evaluaciones", view_func=assessment_add, methods=["POST"])
