"""Who may do what in Lima Activa.

Reading is public. Proposing, commenting and voting need a logged-in CKAN account whose
e-mail address has been confirmed for Lima Activa (see ``participation.is_confirmed``).
Managing a space, its sessions and the official answers belongs to the members (editor or
admin) of the space's responsible office; sysadmins pass every check (CKAN default).
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.limaactiva import participation

__all__ = [
    "limaactiva_space_create",
    "limaactiva_space_update",
    "limaactiva_space_show",
    "limaactiva_space_list",
    "limaactiva_session_create",
    "limaactiva_session_update",
    "limaactiva_session_close",
    "limaactiva_session_show",
    "limaactiva_session_list",
    "limaactiva_proposal_create",
    "limaactiva_proposal_answer",
    "limaactiva_proposal_show",
    "limaactiva_proposal_list",
    "limaactiva_proposal_score",
    "limaactiva_comment_create",
    "limaactiva_comment_update",
    "limaactiva_comment_delete",
    "limaactiva_comment_list",
    "limaactiva_vote_cast",
    "limaactiva_vote_show",
    "limaactiva_snapshot_create",
    "limaactiva_snapshot_list",
    "limaactiva_statistics",
    "limaactiva_stats_show",
    "limaactiva_participant_show",
    "limaactiva_participant_update",
    "limaactiva_participant_confirm",
    "limaactiva_email_confirmation_request",
    "limaactiva_email_confirm",
    "limaactiva_service_create",
    "limaactiva_service_update",
    "limaactiva_service_show",
    "limaactiva_service_list",
    "limaactiva_flag_create",
    "limaactiva_flag_list",
    "limaactiva_flag_resolve",
    "limaactiva_audit_list",
    "limaactiva_publish",
    "limaactiva_contributor_list",
    "limaactiva_session_register",
    "limaactiva_session_unregister",
    "limaactiva_follow",
    "limaactiva_unfollow",
    "limaactiva_follow_show",
    "limaactiva_follow_list",
    "limaactiva_unfollow_by_token",
    "limaactiva_notification_list",
    "limaactiva_notification_mark_read",
    "limaactiva_phase_announce",
    "limaactiva_pending_answer_list",
    "limaactiva_notice_settings_show",
    "limaactiva_notice_settings_update",
    "limaactiva_notice_unsubscribe",
    "limaactiva_notice_digest_send",
    "limaactiva_followed_announce",
]


def _public(context, data_dict):
    return {"success": True}


limaactiva_space_show = tk.auth_allow_anonymous_access(_public)
limaactiva_space_list = tk.auth_allow_anonymous_access(_public)
limaactiva_session_show = tk.auth_allow_anonymous_access(_public)
limaactiva_session_list = tk.auth_allow_anonymous_access(_public)
limaactiva_proposal_show = tk.auth_allow_anonymous_access(_public)
limaactiva_proposal_list = tk.auth_allow_anonymous_access(_public)
limaactiva_proposal_score = tk.auth_allow_anonymous_access(_public)
limaactiva_comment_list = tk.auth_allow_anonymous_access(_public)
limaactiva_snapshot_list = tk.auth_allow_anonymous_access(_public)
limaactiva_statistics = tk.auth_allow_anonymous_access(_public)
limaactiva_stats_show = tk.auth_allow_anonymous_access(_public)
limaactiva_service_list = tk.auth_allow_anonymous_access(_public)
limaactiva_service_show = tk.auth_allow_anonymous_access(_public)
limaactiva_email_confirm = tk.auth_allow_anonymous_access(_public)


def _refuse(message: str) -> dict:
    return {"success": False, "msg": message}


def _office_member(context, office: str | None) -> dict:
    user = participation.user_object(context)
    if user is None:
        return _refuse(tk._("Debe iniciar sesión."))
    if office and participation.is_office_member(user, office):
        return {"success": True}
    return _refuse(tk._("Solo la oficina responsable puede realizar esta acción."))


def limaactiva_space_create(context, data_dict):
    return _office_member(context, (data_dict or {}).get("responsible_office"))


def _moves_to_office(context, current: str | None, new_office) -> dict:
    """Managing the current office is enough to edit; handing the item to another
    (existing) office also needs membership of that office, as creating it there would."""
    result = _office_member(context, current)
    if not result["success"]:
        return result
    new = participation.find_office(new_office)
    if new is not None and new.name != current:
        return _office_member(context, new.name)
    return result


def limaactiva_space_update(context, data_dict):
    data_dict = data_dict or {}
    space = participation.find_space(data_dict.get("id"))
    return _moves_to_office(
        context,
        space.responsible_office if space else None,
        data_dict.get("responsible_office"),
    )


def limaactiva_session_create(context, data_dict):
    space = participation.find_space((data_dict or {}).get("space_id"))
    return _office_member(context, space.responsible_office if space else None)


def limaactiva_session_update(context, data_dict):
    # The same people who schedule the space's sessions; a session never changes space.
    return _office_member(
        context, participation.office_of_session((data_dict or {}).get("id"))
    )


def limaactiva_session_close(context, data_dict):
    return _office_member(
        context, participation.office_of_session((data_dict or {}).get("id"))
    )


def limaactiva_proposal_answer(context, data_dict):
    return _office_member(
        context, participation.office_of_proposal((data_dict or {}).get("id"))
    )


def limaactiva_service_create(context, data_dict):
    return _office_member(context, (data_dict or {}).get("office"))


def limaactiva_service_update(context, data_dict):
    data_dict = data_dict or {}
    service = participation.find_service(data_dict.get("id"))
    return _moves_to_office(
        context, service.office if service else None, data_dict.get("office")
    )


def limaactiva_snapshot_create(context, data_dict):
    # Sysadmins only (they bypass this function); meant for a scheduled job.
    return _refuse(tk._("Solo un administrador del sistema puede registrar cortes."))


def limaactiva_participant_confirm(context, data_dict):
    return _refuse(
        tk._("Solo un administrador del sistema puede confirmar correos manualmente.")
    )


def _participant(context, data_dict):
    user = participation.user_object(context)
    if user is None:
        return _refuse(tk._("Debe iniciar sesión para participar."))
    if not participation.is_confirmed(user):
        return _refuse(
            tk._("Para participar debe confirmar su correo electrónico en Lima Activa.")
        )
    return {"success": True}


limaactiva_proposal_create = _participant
limaactiva_comment_create = _participant
limaactiva_vote_cast = _participant


def _logged_in(context, data_dict):
    if participation.user_object(context) is None:
        return _refuse(tk._("Debe iniciar sesión."))
    return {"success": True}


limaactiva_participant_show = _logged_in
limaactiva_participant_update = _logged_in
limaactiva_email_confirmation_request = _logged_in
limaactiva_vote_show = _logged_in


def _comment_author(context, data_dict):
    user = participation.user_object(context)
    if user is None:
        return _refuse(tk._("Debe iniciar sesión."))
    comment = participation.find_comment((data_dict or {}).get("id"))
    if comment is not None and comment.author_user_id == user.id:
        return {"success": True}
    return _refuse(tk._("Solo quien escribió el comentario puede modificarlo."))


limaactiva_comment_update = _comment_author


def limaactiva_comment_delete(context, data_dict):
    result = _comment_author(context, data_dict)
    if result["success"]:
        return result
    # The responsible office moderates the threads of its spaces.
    user = participation.user_object(context)
    comment = participation.find_comment((data_dict or {}).get("id"))
    if user is not None and comment is not None:
        office = participation.office_of_proposal(comment.proposal_id)
        if office and participation.is_office_member(user, office):
            return {"success": True}
    return _refuse(
        tk._(
            "Solo quien escribió el comentario o la oficina responsable puede eliminarlo."
        )
    )


limaactiva_flag_create = _participant
limaactiva_flag_list = _logged_in


def limaactiva_flag_resolve(context, data_dict):
    data_dict = data_dict or {}
    target_id = data_dict.get("target_id")
    if data_dict.get("target_type") == "comment":
        comment = participation.find_comment(target_id)
        target_id = comment.proposal_id if comment else None
    return _office_member(context, participation.office_of_proposal(target_id))


def limaactiva_audit_list(context, data_dict):
    return _refuse(
        tk._("Solo un administrador del sistema puede ver el registro de auditoría.")
    )


def limaactiva_publish(context, data_dict):
    return _refuse(tk._("Solo un administrador del sistema puede publicar los datos."))


limaactiva_contributor_list = tk.auth_allow_anonymous_access(_public)

limaactiva_session_register = _participant
limaactiva_session_unregister = _logged_in

# Following: any logged-in account (no e-mail confirmation needed: it publishes nothing).
limaactiva_follow = _logged_in
limaactiva_unfollow = _logged_in
limaactiva_follow_list = _logged_in
limaactiva_notification_list = _logged_in
limaactiva_notification_mark_read = _logged_in
limaactiva_pending_answer_list = _logged_in
limaactiva_follow_show = tk.auth_allow_anonymous_access(_public)
# the link of a notice e-mail carries its own proof (an HMAC of the follow)
limaactiva_unfollow_by_token = tk.auth_allow_anonymous_access(_public)


def limaactiva_phase_announce(context, data_dict):
    return _refuse(
        tk._("Solo un administrador del sistema puede anunciar cambios de fase.")
    )


limaactiva_notice_settings_show = _logged_in
limaactiva_notice_settings_update = _logged_in
# the link of a notice e-mail carries its own proof (an HMAC of the account)
limaactiva_notice_unsubscribe = tk.auth_allow_anonymous_access(_public)


def limaactiva_notice_digest_send(context, data_dict):
    return _refuse(tk._("Solo un administrador del sistema puede enviar los resúmenes."))


def limaactiva_followed_announce(context, data_dict):
    return _refuse(
        tk._("Solo un administrador del sistema puede revisar las novedades seguidas.")
    )
