"""Action and auth function of the operations page (re-exported by ``logic/action.py`` and
``logic/auth.py``, which the plugin's blankets read)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.openlima.operations import schedule

__all__ = ["openlima_schedule_show", "openlima_schedule_show_auth"]


@tk.side_effect_free
def openlima_schedule_show(context, data_dict):
    """The periodic jobs: schedule, last run, result and message, next run.

    :returns: ``{"jobs": [...], "schedulers": n}``, one entry per job enabled here
    :rtype: dict
    """
    tk.check_access("openlima_schedule_show", context, data_dict)
    return {"jobs": schedule.schedule_status(), "schedulers": len(schedule.live_schedulers())}


def openlima_schedule_show_auth(context, data_dict):
    """Sysadmins only (CKAN lets sysadmins through before calling this)."""
    return {"success": False, "msg": tk._("Solo un administrador puede ver las tareas programadas.")}
