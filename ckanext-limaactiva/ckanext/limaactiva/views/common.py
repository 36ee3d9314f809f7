"""What the pages of Lima Activa share: the three blueprints, calling an action as the
user, the posted form, error messages for a form, and the edit forms' helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import ckan.plugins.toolkit as tk
from flask import Blueprint, redirect


participa = Blueprint("limaactiva", __name__, url_prefix="/participa")
servicios = Blueprint("limaactiva_services", __name__, url_prefix="/servicios")
dashboard = Blueprint("limaactiva_dashboard", __name__, url_prefix="/dashboard")


def user_context() -> dict:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


def call_action(name: str, data: dict) -> Any:
    return tk.get_action(name)(user_context(), data)


def posted_form() -> dict:
    return {
        key: value for key, value in tk.request.form.items() if key != "_csrf_token"
    }


def error_summary(error: tk.ValidationError) -> list[str]:
    messages = []
    for value in (error.error_dict or {}).values():
        if isinstance(value, list):
            messages.extend(str(item) for item in value if isinstance(item, str))
        elif isinstance(value, str):
            messages.append(value)
    return messages or [tk._("Revise los datos ingresados.")]


def local_redirect(endpoint: str, **values: Any):
    # A relative Location: the browser stays on the host it used (CKAN's redirect_to
    # would prefix ckan.site_url).
    return redirect(tk.url_for(endpoint, **values))


def my_profile() -> dict | None:
    if not tk.current_user.is_authenticated:
        return None
    try:
        return call_action("limaactiva_participant_show", {})
    except tk.NotAuthorized:
        return None


def managed_offices() -> list[dict]:
    """Organisations where the user may manage participation (editor or admin)."""
    return tk.get_action("organization_list_for_user")(
        user_context(), {"permission": "create_dataset", "include_dataset_count": False}
    )


def errors_by_field(
    error: tk.ValidationError, phase_rows: list[int] | None = None
) -> tuple[dict[str, list[str]], list[str]]:
    """Messages by form field (``phase-<row>-<field>`` for a phase) and the summary
    shown above the form."""
    rows = phase_rows or []
    by_field: dict[str, list[str]] = {}
    loose: list[str] = []
    for key, value in (error.error_dict or {}).items():
        items = value if isinstance(value, list) else [value]
        for position, item in enumerate(items):
            if isinstance(item, str):
                by_field.setdefault(key, []).append(item)
            elif isinstance(item, dict) and key == "phases":
                row = rows[position] if position < len(rows) else position
                for field, messages in item.items():
                    by_field.setdefault(f"phase-{row}-{field}", []).extend(
                        str(message) for message in messages
                    )
    for key in ("__all__", "id"):
        loose.extend(by_field.pop(key, []))
    summary = [tk._("Revise los campos marcados.")] if by_field else []
    return by_field, summary + loose


def editable_offices(current: str) -> list[dict]:
    offices = managed_offices()
    if current not in {office["name"] for office in offices}:
        offices.append({"name": current, "display_name": current})
    return offices


@dataclass
class EditForm:
    """One of the office's edit pages (space, session, service): what differs between
    them. ``edit_page`` does the rest the same way for all three."""

    show: str  # the action that reads the record (by the id or name in the URL)
    update: str  # the action that saves it; its auth function guards the page too
    not_found: str  # the 404 message
    saved: str  # the message once saved
    template: str
    stored: Callable[[dict], dict]  # the form filled in with the record as stored
    # the update action's data from the posted form, and the form rows of its phases
    posted: Callable[[dict], tuple[dict, list[int] | None]]
    done: Callable[[dict], Any]  # the redirect once saved (given the saved record)
    page: Callable[[dict, dict], dict]  # the template's own variables (record, form)
    refuse: Callable[[dict], Any] | None = None  # may end the request (e.g. 409)


def edit_page(form: EditForm, id_or_name: str):
    """An edit page: 404 for an unknown record and 403 for someone who may not update
    it, before anything is shown or saved; GET shows the form filled in with the record,
    POST saves it and redirects, or shows the form again (400) with each message next
    to its field."""
    if not tk.current_user.is_authenticated and tk.request.method == "GET":
        return local_redirect("user.login")
    try:
        record = call_action(form.show, {"id": id_or_name})
    except tk.ObjectNotFound:
        return tk.abort(404, form.not_found)
    try:
        tk.check_access(form.update, user_context(), {"id": record["id"]})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("No autorizado."))
    if form.refuse is not None:
        form.refuse(record)
    values = form.stored(record)
    field_errors: dict[str, list[str]] = {}
    errors: list[str] = []
    status = 200
    if tk.request.method == "POST":
        values = posted_form()
        data, phase_rows = form.posted(values)
        data["id"] = record["id"]
        try:
            saved = call_action(form.update, data)
        except tk.NotAuthorized as error:
            return tk.abort(403, str(error) or tk._("No autorizado."))
        except tk.ObjectNotFound:
            return tk.abort(404, form.not_found)
        except tk.ValidationError as error:
            field_errors, errors = errors_by_field(error, phase_rows)
            status = 400
        else:
            tk.h.flash_success(form.saved)
            return form.done(saved)
    body = tk.render(
        form.template,
        {
            **form.page(record, values),
            "form": values,
            "field_errors": field_errors,
            "errors": errors,
        },
    )
    return body, status
