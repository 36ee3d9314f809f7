"""Auth functions: reporters need nothing; everything else needs a reviewer.

A reviewer is a member of the Integrity Unit organisation with an enrolled key and a
live two-factor session in this browser. ``auth_sysadmins_check`` makes CKAN apply
these rules to sysadmins too: a sysadmin who is not a reviewer gets 403.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from .. import staff

__all__ = [
    "limahonesta_pow_challenge_show", "limahonesta_report_create",
    "limahonesta_report_show_by_code", "limahonesta_report_message_create",
    "limahonesta_report_rate", "limahonesta_report_notice_update",
    "limahonesta_statistics", "limahonesta_stats_show",
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


def _public(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    return {"success": True}


def _reviewer(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    user_id = staff.user_id_from_context(context)
    if not staff.is_member(user_id):
        return {"success": False,
                "msg": tk._("Solo la Unidad de Integridad Institucional tiene acceso.")}
    if staff.get_reviewer(user_id) is None:
        return {"success": False, "msg": tk._("Primero inscriba su llave y su segundo factor.")}
    if staff.reviewer_key(context) is None:
        return {"success": False,
                "msg": tk._("Ingrese su código de segundo factor para continuar.")}
    return {"success": True}


def _make(check, name):
    """One auth function per action, all sharing one rule (reporters: none; staff: reviewer)."""
    func = tk.auth_sysadmins_check(tk.auth_allow_anonymous_access(
        lambda context, data_dict: check(context, data_dict)))
    func.__name__ = name
    return func


# Reporters (and anyone) may call these; each action checks its own secret (code, PoW).
limahonesta_pow_challenge_show = _make(_public, "limahonesta_pow_challenge_show")
limahonesta_report_create = _make(_public, "limahonesta_report_create")
limahonesta_report_show_by_code = _make(_public, "limahonesta_report_show_by_code")
limahonesta_report_message_create = _make(_public, "limahonesta_report_message_create")
limahonesta_report_rate = _make(_public, "limahonesta_report_rate")
limahonesta_report_notice_update = _make(_public, "limahonesta_report_notice_update")
limahonesta_statistics = _make(_public, "limahonesta_statistics")
limahonesta_stats_show = _make(_public, "limahonesta_stats_show")

# Integrity Unit only.
limahonesta_case_list = _make(_reviewer, "limahonesta_case_list")
limahonesta_case_show = _make(_reviewer, "limahonesta_case_show")
limahonesta_case_update_status = _make(_reviewer, "limahonesta_case_update_status")
limahonesta_message_create = _make(_reviewer, "limahonesta_message_create")
limahonesta_case_assign = _make(_reviewer, "limahonesta_case_assign")
limahonesta_case_access_grant = _make(_reviewer, "limahonesta_case_access_grant")
limahonesta_case_access_revoke = _make(_reviewer, "limahonesta_case_access_revoke")
limahonesta_identity_request_create = _make(_reviewer, "limahonesta_identity_request_create")
limahonesta_identity_request_decide = _make(_reviewer, "limahonesta_identity_request_decide")
limahonesta_identity_show = _make(_reviewer, "limahonesta_identity_show")
limahonesta_audit_list = _make(_reviewer, "limahonesta_audit_list")
limahonesta_security_status = _make(_reviewer, "limahonesta_security_status")
limahonesta_reviewer_approve = _make(_reviewer, "limahonesta_reviewer_approve")
limahonesta_case_pdudc_update = _make(_reviewer, "limahonesta_case_pdudc_update")

# The integrity commitment register: anyone reads the public fields; only reviewers write.
limahonesta_integrity_commitment_show = _make(_public, "limahonesta_integrity_commitment_show")
limahonesta_integrity_office_show = _make(_reviewer, "limahonesta_integrity_office_show")
limahonesta_integrity_signature_record = _make(_reviewer,
                                               "limahonesta_integrity_signature_record")
limahonesta_integrity_signature_update = _make(_reviewer,
                                               "limahonesta_integrity_signature_update")
limahonesta_integrity_signature_withdraw = _make(_reviewer,
                                                 "limahonesta_integrity_signature_withdraw")


def limahonesta_statistics_publish(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Sysadmins only (CKAN lets sysadmins through before calling this)."""
    return {"success": False,
            "msg": tk._("Solo un administrador del sistema puede publicar las estadísticas.")}
