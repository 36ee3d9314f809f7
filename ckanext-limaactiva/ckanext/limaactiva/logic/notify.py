"""Following and notifications: people follow proposals and spaces and are told when they
move (an official answer, a change of state, a new phase of a space); the author of a
proposal is always told about its answer and state.

Each notice is a row for the person's dashboard (``/dashboard/participa``) and, when the
account has an e-mail address, one e-mail through CKAN's mailer (``smtp.*`` settings),
sent after the act is committed; a failing mail server never undoes the act. Who follows
what is never returned to anybody but that person: the public sees a count only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, Iterable

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import validators as v
from ckanext.limaactiva.logic.shared import proposal_or_404, validate
from ckanext.limaactiva.model import (
    Follow,
    Notification,
    Proposal,
    Space,
    new_id,
    utcnow,
)

log = logging.getLogger(__name__)

__all__ = [
    "limaactiva_follow",
    "limaactiva_unfollow",
    "limaactiva_follow_show",
    "limaactiva_follow_list",
    "limaactiva_unfollow_by_token",
    "limaactiva_notification_list",
    "limaactiva_notification_mark_read",
    "limaactiva_phase_announce",
]

OBJECT_TYPES = ("proposal", "space", "commitment")
NOTIFICATION_LIMIT = 50


def _object_type(value: Any) -> str:
    value = str(value).strip()
    if value not in OBJECT_TYPES:
        raise tk.Invalid(
            tk._("Solo se pueden seguir propuestas, espacios o compromisos.")
        )
    return value


def _target_schema() -> dict:
    return {
        "object_type": [v.limaactiva_required, _object_type],
        "object_id": [v.limaactiva_required, v.limaactiva_text],
    }


def _visible_object(object_type: str, object_id: str, context: dict):
    """The proposal, space or commitment (by id or name), as its public page would find
    it. A commitment is read through the commitments dashboard's action."""
    if object_type == "commitment":
        return _commitment(object_id)
    if object_type == "space":
        space = rules.find_space(object_id)
        if space is None:
            raise tk.ObjectNotFound(tk._("Espacio de participación no encontrado."))
        return space
    return proposal_or_404(object_id, context)


class _Followed:
    """What the follow rows need of a commitment: its name (its stable key) and title."""

    def __init__(self, commitment: dict):
        self.id = commitment["name"]
        self.title = commitment.get("title") or commitment["name"]


def _commitment(id_or_name: str) -> _Followed:
    try:
        commitment = tk.get_action("openlima_commitment_show")(
            {"ignore_auth": True}, {"id": id_or_name}
        )
    except KeyError:  # the commitments dashboard is not enabled
        raise tk.ObjectNotFound(tk._("Compromiso no encontrado."))
    return _Followed(commitment)


def _user(context: dict) -> model.User:
    user = rules.user_object(context)
    if user is None:
        raise tk.NotAuthorized(tk._("Debe iniciar sesión."))
    return user


def _followers(object_type: str, object_id: str) -> int:
    return int(
        model.Session.execute(
            sa.select(sa.func.count()).where(
                Follow.object_type == object_type, Follow.object_id == object_id
            )
        ).scalar()
        or 0
    )


def _is_following(user: model.User | None, object_type: str, object_id: str) -> bool:
    if user is None:
        return False
    return (
        model.Session.query(Follow.id)
        .filter(
            Follow.user_id == user.id,
            Follow.object_type == object_type,
            Follow.object_id == object_id,
        )
        .first()
        is not None
    )


def _commit(context: dict) -> None:
    if not context.get("defer_commit"):
        model.repo.commit()


# --------------------------------------------------------------------------- following


def limaactiva_follow(context, data_dict):
    """Follow a proposal or a participation space (idempotent).

    :param object_type: ``proposal`` or ``space``
    :param object_id: id (or, for a space, its name)
    :returns: ``{following: True, followers}``
    """
    tk.check_access("limaactiva_follow", context, data_dict)
    data = validate(data_dict, _target_schema(), context)
    user = _user(context)
    target = _visible_object(data["object_type"], data["object_id"], context)
    model.Session.execute(
        pg_insert(Follow.__table__)
        .values(
            id=new_id(),
            user_id=user.id,
            object_type=data["object_type"],
            object_id=target.id,
            created=utcnow(),
        )
        .on_conflict_do_nothing(constraint="limaactiva_follow_once")
    )
    _commit(context)
    return {"following": True, "followers": _followers(data["object_type"], target.id)}


def limaactiva_unfollow(context, data_dict):
    """Stop following a proposal or a space (nothing happens if one did not follow it).

    :param object_type: ``proposal`` or ``space``
    :param object_id: id (or, for a space, its name)
    :returns: ``{following: False, followers}``
    """
    tk.check_access("limaactiva_unfollow", context, data_dict)
    data = validate(data_dict, _target_schema(), context)
    user = _user(context)
    object_id = data["object_id"]
    if data["object_type"] == "space":
        space = rules.find_space(object_id)
        object_id = space.id if space else object_id
    elif data["object_type"] == "commitment":
        try:
            object_id = _commitment(object_id).id
        except tk.ObjectNotFound:
            pass
    model.Session.execute(
        sa.delete(Follow).where(
            Follow.user_id == user.id,
            Follow.object_type == data["object_type"],
            Follow.object_id == object_id,
        )
    )
    _commit(context)
    return {"following": False, "followers": _followers(data["object_type"], object_id)}


@tk.side_effect_free
def limaactiva_follow_show(context, data_dict):
    """How many people follow a proposal or a space, and whether the caller does.

    :param object_type: ``proposal`` or ``space``
    :param object_id: id (or, for a space, its name)
    :returns: ``{following: bool, followers: int}`` (never who)
    """
    tk.check_access("limaactiva_follow_show", context, data_dict)
    data = validate(data_dict, _target_schema(), context)
    target = _visible_object(data["object_type"], data["object_id"], context)
    return {
        "following": _is_following(
            rules.user_object(context), data["object_type"], target.id
        ),
        "followers": _followers(data["object_type"], target.id),
    }


@tk.side_effect_free
def limaactiva_follow_list(context, data_dict):
    """What the caller follows, newest first.

    :returns: list of ``{object_type, object_id, title, url}``
    """
    tk.check_access("limaactiva_follow_list", context, data_dict)
    user = _user(context)
    rows = (
        model.Session.query(Follow)
        .filter(Follow.user_id == user.id)
        .order_by(Follow.created.desc())
        .all()
    )
    result = []
    for row in rows:
        title = _title(row.object_type, row.object_id)
        if title is None:  # deleted, or hidden by moderation
            continue
        result.append(
            {
                "object_type": row.object_type,
                "object_id": row.object_id,
                "title": title,
                "url": _url(row.object_type, row.object_id),
            }
        )
    return result


def _title(object_type: str, object_id: str) -> str | None:
    if object_type == "commitment":
        try:
            return _commitment(object_id).title
        except tk.ObjectNotFound:
            return None
    if object_type == "space":
        space = model.Session.get(Space, object_id)
        return space.title if space else None
    proposal = model.Session.get(Proposal, object_id)
    return proposal.title if proposal and not proposal.hidden else None


def _url(object_type: str, object_id: str, external: bool = False) -> str:
    if object_type == "dataset":
        return tk.url_for("dataset.read", id=object_id, _external=external)
    if object_type == "organization":
        return tk.url_for("organization.read", id=object_id, _external=external)
    if object_type == "commitment":
        return tk.url_for("openlima_plan.commitment", name=object_id, _external=external)
    if object_type == "space":
        space = model.Session.get(Space, object_id)
        return tk.url_for(
            "limaactiva.space", name=space.name if space else object_id,
            _external=external,
        )
    return tk.url_for("limaactiva.proposal", proposal_id=object_id, _external=external)


def unfollow_token(follow_id: str) -> str:
    """The one-click unfollow token of a follow row (an HMAC with the site's secret)."""
    secret = str(tk.config.get("SECRET_KEY") or tk.config.get("beaker.session.secret"))
    digest = hmac.new(
        secret.encode("utf-8"), f"unfollow:{follow_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"{follow_id}.{digest}"


def limaactiva_unfollow_by_token(context, data_dict):
    """Stop following from the link of a notice e-mail, without logging in.

    :param token: the token of the link
    :returns: ``{following: False, title}`` (``title`` is None when the link was
        already used)
    """
    tk.check_access("limaactiva_unfollow_by_token", context, data_dict)
    data = validate(
        data_dict, {"token": [v.limaactiva_required, v.limaactiva_text]}, context
    )
    token = data["token"]
    follow_id = token.split(".", 1)[0] if "." in token else ""
    if not follow_id or not hmac.compare_digest(unfollow_token(follow_id), token):
        raise tk.ValidationError(
            {"token": [tk._("El enlace para dejar de seguir no es válido.")]}
        )
    follow = model.Session.get(Follow, follow_id)
    title = None
    if follow is not None:
        title = _title(follow.object_type, follow.object_id)
        model.Session.delete(follow)
        _commit(context)
    return {"following": False, "title": title}


# --------------------------------------------------------------------------- notices


@tk.side_effect_free
def limaactiva_notification_list(context, data_dict):
    """The caller's notices, newest first (the latest 50) and how many are unread.

    :returns: ``{unread, notifications: [{id, created, kind, reason, object_type,
        object_id, title, detail, read, url}]}``
    """
    tk.check_access("limaactiva_notification_list", context, data_dict)
    user = _user(context)
    rows = (
        model.Session.query(Notification)
        .filter(Notification.user_id == user.id)
        .order_by(Notification.created.desc(), Notification.id)
        .limit(NOTIFICATION_LIMIT)
        .all()
    )
    unread = model.Session.execute(
        sa.select(sa.func.count()).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ).scalar()
    return {
        "unread": int(unread or 0),
        "notifications": [
            {
                "id": row.id,
                "created": rules.iso(row.created),
                "kind": row.kind,
                "reason": row.reason,
                "object_type": row.object_type,
                "object_id": row.object_id,
                "title": row.title,
                "detail": row.detail,
                "read": row.read_at is not None,
                "url": _url(row.object_type, row.object_id),
            }
            for row in rows
        ],
    }


def limaactiva_notification_mark_read(context, data_dict):
    """Mark all the caller's notices as read.

    :returns: ``{unread: 0}``
    """
    tk.check_access("limaactiva_notification_mark_read", context, data_dict)
    user = _user(context)
    model.Session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    _commit(context)
    return {"unread": 0}


def _recipients(
    proposal: Proposal | None, space: Space, author: bool
) -> dict[str, tuple[str, str | None]]:
    """user id → (reason, follow id): the author first, then followers of the proposal,
    then of its space; each person once."""
    recipients: dict[str, tuple[str, str | None]] = {}
    if proposal is not None and author:
        recipients[proposal.author_user_id] = ("author", None)
    targets = [("space", space.id)]
    if proposal is not None:
        targets.insert(0, ("proposal", proposal.id))
    for object_type, object_id in targets:
        if proposal is not None and proposal.hidden:
            break  # under moderation: only its author hears about it
        for follow in model.Session.query(Follow).filter(
            Follow.object_type == object_type, Follow.object_id == object_id
        ):
            recipients.setdefault(follow.user_id, (object_type, follow.id))
    return recipients


def record(
    kind: str,
    space: Space,
    proposal: Proposal | None = None,
    detail: str | None = None,
    actor_id: str | None = None,
) -> list[tuple[Notification, str | None]]:
    """Write the notices of one event in the current transaction (the caller commits,
    then calls :func:`deliver`). The actor is not told about their own act."""
    rows = []
    for user_id, (reason, follow_id) in _recipients(
        proposal, space, author=kind in ("answer", "state")
    ).items():
        if user_id == actor_id:
            continue
        row = Notification(
            user_id=user_id,
            kind=kind,
            reason=reason,
            object_type="proposal" if proposal is not None else "space",
            object_id=proposal.id if proposal is not None else space.id,
            title=proposal.title if proposal is not None else space.title,
            detail=detail,
        )
        model.Session.add(row)
        rows.append((row, follow_id))
    return rows


def _message(row: Notification, answer: str | None) -> tuple[str, str]:
    from ckanext.limaactiva.helpers import limaactiva_notification_text

    text = limaactiva_notification_text(row)
    subject = tk._("Lima Activa: {text}").format(text=text)
    body = [text + "."]
    if answer:
        body.append(tk._("Respuesta oficial:") + "\n\n" + answer)
    body.append(
        tk._("Véalo en: {link}").format(
            link=_url(row.object_type, row.object_id, external=True)
        )
    )
    return subject, "\n\n".join(body)


def deliver(
    rows: Iterable[tuple[Notification, str | None]], answer: str | None = None
) -> int:
    """E-mail the notices just committed, one message per person (best effort: a mail
    server that is down leaves the notice on the dashboard). Only people who chose
    immediate e-mail are mailed here; the digest mails the others' notices once a day
    (``delivery``, ``notice_mail``). Returns the number sent."""
    from ckanext.limaactiva.logic import notice_mail

    sent = 0
    for row, follow_id in rows:
        user = model.User.get(row.user_id)
        if user is None or not user.email or user.state != "active":
            continue
        if notice_mail.delivery_mode(user.id) != "immediate":
            continue
        subject, body = _message(row, answer)
        footer = [notice_mail.mail_footer(user.id)]
        if follow_id:
            footer.append(
                tk._("Dejar de seguir con un clic: {link}").format(
                    link=tk.url_for(
                        "limaactiva.unfollow_link",
                        token=unfollow_token(follow_id),
                        _external=True,
                    )
                )
            )
        try:
            tk.mail_user(
                user,
                subject,
                body + "\n\n--\n" + "\n".join(footer),
                headers=notice_mail.mail_headers(user.id),
            )
        except Exception:  # noqa: BLE001 - the notice stays on the dashboard
            log.warning("notice e-mail to %s failed", row.user_id)
            continue
        row.emailed = True
        sent += 1
    if sent:
        model.repo.commit()
    return sent


# --------------------------------------------------------------------------- phases


def phase_marker(space: Space) -> str | None:
    phase = rules.current_phase(space)
    return f"{phase.phase_key}@{phase.start_date.isoformat()}" if phase else None


def announce_phase(space: Space, actor_id: str | None = None) -> list:
    """Record the notices of a new current phase of ``space``, if it changed since the
    last announcement (the caller commits, then delivers)."""
    marker = phase_marker(space)
    if marker == space.announced_phase:
        return []
    space.announced_phase = marker
    phase = rules.current_phase(space)
    if phase is None:
        return []
    return record("phase", space, detail=phase.phase_key, actor_id=actor_id)


def limaactiva_phase_announce(context, data_dict):
    """Tell the followers of every space whose current phase changed (run hourly by the
    scheduler: phases change with the calendar).

    :returns: ``{spaces: n, notices: n, emailed: n}``
    """
    tk.check_access("limaactiva_phase_announce", context, data_dict)
    spaces = 0
    rows: list = []
    for space in model.Session.query(Space).order_by(Space.created):
        new_rows = announce_phase(space)
        if new_rows:
            spaces += 1
            rows.extend(new_rows)
    model.repo.commit()
    return {"spaces": spaces, "notices": len(rows), "emailed": deliver(rows)}
