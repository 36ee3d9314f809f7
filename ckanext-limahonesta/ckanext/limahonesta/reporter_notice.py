"""The reporter's optional notice: "su caso tuvo movimiento" by e-mail, revealing nothing.

A reporter who wants it gives an e-mail address on their case page (after opening the case
with the tracking code). The address is sealed to the **case public key** (the same
SealedBox as everything else written about the case), so at rest it is ciphertext that
only a holder of the case key can open: the reporter (code), the reviewers and the
Integrity Unit, never a database dump, a backup or a sysadmin. The application opens it
only at the moment a reviewer who holds the case key changes the case's status or writes
to the reporter, sends one e-mail that says only that the case moved and to check it with
the code (no case number, no status, no content, no link to the case), and forgets it.
When the case is closed the row is deleted (after the closing notice); the reporter can
remove it at any time. The e-mail is written in the portal's default language, like the
staff's (the language of the reporter's pages must not reach any mailbox).

Threat model: README, "Threat model" #22, and "Not covered" for what the mail system
itself keeps.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Optional

import sqlalchemy as sa
from flask_babel import force_locale
from nacl.public import PrivateKey

import ckan.model as model
import ckan.plugins.toolkit as tk

from . import crypto
from .model import Case, reporter_event

__all__ = ["ReporterNotice", "clean_address", "is_set", "set_address", "remove", "tell",
           "notice_text"]

log = logging.getLogger(__name__)

MAX_ADDRESS = 254
# one address, no display name, no list, nothing that could inject a header
_ADDRESS = re.compile(r"^[^@\s<>\"',;:()\[\]\\]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class ReporterNotice(tk.BaseModel):
    """One case's opt-in: the address sealed to the case public key (no date, no other
    field: nothing here says when the reporter asked for it)."""

    __tablename__ = "limahonesta_reporter_notice"
    case_id = sa.Column(sa.UnicodeText, primary_key=True)
    address = sa.Column(sa.LargeBinary, nullable=False)


def clean_address(raw: Any, errors: dict[str, list[str]]) -> Optional[str]:
    """The address typed, stripped; ``None`` (with an error) when it is not one address."""
    if not isinstance(raw, str) or not raw.strip():
        errors["correo"] = [tk._("Escriba una dirección de correo.")]
        return None
    address = raw.strip()
    if len(address) > MAX_ADDRESS or not _ADDRESS.match(address):
        errors["correo"] = [tk._("La dirección de correo no es válida.")]
        return None
    return address


def is_set(case_id: str) -> bool:
    return model.Session.get(ReporterNotice, case_id) is not None


def set_address(case: Case, address: str) -> None:
    sealed = crypto.seal(case.public_key, address.encode("utf-8"))
    row = model.Session.get(ReporterNotice, case.id)
    if row is None:
        model.Session.add(ReporterNotice(case_id=case.id, address=sealed))
    else:
        row.address = sealed
    reporter_event("reporter_notice_set", case.id)
    model.Session.commit()


def remove(case: Case) -> None:
    model.Session.query(ReporterNotice).filter(ReporterNotice.case_id == case.id).delete()
    reporter_event("reporter_notice_removed", case.id)
    model.Session.commit()


def delete_for_case(case_id: str) -> None:
    """Part of deleting a case (``cases.delete_case``); the caller commits."""
    model.Session.query(ReporterNotice).filter(ReporterNotice.case_id == case_id).delete()


def notice_text() -> tuple[str, str]:
    """Subject and body: nothing about the case, in the portal's default language."""
    with force_locale(tk.config.get("ckan.locale_default") or "es"):
        link = tk.url_for("limahonesta_reporter.follow", _external=True)
        return (tk._("Aviso de la Municipalidad de Lima"),
                tk._("Su caso tuvo movimiento. Consulte con su código de seguimiento en "
                     "{link}\n\nEste aviso no contiene ningún dato del caso. Puede dejar de "
                     "recibirlo desde la página de su caso.").format(link=link))


def tell(case: Case, case_key: PrivateKey, closing: bool) -> bool:
    """Send the notice of a case that just moved, if its reporter asked for one (best
    effort: a mail failure never undoes the change). On closing, the address is deleted
    afterwards. Returns whether an e-mail was handed to the mail server."""
    row = model.Session.get(ReporterNotice, case.id)
    if row is None:
        return False
    sent = False
    try:
        address = crypto.unseal(case_key, row.address).decode("utf-8")
    except crypto.DecryptionError:
        log.warning("limahonesta: un aviso al denunciante no se pudo abrir")
        address = None
    if address and tk.config.get("smtp.server"):
        from ckan.lib.mailer import mail_recipient  # no toolkit equivalent
        subject, body = notice_text()
        try:
            mail_recipient("", address, subject, body,
                           headers={"Auto-Submitted": "auto-generated"})
            sent = True
        except Exception:  # noqa: BLE001 - the address is never logged
            log.warning("limahonesta: no se pudo enviar un aviso al denunciante")
    if closing:
        model.Session.delete(row)
        model.Session.commit()
    return sent
