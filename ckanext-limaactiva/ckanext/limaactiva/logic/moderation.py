"""Moderation: participants report content once each; enough pending reports hide it until
the responsible office reviews it; every moderation act goes to the internal audit log.
Reporter identities are never returned."""

from __future__ import annotations

import datetime
import logging

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import validators as v
from ckanext.limaactiva.logic.shared import validate
from ckanext.limaactiva.model import AuditEntry, Comment, Flag, Proposal, Space, utcnow

log = logging.getLogger(__name__)

__all__ = [
    "limaactiva_flag_create",
    "limaactiva_flag_list",
    "limaactiva_flag_resolve",
    "limaactiva_audit_list",
]

REASONS = {
    "spam": v.N_("Publicidad o spam"),
    "ofensivo": v.N_("Ofensivo o discriminatorio"),
    "datos_personales": v.N_("Expone datos personales"),
    "fuera_de_tema": v.N_("Fuera de tema"),
    "otro": v.N_("Otro motivo"),
}


def _target_schema() -> dict:
    return {
        "target_type": [v.limaactiva_required, _target_type],
        "target_id": [v.limaactiva_required, v.limaactiva_text],
    }


def _target_type(value):
    value = str(value).strip()
    if value not in ("proposal", "comment"):
        raise tk.Invalid(tk._("Solo se pueden reportar propuestas o comentarios."))
    return value


def _reason(value):
    value = str(value).strip()
    if value not in REASONS:
        raise tk.Invalid(
            tk._("Motivo no válido. Opciones: {options}.").format(
                options=", ".join(REASONS)
            )
        )
    return value


def _detail(value):
    return v._text(1000)(value)


def _target(target_type: str, target_id: str):
    """(object, proposal, space) of a report target, or ObjectNotFound."""
    if target_type == "proposal":
        proposal = rules.find_proposal(target_id)
        target = proposal
    else:
        target = rules.find_comment(target_id)
        proposal = rules.find_proposal(target.proposal_id) if target else None
    if target is None or proposal is None:
        raise tk.ObjectNotFound(tk._("Contenido no encontrado."))
    return target, proposal, model.Session.get(Space, proposal.space_id)


def _author_of(target) -> str:
    return target.author_user_id


def _alert_moderators(space: Space, target_type: str, target_id: str, link: str) -> int:
    """Best-effort e-mail to the editors and admins of the responsible office."""
    sent = 0
    try:
        members = tk.get_action("member_list")(
            {"ignore_auth": True},
            {"id": space.responsible_office, "object_type": "user"},
        )
    except (tk.ObjectNotFound, tk.ValidationError):
        return 0
    for user_id, _type, capacity in members:
        if capacity not in ("admin", "editor"):
            continue
        user = model.User.get(user_id)
        if user is None or not user.email:
            continue
        try:
            tk.mail_user(
                user,
                tk._("Lima Activa: contenido oculto por reportes"),
                tk._(
                    "Un contenido del espacio «{space}» recibió varios reportes y quedó oculto "
                    "hasta su revisión:\n\n{link}"
                ).format(space=space.title, link=link),
            )
            sent += 1
        except Exception:  # noqa: BLE001 - alerts must not block the report itself
            log.warning("moderation alert to %s failed", user_id)
    return sent


def limaactiva_flag_create(context, data_dict):
    """Report a proposal or comment (once per person and target).

    When the pending reports reach ``ckanext.limaactiva.flag_hide_threshold`` the content is
    hidden until the responsible office reviews it, and the office is alerted by e-mail.

    :param target_type: ``proposal`` or ``comment``
    :param target_id: its id
    :param reason: ``spam``, ``ofensivo``, ``datos_personales``, ``fuera_de_tema`` or ``otro``
    :param detail: optional text
    :returns: ``{"reported": True, "hidden": bool}``
    """
    tk.check_access("limaactiva_flag_create", context, data_dict)
    schema = _target_schema()
    schema["reason"] = [v.limaactiva_required, _reason]
    schema["detail"] = [v.limaactiva_optional, _detail]
    data = validate(data_dict, schema, context)
    user = rules.user_object(context)
    target, proposal, space = _target(data["target_type"], data["target_id"])
    if _author_of(target) == user.id:
        raise tk.ValidationError(
            {"target_id": [tk._("No puede reportar su propio contenido.")]}
        )
    existing = (
        model.Session.query(Flag)
        .filter_by(
            target_type=data["target_type"],
            target_id=target.id,
            reporter_user_id=user.id,
        )
        .first()
    )
    if existing is not None:
        raise tk.ValidationError({"target_id": [tk._("Ya reportó este contenido.")]})
    limit = int(tk.config.get("ckanext.limaactiva.max_flags_per_hour"))
    if rules.over_rate_limit(
        Flag.created, Flag.reporter_user_id, user.id, datetime.timedelta(hours=1), limit
    ):
        raise tk.ValidationError(
            {
                "target_id": [
                    tk._(
                        "Hizo demasiados reportes en la última hora. Inténtelo más tarde."
                    )
                ]
            }
        )
    model.Session.add(
        Flag(
            target_type=data["target_type"],
            target_id=target.id,
            reporter_user_id=user.id,
            reason=data["reason"],
            detail=data.get("detail"),
        )
    )
    try:
        model.Session.flush()
    except IntegrityError:
        model.Session.rollback()
        raise tk.ValidationError({"target_id": [tk._("Ya reportó este contenido.")]})
    # Count under a row lock of the target so that simultaneous reports hide it once.
    target_table = Proposal if data["target_type"] == "proposal" else Comment
    model.Session.execute(
        sa.select(target_table.id).where(target_table.id == target.id).with_for_update()
    )
    pending = model.Session.execute(
        sa.select(sa.func.count()).where(
            Flag.target_type == data["target_type"],
            Flag.target_id == target.id,
            Flag.status == "pending",
        )
    ).scalar()
    threshold = int(tk.config.get("ckanext.limaactiva.flag_hide_threshold"))
    model.Session.refresh(target)
    newly_hidden = False
    if pending >= threshold and not target.hidden:
        target.hidden = True
        newly_hidden = True
        rules.audit(
            None, "auto_hidden", data["target_type"], target.id, f"{pending} reportes"
        )
    model.repo.commit()
    if newly_hidden:
        link = tk.url_for(
            "limaactiva.proposal", proposal_id=proposal.id, _external=True
        )
        sent = _alert_moderators(space, data["target_type"], target.id, link)
        rules.audit(
            None,
            "moderators_alerted",
            data["target_type"],
            target.id,
            f"{sent} correos",
        )
        model.repo.commit()
    return {"reported": True, "hidden": bool(target.hidden)}


def _moderated_offices(user: model.User) -> list[str] | None:
    """Office names the user moderates; None means all (sysadmin)."""
    if user.sysadmin:
        return None
    offices = {space.responsible_office for space in model.Session.query(Space)}
    return [office for office in offices if rules.is_office_member(user, office)]


@tk.side_effect_free
def limaactiva_flag_list(context, data_dict):
    """The moderation queue of the caller's offices: targets with pending reports.

    :returns: list of ``{target_type, target_id, proposal_id, hidden, pending, reasons}``
        (counts per reason; never who reported)
    """
    tk.check_access("limaactiva_flag_list", context, data_dict)
    user = rules.user_object(context)
    offices = _moderated_offices(user)
    rows = (
        model.Session.query(Flag)
        .filter(Flag.status == "pending")
        .order_by(Flag.created)
        .all()
    )
    queue: dict[tuple[str, str], dict] = {}
    for flag in rows:
        key = (flag.target_type, flag.target_id)
        if key not in queue:
            try:
                target, proposal, space = _target(flag.target_type, flag.target_id)
            except tk.ObjectNotFound:
                continue
            if offices is not None and space.responsible_office not in offices:
                queue[key] = None
                continue
            queue[key] = {
                "target_type": flag.target_type,
                "target_id": flag.target_id,
                "proposal_id": proposal.id,
                "hidden": bool(target.hidden),
                "excerpt": (
                    target.title if flag.target_type == "proposal" else target.body
                )[:200],
                "pending": 0,
                "reasons": {},
            }
        entry = queue[key]
        if entry is None:
            continue
        entry["pending"] += 1
        entry["reasons"][flag.reason] = entry["reasons"].get(flag.reason, 0) + 1
    return [entry for entry in queue.values() if entry is not None]


def limaactiva_flag_resolve(context, data_dict):
    """The responsible office decides on reported content.

    :param target_type: ``proposal`` or ``comment``; :param target_id: its id
    :param decision: ``restore`` (reports dismissed, content visible) or ``hide`` (reports
        upheld, content stays hidden)
    :param note: optional note for the audit log
    """
    tk.check_access("limaactiva_flag_resolve", context, data_dict)
    schema = _target_schema()
    schema["decision"] = [v.limaactiva_required, _decision]
    schema["note"] = [v.limaactiva_optional, _detail]
    data = validate(data_dict, schema, context)
    user = rules.user_object(context)
    target, _proposal, _space = _target(data["target_type"], data["target_id"])
    status = "dismissed" if data["decision"] == "restore" else "upheld"
    now = utcnow()
    model.Session.execute(
        sa.update(Flag)
        .where(
            Flag.target_type == data["target_type"],
            Flag.target_id == target.id,
            Flag.status == "pending",
        )
        .values(status=status, resolved=now)
    )
    target.hidden = data["decision"] == "hide"
    rules.audit(
        user.id,
        f"moderation_{data['decision']}",
        data["target_type"],
        target.id,
        data.get("note"),
    )
    model.repo.commit()
    return {
        "target_type": data["target_type"],
        "target_id": target.id,
        "hidden": target.hidden,
    }


def _decision(value):
    value = str(value).strip()
    if value not in ("restore", "hide"):
        raise tk.Invalid(tk._("Decisión no válida: use restore u hide."))
    return value


@tk.side_effect_free
def limaactiva_audit_list(context, data_dict):
    """Sysadmins: the latest audit entries.

    :param limit: optional, default 100, at most 1000
    """
    tk.check_access("limaactiva_audit_list", context, data_dict)
    data = validate(
        data_dict, {"limit": [v.limaactiva_optional, v.limaactiva_natural]}, context
    )
    limit = min(data.get("limit") or 100, 1000)
    entries = (
        model.Session.query(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    )
    return [
        {
            "created": rules.iso(entry.created),
            "actor_user_id": entry.actor_user_id,
            "action": entry.action,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "detail": entry.detail,
        }
        for entry in entries
    ]
