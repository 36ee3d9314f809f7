"""Integrity Unit pages under /integridad (CKAN login + membership + TOTP + key)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect as flask_redirect, Response, session as flask_session

import ckan.model as model
import ckan.plugins.toolkit as tk
from openlima_common import clock

from .. import cases, crypto, staff, uploads, vault
from ..model import OUTCOMES, Attachment, Case
from . import errors

staff_bp = Blueprint("limahonesta_staff", __name__, url_prefix="/integridad")

ENROL_FIELD = "limahonesta_enrol_totp"
errors.register(staff_bp, "limahonesta_staff.index")


def _redirect(endpoint: str, **values: Any):
    """Same-origin relative redirect (CKAN's redirect_to would use ckan.site_url)."""
    code = 303 if tk.request.method == "POST" else 302
    return flask_redirect(tk.url_for(endpoint, **values), code=code)


@staff_bp.before_request
def _guard():
    from ckan.config.middleware.flask_app import csrf  # see reporter._guard
    for name in list(getattr(csrf, "_exempt_views", ())):
        if name.startswith("ckanext.limahonesta."):
            csrf._exempt_views.discard(name)
    if not tk.current_user.is_authenticated:
        return tk.abort(403, tk._("Solo la Unidad de Integridad Institucional tiene acceso."))
    if tk.request.headers.get("Authorization") or tk.g.get("login_via_auth_header"):
        return tk.abort(403, tk._("Ingrese con su usuario y contraseña; no se aceptan tokens."))
    if tk.request.method == "POST":
        # CKAN 2.12 skips CSRF checks for anonymous users (and then exempts the view
        # for everybody); our forms are checked here, always, without exemptions.
        csrf.protect()
    if (tk.request.content_length or 0) > uploads.max_request_bytes():
        return tk.abort(413, tk._("El envío supera el tamaño máximo permitido."))
    if not staff.is_member(tk.current_user.id):
        return tk.abort(403, tk._("Solo la Unidad de Integridad Institucional tiene acceso."))
    if not crypto.is_configured():
        return tk.abort(503, tk._("Lima Honesta no está configurada en este servidor."))
    endpoint = tk.request.endpoint or ""
    if endpoint.endswith((".enrol", ".login", ".logout")):
        return None
    if staff.get_reviewer(tk.current_user.id) is None:
        return _redirect("limahonesta_staff.enrol")
    if staff.current_session(tk.current_user.id) is None:
        return _redirect("limahonesta_staff.login")
    return None


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name, "auth_user_obj": tk.current_user}


def _render(template: str, **extra: Any) -> str:
    extra.setdefault("status_labels", cases.status_labels())
    extra.setdefault("outcome_labels", cases.outcome_labels())
    extra.setdefault("channel_labels", cases.channel_labels())
    extra.setdefault("confidentiality_labels", cases.confidentiality_labels())
    extra.setdefault("author_labels", cases.author_labels())
    extra.setdefault("request_state_labels", cases.request_state_labels())
    return tk.render(template, extra_vars=extra)


@staff_bp.route("/inscripcion", methods=["GET", "POST"])
def enrol():
    user_id = tk.current_user.id
    if staff.get_reviewer(user_id) is not None:
        return _redirect("limahonesta_staff.login")
    secret_b32 = flask_session.get(ENROL_FIELD)
    if not secret_b32:
        secret_b32 = crypto.b32(staff.new_totp_secret())
        flask_session[ENROL_FIELD] = secret_b32
    secret = crypto.unb32(secret_b32)
    errors: dict[str, list[str]] = {}
    if tk.request.method == "POST":
        passphrase = tk.request.form.get("passphrase") or ""
        if len(passphrase) < 12 or len(passphrase) > 200:
            errors["passphrase"] = [tk._("La frase de acceso debe tener entre 12 y 200 caracteres.")]
        elif passphrase != tk.request.form.get("passphrase2"):
            errors["passphrase2"] = [tk._("Las frases no coinciden.")]
        step = crypto.totp_verify(secret, tk.request.form.get("totp") or "", 0)
        if step is None:
            errors["totp"] = [tk._("El código de su aplicación de autenticación no es correcto.")]
        if not errors:
            shown = staff.enrol(user_id, passphrase, secret, step or 0)
            flask_session.pop(ENROL_FIELD, None)
            return _render("limahonesta/staff/enrolled.html", shown=shown)
    return _render("limahonesta/staff/enrol.html", secret=crypto.group(secret_b32, 4),
                   uri=crypto.totp_uri(secret, tk.current_user.name), errors=errors), \
        (400 if errors else 200)


@staff_bp.route("/acceso", methods=["GET", "POST"])
def login():
    if staff.get_reviewer(tk.current_user.id) is None:
        return _redirect("limahonesta_staff.enrol")
    errors: dict[str, list[str]] = {}
    if tk.request.method == "POST":
        form = tk.request.form
        token = staff.login(tk.current_user.id, form.get("second_factor") or "",
                            passphrase=form.get("passphrase") or "",
                            recovery_key=form.get("recovery_key") or "")
        if token:
            return vault.set_cookie(_redirect("limahonesta_staff.index"),
                                    vault.REVIEWER_COOKIE, token)
        errors["second_factor"] = [tk._(
            "No se pudo verificar: revise el código (cada código sirve una sola vez) "
            "y su frase de acceso.")]
    return _render("limahonesta/staff/login.html", errors=errors), (401 if errors else 200)


@staff_bp.route("/salir", methods=["POST"])
def logout():
    staff.logout()
    return vault.clear_cookie(_redirect("limahonesta_staff.login"), vault.REVIEWER_COOKIE)


@staff_bp.route("/")
def index():
    args = tk.request.args
    filters = {k: args.get(k) for k in ("status", "channel", "overdue") if args.get(k)}
    try:
        items = tk.get_action("limahonesta_case_list")(_context(), filters)
    except tk.ValidationError:
        items, filters = [], {}
    pending = []
    for reviewer in staff.pending_reviewers():
        if reviewer.user_id != tk.current_user.id:
            user = model.User.get(reviewer.user_id)
            pending.append({"id": reviewer.user_id, "name": user.name if user else reviewer.user_id})
    me = staff.get_reviewer(tk.current_user.id)
    return _render("limahonesta/staff/index.html", items=items, filters=filters,
                   pending=pending, approved=bool(me and me.approved_by))


@staff_bp.route("/revisores/aprobar", methods=["POST"])
def approve_reviewer():
    try:
        tk.get_action("limahonesta_reviewer_approve")(_context(), {
            "user": tk.request.form.get("user")})
    except tk.ValidationError as exc:
        return tk.abort(400, "; ".join(m for ms in exc.error_dict.values() for m in ms))
    except tk.NotAuthorized as exc:
        return tk.abort(403, str(exc))
    return _redirect("limahonesta_staff.index")


def _case_view(case_id: str, errors: dict[str, Any] | None = None, status: int = 200,
               identity: dict[str, Any] | None = None):
    try:
        view = tk.get_action("limahonesta_case_show")(_context(), {"id": case_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Caso no encontrado."))
    except tk.NotAuthorized as exc:
        return tk.abort(403, str(exc))
    reviewers = {u["id"]: u for u in staff.integrity_members()}
    return _render("limahonesta/staff/case.html", case=view, errors=errors or {},
                   identity=identity, reviewers=reviewers, outcomes=OUTCOMES,
                   transitions=cases.TRANSITIONS.get(view["status"], ()),
                   me=tk.current_user.id), status


@staff_bp.route("/caso/<case_id>")
def case(case_id: str):
    return _case_view(case_id)


def _post_action(case_id: str, action: str, data: dict[str, Any], files: bool = False):
    context = _context()
    if files:
        context["limahonesta_files"] = uploads.read_uploads(tk.request.files.getlist("evidencias"))
    try:
        tk.get_action(action)(context, dict(data, id=case_id))
    except tk.ValidationError as exc:
        return _case_view(case_id, exc.error_dict, 400)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Caso no encontrado."))
    except tk.NotAuthorized as exc:
        return tk.abort(403, str(exc))
    return _redirect("limahonesta_staff.case", case_id=case_id)


@staff_bp.route("/caso/<case_id>/estado", methods=["POST"])
def update_status(case_id: str):
    form = tk.request.form
    return _post_action(case_id, "limahonesta_case_update_status", {
        "status": form.get("status"), "reason": form.get("reason"),
        "outcome": form.get("outcome")})


@staff_bp.route("/caso/<case_id>/mensaje", methods=["POST"])
def message(case_id: str):
    form = tk.request.form
    return _post_action(case_id, "limahonesta_message_create", {
        "message": form.get("message"), "internal": form.get("internal") == "on"}, files=True)


@staff_bp.route("/caso/<case_id>/pdudc", methods=["POST"])
def pdudc(case_id: str):
    return _post_action(case_id, "limahonesta_case_pdudc_update",
                        {"pdudc_code": tk.request.form.get("pdudc_code")})


@staff_bp.route("/caso/<case_id>/asignar", methods=["POST"])
def assign(case_id: str):
    return _post_action(case_id, "limahonesta_case_assign", {"user": tk.request.form.get("user")})


@staff_bp.route("/caso/<case_id>/acceso", methods=["POST"])
def access(case_id: str):
    action = ("limahonesta_case_access_revoke" if tk.request.form.get("revoke")
              else "limahonesta_case_access_grant")
    return _post_action(case_id, action, {"user": tk.request.form.get("user")})


@staff_bp.route("/caso/<case_id>/identidad/solicitar", methods=["POST"])
def identity_request(case_id: str):
    return _post_action(case_id, "limahonesta_identity_request_create",
                        {"reason": tk.request.form.get("reason")})


@staff_bp.route("/caso/<case_id>/identidad/decidir", methods=["POST"])
def identity_decide(case_id: str):
    return _post_action(case_id, "limahonesta_identity_request_decide", {
        "request_id": tk.request.form.get("request_id"),
        "approve": tk.request.form.get("approve") == "1"})


@staff_bp.route("/caso/<case_id>/identidad", methods=["POST"])
def identity_show(case_id: str):
    try:
        identity = tk.get_action("limahonesta_identity_show")(_context(), {"id": case_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Caso no encontrado."))
    except tk.NotAuthorized as exc:
        return tk.abort(403, str(exc))
    return _case_view(case_id, identity=identity)


@staff_bp.route("/caso/<case_id>/archivo/<attachment_id>")
def download(case_id: str, attachment_id: str):
    context = _context()
    try:
        tk.get_action("limahonesta_case_show")(context, {"id": case_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Caso no encontrado."))
    except tk.NotAuthorized as exc:
        return tk.abort(403, str(exc))
    case_key = context["limahonesta_case_key"]
    row = model.Session.get(Attachment, attachment_id)
    case_row = model.Session.query(Case).filter(
        (Case.id == case_id) | (Case.case_number == case_id)).first()
    if row is None or case_row is None or row.case_id != case_row.id:
        return tk.abort(404, tk._("Archivo no encontrado."))
    meta = crypto.unseal_json(case_key, row.meta)
    data = uploads.read(case_key, row.storage_name)
    from ..model import audit
    audit("file_decrypted", actor_id=tk.current_user.id, case_id=row.case_id, detail=row.id)
    model.Session.commit()
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = 'attachment; filename="%s"' % uploads.safe_name(
        meta.get("name"))
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@staff_bp.route("/nueva", methods=["GET", "POST"])
def operator_new():
    """Report received by phone, e-mail or in person, filed by an operator."""
    from ..logic.validators import DISTRICTS
    if tk.request.method == "GET":
        return _render("limahonesta/staff/operator_new.html", data={}, errors={},
                       districts=DISTRICTS)
    form = tk.request.form
    data = {key: form.get(key) for key in (
        "canal", "descripcion", "oficina", "distrito", "fecha_hechos", "involucrados",
        "buena_fe", "identidad_nombre", "identidad_documento", "identidad_contacto")}
    context = _context()
    context["limahonesta_files"] = uploads.read_uploads(tk.request.files.getlist("evidencias"))
    try:
        result = tk.get_action("limahonesta_report_create")(context, data)
    except tk.ValidationError as exc:
        return _render("limahonesta/staff/operator_new.html", data=data, errors=exc.error_dict,
                       districts=DISTRICTS), 400
    except tk.NotAuthorized as exc:
        return tk.abort(403, str(exc))
    return _render("limahonesta/staff/operator_receipt.html", result=result)


@staff_bp.route("/auditoria")
def audit_log():
    items = tk.get_action("limahonesta_audit_list")(_context(), {
        "case_id": tk.request.args.get("case_id")})
    names = {u["id"]: u["name"] for u in staff.integrity_members()}
    return _render("limahonesta/staff/audit.html", items=items, names=names)


# --------------------------------------------------------------------------- integrity commitment


def _commitment_office(office: str, errors: dict[str, Any] | None = None, status: int = 200,
                       data: dict[str, Any] | None = None):
    try:
        view = tk.get_action("limahonesta_integrity_office_show")(
            _context(), {"organization": office})
    except tk.ObjectNotFound as exc:
        return tk.abort(404, str(exc) or tk._("Oficina no encontrada."))
    except tk.NotAuthorized as exc:
        return tk.abort(403, str(exc))
    current = next((s for s in view["signatures"] if s["state"] == "vigente"), None)
    return _render("limahonesta/staff/commitment_office.html", office=view, current=current,
                   errors=errors or {}, data=data or {}, today=clock.today().isoformat(),
                   change_labels=commitment_change_labels(),
                   field_labels=commitment_field_labels()), status


def commitment_change_labels() -> dict[str, str]:
    return {"recorded": tk._("Firma registrada"), "renewed": tk._("Firma renovada"),
            "updated": tk._("Firma corregida"), "withdrawn": tk._("Firma retirada")}


def commitment_field_labels() -> dict[str, str]:
    return {"signed_on": tk._("Fecha de firma"), "signatory_role": tk._("Cargo de quien firmó"),
            "signatory_name": tk._("Nombre de quien firmó"),
            "document_url": tk._("Enlace al documento firmado"),
            "document_name": tk._("Documento firmado"), "notes": tk._("Notas internas"),
            "state": tk._("Estado"), "ended_on": tk._("Fin de la vigencia"),
            "withdrawal_reason": tk._("Motivo del retiro")}


@staff_bp.route("/compromisos")
def commitment_index():
    register = tk.get_action("limahonesta_integrity_commitment_show")(_context(), {})
    return _render("limahonesta/staff/commitment_index.html", register=register)


@staff_bp.route("/compromisos/<office>")
def commitment_office(office: str):
    return _commitment_office(office)


def _commitment_post(office: str, action: str, data: dict[str, Any]):
    context = _context()
    context["limahonesta_commitment_document"] = uploads.read_uploads(
        tk.request.files.getlist("documento"))
    try:
        tk.get_action(action)(context, data)
    except tk.ValidationError as exc:
        return _commitment_office(office, exc.error_dict, 400, data)
    except tk.ObjectNotFound as exc:
        return tk.abort(404, str(exc) or tk._("Firma no encontrada."))
    except tk.NotAuthorized as exc:
        return tk.abort(403, str(exc))
    return _redirect("limahonesta_staff.commitment_office", office=office)


def _signature_fields() -> dict[str, Any]:
    form = tk.request.form
    return {key: form.get(key) for key in (
        "signed_on", "signatory_role", "signatory_name", "document_url", "notes")}


@staff_bp.route("/compromisos/<office>/firmar", methods=["POST"])
def commitment_record(office: str):
    return _commitment_post(office, "limahonesta_integrity_signature_record",
                            dict(_signature_fields(), organization=office))


@staff_bp.route("/compromisos/<office>/firma/<signature_id>", methods=["POST"])
def commitment_update(office: str, signature_id: str):
    return _commitment_post(office, "limahonesta_integrity_signature_update",
                            dict(_signature_fields(), id=signature_id))


@staff_bp.route("/compromisos/<office>/firma/<signature_id>/retirar", methods=["POST"])
def commitment_withdraw(office: str, signature_id: str):
    form = tk.request.form
    return _commitment_post(office, "limahonesta_integrity_signature_withdraw", {
        "id": signature_id, "withdrawn_on": form.get("withdrawn_on"),
        "reason": form.get("reason")})
