"""The integrity commitment register (#16): each office's signature, recorded by the Unit.

The plan's Lima Honesta draft says «que todas las oficinas de la MML firmen y/o cumplan
el compromiso de integridad». Offices are CKAN organisations. Public: which offices
signed, when, the signatory's post (and name, only if they chose to give it), the signed
document, and the share of offices that signed. The Unit's notes and the audit trail
(who changed what, when) are for reviewers with a live two-factor session only.
"""
from __future__ import annotations

import datetime
import os
import re
import secrets
from typing import Any, Optional

import sqlalchemy as sa

import ckan.model as model  # offices are CKAN organisations (read-only here)
import ckan.plugins.toolkit as tk
from openlima_common import clock

from .. import crypto, staff, uploads
from ..model import IntegritySignature, IntegritySignatureChange, audit, now
from . import validators

__all__ = [
    "limahonesta_integrity_commitment_show", "limahonesta_integrity_office_show",
    "limahonesta_integrity_signature_record", "limahonesta_integrity_signature_update",
    "limahonesta_integrity_signature_withdraw",
]

DOCUMENT_FOLDER = "compromiso"
EDITABLE = ("signed_on", "signatory_role", "signatory_name", "document_url", "notes")
PUBLIC_STATES = {"vigente": validators.N_("Vigente"), "renovada": validators.N_("Renovada"),
                 "retirada": validators.N_("Retirada")}
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def offices() -> list[model.Group]:
    """Every active organisation of the portal, by title."""
    rows = model.Session.query(model.Group).filter(
        model.Group.is_organization.is_(True), model.Group.state == "active")
    return sorted(rows, key=lambda g: ((g.title or g.name).casefold(), g.name))


def _office(ident: Any, errors: dict[str, list[str]]) -> Optional[model.Group]:
    if not isinstance(ident, str) or not ident or len(ident) > 200 or "\x00" in ident:
        errors.setdefault("organization", []).append(tk._("Indique la oficina."))
        return None
    group = model.Group.get(ident)
    if group is None or not group.is_organization or group.state != "active":
        errors.setdefault("organization", []).append(tk._("Oficina no encontrada."))
        return None
    return group


def _signature(ident: Any) -> IntegritySignature:
    if not isinstance(ident, str) or not _ID.fullmatch(ident):
        raise tk.ObjectNotFound(tk._("Firma no encontrada."))
    row = model.Session.get(IntegritySignature, ident)
    if row is None:
        raise tk.ObjectNotFound(tk._("Firma no encontrada."))
    return row


def signature_for_document(ident: Any) -> Optional[IntegritySignature]:
    """The signature whose uploaded document the public page links to, or None."""
    try:
        row = _signature(ident)
    except tk.ObjectNotFound:
        return None
    return row if row.document_storage_name else None


def document_path(storage_name: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{48}", storage_name or ""):
        raise uploads.UploadError("bad name")
    folder = os.path.join(uploads.storage_dir(), DOCUMENT_FOLDER)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return os.path.join(folder, storage_name)


def _store_document(filename: str, data: bytes) -> tuple[str, str]:
    name, media_type, _warning = uploads.check(filename, data)
    if media_type != "application/pdf":
        raise uploads.UploadError(tk._("El documento firmado debe ser un PDF."))
    storage_name = secrets.token_hex(24)
    fd = os.open(document_path(storage_name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return storage_name, name


def _clean(data_dict: dict[str, Any], errors: dict[str, list[str]], *,
           partial: bool) -> dict[str, Any]:
    """The editable fields present in ``data_dict`` (all of them unless ``partial``)."""
    out: dict[str, Any] = {}
    if not partial or "signed_on" in data_dict:
        signed_on = validators.clean_date(data_dict.get("signed_on"), errors, "signed_on")
        if signed_on is None and "signed_on" not in errors:
            errors["signed_on"] = [tk._("Este campo es obligatorio.")]
        out["signed_on"] = datetime.date.fromisoformat(signed_on) if signed_on else None
    if not partial or "signatory_role" in data_dict:
        out["signatory_role"] = validators.clean_text(
            data_dict.get("signatory_role"), errors, "signatory_role", required=True,
            max_length=200)
    for field, limit in (("signatory_name", 200), ("notes", 2000)):
        if not partial or field in data_dict:
            out[field] = validators.clean_text(data_dict.get(field), errors, field,
                                               required=False, max_length=limit)
    if not partial or "document_url" in data_dict:
        url = validators.clean_text(data_dict.get("document_url"), errors, "document_url",
                                    required=False, max_length=500)
        if url and (not re.match(r"https?://[^\s/]+", url) or any(c.isspace() for c in url)):
            errors.setdefault("document_url", []).append(
                tk._("Use una dirección web completa (https://…)."))
            url = None
        out["document_url"] = url
    return out


def _document(context: dict[str, Any], errors: dict[str, list[str]]) -> Optional[tuple[str, str]]:
    """An uploaded PDF from our own views (context), stored; or None."""
    files = context.get("limahonesta_commitment_document") or []
    if not files:
        return None
    if len(files) > 1:
        errors.setdefault("document", []).append(tk._("Adjunte un solo documento."))
        return None
    try:
        return _store_document(*files[0])
    except uploads.UploadError as exc:
        errors.setdefault("document", []).append(str(exc))
    except crypto.NotConfigured:
        errors.setdefault("document", []).append(
            tk._("El almacenamiento de archivos no está configurado en este servidor."))
    return None


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value


def _record_change(row: IntegritySignature, user_id: str, action: str,
                   changes: dict[str, list[Any]]) -> None:
    model.Session.add(IntegritySignatureChange(
        signature_id=row.id, organization_id=row.organization_id, changed_by=user_id,
        action=action, changes={k: [_value(a), _value(b)] for k, (a, b) in changes.items()}))
    audit("integrity_signature_" + action, actor_id=user_id, detail=row.id)


def _document_link(row: IntegritySignature) -> Optional[str]:
    if row.document_storage_name:
        try:
            return tk.url_for("limahonesta_commitment.document", signature_id=row.id)
        except RuntimeError:  # outside a request (the plan's CLI snapshot reads this action)
            return f"/integridad/compromiso/documento/{row.id}"
    return row.document_url


def public_signature(row: IntegritySignature) -> dict[str, Any]:
    return {
        "id": row.id,
        "state": row.state,
        "state_label": tk._(PUBLIC_STATES.get(row.state, row.state)),
        "signed_on": row.signed_on.isoformat(),
        "ended_on": row.ended_on.isoformat() if row.ended_on else None,
        "signatory_role": row.signatory_role,
        "signatory_name": row.signatory_name,
        "document_url": _document_link(row),
        "document_name": row.document_name,
        "withdrawal_reason": row.withdrawal_reason,
    }


def _signatures_by_office() -> dict[str, list[IntegritySignature]]:
    by_office: dict[str, list[IntegritySignature]] = {}
    rows = model.Session.query(IntegritySignature).order_by(
        IntegritySignature.signed_on.desc(), IntegritySignature.created_at.desc())
    for row in rows:
        by_office.setdefault(row.organization_id, []).append(row)
    return by_office


def _reviewer_id(context: dict[str, Any]) -> str:
    return staff.require_reviewer(context)[0]


# --------------------------------------------------------------------------- public


@tk.side_effect_free
def limahonesta_integrity_commitment_show(context: dict[str, Any],
                                          data_dict: dict[str, Any]) -> dict[str, Any]:
    """Every office and whether it signed the integrity commitment (public fields only).

    :returns: ``offices`` (``name``, ``title``, ``signed``, ``signature`` in force or
        ``None``, ``history``: earlier signatures), ``total_offices``, ``signed_offices``,
        ``share_signed_pct`` (``None`` without offices) and ``last_update`` (the Lima date
        of the register's last change, or ``None``)
    """
    tk.check_access("limahonesta_integrity_commitment_show", context, data_dict)
    by_office = _signatures_by_office()
    items = []
    for office in offices():
        rows = by_office.get(office.id, [])
        current = next((r for r in rows if r.state == "vigente"), None)
        items.append({
            "name": office.name, "title": office.title or office.name,
            "signed": current is not None,
            "signature": public_signature(current) if current else None,
            "history": [public_signature(r) for r in rows if r is not current],
        })
    signed = sum(1 for item in items if item["signed"])
    last = model.Session.query(sa.func.max(IntegritySignatureChange.changed_at)).scalar()
    return {
        "offices": items,
        "total_offices": len(items),
        "signed_offices": signed,
        "share_signed_pct": round(signed * 100 / len(items), 1) if items else None,
        "last_update": clock.local_date(last).isoformat() if last else None,
    }


# --------------------------------------------------------------------------- Integrity Unit


@tk.side_effect_free
def limahonesta_integrity_office_show(context: dict[str, Any],
                                      data_dict: dict[str, Any]) -> dict[str, Any]:
    """One office's signatures with the Unit's notes, and the register's audit trail.

    :param organization: the office (organisation name or id)
    :returns: ``name``, ``title``, ``signatures`` (newest first, with ``notes``) and
        ``changes`` (newest first: ``changed_at`` UTC, ``changed_by`` user name,
        ``action``, ``changes`` ``{field: [before, after]}``)
    """
    tk.check_access("limahonesta_integrity_office_show", context, data_dict)
    user_id = _reviewer_id(context)
    errors: dict[str, list[str]] = {}
    office = _office(data_dict.get("organization"), errors)
    if office is None:
        raise tk.ObjectNotFound(errors["organization"][0])
    rows = _signatures_by_office().get(office.id, [])
    changes = model.Session.query(IntegritySignatureChange).filter_by(
        organization_id=office.id).order_by(IntegritySignatureChange.changed_at.desc()).all()
    names = {u.id: u.name for u in model.Session.query(model.User).filter(
        model.User.id.in_({c.changed_by for c in changes}))}
    audit("integrity_office_viewed", actor_id=user_id, detail=office.id)
    model.Session.commit()
    return {
        "name": office.name, "title": office.title or office.name,
        "signatures": [dict(public_signature(r), notes=r.notes) for r in rows],
        "changes": [{"changed_at": c.changed_at.isoformat(timespec="seconds") + "Z",
                     "changed_by": names.get(c.changed_by, c.changed_by),
                     "action": c.action, "signature_id": c.signature_id,
                     "changes": c.changes} for c in changes],
    }


def limahonesta_integrity_signature_record(context: dict[str, Any],
                                           data_dict: dict[str, Any]) -> dict[str, Any]:
    """Record an office's signature; if one is in force, this one renews it.

    :param organization: the office (organisation name or id)
    :param signed_on: date signed (``AAAA-MM-DD``, not in the future)
    :param signatory_role: the signatory's post (cargo)
    :param signatory_name: optional, only if the signatory chose to be named
    :param document_url: optional link to the signed document (an uploaded PDF comes
        from the staff form)
    :param notes: optional, the Unit's own (never public)
    :returns: the signature (public fields and ``notes``)
    """
    tk.check_access("limahonesta_integrity_signature_record", context, data_dict)
    user_id = _reviewer_id(context)
    errors: dict[str, list[str]] = {}
    office = _office(data_dict.get("organization"), errors)
    fields = _clean(data_dict, errors, partial=False)
    current = None
    if office is not None:
        current = model.Session.query(IntegritySignature).filter_by(
            organization_id=office.id, state="vigente").with_for_update().first()
    if current is not None and fields.get("signed_on") and fields["signed_on"] < current.signed_on:
        errors.setdefault("signed_on", []).append(tk._(
            "La renovación no puede ser anterior a la firma vigente (%s).")
            % current.signed_on.isoformat())
    document = None if errors else _document(context, errors)
    if errors:
        raise tk.ValidationError(errors)
    assert office is not None
    if current is not None:
        current.state, current.ended_on, current.modified_at = "renovada", fields["signed_on"], now()
        _record_change(current, user_id, "renewed",
                       {"state": ["vigente", "renovada"], "ended_on": [None, fields["signed_on"]]})
    row = IntegritySignature(organization_id=office.id, state="vigente", **fields)
    if document:
        row.document_storage_name, row.document_name = document
    model.Session.add(row)
    model.Session.flush()
    recorded = {k: [None, v] for k, v in fields.items() if v is not None}
    if document:
        recorded["document_name"] = [None, document[1]]
    _record_change(row, user_id, "recorded", recorded)
    model.Session.commit()
    return dict(public_signature(row), notes=row.notes)


def limahonesta_integrity_signature_update(context: dict[str, Any],
                                           data_dict: dict[str, Any]) -> dict[str, Any]:
    """Correct a signature's fields (only those given); each change goes to the trail.

    :param id: the signature
    :param signed_on, signatory_role, signatory_name, document_url, notes: as in
        ``limahonesta_integrity_signature_record``
    :returns: the signature (public fields and ``notes``)
    """
    tk.check_access("limahonesta_integrity_signature_update", context, data_dict)
    user_id = _reviewer_id(context)
    row = _signature(data_dict.get("id"))
    errors: dict[str, list[str]] = {}
    fields = _clean(data_dict, errors, partial=True)
    document = None if errors else _document(context, errors)
    if errors:
        raise tk.ValidationError(errors)
    changes = {k: [getattr(row, k), v] for k, v in fields.items() if getattr(row, k) != v}
    if document:
        changes["document_name"] = [row.document_name, document[1]]
        row.document_storage_name, row.document_name = document
    for key, (_before, after) in changes.items():
        if key in EDITABLE:
            setattr(row, key, after)
    if changes:
        row.modified_at = now()
        _record_change(row, user_id, "updated", changes)
    model.Session.commit()
    return dict(public_signature(row), notes=row.notes)


def limahonesta_integrity_signature_withdraw(context: dict[str, Any],
                                             data_dict: dict[str, Any]) -> dict[str, Any]:
    """Withdraw the signature in force: the office counts as not signed from then on.

    :param id: the signature (must be in force)
    :param withdrawn_on: date (``AAAA-MM-DD``, not in the future; default today)
    :param reason: why (public)
    :returns: the signature
    """
    tk.check_access("limahonesta_integrity_signature_withdraw", context, data_dict)
    user_id = _reviewer_id(context)
    row = _signature(data_dict.get("id"))
    errors: dict[str, list[str]] = {}
    if row.state != "vigente":
        errors["id"] = [tk._("Solo se puede retirar una firma vigente.")]
    withdrawn_on = validators.clean_date(data_dict.get("withdrawn_on"), errors, "withdrawn_on")
    ended = datetime.date.fromisoformat(withdrawn_on) if withdrawn_on else clock.today()
    if ended < row.signed_on and "withdrawn_on" not in errors:
        errors["withdrawn_on"] = [tk._("El retiro no puede ser anterior a la firma.")]
    reason = validators.clean_text(data_dict.get("reason"), errors, "reason", required=True,
                                   max_length=1000)
    if errors:
        raise tk.ValidationError(errors)
    _record_change(row, user_id, "withdrawn", {"state": [row.state, "retirada"],
                                                "ended_on": [None, ended],
                                                "withdrawal_reason": [None, reason]})
    row.state, row.ended_on, row.withdrawal_reason, row.modified_at = (
        "retirada", ended, reason, now())
    model.Session.commit()
    return dict(public_signature(row), notes=row.notes)
