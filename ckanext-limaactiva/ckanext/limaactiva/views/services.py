"""The services directory (``/servicios``) and the office's forms that add and edit
its entries (``/participa/gestion/servicio``)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.limaactiva.views.common import (
    call_action,
    editable_offices,
    error_summary,
    local_redirect,
    participa,
    posted_form,
    servicios,
    submit_edit,
    user_context,
)
from ckanext.limaactiva.views.management import management_post


# --------------------------------------------------------------------------- services


@servicios.route("/")
def directory():
    q = tk.request.args.get("q", "")
    channel = tk.request.args.get("canal", "")
    data = {"q": q}
    if channel:
        data["channel"] = channel
    errors: list[str] = []
    try:
        services = call_action("limaactiva_service_list", data)
    except tk.ValidationError as error:
        services, errors = [], error_summary(error)
    return tk.render(
        "limaactiva/services.html",
        {"services": services, "q": q, "channel": channel, "errors": errors},
    )


SERVICE_FIELDS = (
    "name",
    "title",
    "description",
    "office",
    "channel",
    "requirements",
    "url",
)


@participa.route("/gestion/servicio", methods=["POST"])
def management_service():
    form = posted_form()
    data = {key: form.get(key) or None for key in SERVICE_FIELDS}
    return management_post(
        "limaactiva_service_create", data, tk._("Servicio agregado.")
    )


@participa.route("/gestion/servicio/<name>/editar", methods=["GET", "POST"])
def management_service_edit(name: str):
    if not tk.current_user.is_authenticated and tk.request.method == "GET":
        return local_redirect("user.login")
    try:
        service = call_action("limaactiva_service_show", {"id": name})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Servicio no encontrado."))
    try:
        tk.check_access("limaactiva_service_update", user_context(), {"id": service["id"]})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("No autorizado."))
    values = {key: service.get(key) or "" for key in SERVICE_FIELDS}
    field_errors: dict[str, list[str]] = {}
    errors: list[str] = []
    status = 200
    if tk.request.method == "POST":
        values = posted_form()
        data = {key: values.get(key) for key in SERVICE_FIELDS}
        data["id"] = service["id"]
        updated, field_errors, errors = submit_edit(
            "limaactiva_service_update", data, tk._("Servicio no encontrado."))
        if updated is not None:
            tk.h.flash_success(tk._("Servicio actualizado."))
            return local_redirect("limaactiva.management")
        status = 400
    body = tk.render(
        "limaactiva/service_edit.html",
        {
            "service": service,
            "offices": editable_offices(service["office"]),
            "form": values,
            "field_errors": field_errors,
            "errors": errors,
        },
    )
    return body, status
