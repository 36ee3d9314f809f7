"""Who may call the catalogue actions."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.openlima.operations.logic import (  # periodic jobs page: sysadmins only
    openlima_schedule_show_auth as openlima_schedule_show,
)

__all__ = [
    "openlima_compliance_show",
    "openlima_compliance_summary",
    "openlima_compliance_publish",
    "openlima_links_check",
    "openlima_metrics_show",
    "openlima_metrics_publish",
    "openlima_rating_create",
    "openlima_schedule_show",
]


@tk.auth_allow_anonymous_access
def openlima_compliance_show(context, data_dict):
    """Whoever may see the dataset may see its compliance."""
    return tk.check_access("package_show", context, {"id": data_dict.get("id")}) and {"success": True}


@tk.auth_allow_anonymous_access
def openlima_compliance_summary(context, data_dict):
    """Public: it only counts the datasets the caller can see."""
    return {"success": True}


def openlima_compliance_publish(context, data_dict):
    """Sysadmins (and the background job, as the site user) only."""
    return {"success": False, "msg": tk._("Solo un administrador puede publicar el conjunto de cumplimiento.")}


def openlima_links_check(context, data_dict):
    """Data officers who can edit the dataset."""
    return tk.check_access("package_update", context, {"id": data_dict.get("id")}) and {"success": True}


@tk.auth_allow_anonymous_access
def openlima_metrics_show(context, data_dict):
    """Public: metrics of public datasets only."""
    return {"success": True}


def openlima_metrics_publish(context, data_dict):
    return {"success": False, "msg": tk._("Solo un administrador puede publicar el conjunto de métricas.")}


@tk.auth_allow_anonymous_access
def openlima_rating_create(context, data_dict):
    """Anyone who can see the dataset may rate it."""
    return tk.check_access("package_show", context, {"id": data_dict.get("id")}) and {"success": True}
