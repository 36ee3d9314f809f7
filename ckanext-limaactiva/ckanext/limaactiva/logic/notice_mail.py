"""What every notice e-mail shares: the person's choice (immediate, digest, none), the
signed one-click unsubscribe (RFC 8058 headers and footer) and the lines of the notices
made by the catalogue watch. A leaf module: the actions (``delivery``), the immediate
mailer (``notify``) and the templates' helpers all read it.
"""

from __future__ import annotations

import hashlib
import hmac

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from ckanext.limaactiva.model import Notification
from ckanext.limaactiva.model.delivery import NoticeSetting

__all__ = [
    "CATALOGUE_KINDS",
    "delivery_mode",
    "unsubscribe_token",
    "unsubscribe_url",
    "mail_headers",
    "mail_footer",
    "notice_text",
    "count_unsent_digest",
]

# kinds of notice made by the catalogue watch (object_type in brackets)
CATALOGUE_KINDS = (
    "dataset_new",  # a new dataset of a followed office (dataset)
    "dataset_changed",  # a followed dataset, or one of a followed office, changed (dataset)
    "dataset_resources",  # ... and got new resources (dataset; detail: their names)
    "dataset_deleted",  # ... was withdrawn (dataset)
    "office_changed",  # a followed office changed its own page (organization)
    "commitment",  # a followed commitment moved (commitment; detail: what)
)


def delivery_mode(user_id: str) -> str:
    setting = model.Session.get(NoticeSetting, user_id)
    return setting.delivery if setting else "immediate"


def _secret() -> bytes:
    secret = tk.config.get("SECRET_KEY") or tk.config.get("beaker.session.secret")
    return str(secret).encode("utf-8")


def unsubscribe_token(user_id: str) -> str:
    """The signed token of an account's one-click unsubscribe link."""
    digest = hmac.new(
        _secret(), f"notices-off:{user_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"{user_id}.{digest}"


def unsubscribe_url(user_id: str) -> str:
    return tk.url_for(
        "limaactiva_notices.unsubscribe", token=unsubscribe_token(user_id), _external=True
    )


def mail_headers(user_id: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: mail clients offer a one-click "unsubscribe"."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(user_id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def mail_footer(user_id: str) -> str:
    return "\n".join(
        [
            tk._("Sus avisos y cómo recibirlos: {link}").format(
                link=tk.url_for("limaactiva_dashboard.notifications", _external=True)
            ),
            tk._("No recibir más estos correos (un clic, sin iniciar sesión): {link}").format(
                link=unsubscribe_url(user_id)
            ),
        ]
    )


def notice_text(kind: str, title: str, detail: str | None) -> str:
    """The line of a catalogue or commitment notice (see ``CATALOGUE_KINDS``)."""
    if kind == "dataset_new":
        text = tk._("Nuevo conjunto de datos de una oficina que sigue: «{title}»")
    elif kind == "dataset_resources":
        text = tk._("El conjunto de datos «{title}» tiene recursos nuevos: {detail}")
    elif kind == "dataset_deleted":
        text = tk._("El conjunto de datos «{title}» fue retirado")
    elif kind == "office_changed":
        text = tk._("La oficina «{title}» actualizó su información")
    elif kind == "commitment" and detail:
        text = tk._("El compromiso «{title}» tuvo cambios: {detail}")
    elif kind == "commitment":
        text = tk._("El compromiso «{title}» tuvo cambios")
    else:
        text = tk._("El conjunto de datos «{title}» se actualizó")
    return text.format(title=title, detail=detail or "")


def count_unsent_digest(user_id: str) -> int:
    """How many notices wait for the person's next digest (for the dashboard)."""
    setting = model.Session.get(NoticeSetting, user_id)
    if setting is None or setting.delivery != "digest":
        return 0
    since = max(filter(None, [setting.changed, setting.last_digest_at]))
    return int(
        model.Session.execute(
            sa.select(sa.func.count()).where(
                Notification.user_id == user_id,
                Notification.emailed.is_(False),
                Notification.created > since,
            )
        ).scalar()
        or 0
    )
