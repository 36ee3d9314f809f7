"""How notices reach people by e-mail: immediately, in one daily digest, or not at all.

Each person chooses (``limaactiva_notice_settings_update``; no choice made: immediate).
Immediate notices are mailed by :func:`ckanext.limaactiva.logic.notify.deliver` right
after the act; digest notices wait for ``limaactiva_notice_digest_send``, which the
scheduler runs hourly and which mails each person once per Lima day, at the first run
from ``ckanext.limaactiva.digest_hour`` (Lima's clock, ``openlima_common.clock``), one
message with everything that moved since their last digest.

Every notice e-mail carries a one-click unsubscribe (RFC 8058): the ``List-Unsubscribe``
header with a signed link (an HMAC of the account with the site's secret) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``; a POST to that link, without
login, stops the e-mails (the notices stay on the dashboard).

The catalogue watch (``limaactiva_followed_announce``, job ``limaactiva_watch``, every ten minutes from the scheduler) turns what
moved in what people follow outside Lima Activa into notices too: datasets and offices
(CKAN's own follow: new datasets of an office, updates, new resources, withdrawals) and
commitments of the plan (followed here; their history of changes, read through
``openlima_commitment_show``).
"""

from __future__ import annotations

import datetime
import hmac
import logging
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.limaactiva.logic import validators as v
from ckanext.limaactiva.logic.notice_mail import (
    delivery_mode,
    mail_footer,
    mail_headers,
    unsubscribe_token,
)
from ckanext.limaactiva.model import Follow, Notification
from ckanext.limaactiva.model.delivery import DELIVERY_MODES, NoticeSetting, WatchCursor

log = logging.getLogger(__name__)

__all__ = [
    "limaactiva_notice_settings_show",
    "limaactiva_notice_settings_update",
    "limaactiva_notice_unsubscribe",
    "limaactiva_notice_digest_send",
    "limaactiva_followed_announce",
]

DETAIL_LIMIT = 300


def _validate(data_dict, schema, context):
    from ckanext.limaactiva.logic.shared import validate

    return validate(data_dict, schema, context)


def _user(context: dict) -> model.User:
    from ckanext.limaactiva.participation import user_object

    user = user_object(context)
    if user is None:
        raise tk.NotAuthorized(tk._("Debe iniciar sesión."))
    return user


# --------------------------------------------------------------------------- choice


def _set_mode(user_id: str, mode: str) -> None:
    setting = model.Session.get(NoticeSetting, user_id)
    if setting is None:
        setting = NoticeSetting(user_id=user_id)
        model.Session.add(setting)
    if setting.delivery != mode:
        setting.delivery = mode
        setting.changed = clock.utcnow()


def digest_hour() -> int:
    return int(tk.config.get("ckanext.limaactiva.digest_hour"))


def _delivery(value: Any) -> str:
    value = str(value).strip()
    if value not in DELIVERY_MODES:
        raise tk.Invalid(
            tk._("Elija «inmediato», «resumen diario» o «sin correo».")
        )
    return value


@tk.side_effect_free
def limaactiva_notice_settings_show(context, data_dict):
    """How the caller receives notices by e-mail.

    :returns: ``{delivery: immediate|digest|none, digest_hour: int (Lima),
        email: bool (whether the account has an address)}``
    """
    tk.check_access("limaactiva_notice_settings_show", context, data_dict)
    user = _user(context)
    return {
        "delivery": delivery_mode(user.id),
        "digest_hour": digest_hour(),
        "email": bool(user.email),
    }


def limaactiva_notice_settings_update(context, data_dict):
    """Choose how notices arrive by e-mail (they are always on the dashboard).

    :param delivery: ``immediate`` (one e-mail per notice), ``digest`` (one e-mail a day
        with everything that moved) or ``none``
    :returns: as ``limaactiva_notice_settings_show``
    """
    tk.check_access("limaactiva_notice_settings_update", context, data_dict)
    data = _validate(
        data_dict, {"delivery": [v.limaactiva_required, _delivery]}, context
    )
    user = _user(context)
    _set_mode(user.id, data["delivery"])
    if not context.get("defer_commit"):
        model.repo.commit()
    return limaactiva_notice_settings_show(context, {})


# --------------------------------------------------------------------------- unsubscribe


def limaactiva_notice_unsubscribe(context, data_dict):
    """Stop notice e-mails from the link of one of them, without logging in (the
    notices stay on the dashboard; the person may choose again there).

    :param token: the token of the link
    :returns: ``{delivery: "none"}``
    """
    tk.check_access("limaactiva_notice_unsubscribe", context, data_dict)
    data = _validate(
        data_dict, {"token": [v.limaactiva_required, v.limaactiva_text]}, context
    )
    token = data["token"]
    user_id = token.split(".", 1)[0] if "." in token else ""
    if not user_id or not hmac.compare_digest(unsubscribe_token(user_id), token):
        raise tk.ValidationError(
            {"token": [tk._("El enlace para dejar de recibir correos no es válido.")]}
        )
    if model.User.get(user_id) is not None:
        _set_mode(user_id, "none")
        model.repo.commit()
    return {"delivery": "none"}


# --------------------------------------------------------------------------- digest


def _digest_body(user_id: str, rows: list[Notification]) -> str:
    from ckanext.limaactiva.helpers import limaactiva_notification_text
    from ckanext.limaactiva.logic.notify import _url

    lines = [
        tk._("Esto se movió desde su último resumen en lo que sigue:"),
        "",
    ]
    for row in rows:
        when = clock.to_lima(row.created).strftime("%d/%m/%Y %H:%M")
        lines.append(f"* {limaactiva_notification_text(row)} ({when})")
        lines.append("  " + _url(row.object_type, row.object_id, external=True))
    return "\n".join(lines) + "\n\n--\n" + mail_footer(user_id)


def _send_digest(setting: NoticeSetting, now: datetime.datetime) -> bool:
    since = setting.changed
    if setting.last_digest_at and setting.last_digest_at > since:
        since = setting.last_digest_at
    rows = (
        model.Session.query(Notification)
        .filter(
            Notification.user_id == setting.user_id,
            Notification.emailed.is_(False),
            Notification.created > since,
            Notification.created <= now,
        )
        .order_by(Notification.created, Notification.id)
        .all()
    )
    user = model.User.get(setting.user_id)
    if not rows or user is None or not user.email or user.state != "active":
        return False
    subject = tk._("Lima Activa: resumen del día ({count} avisos)").format(
        count=len(rows)
    )
    try:
        tk.mail_user(
            user, subject, _digest_body(user.id, rows), headers=mail_headers(user.id)
        )
    except Exception:  # noqa: BLE001 - retried at the next hourly run
        log.warning("digest e-mail to %s failed", setting.user_id)
        model.Session.rollback()
        return False
    for row in rows:
        row.emailed = True
    setting.last_digest_at = now
    model.repo.commit()
    return True


def limaactiva_notice_digest_send(context, data_dict):
    """Send today's digest to everyone who chose it and has not had it yet (run hourly by
    the scheduler; nothing is sent before ``ckanext.limaactiva.digest_hour`` in Lima, and
    nobody gets two in one Lima day or an empty one).

    :returns: ``{sent: n, waiting: bool}`` (``waiting``: before the hour)
    """
    tk.check_access("limaactiva_notice_digest_send", context, data_dict)
    if clock.now().hour < digest_hour():
        return {"sent": 0, "waiting": True}
    today, now = clock.today(), clock.utcnow()
    sent = 0
    settings = (
        model.Session.query(NoticeSetting)
        .filter(NoticeSetting.delivery == "digest")
        .order_by(NoticeSetting.user_id)
        .all()
    )
    for setting in settings:
        if setting.last_digest_at and clock.local_date(setting.last_digest_at) >= today:
            continue
        sent += _send_digest(setting, now)
    return {"sent": sent, "waiting": False}


# --------------------------------------------------------------------------- watch


def _cursor(name: str, now: datetime.datetime) -> datetime.datetime | None:
    """Where the watch of ``name`` stopped last time, moved on to ``now``; None the first
    time (nothing from before the watch began is announced)."""
    cursor = model.Session.get(WatchCursor, name)
    if cursor is None:
        model.Session.add(WatchCursor(name=name, until=now))
        return None
    start = cursor.until
    cursor.until = now
    return start


def _active_user(user_id: str) -> model.User | None:
    user = model.User.get(user_id)
    return user if user is not None and user.state == "active" else None


def _can_see_dataset(user: model.User, dataset_id: str) -> bool:
    try:
        tk.check_access(
            "package_show", {"user": user.name, "ignore_auth": False}, {"id": dataset_id}
        )
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False
    return True


def _catalogue_events(start: datetime.datetime, now: datetime.datetime) -> dict:
    """(user id, object id) → notice fields, from CKAN's activity stream."""
    # CKAN's activity plugin: no action lists the whole site's activity since an instant
    from ckanext.activity.model import Activity

    activities = (
        model.Session.query(Activity)
        .filter(Activity.timestamp > start, Activity.timestamp <= now)
        .order_by(Activity.timestamp)
        .all()
    )
    events: dict[tuple[str, str], dict] = {}
    for activity in activities:
        data = activity.data or {}
        if activity.activity_type in ("new package", "changed package", "deleted package"):
            dataset = data.get("package") or {}
            if dataset.get("type", "dataset") != "dataset":
                continue
            kind, detail = _dataset_kind(activity, dataset)
            followers = [
                (row.follower_id, "dataset")
                for row in model.Session.query(model.UserFollowingDataset).filter_by(
                    object_id=activity.object_id
                )
            ]
            if dataset.get("owner_org"):
                followers += [
                    (row.follower_id, "organization")
                    for row in model.Session.query(model.UserFollowingGroup).filter_by(
                        object_id=dataset["owner_org"]
                    )
                ]
            for user_id, reason in followers:
                if user_id == activity.user_id:
                    continue
                user = _active_user(user_id)
                if user is None:
                    continue
                if kind == "dataset_deleted":
                    if dataset.get("private"):
                        continue
                elif not _can_see_dataset(user, activity.object_id):
                    continue
                key = (user_id, activity.object_id)
                previous = events.get(key)
                if previous and previous["kind"] in ("dataset_new", "dataset_resources") \
                        and kind == "dataset_changed":
                    continue  # the stronger news of the same run stays
                events[key] = {
                    "kind": kind, "reason": reason, "object_type": "dataset",
                    "title": dataset.get("title") or dataset.get("name") or "",
                    "detail": detail,
                }
        elif activity.activity_type == "changed organization":
            office = data.get("group") or {}
            for row in model.Session.query(model.UserFollowingGroup).filter_by(
                object_id=activity.object_id
            ):
                if row.follower_id == activity.user_id or not _active_user(row.follower_id):
                    continue
                events[(row.follower_id, activity.object_id)] = {
                    "kind": "office_changed", "reason": "organization",
                    "object_type": "organization",
                    "title": office.get("title") or office.get("name") or "",
                    "detail": None,
                }
    return events


def _dataset_kind(activity, dataset: dict) -> tuple[str, str | None]:
    if activity.activity_type == "new package":
        return "dataset_new", None
    if activity.activity_type == "deleted package":
        return "dataset_deleted", None
    from ckanext.activity.model import Activity

    before = (
        model.Session.query(Activity)
        .filter(
            Activity.object_id == activity.object_id,
            Activity.timestamp < activity.timestamp,
        )
        .order_by(Activity.timestamp.desc())
        .first()
    )
    known = {
        r.get("id") for r in ((before.data or {}).get("package") or {}).get("resources", [])
    } if before else set()
    new = [
        r.get("name") or r.get("url") or ""
        for r in dataset.get("resources") or []
        if r.get("id") not in known
    ]
    if before is not None and new:
        return "dataset_resources", ", ".join(new)[:DETAIL_LIMIT]
    return "dataset_changed", None


def _commitment_events(start: datetime.datetime, now: datetime.datetime) -> list:
    """(follow, notice fields) for every followed commitment whose history moved."""
    follows = (
        model.Session.query(Follow)
        .filter(Follow.object_type == "commitment")
        .order_by(Follow.object_id, Follow.created)
        .all()
    )
    try:
        show = tk.get_action("openlima_commitment_show")
    except KeyError:  # the commitments dashboard is not enabled
        return []
    result = []
    commitments: dict[str, dict | None] = {}
    # the history gives whole seconds: a run takes the seconds from its start up to, not
    # including, the current one (the next run takes that one), so nothing is told twice
    low, high = start.replace(microsecond=0), now.replace(microsecond=0)
    for follow in follows:
        if follow.object_id not in commitments:
            try:
                commitments[follow.object_id] = show(
                    {"ignore_auth": True}, {"id": follow.object_id}
                )
            except (tk.ObjectNotFound, tk.ValidationError):
                commitments[follow.object_id] = None
        commitment = commitments[follow.object_id]
        if commitment is None:
            continue
        entries = [
            entry for entry in commitment.get("history") or []
            if low <= _instant(entry.get("created")) < high
        ]
        user = _active_user(follow.user_id)
        if not entries or user is None:
            continue
        if all(entry.get("author") in (user.name, user.id) for entry in entries):
            continue  # their own work
        labels = sorted({entry.get("entity_label") or "" for entry in entries} - {""})
        result.append((follow, {
            "kind": "commitment", "reason": "commitment", "object_type": "commitment",
            "title": commitment.get("title") or follow.object_id,
            "detail": "; ".join(labels)[:DETAIL_LIMIT] or None,
        }))
    return result


def _instant(value: Any) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(str(value).rstrip("Z"))
    except ValueError:
        return datetime.datetime.min


def limaactiva_followed_announce(context, data_dict):
    """Turn what moved in followed datasets, offices and commitments since the last run
    into notices, and mail those whose person chose immediate e-mail (run every ten
    minutes by the scheduler; the first run only starts the watch).

    :returns: ``{notices: n, emailed: n}``
    """
    tk.check_access("limaactiva_followed_announce", context, data_dict)
    from ckanext.limaactiva.logic import notify

    now = clock.utcnow()
    rows: list = []
    start = _cursor("catalogue", now)
    if start is not None and "activity" in tk.aslist(tk.config.get("ckan.plugins")):
        for (user_id, object_id), fields in _catalogue_events(start, now).items():
            row = Notification(user_id=user_id, object_id=object_id, **fields)
            model.Session.add(row)
            rows.append((row, None))
    start = _cursor("commitments", now)
    if start is not None:
        for follow, fields in _commitment_events(start, now):
            row = Notification(user_id=follow.user_id, object_id=follow.object_id, **fields)
            model.Session.add(row)
            rows.append((row, follow.id))
    model.repo.commit()
    return {"notices": len(rows), "emailed": notify.deliver(rows)}



