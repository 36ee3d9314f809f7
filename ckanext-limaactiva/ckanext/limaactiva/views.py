"""Public pages of Lima Activa: ``/participa`` (spaces, sessions, proposals, threads) and
``/servicios`` (services directory). They work without JavaScript: every form posts
and redirects back, and errors are shown on the same page."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, make_response, redirect

from ckanext.limaactiva.logic.validators import PHASE_KEYS as PHASE_TITLES

__all__ = ["participa", "servicios", "dashboard"]

participa = Blueprint("limaactiva", __name__, url_prefix="/participa")
servicios = Blueprint("limaactiva_services", __name__, url_prefix="/servicios")
dashboard = Blueprint("limaactiva_dashboard", __name__, url_prefix="/dashboard")


def _context() -> dict:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


def _action(name: str, data: dict) -> Any:
    return tk.get_action(name)(_context(), data)


def _form() -> dict:
    return {
        key: value for key, value in tk.request.form.items() if key != "_csrf_token"
    }


def _error_summary(error: tk.ValidationError) -> list[str]:
    messages = []
    for value in (error.error_dict or {}).values():
        if isinstance(value, list):
            messages.extend(str(item) for item in value if isinstance(item, str))
        elif isinstance(value, str):
            messages.append(value)
    return messages or [tk._("Revise los datos ingresados.")]


def _redirect(endpoint: str, **values: Any):
    # A relative Location: the browser stays on the host it used (CKAN's redirect_to
    # would prefix ckan.site_url).
    return redirect(tk.url_for(endpoint, **values))


def _me() -> dict | None:
    if not tk.current_user.is_authenticated:
        return None
    try:
        return _action("limaactiva_participant_show", {})
    except tk.NotAuthorized:
        return None


# --------------------------------------------------------------------------- spaces


@participa.route("/")
def index():
    spaces = _action("limaactiva_space_list", {})
    return tk.render(
        "limaactiva/index.html",
        {
            "spaces": spaces,
            "statistics": _action("limaactiva_statistics", {}),
            "contributors": _action("limaactiva_contributor_list", {}),
        },
    )


def _render_space(
    name: str,
    errors: list[str] | None = None,
    form: dict | None = None,
    status: int = 200,
):
    try:
        space = _action("limaactiva_space_show", {"id": name})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Espacio de participación no encontrado."))
    proposals = _action("limaactiva_proposal_list", {"space_id": space["id"]})
    sessions = _action("limaactiva_session_list", {"space_id": space["id"]})
    body = tk.render(
        "limaactiva/space.html",
        {
            "space": space,
            "proposals": proposals,
            "sessions": sessions,
            "me": _me(),
            "errors": errors or [],
            "form": form or {},
        },
    )
    return body, status


@participa.route("/espacio/<name>")
def space(name: str):
    return _render_space(name)


@participa.route("/espacio/<name>/aprende")
def civic_education(name: str):
    try:
        space_dict = _action("limaactiva_space_show", {"id": name})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Espacio de participación no encontrado."))
    return tk.render(
        "limaactiva/civic_education.html", {"space": space_dict, "errors": []}
    )


@participa.route("/espacio/<name>/proponer", methods=["POST"])
def propose(name: str):
    form = _form()
    data = {key: form.get(key) for key in ("title", "body", "district", "theme")}
    data["space_id"] = name
    data["show_author"] = form.get("show_author") == "on"
    if form.get("author_organisation"):
        data["author_organisation"] = form["author_organisation"]
    try:
        proposal = _action("limaactiva_proposal_create", data)
    except tk.NotAuthorized as error:
        return _render_space(name, [str(error) or tk._("No autorizado.")], form, 403)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Espacio de participación no encontrado."))
    except tk.ValidationError as error:
        return _render_space(name, _error_summary(error), form, 400)
    tk.h.flash_success(tk._("Su propuesta fue registrada."))
    return _redirect("limaactiva.proposal", proposal_id=proposal["id"])


# --------------------------------------------------------------------------- sessions


@participa.route("/sesion/<session_id>")
def session(session_id: str):
    try:
        item = _action("limaactiva_session_show", {"id": session_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Sesión no encontrada."))
    space_dict = _action("limaactiva_space_show", {"id": item["space_id"]})
    proposals = []
    for proposal_id in item["proposal_ids"]:
        try:
            proposals.append(_action("limaactiva_proposal_show", {"id": proposal_id}))
        except tk.ObjectNotFound:  # hidden while moderators review it
            continue
    from ckanext.limaactiva.logic.action import session_registered

    return tk.render(
        "limaactiva/session.html",
        {
            "session": item,
            "space": space_dict,
            "proposals": proposals,
            "registered": session_registered(_context(), item["id"]),
            "errors": [],
        },
    )


@participa.route("/sesion/<session_id>/inscripcion", methods=["POST"])
def session_registration(session_id: str):
    action = (
        "limaactiva_session_unregister"
        if tk.request.form.get("cancel")
        else "limaactiva_session_register"
    )
    try:
        _action(action, {"id": session_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Sesión no encontrada."))
    except (tk.NotAuthorized, tk.ValidationError) as error:
        messages = (
            _error_summary(error)
            if isinstance(error, tk.ValidationError)
            else [str(error) or tk._("No autorizado.")]
        )
        tk.h.flash_error(" ".join(messages))
        return _redirect("limaactiva.session", session_id=session_id)
    tk.h.flash_success(
        tk._("Inscripción cancelada.")
        if tk.request.form.get("cancel")
        else tk._("Quedó inscrito/a.")
    )
    return _redirect("limaactiva.session", session_id=session_id)


# --------------------------------------------------------------------------- proposals


def _render_proposal(
    proposal_id: str,
    errors: list[str] | None = None,
    form: dict | None = None,
    status: int = 200,
):
    try:
        proposal = _action("limaactiva_proposal_show", {"id": proposal_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Propuesta no encontrada."))
    space_dict = _action("limaactiva_space_show", {"id": proposal["space_id"]})
    my_vote = None
    if tk.current_user.is_authenticated:
        my_vote = _action("limaactiva_vote_show", {"proposal_id": proposal_id})[
            "weight"
        ]
    body = tk.render(
        "limaactiva/proposal.html",
        {
            "proposal": proposal,
            "space": space_dict,
            "comments": _action(
                "limaactiva_comment_list", {"proposal_id": proposal_id}
            ),
            "snapshots": _action(
                "limaactiva_snapshot_list", {"proposal_id": proposal_id}
            ),
            "my_vote": my_vote,
            "me": _me(),
            "errors": errors or [],
            "form": form or {},
        },
    )
    return body, status


@participa.route("/propuesta/<proposal_id>")
def proposal(proposal_id: str):
    return _render_proposal(proposal_id)


def _post(proposal_id: str, action: str, data: dict, done: str):
    try:
        _action(action, data)
    except tk.NotAuthorized as error:
        return _render_proposal(
            proposal_id, [str(error) or tk._("No autorizado.")], _form(), 403
        )
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("No encontrado."))
    except tk.ValidationError as error:
        return _render_proposal(proposal_id, _error_summary(error), _form(), 400)
    tk.h.flash_success(done)
    return _redirect("limaactiva.proposal", proposal_id=proposal_id)


@participa.route("/propuesta/<proposal_id>/priorizar", methods=["POST"])
def vote(proposal_id: str):
    return _post(
        proposal_id,
        "limaactiva_vote_cast",
        {"proposal_id": proposal_id, "weight": tk.request.form.get("weight")},
        tk._("Su priorización fue registrada."),
    )


@participa.route("/propuesta/<proposal_id>/comentar", methods=["POST"])
def comment(proposal_id: str):
    form = _form()
    data = {
        "proposal_id": proposal_id,
        "alignment": form.get("alignment"),
        "body": form.get("body"),
    }
    if form.get("parent_id"):
        data["parent_id"] = form["parent_id"]
    return _post(
        proposal_id,
        "limaactiva_comment_create",
        data,
        tk._("Su comentario fue publicado."),
    )


@participa.route(
    "/propuesta/<proposal_id>/comentario/<comment_id>/editar", methods=["POST"]
)
def comment_edit(proposal_id: str, comment_id: str):
    form = _form()
    data = {"id": comment_id, "body": form.get("body")}
    if form.get("alignment"):
        data["alignment"] = form["alignment"]
    return _post(
        proposal_id, "limaactiva_comment_update", data, tk._("Comentario editado.")
    )


@participa.route(
    "/propuesta/<proposal_id>/comentario/<comment_id>/eliminar", methods=["POST"]
)
def comment_delete(proposal_id: str, comment_id: str):
    return _post(
        proposal_id,
        "limaactiva_comment_delete",
        {"id": comment_id},
        tk._("Comentario eliminado."),
    )


@participa.route("/propuesta/<proposal_id>/responder", methods=["POST"])
def answer(proposal_id: str):
    form = _form()
    data = {
        "id": proposal_id,
        "state": form.get("state"),
        "answer_text": form.get("answer_text"),
        "commitment_milestone_ref": form.get("commitment_milestone_ref") or None,
    }
    return _post(
        proposal_id, "limaactiva_proposal_answer", data, tk._("Respuesta publicada.")
    )


@participa.route("/propuesta/<proposal_id>/reportar", methods=["POST"])
def flag(proposal_id: str):
    form = _form()
    data = {
        "target_type": form.get("target_type"),
        "target_id": form.get("target_id"),
        "reason": form.get("reason"),
    }
    if form.get("detail"):
        data["detail"] = form["detail"]
    return _post(
        proposal_id,
        "limaactiva_flag_create",
        data,
        tk._("Gracias. Su reporte será revisado por la oficina responsable."),
    )


# --------------------------------------------------------------------------- moderation


@participa.route("/moderacion", methods=["GET", "POST"])
def moderation():
    if not tk.current_user.is_authenticated:
        return tk.redirect_to("user.login")
    errors: list[str] = []
    status = 200
    if tk.request.method == "POST":
        form = _form()
        try:
            _action(
                "limaactiva_flag_resolve",
                {
                    "target_type": form.get("target_type"),
                    "target_id": form.get("target_id"),
                    "decision": form.get("decision"),
                },
            )
            tk.h.flash_success(tk._("Decisión registrada."))
            return _redirect("limaactiva.moderation")
        except tk.NotAuthorized as error:
            errors, status = [str(error) or tk._("No autorizado.")], 403
        except tk.ObjectNotFound:
            errors, status = [tk._("Contenido no encontrado.")], 404
        except tk.ValidationError as error:
            errors, status = _error_summary(error), 400
    queue = _action("limaactiva_flag_list", {})
    return tk.render(
        "limaactiva/moderation.html", {"queue": queue, "errors": errors}
    ), status


# --------------------------------------------------------------------------- office


PHASE_ROWS = 5
ORGANISATION_ROWS = 5


def _managed_offices() -> list[dict]:
    """Organisations where the user may manage participation (editor or admin)."""
    return tk.get_action("organization_list_for_user")(
        _context(), {"permission": "create_dataset", "include_dataset_count": False}
    )


def _render_management(
    errors: list[str] | None = None, form: dict | None = None, status: int = 200
):
    if not tk.current_user.is_authenticated:
        return _redirect("user.login")
    offices = _managed_offices()
    office_names = {office["name"] for office in offices}
    spaces = [
        space
        for space in _action("limaactiva_space_list", {})
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
        for service in _action("limaactiva_service_list", {})
        if tk.current_user.sysadmin or service["office"] in office_names
    ]
    sessions = []
    for space_dict in spaces:
        proposals = _action("limaactiva_proposal_list", {"space_id": space_dict["id"]})
        for item in _action("limaactiva_session_list", {"space_id": space_dict["id"]}):
            if not item["closed"]:
                sessions.append({**item, "space": space_dict, "proposals": proposals})
    body = tk.render(
        "limaactiva/management.html",
        {
            "offices": offices,
            "spaces": spaces,
            "services": services,
            "open_sessions": sessions,
            "pending": _action("limaactiva_pending_answer_list", {}),
            "phase_rows": range(PHASE_ROWS),
            "organisation_rows": range(ORGANISATION_ROWS),
            "errors": errors or [],
            "form": form or {},
        },
    )
    return body, status


def _management_post(action: str, data: dict, done: str):
    try:
        _action(action, data)
    except tk.NotAuthorized as error:
        return _render_management([str(error) or tk._("No autorizado.")], _form(), 403)
    except tk.ObjectNotFound:
        return _render_management([tk._("No encontrado.")], _form(), 404)
    except tk.ValidationError as error:
        return _render_management(_error_summary(error), _form(), 400)
    tk.h.flash_success(done)
    return _redirect("limaactiva.management")


@participa.route("/gestion")
def management():
    return _render_management()


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
    form = _form()
    data = {key: form.get(key) for key in SPACE_FIELDS}
    data["phases"] = _phases_from_form(form)[0]
    return _management_post("limaactiva_space_create", data, tk._("Espacio creado."))


def _field_errors(
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


def _editable_offices(current: str) -> list[dict]:
    offices = _managed_offices()
    if current not in {office["name"] for office in offices}:
        offices.append({"name": current, "display_name": current})
    return offices


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


def _managed_space(name: str) -> dict:
    """The space, after checking that it exists (404) and that the user manages it (403)."""
    try:
        space_dict = _action("limaactiva_space_show", {"id": name})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Espacio de participación no encontrado."))
    try:
        tk.check_access("limaactiva_space_update", _context(), {"id": space_dict["id"]})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("No autorizado."))
    return space_dict


def _submit_edit(action: str, data: dict, not_found: str, phase_rows: list[int] | None = None
                 ) -> tuple[dict | None, dict[str, list[str]], list[str]]:
    """Run an edit form's update action: (result, no errors) when it saved, (None, field
    errors, summary) when the input was refused; 403 and 404 end the request."""
    try:
        return _action(action, data), {}, []
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("No autorizado."))
    except tk.ObjectNotFound:
        return tk.abort(404, not_found)
    except tk.ValidationError as error:
        return (None, *_field_errors(error, phase_rows))


@participa.route("/gestion/espacio/<name>/editar", methods=["GET", "POST"])
def management_space_edit(name: str):
    if not tk.current_user.is_authenticated and tk.request.method == "GET":
        return _redirect("user.login")
    space_dict = _managed_space(name)
    values = _space_values(space_dict)
    field_errors: dict[str, list[str]] = {}
    errors: list[str] = []
    status = 200
    if tk.request.method == "POST":
        values = _form()
        phases, rows = _phases_from_form(values)
        data = {key: values.get(key) for key in SPACE_FIELDS}
        data["commitment_ref"] = values.get("commitment_ref")
        data["id"] = space_dict["id"]
        data["phases"] = phases
        updated, field_errors, errors = _submit_edit(
            "limaactiva_space_update", data, tk._("Espacio de participación no encontrado."),
            rows)
        if updated is not None:
            tk.h.flash_success(tk._("Espacio actualizado."))
            return _redirect("limaactiva.space", name=updated["name"])
        status = 400
    rows = _phase_rows(values)
    phase_rows = range(max(PHASE_ROWS, (rows[-1] + 1) if rows else 0))
    body = tk.render(
        "limaactiva/space_edit.html",
        {
            "space": space_dict,
            "offices": _editable_offices(space_dict["responsible_office"]),
            "form": values,
            "field_errors": field_errors,
            "errors": errors,
            "phase_rows": phase_rows,
        },
    )
    return body, status


SESSION_FIELDS = (
    "title",
    "description",
    "modality",
    "place",
    "district",
    "online_url",
    "registration_url",
    "capacity",
    "starts_at",
    "ends_at",
)


@participa.route("/gestion/sesion", methods=["POST"])
def management_session():
    form = _form()
    data = {key: form.get(key) or None for key in ("space_id", *SESSION_FIELDS)}
    data["registration_required"] = form.get("registration_required") == "on"
    return _management_post(
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


@participa.route("/gestion/sesion/<session_id>/editar", methods=["GET", "POST"])
def management_session_edit(session_id: str):
    if not tk.current_user.is_authenticated and tk.request.method == "GET":
        return _redirect("user.login")
    try:
        item = _action("limaactiva_session_show", {"id": session_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Sesión no encontrada."))
    try:
        tk.check_access("limaactiva_session_update", _context(), {"id": item["id"]})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("No autorizado."))
    if item["closed"]:
        # The report, counts and attendance recorded at closing describe the session
        # as it was held; it is not rescheduled afterwards.
        return tk.abort(409, tk._("La sesión ya fue cerrada; ya no se puede editar."))
    values = _session_values(item)
    field_errors: dict[str, list[str]] = {}
    errors: list[str] = []
    status = 200
    if tk.request.method == "POST":
        values = _form()
        data: dict[str, Any] = {key: values.get(key) for key in SESSION_FIELDS}
        data["registration_required"] = values.get("registration_required") == "on"
        data["id"] = item["id"]
        updated, field_errors, errors = _submit_edit(
            "limaactiva_session_update", data, tk._("Sesión no encontrada."))
        if updated is not None:
            tk.h.flash_success(tk._("Sesión actualizada."))
            return _redirect("limaactiva.session", session_id=item["id"])
        status = 400
    body = tk.render(
        "limaactiva/session_edit.html",
        {
            "session": item,
            "space": _action("limaactiva_space_show", {"id": item["space_id"]}),
            "form": values,
            "field_errors": field_errors,
            "errors": errors,
        },
    )
    return body, status


@participa.route("/gestion/sesion/<session_id>/cerrar", methods=["POST"])
def management_close(session_id: str):
    form = _form()
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
    return _management_post("limaactiva_session_close", data, tk._("Sesión cerrada."))


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
    form = _form()
    data = {key: form.get(key) or None for key in SERVICE_FIELDS}
    return _management_post(
        "limaactiva_service_create", data, tk._("Servicio agregado.")
    )


@participa.route("/gestion/servicio/<name>/editar", methods=["GET", "POST"])
def management_service_edit(name: str):
    if not tk.current_user.is_authenticated and tk.request.method == "GET":
        return _redirect("user.login")
    try:
        service = _action("limaactiva_service_show", {"id": name})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Servicio no encontrado."))
    try:
        tk.check_access("limaactiva_service_update", _context(), {"id": service["id"]})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("No autorizado."))
    values = {key: service.get(key) or "" for key in SERVICE_FIELDS}
    field_errors: dict[str, list[str]] = {}
    errors: list[str] = []
    status = 200
    if tk.request.method == "POST":
        values = _form()
        data = {key: values.get(key) for key in SERVICE_FIELDS}
        data["id"] = service["id"]
        updated, field_errors, errors = _submit_edit(
            "limaactiva_service_update", data, tk._("Servicio no encontrado."))
        if updated is not None:
            tk.h.flash_success(tk._("Servicio actualizado."))
            return _redirect("limaactiva.management")
        status = 400
    body = tk.render(
        "limaactiva/service_edit.html",
        {
            "service": service,
            "offices": _editable_offices(service["office"]),
            "form": values,
            "field_errors": field_errors,
            "errors": errors,
        },
    )
    return body, status


# --------------------------------------------------------------------------- participant


@participa.route("/perfil", methods=["GET", "POST"])
def profile():
    if not tk.current_user.is_authenticated:
        return tk.redirect_to("user.login")
    errors: list[str] = []
    status = 200
    if tk.request.method == "POST":
        form = _form()
        try:
            if form.get("request_confirmation"):
                result = _action("limaactiva_email_confirmation_request", {})
                if result["sent"]:
                    tk.h.flash_success(
                        tk._("Le enviamos un enlace de confirmación a su correo.")
                    )
                else:
                    tk.h.flash_error(
                        tk._("No se pudo enviar el correo. Inténtelo más tarde.")
                    )
            else:
                data = {
                    "district": form.get("district") or None,
                    "public_name": form.get("public_name") or None,
                    "show_publicly": form.get("show_publicly") == "on",
                }
                if form.get("dni"):
                    data["dni"] = form["dni"]
                _action("limaactiva_participant_update", data)
                tk.h.flash_success(tk._("Perfil actualizado."))
            return _redirect("limaactiva.profile")
        except tk.ValidationError as error:
            errors, status = _error_summary(error), 400
    return tk.render("limaactiva/profile.html", {"me": _me(), "errors": errors}), status


@participa.route("/confirmar/<token>")
def confirm_email(token: str):
    try:
        _action("limaactiva_email_confirm", {"token": token})
    except tk.ValidationError as error:
        return tk.render(
            "limaactiva/confirm.html", {"ok": False, "errors": _error_summary(error)}
        ), 400
    return tk.render("limaactiva/confirm.html", {"ok": True, "errors": []})


# --------------------------------------------------------------------------- open data


@participa.route("/datos/<name>.csv")
def export(name: str):
    from ckanext.limaactiva import exports

    if name not in exports.EXPORTS:
        return tk.abort(404, tk._("Archivo no encontrado."))
    response = make_response(exports.to_csv(name))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'inline; filename="lima-activa-{name}.csv"'
    )
    return response


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
        services = _action("limaactiva_service_list", data)
    except tk.ValidationError as error:
        services, errors = [], _error_summary(error)
    return tk.render(
        "limaactiva/services.html",
        {"services": services, "q": q, "channel": channel, "errors": errors},
    )


# --------------------------------------------------------------------------- following


def _followed_page(object_type: str, object_id: str):
    if object_type == "space":
        try:
            space_dict = _action("limaactiva_space_show", {"id": object_id})
        except (tk.ObjectNotFound, tk.ValidationError):
            return None
        return tk.url_for("limaactiva.space", name=space_dict["name"])
    return tk.url_for("limaactiva.proposal", proposal_id=object_id)


@participa.route("/seguir", methods=["POST"])
def follow():
    if not tk.current_user.is_authenticated:
        return tk.abort(403, tk._("Debe iniciar sesión."))
    form = _form()
    data = {"object_type": form.get("object_type"), "object_id": form.get("object_id")}
    unfollow = bool(form.get("unfollow"))
    try:
        _action("limaactiva_unfollow" if unfollow else "limaactiva_follow", data)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("No encontrado."))
    except tk.ValidationError as error:
        return tk.abort(400, " ".join(_error_summary(error)))
    tk.h.flash_success(
        tk._("Dejó de seguirlo.")
        if unfollow
        else tk._("Ahora lo sigue: recibirá avisos en su panel y por correo.")
    )
    if form.get("next") == "dashboard":
        return _redirect("limaactiva_dashboard.notifications")
    target = _followed_page(data["object_type"], data["object_id"])
    return redirect(target) if target else _redirect("limaactiva.index")


@participa.route("/dejar-de-seguir/<token>", methods=["GET", "POST"])
def unfollow_link(token: str):
    """The one-click link of a notice e-mail: GET asks, POST stops following (a mail
    scanner that opens links changes nothing)."""
    if tk.request.method == "POST":
        try:
            result = _action("limaactiva_unfollow_by_token", {"token": token})
        except tk.ValidationError as error:
            return tk.render(
                "limaactiva/unfollow.html",
                {"token": token, "done": False, "errors": _error_summary(error)},
            ), 400
        return tk.render(
            "limaactiva/unfollow.html",
            {"token": token, "done": True, "title": result["title"], "errors": []},
        )
    return tk.render(
        "limaactiva/unfollow.html", {"token": token, "done": False, "errors": []}
    )


@dashboard.route("/participa", methods=["GET", "POST"])
def notifications():
    if not tk.current_user.is_authenticated:
        return _redirect("user.login")
    if tk.request.method == "POST":
        _action("limaactiva_notification_mark_read", {})
        tk.h.flash_success(tk._("Avisos marcados como leídos."))
        return _redirect("limaactiva_dashboard.notifications")
    user_dict = tk.get_action("user_show")(_context(), {"id": tk.current_user.id})
    return tk.render(
        "limaactiva/dashboard.html",
        {
            "user_dict": user_dict,
            "is_myself": True,
            "notices": _action("limaactiva_notification_list", {}),
            "follows": _action("limaactiva_follow_list", {}),
        },
    )
