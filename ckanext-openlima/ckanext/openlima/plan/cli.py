"""``ckan openlima plan ...``: load an action plan file, snapshot computed indicators.

The ``plan`` group is attached to the extension's ``openlima`` group in
``ckanext/openlima/cli.py``.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

import ckan.plugins.toolkit as tk

__all__ = ["plan"]


def _site_context() -> dict:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


@click.group(short_help="Commitments dashboard: load the Open Government Action Plan.")
def plan():
    """Commitments dashboard of the Open Government Action Plan."""


def _read_document(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise click.ClickException(f"{path}: YAML no válido: {error}")
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: se esperaba un objeto.")
    return data


def portal_file_for(path: Path) -> Path:
    """``plan-2022.yaml`` → ``plan-2022.portal.yaml``, next to it."""
    return path.with_name(f"{path.stem}.portal{path.suffix}")


@plan.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", default="", help="Reason written to the history of every change.")
@click.option(
    "--portal", "portal_path", default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Rules of the portal for this plan (default: <name>.portal.yaml next to PATH, if any).",
)
def load(path: Path, reason: str, portal_path: Path | None):
    """Load or update the plan in PATH (YAML or JSON) with the portal's rules for it;
    running it twice changes nothing."""
    data = _read_document(path)
    if portal_path is None and portal_file_for(path).exists():
        portal_path = portal_file_for(path)
    payload = {
        "plan": data.get("plan"),
        "commitments": data.get("commitments") or [],
        "portal": _read_document(portal_path) if portal_path else None,
        "reason": reason or f"Carga del plan desde {path.name}",
    }
    try:
        result = tk.get_action("openlima_plan_load")(_site_context(), payload)
    except tk.ValidationError as error:
        raise click.ClickException(
            "El plan no es válido:\n" + json.dumps(error.error_dict, ensure_ascii=False, indent=2)
        )
    portal_note = f" (reglas del portal: {portal_path.name})" if portal_path else ""
    click.echo(
        f"Plan {result['plan_id']}: {result['created']} creados, "
        f"{result['updated']} actualizados, {result['unchanged']} sin cambios{portal_note}."
    )


@plan.command("snapshot")
@click.option("--plan-id", default=None, help="Plan id (default: the configured default plan).")
def snapshot(plan_id):
    """Record today's value of every computed indicator (skips those without data)."""
    context = _site_context()
    plan_dict = tk.get_action("openlima_plan_show")(dict(context), {"id": plan_id})
    today = plan_dict["as_of"]
    recorded = skipped = 0
    for commitment in plan_dict["commitments"]:
        for indicator in commitment.get("indicators", []):
            current = indicator["current"]
            if indicator["kind"] != "computed" or not current["available"]:
                skipped += indicator["kind"] == "computed"
                continue
            if any(v["date"] == today for v in indicator["values"]):
                continue
            tk.get_action("openlima_indicator_value_add")(dict(context), {
                "indicator_id": indicator["id"],
                "date": today,
                "value": current["value"],
                "source": "Calculado por la plataforma ({action})".format(
                    action=current.get("source_action") or "catálogo"),
            })
            recorded += 1
    click.echo(f"{recorded} valores registrados; {skipped} indicadores sin datos.")
