"""Public pages of Lima Activa under ``/participa``: spaces, sessions, proposals and
their threads, the participant's profile, the CSV exports, following, and the
notifications on ``/dashboard/participa``. They work without JavaScript: every form
posts and redirects back, and errors are shown on the same page."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import make_response, redirect

from ckanext.limaactiva.logic.action.sessions import session_registered
from ckanext.limaactiva.views.common import (
    call_action,
    dashboard,
    error_summary,
    local_redirect,
    my_profile,
    participa,
    posted_form,
    user_context,
)


# --------------------------------------------------------------------------- spaces


@participa.route("/")
def index():
    spaces = call_action("limaactiva_space_list", {})
    return tk.render(
        "limaactiva/index.html",
        {
            "spaces": spaces,
            "statistics": call_action("limaactiva_statistics", {}),
            "contributors": call_action("limaactiva_contributor_list", {}),
        },
    )


def _render_space(
    name: str,
    errors: list[str] | None = None,
    form: dict | None = None,
    status: int = 200,
):
    try:
        space = call_action("limaactiva_space_show", {"id": name})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Espacio de participación no encontrado."))
    proposals = call_action("limaactiva_proposal_list", {"space_id": space["id"]})
    sessions = call_action("limaactiva_session_list", {"space_id": space["id"]})
    body = tk.render(
        "limaactiva/space.html",
        {
            "space": space,
            "proposals": proposals,
            "sessions": sessions,
            "me": my_profile(),
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
        space_dict = call_action("limaactiva_space_show", {"id": name})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Espacio de participación no encontrado."))
    return tk.render(
        "limaactiva/civic_education.html", {"space": space_dict, "errors": []}
    )


@participa.route("/espacio/<name>/proponer", methods=["POST"])
def propose(name: str):
    form = posted_form()
    data = {key: form.get(key) for key in ("title", "body", "district", "theme")}
    data["space_id"] = name
    data["show_author"] = form.get("show_author") == "on"
    if form.get("author_organisation"):
        data["author_organisation"] = form["author_organisation"]
    try:
        proposal = call_action("limaactiva_proposal_create", data)
    except tk.NotAuthorized as error:
        return _render_space(name, [str(error) or tk._("No autorizado.")], form, 403)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Espacio de participación no encontrado."))
    except tk.ValidationError as error:
        return _render_space(name, error_summary(error), form, 400)
    tk.h.flash_success(tk._("Su propuesta fue registrada."))
    return local_redirect("limaactiva.proposal", proposal_id=proposal["id"])


# --------------------------------------------------------------------------- sessions


@participa.route("/sesion/<session_id>")
def session(session_id: str):
    try:
        item = call_action("limaactiva_session_show", {"id": session_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Sesión no encontrada."))
    space_dict = call_action("limaactiva_space_show", {"id": item["space_id"]})
    proposals = []
    for proposal_id in item["proposal_ids"]:
        try:
            proposals.append(call_action("limaactiva_proposal_show", {"id": proposal_id}))
        except tk.ObjectNotFound:  # hidden while moderators review it
            continue
    return tk.render(
        "limaactiva/session.html",
        {
            "session": item,
            "space": space_dict,
            "proposals": proposals,
            "registered": session_registered(user_context(), item["id"]),
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
        call_action(action, {"id": session_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Sesión no encontrada."))
    except (tk.NotAuthorized, tk.ValidationError) as error:
        messages = (
            error_summary(error)
            if isinstance(error, tk.ValidationError)
            else [str(error) or tk._("No autorizado.")]
        )
        tk.h.flash_error(" ".join(messages))
        return local_redirect("limaactiva.session", session_id=session_id)
    tk.h.flash_success(
        tk._("Inscripción cancelada.")
        if tk.request.form.get("cancel")
        else tk._("Quedó inscrito/a.")
    )
    return local_redirect("limaactiva.session", session_id=session_id)


# --------------------------------------------------------------------------- proposals


def _render_proposal(
    proposal_id: str,
    errors: list[str] | None = None,
    form: dict | None = None,
    status: int = 200,
):
    try:
        proposal = call_action("limaactiva_proposal_show", {"id": proposal_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Propuesta no encontrada."))
    space_dict = call_action("limaactiva_space_show", {"id": proposal["space_id"]})
    my_vote = None
    if tk.current_user.is_authenticated:
        my_vote = call_action("limaactiva_vote_show", {"proposal_id": proposal_id})[
            "weight"
        ]
    body = tk.render(
        "limaactiva/proposal.html",
        {
            "proposal": proposal,
            "space": space_dict,
            "comments": call_action(
                "limaactiva_comment_list", {"proposal_id": proposal_id}
            ),
            "snapshots": call_action(
                "limaactiva_snapshot_list", {"proposal_id": proposal_id}
            ),
            "my_vote": my_vote,
            "me": my_profile(),
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
        call_action(action, data)
    except tk.NotAuthorized as error:
        return _render_proposal(
            proposal_id, [str(error) or tk._("No autorizado.")], posted_form(), 403
        )
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("No encontrado."))
    except tk.ValidationError as error:
        return _render_proposal(proposal_id, error_summary(error), posted_form(), 400)
    tk.h.flash_success(done)
    return local_redirect("limaactiva.proposal", proposal_id=proposal_id)


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
    form = posted_form()
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
    form = posted_form()
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
    form = posted_form()
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
    form = posted_form()
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


# --------------------------------------------------------------------------- participant


@participa.route("/perfil", methods=["GET", "POST"])
def profile():
    if not tk.current_user.is_authenticated:
        return tk.redirect_to("user.login")
    errors: list[str] = []
    status = 200
    if tk.request.method == "POST":
        form = posted_form()
        try:
            if form.get("request_confirmation"):
                result = call_action("limaactiva_email_confirmation_request", {})
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
                call_action("limaactiva_participant_update", data)
                tk.h.flash_success(tk._("Perfil actualizado."))
            return local_redirect("limaactiva.profile")
        except tk.ValidationError as error:
            errors, status = error_summary(error), 400
    return tk.render("limaactiva/profile.html", {"me": my_profile(), "errors": errors}), status


@participa.route("/confirmar/<token>")
def confirm_email(token: str):
    try:
        call_action("limaactiva_email_confirm", {"token": token})
    except tk.ValidationError as error:
        return tk.render(
            "limaactiva/confirm.html", {"ok": False, "errors": error_summary(error)}
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


# --------------------------------------------------------------------------- following


def _followed_page(object_type: str, object_id: str):
    if object_type == "commitment":
        return tk.url_for("openlima_plan.commitment", name=object_id)
    if object_type == "space":
        try:
            space_dict = call_action("limaactiva_space_show", {"id": object_id})
        except (tk.ObjectNotFound, tk.ValidationError):
            return None
        return tk.url_for("limaactiva.space", name=space_dict["name"])
    return tk.url_for("limaactiva.proposal", proposal_id=object_id)


@participa.route("/seguir", methods=["POST"])
def follow():
    if not tk.current_user.is_authenticated:
        return tk.abort(403, tk._("Debe iniciar sesión."))
    form = posted_form()
    data = {"object_type": form.get("object_type"), "object_id": form.get("object_id")}
    unfollow = bool(form.get("unfollow"))
    try:
        call_action("limaactiva_unfollow" if unfollow else "limaactiva_follow", data)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("No encontrado."))
    except tk.ValidationError as error:
        return tk.abort(400, " ".join(error_summary(error)))
    tk.h.flash_success(
        tk._("Dejó de seguirlo.")
        if unfollow
        else tk._("Ahora lo sigue: recibirá avisos en su panel y por correo.")
    )
    if form.get("next") == "dashboard":
        return local_redirect("limaactiva_dashboard.notifications")
    target = _followed_page(data["object_type"], data["object_id"])
    return redirect(target) if target else local_redirect("limaactiva.index")


@participa.route("/dejar-de-seguir/<token>", methods=["GET", "POST"])
def unfollow_link(token: str):
    """The one-click link of a notice e-mail: GET asks, POST stops following (a mail
    scanner that opens links changes nothing)."""
    if tk.request.method == "POST":
        try:
            result = call_action("limaactiva_unfollow_by_token", {"token": token})
        except tk.ValidationError as error:
            return tk.render(
                "limaactiva/unfollow.html",
                {"token": token, "done": False, "errors": error_summary(error)},
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
        return local_redirect("user.login")
    if tk.request.method == "POST":
        call_action("limaactiva_notification_mark_read", {})
        tk.h.flash_success(tk._("Avisos marcados como leídos."))
        return local_redirect("limaactiva_dashboard.notifications")
    user_dict = tk.get_action("user_show")(user_context(), {"id": tk.current_user.id})
    return tk.render(
        "limaactiva/dashboard.html",
        {
            "user_dict": user_dict,
            "is_myself": True,
            "notices": call_action("limaactiva_notification_list", {}),
            "follows": call_action("limaactiva_follow_list", {}),
        },
    )
