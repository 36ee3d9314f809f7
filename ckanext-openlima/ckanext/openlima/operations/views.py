"""``/healthz``, ``/readyz`` and the sysadmin page of periodic jobs
(``/ckan-admin/tareas-programadas``)."""
from __future__ import annotations

from flask import Blueprint, jsonify

import ckan.plugins.toolkit as tk

from ckanext.openlima.operations import health

__all__ = ["operations"]

operations = Blueprint("openlima_operations", __name__)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def healthz():
    return _no_store(jsonify(health.liveness()))


def readyz():
    body, status = health.readiness()
    return _no_store(jsonify(body)), status


def scheduled_jobs():
    context = {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}
    try:
        status = tk.get_action("openlima_schedule_show")(context, {})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Solo un administrador puede ver las tareas programadas."))
    return tk.render("openlima/scheduled_jobs.html", {"status": status})


operations.add_url_rule("/healthz", view_func=healthz)
operations.add_url_rule("/readyz", view_func=readyz)
operations.add_url_rule("/ckan-admin/tareas-programadas", view_func=scheduled_jobs)
