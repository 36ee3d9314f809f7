"""A participant's own profile and e-mail confirmation."""

from __future__ import annotations

import datetime
import secrets

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy.exc import IntegrityError

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import schema as schemas
from ckanext.limaactiva.logic.shared import (
    commit,
    current_user,
    fail,
    validate,
)
from ckanext.limaactiva.model import (
    Participant,
    utcnow,
)


def _participant_dict(user: model.User, row: Participant | None) -> dict:
    return {
        "email_confirmed": rules.is_confirmed(user),
        "dni_declared": bool(row and row.dni_hmac),
        "district": row.district if row else None,
        "public_name": row.public_name if row else None,
        "show_publicly": bool(row and row.show_publicly),
    }


def _participant_row(user: model.User) -> Participant:
    row = rules.participant(user.id)
    if row is None:
        row = Participant(user_id=user.id)
        model.Session.add(row)
    return row


@tk.side_effect_free
def limaactiva_participant_show(context, data_dict):
    """The caller's own participation profile (never anyone else's)."""
    tk.check_access("limaactiva_participant_show", context, data_dict)
    user = current_user(context)
    return _participant_dict(user, rules.participant(user.id))


def limaactiva_participant_update(context, data_dict):
    """Update one's own profile: district, public name, opt-in, and a one-time DNI declaration.

    The DNI is never stored: only HMAC-SHA256(``ckanext.limaactiva.dni_hmac_key``, DNI),
    unique across accounts, so one person cannot take part from two accounts that both
    declare it. Once declared it cannot be changed through the API.

    :param dni: optional, 8 digits
    :param district: optional UBIGEO; :param public_name: optional
    :param show_publicly: optional bool (opt-in to appear by name and district)
    """
    tk.check_access("limaactiva_participant_update", context, data_dict)
    data = validate(data_dict, schemas.participant_update_schema(), context)
    user = current_user(context)
    row = rules.participant(user.id)
    digest = None
    if data.get("dni"):
        digest = rules.dni_hmac(data["dni"])
        if digest is None:
            fail(
                "dni", tk._("La declaración de DNI no está disponible en este portal.")
            )
        if row is not None and row.dni_hmac and row.dni_hmac != digest:
            fail("dni", tk._("Ya declaró un DNI; no puede cambiarse."))
        other = (
            model.Session.query(Participant)
            .filter(Participant.dni_hmac == digest, Participant.user_id != user.id)
            .first()
        )
        if other is not None:
            fail("dni", tk._("Este DNI ya fue declarado desde otra cuenta."))
    row = _participant_row(user)
    if digest:
        row.dni_hmac = digest
    for field in ("district", "public_name", "show_publicly"):
        if field in data_dict and data.get(field) is not None:
            setattr(row, field, data[field])
    try:
        model.Session.flush()
    except IntegrityError:
        model.Session.rollback()
        fail("dni", tk._("Este DNI ya fue declarado desde otra cuenta."))
    commit(context)
    return _participant_dict(user, row)


def limaactiva_participant_confirm(context, data_dict):
    """Sysadmin: mark a user's current e-mail as confirmed (e.g. verified in person).

    :param user: user name or id
    """
    tk.check_access("limaactiva_participant_confirm", context, data_dict)
    data = validate(data_dict, schemas.participant_confirm_schema(), context)
    user = model.User.get(data["user"])
    if user is None:
        raise tk.ObjectNotFound(tk._("Usuario no encontrado."))
    if not user.email:
        fail("user", tk._("La cuenta no tiene correo electrónico."))
    row = _participant_row(user)
    row.email_confirmed_at = utcnow()
    row.confirmed_email = user.email
    row.confirmation_token_hash = None
    commit(context)
    return _participant_dict(user, row)


def limaactiva_email_confirmation_request(context, data_dict):
    """Send the caller a link that confirms their account's e-mail for Lima Activa.

    Only the SHA-256 of the random token is stored. The link is valid for
    ``ckanext.limaactiva.confirmation_token_hours``.

    :returns: ``{"sent": bool}``
    """
    tk.check_access("limaactiva_email_confirmation_request", context, data_dict)
    user = current_user(context)
    if not user.email:
        fail("email", tk._("Su cuenta no tiene correo electrónico."))
    token = secrets.token_urlsafe(32)
    row = _participant_row(user)
    row.confirmation_token_hash = rules.token_hash(token)
    row.confirmation_sent_at = utcnow()
    row.confirmed_email = None if not row.email_confirmed_at else row.confirmed_email
    pending_email = user.email
    commit(context)
    link = tk.url_for("limaactiva.confirm_email", token=token, _external=True)
    sent = True
    try:
        tk.mail_user(
            user,
            tk._("Confirme su correo para participar en Lima Activa"),
            tk._(
                "Para confirmar su correo ({email}) y participar en Lima Activa, abra este "
                "enlace:\n\n{link}\n\nSi no lo solicitó, ignore este mensaje."
            ).format(email=pending_email, link=link),
        )
    except Exception:  # the mail server may be down; the user can ask again
        sent = False
    result = {"sent": sent}
    if context.get("limaactiva_return_token"):  # only reachable from Python (tests)
        result["token"] = token
    return result


def limaactiva_email_confirm(context, data_dict):
    """Confirm an e-mail with the token from the link.

    :param token: the token
    """
    tk.check_access("limaactiva_email_confirm", context, data_dict)
    data = validate(data_dict, schemas.email_confirm_schema(), context)
    row = (
        model.Session.query(Participant)
        .filter(Participant.confirmation_token_hash == rules.token_hash(data["token"]))
        .first()
    )
    hours = int(tk.config.get("ckanext.limaactiva.confirmation_token_hours"))
    if (
        row is None
        or row.confirmation_sent_at is None
        or utcnow() - row.confirmation_sent_at > datetime.timedelta(hours=hours)
    ):
        fail("token", tk._("El enlace de confirmación no es válido o ya venció."))
    user = model.User.get(row.user_id)
    if user is None or not user.email:
        fail("token", tk._("El enlace de confirmación no es válido o ya venció."))
    row.email_confirmed_at = utcnow()
    row.confirmed_email = user.email
    row.confirmation_token_hash = None
    commit(context)
    return {"email_confirmed": True}
