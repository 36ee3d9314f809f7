"""Template helpers of Lima Activa."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.openlima.ubigeo import DISTRICTS
from ckanext.limaactiva.logic import validators as v

__all__ = [
    "limaactiva_label",
    "limaactiva_phase_title",
    "limaactiva_districts",
    "limaactiva_history_chart",
    "limaactiva_flag_reasons",
    "limaactiva_notification_text",
    "limaactiva_follow_state",
    "limaactiva_unread_notices",
    "limaactiva_office_title",
    "limaactiva_notice_settings",
]

_LABELS = {
    "space_type": v.SPACE_TYPES,
    "phase": v.PHASE_KEYS,
    "modality": v.MODALITIES,
    "state": v.PROPOSAL_STATES,
    "alignment": v.ALIGNMENTS,
    "channel": v.CHANNELS,
    "weight": v.WEIGHTS,
    "district": DISTRICTS,
}


def limaactiva_label(kind: str, key: Any) -> str:
    """Spanish label of a stored code (``limaactiva_label('state', 'accepted')``)."""
    label = _LABELS.get(kind, {}).get(key)
    return tk._(label) if label else (str(key) if key is not None else "")


def limaactiva_phase_title(phase: dict) -> str:
    """A phase's own title, or the label of its kind in the request's language when the
    title is the Spanish default stored with it."""
    title = phase.get("title")
    if not title or title == v.PHASE_KEYS.get(phase.get("phase_key")):
        return limaactiva_label("phase", phase.get("phase_key"))
    return title


def limaactiva_districts() -> list[tuple[str, str]]:
    return sorted(DISTRICTS.items(), key=lambda item: item[1])


def limaactiva_history_chart(
    snapshots: list[dict], width: int = 600, height: int = 200
) -> dict:
    """Coordinates for an SVG line of the score over time (the table beside it has the data)."""
    margin = 30
    if not snapshots:
        return {"points": "", "dots": [], "width": width, "height": height, "max": 0}
    top = max(max(s["score"] for s in snapshots), 1)
    count = len(snapshots)
    step = (width - 2 * margin) / (count - 1) if count > 1 else 0
    dots = []
    for index, snapshot in enumerate(snapshots):
        x = margin + index * step if count > 1 else width / 2
        y = height - margin - (snapshot["score"] / top) * (height - 2 * margin)
        dots.append({"x": round(x, 1), "y": round(y, 1), **snapshot})
    return {
        "points": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "dots": dots,
        "width": width,
        "height": height,
        "max": top,
        "baseline": height - margin,
        "margin": margin,
    }


def limaactiva_flag_reasons() -> list[tuple[str, str]]:
    from ckanext.limaactiva.logic.moderation import REASONS

    return [(key, tk._(label)) for key, label in REASONS.items()]


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def limaactiva_notification_text(notice: Any) -> str:
    """One line saying what happened, in the request's language (a dict from
    ``limaactiva_notification_list`` or a notification row)."""
    kind, reason = _field(notice, "kind"), _field(notice, "reason")
    title, detail = _field(notice, "title"), _field(notice, "detail")
    from ckanext.limaactiva.logic import notice_mail

    if kind in notice_mail.CATALOGUE_KINDS:
        return notice_mail.notice_text(kind, title, detail)
    if kind == "phase":
        return tk._("El espacio «{title}» pasó a la fase: {phase}").format(
            title=title, phase=limaactiva_label("phase", detail)
        )
    state = limaactiva_label("state", detail)
    if kind == "answer" and reason == "author":
        text = tk._("Su propuesta «{title}» recibió una respuesta oficial (estado: {state})")
    elif kind == "answer":
        text = tk._("La propuesta «{title}» recibió una respuesta oficial (estado: {state})")
    elif reason == "author":
        text = tk._("Su propuesta «{title}» cambió de estado: {state}")
    else:
        text = tk._("La propuesta «{title}» cambió de estado: {state}")
    return text.format(title=title, state=state)


def limaactiva_follow_state(object_type: str, object_id: str) -> dict:
    """``{following, followers}`` for the caller (for the follow buttons)."""
    user = tk.current_user.name if tk.current_user.is_authenticated else ""
    try:
        return tk.get_action("limaactiva_follow_show")(
            {"user": user}, {"object_type": object_type, "object_id": object_id}
        )
    except (tk.ObjectNotFound, tk.ValidationError, tk.NotAuthorized):
        return {"following": False, "followers": 0}


def limaactiva_unread_notices() -> int:
    """How many Lima Activa notices the logged-in person has not read (0 otherwise)."""
    if not tk.current_user.is_authenticated:
        return 0
    try:
        return tk.get_action("limaactiva_notification_list")(
            {"user": tk.current_user.name}, {}
        )["unread"]
    except tk.NotAuthorized:
        return 0


def limaactiva_office_title(name: str) -> str:
    """An office's name as people read it ("Gerencia de Participación Vecinal"), not its
    slug; the slug when the office is unknown (offices are public in CKAN)."""
    if not name:
        return ""
    try:
        office = tk.get_action("organization_show")(
            {"user": ""}, {"id": name, "include_datasets": False, "include_users": False,
                           "include_extras": False, "include_tags": False,
                           "include_groups": False, "include_followers": False})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return name
    return office.get("title") or name


def limaactiva_notice_settings() -> dict:
    """The logged-in person's e-mail choice for notices, and how many notices wait for
    their next digest (for the dashboard's form)."""
    from ckanext.limaactiva.logic import notice_mail

    if not tk.current_user.is_authenticated:
        return {}
    settings = tk.get_action("limaactiva_notice_settings_show")(
        {"user": tk.current_user.name}, {}
    )
    settings["waiting"] = notice_mail.count_unsent_digest(tk.current_user.id)
    return settings
