"""The office's pages under ``/participa``: the management page (spaces, sessions,
answers), the edit forms of a space and of a session, closing a session, and the
moderation queue."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.limaactiva.logic.schema import SESSION_FIELDS
from ckanext.limaactiva.logic.validators import PHASE_KEYS as PHASE_TITLES
from ckanext.limaactiva.views.common import (
    EditForm,
    call_action,
    edit_page,
    editable_offices,
    error_summary,
    local_redirect,
    managed_offices,
    participa,
    posted_form,
)


# --------------------------------------------------------------------------- office


PHASE_ROWS = 5
ORGANISATION_ROWS = 5


def render_management(
    errors: list[str] | None = None, form: dict | None = None, status: int = 200
):
    if not tk.current_user.is_authenticated:
        return local_redirect("user.login")
    offices = managed_offices()
    office_names = {office["name"] for office in offices}
    spaces = [
        space
        for space in call_action("limaactiva_space_list", {})
        if tk.current_user.sysadmin or space["responsible_office"] in office_names
    ]
    if not offices and not spaces:
        return tk.abort(
            403,
            tk._(
                "Solo el personal de una oficina municipal puede gestionar la participación."
            ),
        )
    services = [
        service
        for service in call_action("limaactiva_service_list", {})
        if tk.current_user.sysadmin or service["office"] in office_names
    ]
    sessions = []
    for space_dict in spaces:
        proposals = call_action("limaactiva_proposal_list", {"space_id": space_dict["id"]})
        for item in call_action("limaactiva_session_list", {"space_id": space_dict["id"]}):
            if not item["closed"]:
                sessions.append({**item, "space": space_dict, "proposals": proposals})
    body = tk.render(
        "limaactiva/management.html",
        {
            "offices": offices,
            "spaces": spaces,
            "services": services,
            "open_sessions": sessions,
            "pending": call_action("limaactiva_pending_answer_list", {}),
            "phase_rows": range(PHASE_ROWS),
            "organisation_rows": range(ORGANISATION_ROWS),
            "errors": errors or [],
            "form": form or {},
        },
    )
    return body, status


def management_post(action: str, data: dict, done: str):
    try:
        call_action(action, data)
    except tk.NotAuthorized as error:
        return render_management([str(error) or tk._("No autorizado.")], posted_form(), 403)
    except tk.ObjectNotFound:
        return render_management([tk._("No encontrado.")], posted_form(), 404)
    except tk.ValidationError as error:
        return render_management(error_summary(error), posted_form(), 400)
    tk.h.flash_success(done)
    return local_redirect("limaactiva.management")


@participa.route("/gestion")
def management():
    return render_management()


def _phase_rows(form: dict) -> list[int]:
    """Indexes of the phase rows the form posted (``phase-<n>-phase_key``), in order."""
    rows = []
    for key in form:
        prefix, _sep, rest = key.partition("-")
        index, _sep, field = rest.partition("-")
        if prefix == "phase" and field == "phase_key" and index.isdigit():
            rows.append(int(index))
    return sorted(rows)


def _phases_from_form(form: dict) -> tuple[list[dict], list[int]]:
    """The phases of a space form (rows without a phase left out) and the row each
    came from, so that an error about the n-th phase is shown on its row."""
    phases, rows = [], []
    for index in _phase_rows(form):
        key = form.get(f"phase-{index}-phase_key")
        if not key:
            continue
        phase = {
            "phase_key": key,
            "start_date": form.get(f"phase-{index}-start_date"),
            "end_date": form.get(f"phase-{index}-end_date"),
            "proposals_enabled": form.get(f"phase-{index}-proposals_enabled") == "on",
            "comments_enabled": form.get(f"phase-{index}-comments_enabled") == "on",
            "votes_enabled": form.get(f"phase-{index}-votes_enabled") == "on",
        }
        if (form.get(f"phase-{index}-title") or "").strip():
            phase["title"] = form[f"phase-{index}-title"]
        phases.append(phase)
        rows.append(index)
    return phases, rows


SPACE_FIELDS = (
    "name",
    "title",
    "space_type",
    "responsible_office",
    "description",
    "civic_education",
)


@participa.route("/gestion/espacio", methods=["POST"])
def management_space():
    form = posted_form()
    data = {key: form.get(key) for key in SPACE_FIELDS}
    data["phases"] = _phases_from_form(form)[0]
    return management_post("limaactiva_space_create", data, tk._("Espacio creado."))


def _space_values(space_dict: dict) -> dict:
    """The edit form filled in with the space as stored."""
    values = {key: space_dict.get(key) or "" for key in SPACE_FIELDS}
    values["commitment_ref"] = space_dict.get("commitment_ref") or ""
    for index, phase in enumerate(space_dict["phases"]):
        values[f"phase-{index}-phase_key"] = phase["phase_key"]
        values[f"phase-{index}-start_date"] = phase["start_date"]
        values[f"phase-{index}-end_date"] = phase["end_date"]
        # A title equal to the default label of its phase is left blank, so that
        # choosing another phase also gives it that phase's title.
        if phase["title"] != PHASE_TITLES.get(phase["phase_key"]):
            values[f"phase-{index}-title"] = phase["title"]
        for switch in ("proposals_enabled", "comments_enabled", "votes_enabled"):
            values[f"phase-{index}-{switch}"] = "on" if phase[switch] else ""
    return values


def _space_posted(values: dict) -> tuple[dict, list[int]]:
    phases, rows = _phases_from_form(values)
    data = {key: values.get(key) for key in SPACE_FIELDS}
    data["commitment_ref"] = values.get("commitment_ref")
    data["phases"] = phases
    return data, rows


def _space_page(space_dict: dict, values: dict) -> dict:
    rows = _phase_rows(values)
    return {
        "space": space_dict,
        "offices": editable_offices(space_dict["responsible_office"]),
        "phase_rows": range(max(PHASE_ROWS, (rows[-1] + 1) if rows else 0)),
    }


@participa.route("/gestion/espacio/<name>/editar", methods=["GET", "POST"])
def management_space_edit(name: str):
    return edit_page(
        EditForm(
            show="limaactiva_space_show",
            update="limaactiva_space_update",
            not_found=tk._("Espacio de participación no encontrado."),
            saved=tk._("Espacio actualizado."),
            template="limaactiva/space_edit.html",
            stored=_space_values,
            posted=_space_posted,
            done=lambda space: local_redirect("limaactiva.space", name=space["name"]),
            page=_space_page,
        ),
        name,
    )


@participa.route("/gestion/sesion", methods=["POST"])
def management_session():
    form = posted_form()
    data = {key: form.get(key) or None for key in ("space_id", *SESSION_FIELDS)}
    data["registration_required"] = form.get("registration_required") == "on"
    return management_post(
        "limaactiva_session_create", data, tk._("Sesión programada.")
    )


def _form_datetime(value: str | None) -> str:
    """A stored date-time as a ``datetime-local`` input shows it: to the minute, unless
    it has seconds (which would otherwise be lost on saving the form unchanged)."""
    if value and len(value) == 19 and value.endswith(":00"):
        return value[:16]
    return value or ""


def _session_values(item: dict) -> dict:
    """The edit form filled in with the session as stored."""
    values = {
        key: "" if item.get(key) is None else str(item[key]) for key in SESSION_FIELDS
    }
    values["starts_at"] = _form_datetime(item.get("starts_at"))
    values["ends_at"] = _form_datetime(item.get("ends_at"))
    values["registration_required"] = "on" if item.get("registration_required") else ""
    return values


def _session_posted(values: dict) -> tuple[dict, None]:
    data: dict[str, Any] = {key: values.get(key) for key in SESSION_FIELDS}
    data["registration_required"] = values.get("registration_required") == "on"
    return data, None


def _refuse_closed(session: dict) -> None:
    if session["closed"]:
        # The report, counts and attendance recorded at closing describe the session
        # as it was held; it is not rescheduled afterwards.
        tk.abort(409, tk._("La sesión ya fue cerrada; ya no se puede editar."))


@participa.route("/gestion/sesion/<session_id>/editar", methods=["GET", "POST"])
def management_session_edit(session_id: str):
    return edit_page(
        EditForm(
            show="limaactiva_session_show",
            update="limaactiva_session_update",
            not_found=tk._("Sesión no encontrada."),
            saved=tk._("Sesión actualizada."),
            template="limaactiva/session_edit.html",
            stored=_session_values,
            posted=_session_posted,
            done=lambda session: local_redirect(
                "limaactiva.session", session_id=session["id"]
            ),
            page=lambda session, values: {
                "session": session,
                "space": call_action(
                    "limaactiva_space_show", {"id": session["space_id"]}
                ),
            },
            refuse=_refuse_closed,
        ),
        session_id,
    )


@participa.route("/gestion/sesion/<session_id>/cerrar", methods=["POST"])
def management_close(session_id: str):
    form = posted_form()
    organisations = []
    for index in range(ORGANISATION_ROWS):
        name = (form.get(f"org-{index}-organisation") or "").strip()
        if not name:
            continue
        organisations.append(
            {
                "organisation": name,
                "district": form.get(f"org-{index}-district"),
                "people": form.get(f"org-{index}-people"),
            }
        )
    data = {
        "id": session_id,
        "report": form.get("report"),
        "attendees_count": form.get("attendees_count"),
        "contributions_count": form.get("contributions_count"),
        "recording_url": form.get("recording_url") or None,
        "proposal_ids": tk.request.form.getlist("proposal_ids"),
        "organisations": organisations,
    }
    return management_post("limaactiva_session_close", data, tk._("Sesión cerrada."))


# --------------------------------------------------------------------------- moderation


@participa.route("/moderacion", methods=["GET", "POST"])
def moderation():
    if not tk.current_user.is_authenticated:
        return tk.redirect_to("user.login")
    errors: list[str] = []
    status = 200
    if tk.request.method == "POST":
        form = posted_form()
        try:
            call_action(
                "limaactiva_flag_resolve",
                {
                    "target_type": form.get("target_type"),
                    "target_id": form.get("target_id"),
                    "decision": form.get("decision"),
                },
            )
            tk.h.flash_success(tk._("Decisión registrada."))
            return local_redirect("limaactiva.moderation")
        except tk.NotAuthorized as error:
            errors, status = [str(error) or tk._("No autorizado.")], 403
        except tk.ObjectNotFound:
            errors, status = [tk._("Contenido no encontrado.")], 404
        except tk.ValidationError as error:
            errors, status = error_summary(error), 400
    queue = call_action("limaactiva_flag_list", {})
    return tk.render(
        "limaactiva/moderation.html", {"queue": queue, "errors": errors}
    ), status
