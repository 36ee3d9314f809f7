"""Case operations shared by the actions and the views (one idea: the case life cycle).

Every function takes the decrypted case key explicitly: whoever calls it already proved
they hold it (reporter tracking code, or reviewer key from a two-factor session).
"""
from __future__ import annotations

import datetime
import logging
import secrets
import uuid
from typing import Any, Optional

import sqlalchemy as sa
from flask_babel import force_locale
from nacl.public import PrivateKey

import ckan.model as model
import ckan.plugins.toolkit as tk

from . import crypto, kdf_slots, reporter_notice, throttle, unit, uploads
from .logic.validators import N_
from .model import (Attachment, AuditEvent, Case, CaseExclusion, CaseKey, Identity,
                    IdentityRequest, Message, ReporterEvent, Reviewer, StatusChange, audit,
                    reporter_event, today)

log = logging.getLogger(__name__)

# Allowed workflow moves (reopening a closed case goes back to evaluation).
TRANSITIONS = {
    "recibida": ("en_evaluacion", "cerrada"),
    "en_evaluacion": ("en_investigacion", "decision", "cerrada"),
    "en_investigacion": ("decision", "cerrada"),
    "decision": ("cerrada", "en_investigacion"),
    "cerrada": ("en_evaluacion",),
}
DISMISSED = ("infundada", "duplicada", "mala_fe", "spam")

# The system's own entries in a case are stored in Spanish, the portal's language, and
# translated when shown: what is stored never depends on the page the reporter used.
RECEIVED_REASON = N_("Denuncia registrada en Lima Honesta.")
ACKNOWLEDGEMENT = N_(
    "Hemos recibido su denuncia. La Unidad de Integridad Institucional la "
    "evaluará y le responderá por este medio. Guarde su código de seguimiento: "
    "es la única forma de acceder a este caso.")
SYSTEM_TEXTS = (RECEIVED_REASON, ACKNOWLEDGEMENT)


def status_labels() -> dict[str, str]:
    return {
        "recibida": tk._("Recibida"),
        "en_evaluacion": tk._("En evaluación"),
        "en_investigacion": tk._("En investigación"),
        "decision": tk._("Decisión"),
        "cerrada": tk._("Cerrada"),
    }


def outcome_labels() -> dict[str, str]:
    return {
        "fundada": tk._("Fundada (se inició procedimiento o sanción)"),
        "infundada": tk._("Infundada"),
        "duplicada": tk._("Duplicada o ya resuelta"),
        "mala_fe": tk._("Denuncia de mala fe"),
        "derivada": tk._("Derivada a otra entidad"),
        "archivada": tk._("Archivada"),
        "spam": tk._("No es una denuncia (spam)"),
    }


def channel_labels() -> dict[str, str]:
    return {"web": tk._("Web"), "correo": tk._("Correo electrónico"),
            "telefono": tk._("Teléfono"), "presencial": tk._("Presencial")}


def confidentiality_labels() -> dict[str, str]:
    return {"anonima": tk._("anónima"), "confidencial": tk._("confidencial")}


def author_labels() -> dict[str, str]:
    """Who wrote a message or sent a file, as the Integrity Unit's pages name them."""
    return {"denunciante": tk._("Persona denunciante"),
            "unidad": tk._("Unidad de Integridad"), "sistema": tk._("Lima Honesta")}


def request_state_labels() -> dict[str, str]:
    return {"pendiente": tk._("Pendiente"), "aprobada": tk._("Aprobada"),
            "rechazada": tk._("Rechazada")}


def _system_text(text: Any) -> Any:
    """A system entry stored in Spanish, in the language of this request."""
    return tk._(text) if text in SYSTEM_TEXTS else text


# --------------------------------------------------------------------------- creation


def _new_case_number() -> str:
    alphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
    return "LH-%d-%s" % (today().year, "".join(secrets.choice(alphabet) for _ in range(8)))


def _reviewer_public_keys() -> list[tuple[str, bytes]]:
    """Approved reviewers who are still members of the Integrity Unit."""
    from . import staff
    members = staff.integrity_member_ids()
    rows = model.Session.query(Reviewer.user_id, Reviewer.public_key).filter(
        Reviewer.approved_by.isnot(None)).all()
    return [(uid, key) for uid, key in rows if uid in members]


def _bind_code(case: Case, case_key: PrivateKey) -> str:
    """Give ``case`` a fresh tracking code; returns it formatted (shown once)."""
    params = crypto.current_kdf_params()
    for _attempt in range(5):
        code = crypto.generate_tracking_code()
        digits = crypto.normalise_tracking_code(code)
        assert digits
        lookup = crypto.code_lookup_hash(digits, params)
        if not model.Session.query(Case.id).filter(Case.code_lookup == lookup).first():
            break
    else:  # pragma: no cover - 93 bits make this practically impossible
        raise RuntimeError("tracking code collision")
    salt = crypto.new_salt()
    case.code_lookup = lookup
    case.code_kdf = params
    case.code_salt = salt
    case.reporter_wrapped_key = crypto.secretbox_encrypt(
        crypto.code_wrap_key(digits, salt, params), bytes(case_key))
    return code


def create_case(report: dict[str, Any], identity: Optional[dict[str, Any]],
                files: list[tuple[str, bytes, str, Optional[str]]], channel: str,
                operator_id: Optional[str]) -> dict[str, Any]:
    """Store a new case. ``files`` are already checked: (safe name, bytes, media type)."""
    unit_public_key = unit.ensure_unit().public_key
    case_key = crypto.new_keypair()
    public = bytes(case_key.public_key)
    case = Case(
        id=str(uuid.uuid4()),
        channel=channel,
        confidentiality="anonima" if operator_id is None else "confidencial",
        status="recibida",
        received_on=today(),
        public_key=public,
        code_change_required=operator_id is not None,
        content=crypto.seal_json(public, report),
    )
    for _attempt in range(5):
        number = _new_case_number()
        if not model.Session.query(Case.id).filter(Case.case_number == number).first():
            case.case_number = number
            break
    code = _bind_code(case, case_key)
    # the Integrity Unit can always read it, even if nobody has enrolled yet (unit.py)
    case.unit_wrapped_key = crypto.seal(unit_public_key, bytes(case_key))
    model.Session.add(case)
    for reviewer_id, reviewer_public in _reviewer_public_keys():
        model.Session.add(CaseKey(case_id=case.id, reviewer_id=reviewer_id,
                                  sealed_key=crypto.seal(reviewer_public, bytes(case_key))))
    if identity:
        model.Session.add(Identity(case_id=case.id,
                                   content=crypto.encrypt_identity(case.id, public, identity)))
    model.Session.add(StatusChange(
        case_id=case.id, position=0, status="recibida", changed_on=today(),
        reason=crypto.seal_json(public, RECEIVED_REASON)))
    # Automatic acknowledgement in the thread (the 7-day acknowledgement by a person
    # is still tracked separately).
    model.Session.add(Message(
        case_id=case.id, position=0, author_role="sistema", internal=False,
        created_on=today(), body=crypto.seal_json(public, ACKNOWLEDGEMENT)))
    for name, data, media_type, warning in files:
        _add_attachment(case, "denunciante", name, data, media_type, warning)
    if operator_id is None:
        reporter_event("case_created", case.id)
    else:
        audit("case_filed_by_operator", actor_id=operator_id, case_id=case.id, detail=channel)
    model.Session.commit()
    notify_staff()
    return {"id": case.id, "case_number": case.case_number, "tracking_code": code,
            "code_change_required": case.code_change_required}


def _add_attachment(case: Case, origin: str, name: str, data: bytes, media_type: str,
                    warning: Optional[str] = None) -> None:
    storage_name = uploads.store(case.public_key, data)
    meta = {"name": name, "media_type": media_type, "size": len(data)}
    if warning:  # "abrir solo en visor seguro: ..." (uploads.check), for reviewers only
        meta["warning"] = warning
    model.Session.add(Attachment(
        case_id=case.id, origin=origin, created_on=today(), storage_name=storage_name,
        meta=crypto.seal_json(case.public_key, meta)))


# --------------------------------------------------------------------------- reporter access


def open_by_code(raw_code: Any, client_tag: Optional[bytes]) -> Optional[tuple[Case, PrivateKey]]:
    """Find and unlock a case by its tracking code, or ``None`` (never says why).

    Raises ``throttle.Throttled`` (before any Argon2id work) while this client must
    wait after its own failed checks; a miss costs the same Argon2id work as a hit.
    """
    throttle.check(client_tag)
    suspect = bool(client_tag) and throttle.failures(client_tag) > 0
    with kdf_slots.for_suspect_client(suspect):
        return _open_by_code(raw_code, client_tag)


def _open_by_code(raw_code: Any, client_tag: Optional[bytes]) -> Optional[tuple[Case, PrivateKey]]:
    digits = crypto.normalise_tracking_code(raw_code)
    params_in_use = [p for (p,) in model.Session.query(Case.code_kdf).distinct().all()] or [
        crypto.current_kdf_params()]
    found: Optional[Case] = None
    if digits is not None:
        for params in params_in_use:
            lookup = crypto.code_lookup_hash(digits, params)
            candidate = model.Session.query(Case).filter(Case.code_lookup == lookup).first()
            if candidate is not None and crypto.constant_time_equal(candidate.code_lookup, lookup):
                found = candidate
                break
    else:
        for params in params_in_use:
            crypto.burn_kdf(params)
    if found is None or digits is None:
        crypto.burn_kdf(params_in_use[0])
        throttle.record_failure(client_tag)
        return None
    try:
        raw = crypto.secretbox_decrypt(
            crypto.code_wrap_key(digits, found.code_salt, found.code_kdf),
            found.reporter_wrapped_key)
    except crypto.DecryptionError:
        throttle.record_failure(client_tag)
        return None
    key = crypto.private_key(raw)
    if found.unit_wrapped_key is None:
        # a case stored before the unit key existed, perhaps one nobody else can open:
        # the reporter's visit gives the Integrity Unit its copy (unit.py)
        unit.seal_to_unit(found, key)
        model.Session.commit()
    return found, key


def case_for_session(case_id: str, raw_key: bytes) -> Optional[tuple[Case, PrivateKey]]:
    case = model.Session.get(Case, case_id)
    if case is None:
        return None
    key = crypto.private_key(raw_key)
    if bytes(key.public_key) != case.public_key:
        return None
    return case, key


def change_code(case: Case, case_key: PrivateKey) -> str:
    """Replace the code (operator-filed cases at first use): the operator never knows it."""
    code = _bind_code(case, case_key)
    case.code_change_required = False
    reporter_event("reporter_code_changed", case.id)
    model.Session.commit()
    return code


def _next_position(table: Any, case_id: str) -> int:
    current = model.Session.query(sa.func.max(table.position)).filter(
        table.case_id == case_id).scalar()
    return 0 if current is None else current + 1


def _shown_reason(row: StatusChange, key: PrivateKey) -> Any:
    reason = crypto.unseal_json(key, row.reason)
    return _system_text(reason) if row.changed_by is None else reason


def _shown_body(row: Message, key: PrivateKey) -> Any:
    body = crypto.unseal_json(key, row.body)
    return _system_text(body) if row.author_role == "sistema" else body


def reporter_view(case: Case, key: PrivateKey) -> dict[str, Any]:
    """What a reporter may see: the case without internal notes or staff names."""
    labels = status_labels()
    out_labels = outcome_labels()
    timeline = [{
        "status": row.status, "status_label": labels.get(row.status, row.status),
        "outcome": row.outcome, "outcome_label": out_labels.get(row.outcome or "", ""),
        "date": row.changed_on.isoformat(), "reason": _shown_reason(row, key),
    } for row in model.Session.query(StatusChange).filter(
        StatusChange.case_id == case.id).order_by(StatusChange.position)]
    messages = [{
        "author_role": row.author_role, "date": row.created_on.isoformat(),
        "body": _shown_body(row, key),
    } for row in model.Session.query(Message).filter(
        Message.case_id == case.id, Message.internal.is_(False)).order_by(Message.position)]
    files = [{"name": crypto.unseal_json(key, row.meta)["name"], "origin": row.origin,
              "date": row.created_on.isoformat()}
             for row in model.Session.query(Attachment).filter(
                 Attachment.case_id == case.id).order_by(Attachment.created_on)]
    return {
        "case_number": case.case_number, "status": case.status,
        "status_label": labels.get(case.status, case.status),
        "outcome": case.outcome, "outcome_label": out_labels.get(case.outcome or "", ""),
        "received_on": case.received_on.isoformat(), "confidentiality": case.confidentiality,
        "report": crypto.unseal_json(key, case.content),
        "timeline": timeline, "messages": messages, "files": files,
        "can_write": case.status != "cerrada",
        "can_rate": case.status == "cerrada" and case.rating is None,
        "rating": case.rating,
        "notice": reporter_notice.is_set(case.id),
    }


def reporter_message(case: Case, body: str, files: list[tuple[str, bytes, str, Optional[str]]]) -> None:
    model.Session.add(Message(
        case_id=case.id, position=_next_position(Message, case.id), author_role="denunciante",
        internal=False, created_on=today(), body=crypto.seal_json(case.public_key, body)))
    for name, data, media_type, warning in files:
        _add_attachment(case, "denunciante", name, data, media_type, warning)
    reporter_event("reporter_message", case.id)
    model.Session.commit()
    notify_staff()


def rate(case: Case, rating: int) -> None:
    case.rating = rating
    reporter_event("reporter_rating", case.id)
    model.Session.commit()


# --------------------------------------------------------------------------- staff side


def deadlines(case: Case) -> dict[str, Any]:
    ack_due = case.received_on + datetime.timedelta(
        days=tk.config.get("ckanext.limahonesta.ack_days"))
    feedback_due = case.received_on + datetime.timedelta(
        days=tk.config.get("ckanext.limahonesta.feedback_days"))
    now = today()
    return {
        "ack_due": ack_due.isoformat(), "feedback_due": feedback_due.isoformat(),
        "ack_overdue": case.acknowledged_on is None and now > ack_due,
        "feedback_overdue": case.feedback_on is None and case.status != "cerrada"
        and now > feedback_due,
        "ack_reminder": case.acknowledged_on is None and now >= ack_due - datetime.timedelta(days=2),
        "feedback_reminder": case.feedback_on is None and case.status != "cerrada"
        and now >= feedback_due - datetime.timedelta(days=15),
    }


def summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.id, "case_number": case.case_number, "channel": case.channel,
        "channel_label": channel_labels().get(case.channel, case.channel),
        "confidentiality": case.confidentiality, "status": case.status,
        "status_label": status_labels().get(case.status, case.status),
        "outcome": case.outcome, "received_on": case.received_on.isoformat(),
        "acknowledged_on": case.acknowledged_on.isoformat() if case.acknowledged_on else None,
        "closed_on": case.closed_on.isoformat() if case.closed_on else None,
        "assigned_to": case.assigned_to, "pdudc_code": case.pdudc_code,
        **deadlines(case),
    }


def staff_view(case: Case, key: PrivateKey) -> dict[str, Any]:
    view = reporter_view(case, key)
    view.update(summary(case))
    view["messages"] = [{
        "id": row.id, "author_role": row.author_role, "author_id": row.author_id,
        "internal": row.internal, "date": row.created_on.isoformat(),
        "body": _shown_body(row, key),
    } for row in model.Session.query(Message).filter(
        Message.case_id == case.id).order_by(Message.position)]
    view["files"] = [dict(crypto.unseal_json(key, row.meta), id=row.id, origin=row.origin,
                          date=row.created_on.isoformat())
                     for row in model.Session.query(Attachment).filter(
                         Attachment.case_id == case.id).order_by(Attachment.created_on)]
    view["timeline"] = [dict(item, changed_by=row.changed_by) for item, row in zip(
        view["timeline"], model.Session.query(StatusChange).filter(
            StatusChange.case_id == case.id).order_by(StatusChange.position))]
    view["has_identity"] = model.Session.get(Identity, case.id) is not None
    view["identity_requests"] = [{
        "id": row.id, "requested_by": row.requested_by, "state": row.state,
        "decided_by": row.decided_by, "reason": crypto.unseal_json(key, row.reason),
        "requested_at": row.requested_at.isoformat(timespec="minutes"),
    } for row in model.Session.query(IdentityRequest).filter(
        IdentityRequest.case_id == case.id).order_by(IdentityRequest.requested_at)]
    view["reviewers"] = [uid for (uid,) in model.Session.query(CaseKey.reviewer_id).filter(
        CaseKey.case_id == case.id)]
    return view


def change_status(case: Case, actor_id: str, status: str, reason: str,
                  outcome: Optional[str]) -> None:
    model.Session.add(StatusChange(
        case_id=case.id, position=_next_position(StatusChange, case.id), status=status,
        outcome=outcome, changed_on=today(), changed_by=actor_id,
        reason=crypto.seal_json(case.public_key, reason)))
    if case.acknowledged_on is None:
        case.acknowledged_on = today()
    if status in ("decision", "cerrada") and case.feedback_on is None:
        case.feedback_on = today()
    if status == "cerrada":
        case.closed_on = today()
        case.outcome = outcome
    elif case.status == "cerrada":  # reopened
        case.closed_on = None
        case.outcome = None
    elif outcome:
        case.outcome = outcome
    case.status = status
    audit("status_changed", actor_id=actor_id, case_id=case.id, detail=status)
    model.Session.commit()


def staff_message(case: Case, actor_id: str, body: str, internal: bool,
                  files: list[tuple[str, bytes, str, Optional[str]]]) -> None:
    model.Session.add(Message(
        case_id=case.id, position=_next_position(Message, case.id), author_role="unidad",
        author_id=actor_id, internal=internal, created_on=today(),
        body=crypto.seal_json(case.public_key, body)))
    for name, data, media_type, warning in files:
        _add_attachment(case, "unidad", name, data, media_type, warning)
    if not internal:
        if case.acknowledged_on is None:
            case.acknowledged_on = today()
        if case.feedback_on is None:
            case.feedback_on = today()
    audit("message_internal" if internal else "message_to_reporter",
          actor_id=actor_id, case_id=case.id)
    model.Session.commit()


def delete_case(case_id: str, actor_id: Optional[str], reason: str) -> None:
    """Delete every row and file of a case; the audit log keeps only the id."""
    for row in model.Session.query(Attachment).filter(Attachment.case_id == case_id):
        uploads.delete(row.storage_name)
    for table in (Attachment, Message, StatusChange, CaseKey, CaseExclusion, IdentityRequest):
        model.Session.query(table).filter(table.case_id == case_id).delete()
    model.Session.query(Identity).filter(Identity.case_id == case_id).delete()
    reporter_notice.delete_for_case(case_id)
    model.Session.query(Case).filter(Case.id == case_id).delete()
    audit("case_deleted", actor_id=actor_id, case_id=case_id, detail=reason)
    model.Session.commit()


def purge_expired(on: Optional[datetime.date] = None) -> list[str]:
    """Delete closed cases past their retention period. Returns the deleted ids."""
    on = on or today()
    keep_closed = tk.config.get("ckanext.limahonesta.retention_days_closed")
    keep_dismissed = tk.config.get("ckanext.limahonesta.retention_days_dismissed")
    deleted = []
    for case in model.Session.query(Case).filter(Case.status == "cerrada").all():
        keep = keep_dismissed if case.outcome in DISMISSED else keep_closed
        if case.closed_on and on > case.closed_on + datetime.timedelta(days=keep):
            deleted.append(case.id)
    for case_id in deleted:
        delete_case(case_id, None, "retention")
    return deleted


def audit_list(case_id: Optional[str], limit: int = 200) -> list[dict[str, Any]]:
    """Staff and system events (with their time) and reporter events (their date only),
    newest day first. Within a day, staff events by time, then that day's reporter events
    in random order: nothing places a reporter event more precisely than its date."""
    staff_rows = model.Session.query(AuditEvent)
    reporter_rows = model.Session.query(ReporterEvent)
    if case_id:
        staff_rows = staff_rows.filter(AuditEvent.case_id == case_id)
        reporter_rows = reporter_rows.filter(ReporterEvent.case_id == case_id)
    items = [((row.occurred_at.date(), 1, row.occurred_at.time().isoformat(), ""),
              {"at": row.occurred_at.isoformat(timespec="seconds"), "actor_id": row.actor_id,
               "action": row.action, "case_id": row.case_id, "detail": row.detail,
               "reporter": False})
             for row in staff_rows.order_by(AuditEvent.occurred_at.desc()).limit(limit)]
    items += [((row.occurred_on, 0, "", row.id),
               {"at": row.occurred_on.isoformat(), "actor_id": None, "action": row.action,
                "case_id": row.case_id, "detail": None, "reporter": True})
              for row in reporter_rows.order_by(ReporterEvent.occurred_on.desc(),
                                                ReporterEvent.id).limit(limit)]
    items.sort(key=lambda item: item[0], reverse=True)
    return [item for _key, item in items[:limit]]


# --------------------------------------------------------------------------- notifications


def notification_text() -> tuple[str, str]:
    """The only e-mail Lima Honesta sends: no case number, no content, no link to a case.

    Always in the portal's default language: a reporter's request may be the one that
    sends it, and the language of the reporter's page must not reach the mailboxes.
    """
    with force_locale(tk.config.get("ckan.locale_default") or "es"):
        return (tk._("Lima Honesta: hay actividad nueva"),
                tk._("Hay actividad nueva en Lima Honesta. Ingrese al módulo de la Unidad "
                     "de Integridad para revisarla."))


def notify_staff() -> None:
    from . import staff
    subject, body = notification_text()
    try:
        from ckan.lib.mailer import mail_recipient  # no toolkit equivalent
    except ImportError:  # pragma: no cover
        return
    if not tk.config.get("smtp.server"):
        return
    for user in staff.integrity_members():
        if not user.get("email"):
            continue
        try:
            mail_recipient(user.get("display_name") or user["name"], user["email"], subject, body)
        except Exception:  # noqa: BLE001 - a mail failure must never lose a report
            log.warning("limahonesta: no se pudo enviar una notificación")
