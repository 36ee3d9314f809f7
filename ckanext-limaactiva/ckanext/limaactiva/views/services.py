"""The services directory (``/servicios``) and the office's forms that add and edit
its entries (``/participa/gestion/servicio``)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.limaactiva.views.common import (
    EditForm,
    call_action,
    edit_page,
    editable_offices,
    error_summary,
    local_redirect,
    participa,
    posted_form,
    servicios,
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


def _service_posted(values: dict) -> tuple[dict, None]:
    return {key: values.get(key) for key in SERVICE_FIELDS}, None


@participa.route("/gestion/servicio/<name>/editar", methods=["GET", "POST"])
def management_service_edit(name: str):
    return edit_page(
        EditForm(
            show="limaactiva_service_show",
            update="limaactiva_service_update",
            not_found=tk._("Servicio no encontrado."),
            saved=tk._("Servicio actualizado."),
            template="limaactiva/service_edit.html",
            stored=lambda service: {
                key: service.get(key) or "" for key in SERVICE_FIELDS
            },
            posted=_service_posted,
            done=lambda service: local_redirect("limaactiva.management"),
            page=lambda service, values: {
                "service": service,
                "offices": editable_offices(service["office"]),
            },
        ),
        name,
    )
