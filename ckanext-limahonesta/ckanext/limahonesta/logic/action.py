"""Lima Honesta actions.

Public: ``limahonesta_pow_challenge_show``, ``limahonesta_report_create``,
``limahonesta_report_show_by_code``, ``limahonesta_report_message_create``,
``limahonesta_report_rate``, ``limahonesta_statistics`` (alias ``limahonesta_stats_show``).
Everything else needs an Integrity Unit reviewer with a live two-factor session and,
for anything about one case, that case's key sealed to them.
"""
from __future__ import annotations

import logging
import re
import statistics
from typing import Any, Optional

import sqlalchemy as sa
from redis import RedisError

import ckan.model as model
import ckan.plugins.toolkit as tk

from .. import (cases, crypto, kdf_slots, pow as proof_of_work, refusals, reporter_notice, staff,
               throttle, unit, uploads)
from ..middleware import ENVIRON_TAG
from ..model import (CHANNELS, OUTCOMES, STATUSES, Case, CaseExclusion, CaseKey, Identity,
                     IdentityRequest, Reviewer, audit, now, reporter_event)
from . import validators
from .commitment import (limahonesta_integrity_commitment_show,
                         limahonesta_integrity_office_show,
                         limahonesta_integrity_signature_record,
                         limahonesta_integrity_signature_update,
                         limahonesta_integrity_signature_withdraw)

log = logging.getLogger(__name__)

__all__ = [
    "limahonesta_pow_challenge_show", "limahonesta_report_create",
    "limahonesta_report_show_by_code", "limahonesta_report_message_create",
    "limahonesta_report_rate", "limahonesta_report_notice_update", "limahonesta_statistics", "limahonesta_stats_show",
    "limahonesta_statistics_publish",
    "limahonesta_case_list", "limahonesta_case_show", "limahonesta_case_update_status",
    "limahonesta_message_create", "limahonesta_case_assign", "limahonesta_case_access_grant",
    "limahonesta_case_access_revoke", "limahonesta_identity_request_create",
    "limahonesta_identity_request_decide", "limahonesta_identity_show",
    "limahonesta_audit_list", "limahonesta_security_status", "limahonesta_reviewer_approve",
    "limahonesta_case_pdudc_update",
    "limahonesta_integrity_commitment_show", "limahonesta_integrity_office_show",
    "limahonesta_integrity_signature_record", "limahonesta_integrity_signature_update",
    "limahonesta_integrity_signature_withdraw",
]


def _not_configured() -> tk.ValidationError:
    return tk.ValidationError({"configuracion": [tk._(
        "Lima Honesta no está configurada en este servidor. Intente más tarde.")]})


def _files(context: dict[str, Any],
           errors: dict[str, list[str]]) -> list[tuple[str, bytes, str, Optional[str]]]:
    """Files come only from our own views (context), already read with a size cap."""
    raw = context.get("limahonesta_files") or []
    if raw:
        try:
            uploads.storage_dir()
        except crypto.NotConfigured as exc:
            log.error("Lima Honesta cannot store evidence files: %s", exc)
            raise _not_configured()
    limit = tk.config.get("ckanext.limahonesta.max_files")
    if len(raw) > limit:
        errors.setdefault("evidencias", []).append(
            tk._("Puede adjuntar como máximo %d archivos.") % limit)
        return []
    checked = []
    for filename, data in raw:
        try:
            name, media_type, warning = uploads.check(filename, data)
        except uploads.UploadError as exc:
            errors.setdefault("evidencias", []).append(str(exc))
            continue
        checked.append((name, data, media_type, warning))
    return checked


# --------------------------------------------------------------------------- public


@tk.side_effect_free
def limahonesta_pow_challenge_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """A fresh anti-spam challenge for one submission.

    :returns: ``challenge``, ``difficulty`` (leading zero bits of SHA-256 of
        ``challenge:counter``) and ``wait_seconds`` (the no-JavaScript alternative)
    """
    tk.check_access("limahonesta_pow_challenge_show", context, data_dict)
    if not crypto.is_configured():
        raise _not_configured()
    return proof_of_work.issue()


def limahonesta_report_create(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """File a report. Anonymous on the web; staff may file phone/e-mail reports.

    :param descripcion: what happened (20-10000 characters)
    :param oficina: the office (gerencia) involved
    :param distrito: UBIGEO code of the district (optional)
    :param fecha_hechos: date of the facts, ``AAAA-MM-DD`` (optional)
    :param involucrados: who was involved (optional)
    :param buena_fe: the good-faith declaration (must be true)
    :param identidad_nombre, identidad_documento, identidad_contacto: optional identity,
        stored apart and released only with a second reviewer's approval
    :param pow_challenge, pow_counter: the anti-spam proof of work (web channel)
    :param canal: ``web`` (default) or, for Integrity Unit operators, ``correo``,
        ``telefono``, ``presencial``
    :returns: ``case_number`` and ``tracking_code`` (shown once, never stored)
    """
    tk.check_access("limahonesta_report_create", context, data_dict)
    if not crypto.is_configured():
        raise _not_configured()
    channel = data_dict.get("canal") or "web"
    operator_id = None
    errors: dict[str, list[str]] = {}
    if channel not in CHANNELS:
        errors["canal"] = [tk._("Canal no válido.")]
    elif channel != "web":
        operator_id = staff.user_id_from_context(context)
        if staff.reviewer_key(context) is None:
            raise tk.NotAuthorized(tk._(
                "Solo la Unidad de Integridad registra denuncias recibidas por teléfono o correo."))
    report, identity, field_errors = validators.validate_report(data_dict)
    errors.update(field_errors)
    files = _files(context, errors)
    if errors:
        raise tk.ValidationError(errors)
    challenge = data_dict.get("pow_challenge")
    if channel == "web":
        try:
            problem = proof_of_work.check(challenge, data_dict.get("pow_counter"),
                                          client_tag=_client_tag(context))
            if problem:
                raise tk.ValidationError({"verificacion": [problem]})
            if proof_of_work.submissions_meter_exceeded():
                raise tk.ValidationError({"verificacion": [tk._(
                    "Estamos recibiendo demasiadas denuncias en este momento. "
                    "Intente nuevamente en una hora.")]})
        except (RedisError, OSError):
            log.error("limahonesta: Redis no responde; denuncia no recibida (503)")
            raise refusals.unavailable("verificacion")
    try:
        result = cases.create_case(report, identity, files, channel, operator_id)
    except kdf_slots.Busy:
        model.Session.rollback()
        if channel == "web":
            proof_of_work.release(challenge)  # nothing was stored: the same form may retry
        raise refusals.busy("verificacion")
    return {"case_number": result["case_number"], "tracking_code": result["tracking_code"],
            "code_change_required": result["code_change_required"]}


def _client_tag(context: dict[str, Any]) -> Optional[bytes]:
    """The per-client tag our middleware left in the request (web pages and API alike)."""
    tag = context.get("limahonesta_client_tag")
    if tag is None:
        try:
            tag = tk.request.environ.get(ENVIRON_TAG)
        except RuntimeError:  # outside a request (CLI, tests calling actions)
            tag = None
    return tag


def _open(context: dict[str, Any], data_dict: dict[str, Any]):
    if not crypto.is_configured():
        raise _not_configured()
    try:
        opened = cases.open_by_code(data_dict.get("codigo"), _client_tag(context))
    except throttle.Throttled as wait:
        raise refusals.throttled("codigo", wait.retry_after)
    except kdf_slots.Busy:
        raise refusals.busy("codigo")
    if opened is None:
        # Same answer for a malformed, unknown or wrong code.
        raise tk.ValidationError({"codigo": [tk._(
            "No encontramos un caso con ese código. Revise los dígitos e intente de nuevo.")]})
    return opened


def limahonesta_report_show_by_code(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Open one's own case with the tracking code (POST only; never put it in a URL).

    :param codigo: the tracking code
    :returns: the case as the reporter sees it; if the code was issued by an operator it
        is replaced now and the new one is returned once as ``new_tracking_code``
    """
    tk.check_access("limahonesta_report_show_by_code", context, data_dict)
    case, key = _open(context, data_dict)
    new_code = None
    if case.code_change_required:
        new_code = cases.change_code(case, key)
    reporter_event("reporter_opened_case", case.id)
    model.Session.commit()
    view = cases.reporter_view(case, key)
    if new_code:
        view["new_tracking_code"] = new_code
    context["limahonesta_case_key"] = key
    context["limahonesta_case_id"] = case.id
    return view


def _reporter_case(context: dict[str, Any], data_dict: dict[str, Any]):
    if context.get("limahonesta_case_id") and context.get("limahonesta_case_key") is not None:
        opened = cases.case_for_session(context["limahonesta_case_id"],
                                        bytes(context["limahonesta_case_key"]))
        if opened:
            return opened
        raise tk.NotAuthorized(tk._("Su sesión terminó. Ingrese de nuevo su código."))
    case, key = _open(context, data_dict)
    if case.code_change_required:
        raise tk.ValidationError({"codigo": [tk._(
            "Primero abra su caso en la página de seguimiento para cambiar su código.")]})
    return case, key


def limahonesta_report_message_create(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Reporter writes to the Integrity Unit (optionally with more evidence).

    :param codigo: the tracking code (API); the web page uses its session instead
    :param mensaje: the message (1-5000 characters)
    """
    tk.check_access("limahonesta_report_message_create", context, data_dict)
    errors: dict[str, list[str]] = {}
    body = validators.clean_text(data_dict.get("mensaje"), errors, "mensaje", required=True,
                                 max_length=5000)
    files = _files(context, errors)
    if errors:
        raise tk.ValidationError(errors)
    case, _key = _reporter_case(context, data_dict)
    if case.status == "cerrada":
        raise tk.ValidationError({"mensaje": [tk._("El caso está cerrado; ya no admite mensajes.")]})
    cases.reporter_message(case, body or "", files)
    return {"success": True}


def limahonesta_report_notice_update(context: dict[str, Any],
                                     data_dict: dict[str, Any]) -> dict[str, Any]:
    """Ask for, or remove, the e-mail that says only "su caso tuvo movimiento" (README,
    threat model #22). The address is sealed to the case key; it is deleted when the case
    closes.

    :param codigo: the tracking code (API); the web page uses its session instead
    :param correo: the address; absent or empty together with ``quitar`` removes it
    :param quitar: true to remove the notice and its address
    :returns: ``{"notice": bool}``
    """
    tk.check_access("limahonesta_report_notice_update", context, data_dict)
    errors: dict[str, list[str]] = {}
    removing = tk.asbool(data_dict.get("quitar"))
    address = None if removing else reporter_notice.clean_address(data_dict.get("correo"), errors)
    if errors:
        raise tk.ValidationError(errors)
    case, _key = _reporter_case(context, data_dict)
    if removing:
        reporter_notice.remove(case)
        return {"notice": False}
    if case.status == "cerrada":
        raise tk.ValidationError({"correo": [tk._("El caso está cerrado; ya no hay avisos.")]})
    reporter_notice.set_address(case, address or "")
    return {"notice": True}


def limahonesta_report_rate(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Rate the handling of one's closed case (1-5), once.

    :param codigo: the tracking code (API); the web page uses its session instead
    :param calificacion: 1 to 5
    """
    tk.check_access("limahonesta_report_rate", context, data_dict)
    errors: dict[str, list[str]] = {}
    rating = validators.clean_rating(data_dict.get("calificacion"), errors)
    if errors:
        raise tk.ValidationError(errors)
    case, _key = _reporter_case(context, data_dict)
    if case.status != "cerrada" or case.rating is not None:
        raise tk.ValidationError({"calificacion": [tk._(
            "Solo puede calificar una vez, cuando el caso esté cerrado.")]})
    cases.rate(case, rating or 0)
    return {"success": True}


def _suppress(count: int) -> Optional[int]:
    return count if count == 0 or count >= tk.config.get("ckanext.limahonesta.min_cell") else None


@tk.side_effect_free
def limahonesta_statistics(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Aggregate figures only, with small-cell suppression (``null`` = fewer than 5).

    Spam is excluded from every figure.

    :returns: ``received``, ``attended`` (closed with a decision), ``attended_ratio``,
        ``by_channel``, ``by_status``, ``by_outcome``, ``by_month`` (received per
        ``AAAA-MM``), ``median_days_to_acknowledge``, ``median_days_to_close``,
        ``mean_rating``, ``ratings``, ``min_cell``, and ``monthly`` (received and
        attended per month and channel: the table published as open data)
    """
    tk.check_access("limahonesta_statistics", context, data_dict)
    counted = model.Session.query(Case).filter(sa.or_(Case.outcome.is_(None), Case.outcome != "spam"))
    rows = counted.with_entities(Case.channel, Case.status, Case.outcome, Case.received_on,
                                 Case.acknowledged_on, Case.closed_on, Case.rating).all()
    min_cell = tk.config.get("ckanext.limahonesta.min_cell")
    received = len(rows)
    attended = sum(1 for r in rows if r.status == "cerrada" and r.outcome)

    def tally(values):
        out: dict[str, int] = {}
        for value in values:
            out[value] = out.get(value, 0) + 1
        return {k: _suppress(v) for k, v in sorted(out.items())}

    ack = [(r.acknowledged_on - r.received_on).days for r in rows if r.acknowledged_on]
    close = [(r.closed_on - r.received_on).days for r in rows if r.closed_on]
    ratings = [r.rating for r in rows if r.rating]
    cells: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        cell = cells.setdefault((r.received_on.strftime("%Y-%m"), r.channel), [0, 0])
        cell[0] += 1
        cell[1] += 1 if r.status == "cerrada" and r.outcome else 0
    monthly = [{"month": month, "channel": channel, "received": _suppress(received),
                "attended": _suppress(attended)}
               for (month, channel), (received, attended) in sorted(cells.items())]
    return {
        "monthly": monthly,
        "received": _suppress(received),
        "attended": _suppress(attended),
        "attended_ratio": round(attended / received, 3)
        if received >= min_cell and attended >= min_cell else None,
        "by_channel": tally(r.channel for r in rows),
        "by_status": tally(r.status for r in rows),
        "by_outcome": tally(r.outcome for r in rows if r.outcome),
        "by_month": tally(r.received_on.strftime("%Y-%m") for r in rows),
        "median_days_to_acknowledge": statistics.median(ack) if len(ack) >= min_cell else None,
        "median_days_to_close": statistics.median(close) if len(close) >= min_cell else None,
        "mean_rating": round(statistics.mean(ratings), 2) if len(ratings) >= min_cell else None,
        "ratings": _suppress(len(ratings)),
        "min_cell": min_cell,
    }


@tk.side_effect_free
def limahonesta_stats_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Alias of ``limahonesta_statistics`` (the name used in the issue)."""
    tk.check_access("limahonesta_stats_show", context, data_dict)
    return limahonesta_statistics(context, data_dict)


def limahonesta_statistics_publish(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Create or update the public dataset with the monthly statistics (sysadmins only).

    The dataset (``ckanext.limahonesta.statistics_dataset``) belongs to the Integrity
    Unit organisation (created if missing) and holds an uploaded CSV snapshot of the
    ``monthly`` table of ``limahonesta_statistics`` (same suppression) plus a link to
    ``/denuncias/estadisticas.csv``. Idempotent: a second call updates, never duplicates.

    :returns: the dataset, as ``package_show`` returns it
    """
    tk.check_access("limahonesta_statistics_publish", context, data_dict)
    from .. import publication
    return publication.publish()


# --------------------------------------------------------------------------- staff


_reviewer = staff.require_reviewer


def _case(context: dict[str, Any], data_dict: dict[str, Any]):
    """The case and its key, or 403 when this reviewer holds no key for it."""
    user_id, key = _reviewer(context)
    ident = data_dict.get("id")
    if not isinstance(ident, str) or not ident:
        raise tk.ValidationError({"id": [tk._("Indique el caso.")]})
    case = model.Session.query(Case).filter(
        sa.or_(Case.id == ident, Case.case_number == ident)).first()
    if case is None:
        raise tk.ObjectNotFound(tk._("Caso no encontrado."))
    case_key = staff.case_key_for(case, user_id, key)
    if case_key is None:
        audit("case_access_denied", actor_id=user_id, case_id=case.id)
        model.Session.commit()
        raise tk.NotAuthorized(tk._("No tiene acceso a este caso."))
    if case.unit_wrapped_key is None:  # stored before the unit key existed
        unit.seal_to_unit(case, case_key)
        model.Session.commit()
    return user_id, case, case_key


@tk.side_effect_free
def limahonesta_case_list(context: dict[str, Any], data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """Cases this reviewer holds a key for, newest first, with deadlines.

    :param status: filter by status (optional)
    :param channel: filter by channel (optional)
    :param overdue: only cases with an overdue deadline (optional)
    """
    tk.check_access("limahonesta_case_list", context, data_dict)
    user_id, _key = _reviewer(context)
    query = model.Session.query(Case).join(
        CaseKey, sa.and_(CaseKey.case_id == Case.id, CaseKey.reviewer_id == user_id))
    status, channel = data_dict.get("status"), data_dict.get("channel")
    if status:
        if status not in STATUSES:
            raise tk.ValidationError({"status": [tk._("Estado no válido.")]})
        query = query.filter(Case.status == status)
    if channel:
        if channel not in CHANNELS:
            raise tk.ValidationError({"channel": [tk._("Canal no válido.")]})
        query = query.filter(Case.channel == channel)
    out = [cases.summary(c) for c in query.order_by(Case.received_on.desc(), Case.case_number)]
    if tk.asbool(data_dict.get("overdue")):
        out = [c for c in out if c["ack_overdue"] or c["feedback_overdue"]]
    audit("case_list_read", actor_id=user_id)
    model.Session.commit()
    return out


@tk.side_effect_free
def limahonesta_case_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """One case, decrypted for a reviewer who holds its key. Audited.

    :param id: case id or case number
    """
    tk.check_access("limahonesta_case_show", context, data_dict)
    user_id, case, case_key = _case(context, data_dict)
    view = cases.staff_view(case, case_key)
    audit("case_read", actor_id=user_id, case_id=case.id)
    model.Session.commit()
    context["limahonesta_case_key"] = case_key
    return view


def limahonesta_case_update_status(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Move a case along recibida → en evaluación → en investigación → decisión → cerrada.

    :param id: case id or number
    :param status: the new status
    :param reason: the written reason (required; the reporter sees it)
    :param outcome: required when closing: fundada, infundada, duplicada, mala_fe,
        derivada, archivada, spam
    """
    tk.check_access("limahonesta_case_update_status", context, data_dict)
    user_id, case, _key = _case(context, data_dict)
    errors: dict[str, list[str]] = {}
    status = data_dict.get("status")
    if status not in STATUSES or status not in cases.TRANSITIONS.get(case.status, ()):
        errors["status"] = [tk._("No se puede pasar de «%(a)s» a ese estado.")
                            % {"a": cases.status_labels().get(case.status, case.status)}]
    reason = validators.clean_text(data_dict.get("reason"), errors, "reason", required=True,
                                   max_length=5000, min_length=10)
    outcome = data_dict.get("outcome") or None
    if outcome is not None and outcome not in OUTCOMES:
        errors["outcome"] = [tk._("Resultado no válido.")]
    elif status == "cerrada" and outcome is None:
        errors["outcome"] = [tk._("Indique el resultado con el que se cierra el caso.")]
    if errors:
        raise tk.ValidationError(errors)
    cases.change_status(case, user_id, status, reason or "", outcome)
    reporter_notice.tell(case, _key, closing=status == "cerrada")
    return cases.summary(case)


def limahonesta_message_create(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """A reviewer writes to the reporter, or an internal note.

    :param id: case id or number
    :param message: the text
    :param internal: true for a note the reporter never sees
    """
    tk.check_access("limahonesta_message_create", context, data_dict)
    user_id, case, _key = _case(context, data_dict)
    errors: dict[str, list[str]] = {}
    body = validators.clean_text(data_dict.get("message"), errors, "message", required=True,
                                 max_length=5000)
    files = _files(context, errors)
    if errors:
        raise tk.ValidationError(errors)
    internal = tk.asbool(data_dict.get("internal"))
    cases.staff_message(case, user_id, body or "", internal, files)
    if not internal:
        reporter_notice.tell(case, _key, closing=False)
    return {"success": True}


def _member_reviewer(errors: dict[str, list[str]], field: str, ident: Any) -> Optional[Reviewer]:
    user = model.User.get(ident) if isinstance(ident, str) and ident else None
    reviewer = staff.get_reviewer(user.id) if user else None
    if reviewer is None or not staff.is_member(reviewer.user_id) or not reviewer.approved_by:
        errors[field] = [tk._("Esa persona no es revisora inscrita y aprobada de la Unidad "
                              "de Integridad.")]
        return None
    return reviewer


def limahonesta_case_assign(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Assign the case to a reviewer who holds its key.

    :param id: case id or number
    :param user: user name or id
    """
    tk.check_access("limahonesta_case_assign", context, data_dict)
    user_id, case, _key = _case(context, data_dict)
    errors: dict[str, list[str]] = {}
    reviewer = _member_reviewer(errors, "user", data_dict.get("user"))
    if reviewer and model.Session.get(CaseKey, (case.id, reviewer.user_id)) is None:
        errors["user"] = [tk._("Esa persona no tiene acceso a este caso (conflicto de interés).")]
    if errors or reviewer is None:
        raise tk.ValidationError(errors)
    case.assigned_to = reviewer.user_id
    audit("case_assigned", actor_id=user_id, case_id=case.id, detail=reviewer.user_id)
    model.Session.commit()
    return cases.summary(case)


def limahonesta_case_access_grant(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Seal the case key to another enrolled reviewer (e.g. one who enrolled later).

    :param id: case id or number
    :param user: user name or id
    """
    tk.check_access("limahonesta_case_access_grant", context, data_dict)
    user_id, case, case_key = _case(context, data_dict)
    errors: dict[str, list[str]] = {}
    reviewer = _member_reviewer(errors, "user", data_dict.get("user"))
    if errors or reviewer is None:
        raise tk.ValidationError(errors)
    if model.Session.get(CaseKey, (case.id, reviewer.user_id)) is None:
        model.Session.add(CaseKey(case_id=case.id, reviewer_id=reviewer.user_id,
                                  sealed_key=crypto.seal(reviewer.public_key, bytes(case_key))))
    model.Session.query(CaseExclusion).filter(CaseExclusion.case_id == case.id,
                                              CaseExclusion.reviewer_id == reviewer.user_id
                                              ).delete()
    audit("case_access_granted", actor_id=user_id, case_id=case.id, detail=reviewer.user_id)
    model.Session.commit()
    return {"success": True}


def limahonesta_case_access_revoke(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Exclude a reviewer from a case (conflict of interest): their sealed key is deleted.

    :param id: case id or number
    :param user: user name or id
    """
    tk.check_access("limahonesta_case_access_revoke", context, data_dict)
    user_id, case, _key = _case(context, data_dict)
    user = model.User.get(data_dict.get("user")) if isinstance(data_dict.get("user"), str) else None
    if user is None:
        raise tk.ValidationError({"user": [tk._("Usuario no encontrado.")]})
    remaining = model.Session.query(CaseKey).filter(CaseKey.case_id == case.id,
                                                    CaseKey.reviewer_id != user.id).count()
    if remaining == 0:
        raise tk.ValidationError({"user": [tk._(
            "No se puede excluir a la última persona con acceso: el caso quedaría ilegible.")]})
    model.Session.query(CaseKey).filter(CaseKey.case_id == case.id,
                                        CaseKey.reviewer_id == user.id).delete()
    if model.Session.get(CaseExclusion, (case.id, user.id)) is None:
        # remembered, so that restoring an orphan case never gives it back (unit.py)
        model.Session.add(CaseExclusion(case_id=case.id, reviewer_id=user.id))
    if case.assigned_to == user.id:
        case.assigned_to = None
    audit("case_access_revoked", actor_id=user_id, case_id=case.id, detail=user.id)
    model.Session.commit()
    return {"success": True}


def limahonesta_identity_request_create(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Ask to see the reporter's identity; another reviewer must approve.

    :param id: case id or number
    :param reason: why the identity is needed
    """
    tk.check_access("limahonesta_identity_request_create", context, data_dict)
    user_id, case, _key = _case(context, data_dict)
    errors: dict[str, list[str]] = {}
    reason = validators.clean_text(data_dict.get("reason"), errors, "reason", required=True,
                                   max_length=2000, min_length=10)
    if model.Session.get(Identity, case.id) is None:
        errors["id"] = [tk._("La persona denunciante no registró su identidad.")]
    if errors:
        raise tk.ValidationError(errors)
    request = IdentityRequest(case_id=case.id, requested_by=user_id, state="pendiente",
                              reason=crypto.seal_json(case.public_key, reason))
    model.Session.add(request)
    audit("identity_requested", actor_id=user_id, case_id=case.id)
    model.Session.commit()
    return {"id": request.id, "state": request.state}


def limahonesta_identity_request_decide(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Approve or refuse someone else's identity request (four eyes).

    :param request_id: the request
    :param approve: true to approve
    """
    tk.check_access("limahonesta_identity_request_decide", context, data_dict)
    user_id, key = _reviewer(context)
    request = model.Session.get(IdentityRequest, data_dict.get("request_id")) \
        if isinstance(data_dict.get("request_id"), str) else None
    if request is None:
        raise tk.ObjectNotFound(tk._("Solicitud no encontrada."))
    _user, case, _case_key = _case(context, {"id": request.case_id})
    if request.requested_by == user_id:
        raise tk.NotAuthorized(tk._("Otra persona de la Unidad debe aprobar su solicitud."))
    if request.state != "pendiente":
        raise tk.ValidationError({"request_id": [tk._("La solicitud ya fue decidida.")]})
    request.state = "aprobada" if tk.asbool(data_dict.get("approve")) else "rechazada"
    request.decided_by = user_id
    request.decided_at = now()
    audit("identity_request_" + request.state, actor_id=user_id, case_id=case.id)
    model.Session.commit()
    return {"id": request.id, "state": request.state}


def limahonesta_identity_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The reporter's identity, for a reviewer whose request another reviewer approved.

    :param id: case id or number
    """
    tk.check_access("limahonesta_identity_show", context, data_dict)
    user_id, case, case_key = _case(context, data_dict)
    approved = model.Session.query(IdentityRequest).filter(
        IdentityRequest.case_id == case.id, IdentityRequest.requested_by == user_id,
        IdentityRequest.state == "aprobada",
        IdentityRequest.decided_by.isnot(None), IdentityRequest.decided_by != user_id).first()
    if approved is None:
        audit("identity_denied", actor_id=user_id, case_id=case.id)
        model.Session.commit()
        raise tk.NotAuthorized(tk._("La identidad solo se muestra con la aprobación de otra "
                                    "persona de la Unidad."))
    row = model.Session.get(Identity, case.id)
    if row is None:
        raise tk.ObjectNotFound(tk._("La persona denunciante no registró su identidad."))
    identity = crypto.decrypt_identity(case.id, case_key, row.content)
    audit("identity_decrypted", actor_id=user_id, case_id=case.id)
    model.Session.commit()
    return identity


@tk.side_effect_free
def limahonesta_audit_list(context: dict[str, Any], data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """The audit log (ids and actions only), newest first.

    :param case_id: restrict to one case (optional)
    """
    tk.check_access("limahonesta_audit_list", context, data_dict)
    _reviewer(context)
    case_id = data_dict.get("case_id")
    return cases.audit_list(case_id if isinstance(case_id, str) else None)


@tk.side_effect_free
def limahonesta_security_status(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Site-wide guessing counters for the Integrity Unit.

    :returns: ``failures_last_10_min`` (failed code checks of every web process, from
        Redis; this process's own count while Redis is unreachable) and
        ``current_delay_seconds`` (the delay a check without failures of its own gets now)
    """
    tk.check_access("limahonesta_security_status", context, data_dict)
    _reviewer(context)
    from .. import throttle
    return throttle.snapshot()


def limahonesta_reviewer_approve(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """An approved reviewer approves another member's enrolment (never their own).

    Until approved, a reviewer receives no case keys.

    :param user: user name or id of the enrolled member
    """
    tk.check_access("limahonesta_reviewer_approve", context, data_dict)
    user_id, _key = _reviewer(context)
    me = staff.get_reviewer(user_id)
    if me is None or not me.approved_by:
        raise tk.NotAuthorized(tk._("Solo una persona revisora aprobada puede aprobar a otra."))
    user = model.User.get(data_dict.get("user")) if isinstance(data_dict.get("user"), str) else None
    target = staff.get_reviewer(user.id) if user else None
    if target is None or not staff.is_member(target.user_id):
        raise tk.ValidationError({"user": [tk._("Esa persona no se ha inscrito como revisora.")]})
    if target.user_id == user_id:
        raise tk.NotAuthorized(tk._("Nadie puede aprobar su propia inscripción."))
    if not target.approved_by:
        target.approved_by = user_id
        target.approved_at = now()
        unit_key = unit.unit_key_of(user_id, _key)
        if unit_key is not None:  # the new reviewer can restore orphan cases too
            unit.give_to(target, unit_key)
        audit("reviewer_approved", actor_id=user_id, detail=target.user_id)
        model.Session.commit()
    return {"user_id": target.user_id, "approved_by": target.approved_by}


def limahonesta_case_pdudc_update(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Record the case's code in the national Plataforma Digital Única de Denuncias.

    :param id: case id or number
    :param pdudc_code: the PDUDC code (letters, digits, ``-`` and ``/``; empty clears it)
    """
    tk.check_access("limahonesta_case_pdudc_update", context, data_dict)
    user_id, case, _key = _case(context, data_dict)
    code = data_dict.get("pdudc_code")
    if code in (None, ""):
        code = None
    elif (not isinstance(code, str) or len(code.strip()) > 50
          or not re.fullmatch(r"[A-Za-z0-9/-]+", code.strip())):
        raise tk.ValidationError({"pdudc_code": [tk._(
            "Use solo letras, números, «-» y «/» (máximo 50 caracteres).")]})
    else:
        code = code.strip()
    case.pdudc_code = code
    audit("pdudc_code_set", actor_id=user_id, case_id=case.id)
    model.Session.commit()
    return cases.summary(case)
