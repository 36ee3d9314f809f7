"""The dashboard's exports, and the plan published as a CKAN dataset.

The exports (``/compromisos/export.json`` and ``.csv``) are built from the same dicts the
actions return. The dataset ``compromisos-<plan id>`` of the plan's team organisation
links to them, carries DCAT metadata, and is refreshed after every change (its
description states the current progress). Publishing never undoes a change: failures
are logged, and a missing team organisation skips it.
"""
from __future__ import annotations

import io
import logging
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from openlima_common import spreadsheet

from ckanext.openlima.plan import model as pm
from ckanext.openlima.plan.vocabulary import N_

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_STATUSES",
    "ensure_default_statuses",
    "CSV_COLUMNS",
    "csv_rows",
    "to_csv",
    "dataset_name",
    "refresh_dataset",
    "refresh_dataset_safely",
]

# key, label, description, default progress, terminal (the migration seeds the same)
DEFAULT_STATUSES = (
    ("not_started", N_("No iniciado"), N_("El hito aún no empieza."), 0, False),
    ("in_progress", N_("En curso"), N_("El hito está en ejecución; su avance se registra."),
     None, False),
    ("completed", N_("Completado"), N_("El hito entregó su producto verificable."), 100, True),
    ("cancelled", N_("Cancelado"), N_("El hito se dejó sin efecto; no cuenta en el avance."),
     None, True),
)

CSV_COLUMNS = (
    "plan_id", "commitment_code", "commitment_name", "commitment_title", "commitment_stage",
    "commitment_status", "commitment_progress", "milestone_code", "milestone_kind",
    "milestone_title", "planned_start", "planned_end", "actual_start", "actual_end",
    "weight", "milestone_status", "milestone_progress", "delayed", "evidence",
)


def ensure_default_statuses() -> None:
    """Put back the default milestone statuses if their rows are missing."""
    present = {key for (key,) in pm.Session.query(pm.Status.key)}
    for position, (key, label, description, progress, terminal) in enumerate(DEFAULT_STATUSES, 1):
        if key not in present:
            pm.Session.add(pm.Status(
                key=key, label=label, description=description,
                default_progress=progress, terminal=terminal, position=position,
            ))
    pm.Session.flush()


def csv_rows(plan: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """One row per milestone (commitments without milestones get one row)."""
    for c in plan["commitments"]:
        base = {
            "plan_id": plan["id"],
            "commitment_code": c["code"],
            "commitment_name": c["name"],
            "commitment_title": c["title"],
            "commitment_stage": c["stage"],
            "commitment_status": c["status"],
            "commitment_progress": "" if c["progress"] is None else c["progress"],
        }
        if not c["milestones"]:
            yield {**base}
        for m in c["milestones"]:
            evidence = " | ".join(
                e.get("url") or f"dataset:{e.get('dataset')}" for e in m["evidence"] or []
            )
            yield {
                **base,
                "milestone_code": m["code"],
                "milestone_kind": m["kind"],
                "milestone_title": m["title"],
                "planned_start": m["planned_start"] or "",
                "planned_end": m["planned_end"] or "",
                "actual_start": m["actual_start"] or "",
                "actual_end": m["actual_end"] or "",
                "weight": "" if m["weight"] is None else m["weight"],
                "milestone_status": m["status"],
                "milestone_progress": m["progress"],
                "delayed": "si" if m["delayed"] else "no",
                "evidence": evidence,
            }


def to_csv(plan: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = spreadsheet.dict_writer(buffer, CSV_COLUMNS, restval="", lineterminator="\r\n")
    writer.writeheader()
    for row in csv_rows(plan):
        writer.writerow(row)
    return buffer.getvalue()


def dataset_name(plan_id: str) -> str:
    return f"compromisos-{plan_id}"


def _site_url() -> str:
    return (tk.config.get("ckan.site_url") or "").rstrip("/")


def _dataset_dict(plan: dict[str, Any], owner_org: str) -> dict[str, Any]:
    progress = plan["progress"]
    progress_text = "sin datos" if progress is None else f"{progress:.1f} %".replace(".", ",")
    base = _site_url() + "/compromisos"
    notes = (
        f"Avance de los compromisos del {plan['title']} ({plan['member']}): compromisos, "
        f"hitos con fechas planificadas y reales, indicadores y evaluaciones. "
        f"Avance general al {plan['as_of']}: {progress_text}; "
        f"{plan['completed_milestones']} de {plan['milestone_count']} hitos completados; "
        f"{plan['delayed_milestones']} hitos con retraso. Fuente: {plan['source']}"
    )
    return {
        "name": dataset_name(plan["id"]),
        "title": f"Avance de compromisos: {plan['title']}",
        "notes": notes,
        "owner_org": owner_org,
        "tag_string": "gobierno abierto,compromisos,rendición de cuentas,OGP",
        "license_id": "cc-by",
        "theme": ["http://publications.europa.eu/resource/authority/data-theme/GOVE"],
        "frequency": "http://publications.europa.eu/resource/authority/frequency/UPDATE_CONT",
        "spatial_ubigeo": ["1501"],
        "contact": [{
            "name": tk.config.get("ckanext.openlima_plan.contact_name")
            or "Subgerencia de Gobierno Digital e Innovación",
            "email": tk.config.get("ckanext.openlima_plan.contact_email")
            or "gobiernoabierto@munlima.gob.pe",
        }],
        "resources": [
            {
                "name": "Compromisos, hitos e indicadores (JSON)",
                "url": base + "/export.json",
                "format": "JSON",
                "mimetype": "application/json",
                "description": "Plan, compromisos, hitos, indicadores y evaluaciones. Fechas ISO 8601.",
            },
            {
                "name": "Hitos de los compromisos (CSV)",
                "url": base + "/export.csv",
                "format": "CSV",
                "mimetype": "text/csv",
                "description": "Una fila por hito: " + ", ".join(CSV_COLUMNS) + ".",
            },
        ],
    }


def refresh_dataset(plan_id: str, only_if_missing: bool = False) -> Optional[dict[str, Any]]:
    """Create or update the plan's dataset; ``None`` when publishing is off or impossible.

    With ``only_if_missing`` an existing dataset is left as it is (a reload that changed
    nothing still publishes the plan once its team organisation exists).
    """
    if not tk.asbool(tk.config.get("ckanext.openlima_plan.publish_dataset", True)):
        return None
    plan_row = pm.Session.get(pm.ActionPlan, plan_id)
    if plan_row is None or not plan_row.team_organization:
        return None
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    context = {"ignore_auth": True, "user": site_user}
    try:
        organization = tk.get_action("organization_show")(
            dict(context), {"id": plan_row.team_organization, "include_datasets": False}
        )
    except tk.ObjectNotFound:
        log.info("Team organisation %s missing: plan dataset not published",
                 plan_row.team_organization)
        return None
    plan = tk.get_action("openlima_plan_show")(dict(context), {"id": plan_id})
    dataset = _dataset_dict(plan, organization["id"])
    try:
        existing = tk.get_action("package_show")(dict(context), {"id": dataset["name"]})
    except tk.ObjectNotFound:
        return tk.get_action("package_create")(dict(context), dataset)
    if only_if_missing:
        return existing
    # keep the resources' ids (and so their URLs in other catalogues) across refreshes
    by_url = {r.get("url"): r["id"] for r in existing.get("resources", [])}
    for resource in dataset["resources"]:
        if resource["url"] in by_url:
            resource["id"] = by_url[resource["url"]]
    return tk.get_action("package_patch")(dict(context), {"id": existing["id"], **dataset})


def refresh_dataset_safely(plan_id: str, only_if_missing: bool = False) -> Optional[dict[str, Any]]:
    try:
        return refresh_dataset(plan_id, only_if_missing)
    except tk.ValidationError as error:
        log.warning("Plan dataset %s not published: %s", dataset_name(plan_id), error.error_dict)
    except Exception:  # noqa: BLE001 - publishing must never break the change itself
        log.warning("Plan dataset %s not published", dataset_name(plan_id), exc_info=True)
    pm.Session.rollback()
    return None
