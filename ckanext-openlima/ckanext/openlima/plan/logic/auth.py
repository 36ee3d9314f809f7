"""Authorisation of the commitments dashboard.

Reading is public. Updates are for the plan team: editors and admins of the plan's
team organisation (``team_organization`` in the plan file) or of one of the
commitment's responsible offices. Sysadmins pass every check (CKAN skips auth
functions for them). Loading a plan file is for sysadmins only.
"""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk

from ckanext.openlima.plan import model as pm
from ckanext.openlima.plan.vocabulary import N_

__all__ = [
    "openlima_plan_show",
    "openlima_plan_load",
    "openlima_commitment_list",
    "openlima_commitment_show",
    "openlima_milestone_update",
    "openlima_indicator_value_add",
    "openlima_assessment_add",
]


def user_can_edit_commitment(user_name: Optional[str], commitment: Optional[pm.Commitment]) -> bool:
    """Whether ``user_name`` belongs to the plan team of ``commitment``."""
    if not user_name or commitment is None:
        return False
    user = tk.get_action("user_show")({"ignore_auth": True}, {"id": user_name})
    if user.get("sysadmin"):
        return True
    plan = pm.Session.get(pm.ActionPlan, commitment.plan_id)
    allowed = {office.get("name") for office in commitment.responsible_offices or []}
    if plan is not None and plan.team_organization:
        allowed.add(plan.team_organization)
    allowed.discard(None)
    allowed.discard("")
    if not allowed:
        return False
    organizations = tk.get_action("organization_list_for_user")(
        {"ignore_auth": True, "user": user_name},
        {"id": user["id"], "permission": "create_dataset"},
    )
    return any(org["name"] in allowed or org["id"] in allowed for org in organizations)


def _deny(message: str) -> dict[str, Any]:
    return {"success": False, "msg": tk._(message)}


def _team_only(context, commitment: Optional[pm.Commitment]) -> dict[str, Any]:
    if user_can_edit_commitment(context.get("user"), commitment):
        return {"success": True}
    return _deny(N_(
        "Solo el equipo del plan (las oficinas responsables del compromiso) o un "
        "administrador del sistema puede hacer este cambio."
    ))


@tk.auth_allow_anonymous_access
def openlima_plan_show(context, data_dict):
    return {"success": True}


@tk.auth_allow_anonymous_access
def openlima_commitment_list(context, data_dict):
    return {"success": True}


@tk.auth_allow_anonymous_access
def openlima_commitment_show(context, data_dict):
    return {"success": True}


def openlima_plan_load(context, data_dict):
    return _deny(N_("Solo un administrador del sistema puede cargar un plan de acción."))


def openlima_milestone_update(context, data_dict):
    milestone = pm.Session.get(pm.Milestone, str(data_dict.get("id") or ""))
    commitment = pm.Session.get(pm.Commitment, milestone.commitment_id) if milestone else None
    return _team_only(context, commitment)


def openlima_indicator_value_add(context, data_dict):
    indicator = pm.Session.get(pm.Indicator, str(data_dict.get("indicator_id") or ""))
    commitment = pm.Session.get(pm.Commitment, indicator.commitment_id) if indicator else None
    return _team_only(context, commitment)


def openlima_assessment_add(context, data_dict):
    key = str(data_dict.get("commitment_id") or "")
    commitment = pm.Session.get(pm.Commitment, key)
    if commitment is None and key:
        commitment = (
            pm.Session.query(pm.Commitment)
            .filter_by(
                plan_id=data_dict.get("plan_id")
                or tk.config.get("ckanext.openlima_plan.default_plan")
                or "lima-2022",
                name=key,
            )
            .one_or_none()
        )
    return _team_only(context, commitment)
