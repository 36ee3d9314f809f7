"""Reporter pages under /denuncias: no account, Spanish first (English under
/en/denuncias), no JavaScript required.

The tracking code only ever travels in a POST body. After it is checked, the page
keeps a short-lived reporter session (see ``vault``) so the reporter can write and
rate without typing the code again; "Salir" destroys it.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, make_response as flask_make_response, redirect as flask_redirect
from redis import RedisError

import ckan.plugins.toolkit as tk
from openlima_common import clock

from .. import crypto, pow as proof_of_work, refusals, uploads, vault
from ..logic.validators import DISTRICTS
from . import errors

reporter = Blueprint("limahonesta_reporter", __name__, url_prefix="/denuncias",
                     static_folder="../public/limahonesta", static_url_path="/recursos")

errors.register(reporter, "limahonesta_reporter.index")


def _redirect(endpoint: str, **values: Any):
    """Same-origin relative redirect (CKAN's redirect_to would use ckan.site_url)."""
    code = 303 if tk.request.method == "POST" else 302
    return flask_redirect(tk.url_for(endpoint, **values), code=code)


@reporter.before_request
def _guard():
    from ckan.config.middleware.flask_app import csrf  # see README: CKAN's exempt leak
    # CKAN exempts a view from CSRF for good once anybody calls it with an API token;
    # undo that for our views and refuse token logins here.
    for name in list(getattr(csrf, "_exempt_views", ())):
        if name.startswith("ckanext.limahonesta."):
            csrf._exempt_views.discard(name)
    if tk.request.headers.get("Authorization"):
        return tk.abort(403, tk._("Estas páginas no aceptan tokens de API."))
    if (tk.request.content_length or 0) > uploads.max_request_bytes():
        return tk.abort(413, tk._("El envío supera el tamaño máximo permitido."))
    if tk.request.method == "POST":
        # CKAN 2.12 skips CSRF checks for anonymous users (and then exempts the view
        # for everybody); our forms are checked here, always, without exemptions.
        csrf.protect()
    return None


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else "",
            "limahonesta_client_tag": tk.request.environ.get("limahonesta.client_tag")}


def _render(template: str, **extra: Any) -> str:
    extra.setdefault("districts", DISTRICTS)
    extra.setdefault("max_files", tk.config.get("ckanext.limahonesta.max_files"))
    extra.setdefault("max_mb", tk.config.get("ckanext.limahonesta.max_file_size_mb"))
    return tk.render(template, extra_vars=extra)


@reporter.route("/")
def index():
    return _render("limahonesta/reporter/index.html")


@reporter.route("/estadisticas.csv")
def statistics_csv():
    """The open-data table (per month and channel, small cells suppressed) for the catalogue."""
    from ..publication import statistics_csv
    stats = tk.get_action("limahonesta_statistics")({}, {})
    response = flask_make_response(statistics_csv(stats))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="lima-honesta-estadisticas.csv"'
    return response


@reporter.route("/nueva", methods=["GET", "POST"])
def new():
    if not crypto.is_configured():
        return _render("limahonesta/reporter/unavailable.html"), 503
    if tk.request.method == "GET":
        return _render("limahonesta/reporter/new.html", data={}, errors={},
                       challenge=proof_of_work.issue())
    form = tk.request.form
    data = {key: form.get(key) for key in (
        "descripcion", "oficina", "distrito", "fecha_hechos", "involucrados", "buena_fe",
        "identidad_nombre", "identidad_documento", "identidad_contacto",
        "pow_challenge", "pow_counter")}
    context = _context()
    context["limahonesta_files"] = uploads.read_uploads(tk.request.files.getlist("evidencias"))
    try:
        result = tk.get_action("limahonesta_report_create")(context, data)
    except tk.ValidationError as exc:
        challenge = {"challenge": data.get("pow_challenge") or "",
                     "difficulty": tk.config.get("ckanext.limahonesta.pow_difficulty"),
                     "wait_seconds": tk.config.get("ckanext.limahonesta.pow_nojs_wait_seconds")}
        if isinstance(exc, refusals.Refused):
            # not the reporter's fault: the same form, challenge included, can be resent
            data.pop("identidad_documento", None)
            return refusals.with_status(_render(
                "limahonesta/reporter/new.html", data=data, errors=exc.error_dict,
                challenge=challenge), exc)
        if ("verificacion" in exc.error_dict
                and proof_of_work.wait_message() not in exc.error_dict["verificacion"]):
            # spent, forged or expired: a new challenge, and the old answer must go
            challenge = proof_of_work.issue()
            data["pow_counter"] = ""
        data.pop("identidad_documento", None)
        return _render("limahonesta/reporter/new.html", data=data, errors=exc.error_dict,
                       challenge=challenge), 400
    return _render("limahonesta/reporter/receipt.html", result=result,
                   received_on=clock.today().isoformat())


def _case_page(view: dict[str, Any], status: int = 200):
    return _render("limahonesta/reporter/case.html", case=view, errors={}), status


@reporter.route("/seguimiento", methods=["GET", "POST"])
def follow():
    if tk.request.method == "GET":
        return _render("limahonesta/reporter/follow.html", errors={})
    code = tk.request.form.get("codigo")
    try:
        _logout()
        vault.ping()  # no session can be opened without Redis: say so before any work
    except (RedisError, OSError):
        return _refused_follow(code, refusals.unavailable("codigo"))
    context = _context()
    try:
        view = tk.get_action("limahonesta_report_show_by_code")(context, {"codigo": code})
    except refusals.Refused as exc:
        return _refused_follow(code, exc)
    except tk.ValidationError as exc:
        return _render("limahonesta/reporter/follow.html", errors=exc.error_dict), 400
    try:
        token = vault.open_session({
            "case_id": context["limahonesta_case_id"],
            "key": bytes(context["limahonesta_case_key"]).hex()})
    except (RedisError, OSError):
        # Redis went away after the check: the page (and a replaced code, if any) must
        # still reach the reporter; only the follow-up session is missing.
        return _render("limahonesta/reporter/case.html", case=view, errors={},
                       no_session=True), 200
    body, status = _case_page(view)
    return vault.set_cookie(flask_make_response(body, status), vault.REPORTER_COOKIE, token)


def _refused_follow(code: Any, refusal: refusals.Refused):
    """The tracking form again with the typed code, under 429 or 503 and Retry-After."""
    typed = code if isinstance(code, str) and len(code) <= 80 else ""
    return refusals.with_status(_render("limahonesta/reporter/follow.html",
                                        errors=refusal.error_dict, codigo=typed), refusal)


def _session_context():
    """The reporter's session, or ``None``; raises ``RedisError`` when Redis is down
    (answered 503 by the blueprint's handler)."""
    payload = vault.read_session(vault.token_from_request(vault.REPORTER_COOKIE))
    if not payload:
        return None
    context = _context()
    context["limahonesta_case_id"] = payload["case_id"]
    context["limahonesta_case_key"] = crypto.private_key(bytes.fromhex(payload["key"]))
    return context


def _expired():
    return _render("limahonesta/reporter/follow.html", errors={"codigo": [tk._(
        "Su sesión terminó. Ingrese de nuevo su código de seguimiento.")]}), 403


@reporter.route("/caso")
def case():
    context = _session_context()
    if context is None:
        return _expired()
    from .. import cases
    opened = cases.case_for_session(context["limahonesta_case_id"],
                                    bytes(context["limahonesta_case_key"]))
    if opened is None:
        return _expired()
    return _case_page(cases.reporter_view(*opened))


@reporter.route("/caso/mensaje", methods=["POST"])
def message():
    try:
        context = _session_context()
    except (RedisError, OSError):
        # the message cannot be sent now; give the reporter back what they wrote
        return errors.unavailable_page("limahonesta_reporter.follow",
                                       kept=tk.request.form.get("mensaje"))
    if context is None:
        return _expired()
    context["limahonesta_files"] = uploads.read_uploads(tk.request.files.getlist("evidencias"))
    try:
        tk.get_action("limahonesta_report_message_create")(
            context, {"mensaje": tk.request.form.get("mensaje")})
    except tk.ValidationError as exc:
        return _error_on_case(context, exc.error_dict)
    except tk.NotAuthorized:
        return _expired()
    return _redirect("limahonesta_reporter.case")


@reporter.route("/caso/calificar", methods=["POST"])
def rate():
    context = _session_context()
    if context is None:
        return _expired()
    try:
        tk.get_action("limahonesta_report_rate")(
            context, {"calificacion": tk.request.form.get("calificacion")})
    except tk.ValidationError as exc:
        return _error_on_case(context, exc.error_dict)
    except tk.NotAuthorized:
        return _expired()
    return _redirect("limahonesta_reporter.case")


@reporter.route("/caso/aviso", methods=["POST"])
def notice():
    """Ask for, or remove, the content-free e-mail notice (reporter_notice.py)."""
    context = _session_context()
    if context is None:
        return _expired()
    try:
        tk.get_action("limahonesta_report_notice_update")(
            context, {"correo": tk.request.form.get("correo"),
                      "quitar": tk.request.form.get("quitar")})
    except tk.ValidationError as exc:
        return _error_on_case(context, exc.error_dict)
    except tk.NotAuthorized:
        return _expired()
    return _redirect("limahonesta_reporter.case")


def _error_on_case(context: dict[str, Any], errors: dict[str, Any]):
    from .. import cases
    opened = cases.case_for_session(context["limahonesta_case_id"],
                                    bytes(context["limahonesta_case_key"]))
    if opened is None:
        return _expired()
    return _render("limahonesta/reporter/case.html", case=cases.reporter_view(*opened),
                   errors=errors), 400


def _logout() -> None:
    token = vault.token_from_request(vault.REPORTER_COOKIE)
    if token:
        vault.close_session(token)


@reporter.route("/salir", methods=["POST"])
def logout():
    _logout()
    return vault.clear_cookie(flask_make_response(_render("limahonesta/reporter/logout.html")),
                              vault.REPORTER_COOKIE)
