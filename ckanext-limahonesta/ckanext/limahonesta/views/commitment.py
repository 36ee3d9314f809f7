"""The public integrity commitment register: /integridad/compromiso (+ .csv, .json).

Public and read-only (the Unit's forms are in ``staff``). The routes sit under
``/integridad`` like the Unit's pages and get the same hardened headers (middleware).
"""
from __future__ import annotations

import io
import json

from flask import Blueprint, Response, send_file

import ckan.plugins.toolkit as tk
from openlima_common import spreadsheet

from .. import crypto, uploads
from ..logic import commitment
from . import errors

commitment_bp = Blueprint("limahonesta_commitment", __name__)
errors.register(commitment_bp, "limahonesta_commitment.page")

CSV_HEADER = ("oficina", "nombre_oficina", "firmado", "fecha_firma", "cargo_firmante",
              "nombre_firmante", "documento", "firmas_anteriores")


def _register() -> dict:
    return tk.get_action("limahonesta_integrity_commitment_show")(
        {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}, {})


def _absolute(url: str | None) -> str:
    if url and url.startswith("/"):
        return (tk.config.get("ckan.site_url") or "").rstrip("/") + url
    return url or ""


@commitment_bp.route("/integridad/compromiso")
def page():
    return tk.render("limahonesta/commitment/register.html",
                     extra_vars={"register": _register()})


@commitment_bp.route("/integridad/compromiso.csv")
def register_csv():
    register = _register()
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    writer.writerow(CSV_HEADER)
    for office in register["offices"]:
        signature = office["signature"] or {}
        writer.writerow([office["name"], office["title"], "si" if office["signed"] else "no",
                         signature.get("signed_on") or "", signature.get("signatory_role") or "",
                         signature.get("signatory_name") or "",
                         _absolute(signature.get("document_url")), len(office["history"])])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="compromiso-integridad.csv"'
    return response


@commitment_bp.route("/integridad/compromiso.json")
def register_json():
    register = _register()
    for office in register["offices"]:
        for signature in [office["signature"], *office["history"]]:
            if signature:
                signature["document_url"] = _absolute(signature["document_url"]) or None
    response = Response(json.dumps(register, ensure_ascii=False, indent=1),
                        mimetype="application/json")
    response.headers["Content-Disposition"] = 'inline; filename="compromiso-integridad.json"'
    return response


@commitment_bp.route("/integridad/compromiso/documento/<signature_id>")
def document(signature_id: str):
    row = commitment.signature_for_document(signature_id)
    if row is None:
        return tk.abort(404, tk._("Documento no encontrado."))
    try:
        path = commitment.document_path(row.document_storage_name or "")
        return send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=uploads.safe_name(row.document_name or "compromiso.pdf"))
    except (FileNotFoundError, uploads.UploadError, crypto.NotConfigured):
        return tk.abort(404, tk._("Documento no encontrado."))
