"""Lima Honesta tables. Created only by the alembic migrations in ``migration/limahonesta``.

What is stored in clear is only what workflow and statistics need: channel, status,
outcome, dates (day precision, never a time of day for anything a reporter does),
the case's public key and opaque hashes. Everything a person wrote is ciphertext.
No foreign keys into CKAN core tables (user ids are plain strings).
"""
from __future__ import annotations

import datetime
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

import ckan.model as model
import ckan.plugins.toolkit as tk
from openlima_common import clock

STATUSES = ("recibida", "en_evaluacion", "en_investigacion", "decision", "cerrada")
# Triage and closing outcomes, always decided by a person with a written reason.
OUTCOMES = ("fundada", "infundada", "duplicada", "mala_fe", "derivada", "archivada", "spam")
CHANNELS = ("web", "correo", "telefono", "presencial")


def _uuid() -> str:
    return str(uuid.uuid4())


def today() -> datetime.date:
    """Lima's date: a report made at 19:53 in Lima is dated that day."""
    return clock.today()


def now() -> datetime.datetime:
    return clock.utcnow()


class Case(tk.BaseModel):
    __tablename__ = "limahonesta_case"

    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    case_number: Mapped[str] = mapped_column(sa.UnicodeText, unique=True, nullable=False)
    channel: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, default="web")
    # "anonima" for web reports; "confidencial" when an operator filed it (phone, e-mail)
    confidentiality: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    status: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, default="recibida")
    outcome: Mapped[str | None] = mapped_column(sa.UnicodeText)
    received_on: Mapped[datetime.date] = mapped_column(sa.Date, nullable=False, default=today)
    acknowledged_on: Mapped[datetime.date | None] = mapped_column(sa.Date)
    feedback_on: Mapped[datetime.date | None] = mapped_column(sa.Date)
    closed_on: Mapped[datetime.date | None] = mapped_column(sa.Date)
    assigned_to: Mapped[str | None] = mapped_column(sa.UnicodeText)
    pdudc_code: Mapped[str | None] = mapped_column(sa.UnicodeText)
    rating: Mapped[int | None] = mapped_column(sa.Integer)
    # reporter access: lookup = HMAC(pepper, Argon2id(code, site salt)); unique
    code_lookup: Mapped[bytes] = mapped_column(sa.LargeBinary, unique=True, nullable=False)
    code_kdf: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    code_salt: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    code_change_required: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    # case private key under HMAC(pepper, Argon2id(code, code_salt))
    reporter_wrapped_key: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    # the report itself (JSON sealed to public_key)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    # the case private key sealed to the Integrity Unit's public key (unit.py)
    unit_wrapped_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary)


class CaseKey(tk.BaseModel):
    """The case private key sealed to one reviewer. No row = no access."""
    __tablename__ = "limahonesta_case_key"

    case_id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True)
    reviewer_id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True)
    sealed_key: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)


class Identity(tk.BaseModel):
    """Reporter identity, kept apart; double-encrypted (case key + server identity key)."""
    __tablename__ = "limahonesta_identity"

    case_id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)


class StatusChange(tk.BaseModel):
    __tablename__ = "limahonesta_status_change"

    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    case_id: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    outcome: Mapped[str | None] = mapped_column(sa.UnicodeText)
    changed_on: Mapped[datetime.date] = mapped_column(sa.Date, nullable=False, default=today)
    changed_by: Mapped[str | None] = mapped_column(sa.UnicodeText)
    reason: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)


class Message(tk.BaseModel):
    __tablename__ = "limahonesta_message"

    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    case_id: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    author_role: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)  # denunciante|unidad|sistema
    author_id: Mapped[str | None] = mapped_column(sa.UnicodeText)
    internal: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_on: Mapped[datetime.date] = mapped_column(sa.Date, nullable=False, default=today)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)


class Attachment(tk.BaseModel):
    __tablename__ = "limahonesta_attachment"

    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    case_id: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, index=True)
    origin: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    created_on: Mapped[datetime.date] = mapped_column(sa.Date, nullable=False, default=today)
    storage_name: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, unique=True)
    # {"name", "media_type", "size"} sealed to the case key
    meta: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)


class Reviewer(tk.BaseModel):
    """An enrolled Integrity Unit reviewer: key pair and second factor."""
    __tablename__ = "limahonesta_reviewer"

    user_id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    key_kdf: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    key_salt: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    passphrase_wrapped_key: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    recovery_wrapped_key: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    totp_secret: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)  # under a pepper subkey
    totp_last_step: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    recovery_codes: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    enrolled_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime, nullable=False, default=now)
    # Four eyes on enrolment: new reports are sealed only to approved reviewers, so
    # a CKAN sysadmin who adds themself to the organisation and enrols gets nothing
    # until an existing reviewer approves them. "bootstrap" = first reviewer.
    approved_by: Mapped[str | None] = mapped_column(sa.UnicodeText)
    approved_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class IdentityRequest(tk.BaseModel):
    """Four-eyes: a reviewer asks to see the identity; another reviewer decides."""
    __tablename__ = "limahonesta_identity_request"

    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    case_id: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, index=True)
    requested_by: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    reason: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    state: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, default="pendiente")
    decided_by: Mapped[str | None] = mapped_column(sa.UnicodeText)
    requested_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime, nullable=False, default=now)
    decided_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class AuditEvent(tk.BaseModel):
    """Every staff read, decryption and change, and system events. Ids only, never
    content; kept after deletion. Random ids: row order says nothing."""
    __tablename__ = "limahonesta_audit"

    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    occurred_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime, nullable=False, default=now)
    actor_id: Mapped[str | None] = mapped_column(sa.UnicodeText)
    action: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    case_id: Mapped[str | None] = mapped_column(sa.UnicodeText, index=True)
    detail: Mapped[str | None] = mapped_column(sa.UnicodeText)


class ReporterEvent(tk.BaseModel):
    """What a reporter did (filed, opened, wrote, rated, changed the code): the date only,
    kept apart from the timestamped staff log so that neither ids nor the order of rows
    place it between staff events of known time."""
    __tablename__ = "limahonesta_reporter_event"

    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    occurred_on: Mapped[datetime.date] = mapped_column(sa.Date, nullable=False, default=today)
    action: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    case_id: Mapped[str | None] = mapped_column(sa.UnicodeText, index=True)


class Unit(tk.BaseModel):
    """The Integrity Unit's key pair (one row). See ``unit.py``."""
    __tablename__ = "limahonesta_unit"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    # the private key under a pepper subkey, only until the first reviewer holds it
    bootstrap_wrapped_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_on: Mapped[datetime.date] = mapped_column(sa.Date, nullable=False, default=today)


class UnitKey(tk.BaseModel):
    """The unit private key sealed to one approved reviewer."""
    __tablename__ = "limahonesta_unit_key"

    reviewer_id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True)
    sealed_key: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)


class CaseExclusion(tk.BaseModel):
    """A reviewer excluded from a case (conflict of interest): never given its key again."""
    __tablename__ = "limahonesta_case_exclusion"

    case_id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True)
    reviewer_id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True)


SIGNATURE_STATES = ("vigente", "renovada", "retirada")


class IntegritySignature(tk.BaseModel):
    """One office's signature of the integrity commitment, recorded by the Integrity Unit.

    An office (a CKAN organisation, by id: no foreign key into core tables) has at most
    one ``vigente`` signature; a renewal closes the previous one as ``renovada``, a
    withdrawal leaves the office without one. Everything here is public except ``notes``.
    """
    __tablename__ = "limahonesta_integrity_signature"

    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    organization_id: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, index=True)
    state: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, default="vigente")
    signed_on: Mapped[datetime.date] = mapped_column(sa.Date, nullable=False)
    # the signatory's post (cargo); a personal name only if the signatory chose to give it
    signatory_role: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    signatory_name: Mapped[str | None] = mapped_column(sa.UnicodeText)
    document_url: Mapped[str | None] = mapped_column(sa.UnicodeText)
    # an uploaded PDF of the signed document, public (``storage_name`` under the storage
    # folder's ``compromiso/``)
    document_storage_name: Mapped[str | None] = mapped_column(sa.UnicodeText)
    document_name: Mapped[str | None] = mapped_column(sa.UnicodeText)
    notes: Mapped[str | None] = mapped_column(sa.UnicodeText)  # the Unit's own, never public
    ended_on: Mapped[datetime.date | None] = mapped_column(sa.Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.UnicodeText)
    created_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime, nullable=False, default=now)
    modified_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime, nullable=False, default=now)


class IntegritySignatureChange(tk.BaseModel):
    """The register's audit trail: who changed which fields of a signature, and when."""
    __tablename__ = "limahonesta_integrity_signature_change"

    id: Mapped[str] = mapped_column(sa.UnicodeText, primary_key=True, default=_uuid)
    signature_id: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, index=True)
    organization_id: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False, index=True)
    changed_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime, nullable=False, default=now)
    changed_by: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    # recorded | renewed | updated | withdrawn
    action: Mapped[str] = mapped_column(sa.UnicodeText, nullable=False)
    # {field: [before, after]}
    changes: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)


def audit(action: str, actor_id: str | None = None, case_id: str | None = None,
          detail: str | None = None) -> None:
    """A staff event (with its time) or a system event (``actor_id`` None: date only)."""
    at = now()
    if actor_id is None:
        at = at.replace(hour=0, minute=0, second=0, microsecond=0)
    model.Session.add(AuditEvent(occurred_at=at, actor_id=actor_id, action=action,
                                 case_id=case_id, detail=detail))


def reporter_event(action: str, case_id: str) -> None:
    """Something a reporter did: its date only, apart from the staff log."""
    model.Session.add(ReporterEvent(occurred_on=today(), action=action, case_id=case_id))
