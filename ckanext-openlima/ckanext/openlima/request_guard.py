"""Bad input gets a clear answer, never a 500 or the database's words (#12 §3).

Two nets for every route of the portal (CKAN's, the plugins', ours), installed on the
Flask app by the ``openlima`` plugin:

1. :func:`refuse_hostile_input` (``before_request``) refuses, before any view reads it:
   a NUL byte anywhere in the path, the query string, a form or a JSON body (PostgreSQL
   cannot store one: every query with it failed) → 400 (bodies of the blueprints in
   :data:`OWN_BODY_CHECKS` are left to their views); a URL variable longer than
   :data:`MAX_URL_VALUE` characters (no name or id is that long) → 404; paging
   parameters (``page``, ``limit``, ``offset``) that are not whole numbers in range and
   activity cursors (``before``, ``after``) that are not timestamps in range → 400. The
   Action API keeps its own answers for its parameters (each action validates them and
   answers 409 with field errors); only NUL bytes are refused there too. The catalogue
   feeds check everything themselves and answer in the feed's format (dcat/feeds.py).
2. :func:`install` registers error handlers for what a view forgot to catch: CKAN's
   ``NotFound`` → 404, ``NotAuthorized`` → 403, ``ValidationError`` → 400, and
   SQLAlchemy's ``DataError`` (a value the database refuses: out of range, malformed)
   → 400 after a rollback. The answer is a translated page (JSON under ``/api``), never
   the exception's text. And where a view itself fails on a value it reads: a linked
   resource whose URL is not a web link (``javascript:…``) has no download (404).
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Optional
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk
from flask import jsonify, request
from sqlalchemy import exc as sa_exc

__all__ = ["install", "refuse_hostile_input"]

MAX_URL_VALUE = 1000
# name: (smallest, largest) whole number a page may ask for
# (a page of the catalogue feeds goes as far: dcat/feeds.py's MAX_PAGE)
PAGING = {"page": (1, 1_000_000), "limit": (0, 100_000), "offset": (0, 1_000_000_000)}
# activity streams page with POSIX timestamps; beyond year 9999 the platform overflows
CURSORS = ("before", "after")
LARGEST_TIMESTAMP = 253_402_300_799
API_ACTION = "api.action"
# Views that check every parameter themselves and answer in their own format (the
# catalogue feeds: a 400 in Turtle, JSON-LD...; dcat/feeds.py).
SELF_CHECKED = {"dcat.read_catalog", "openlima_feeds.data_json"}
# Blueprints whose views read and check their own request bodies: Lima Honesta's reporter
# pages answer a NUL in a field with that field's error and keep what was typed, and cap
# the body while streaming it with their own Spanish 413; parsing the body here first
# would lose the report being typed and bypass that cap (tests/limahonesta/test_reporter.py).
OWN_BODY_CHECKS = {"limahonesta_reporter"}


def _is_api() -> bool:
    return (request.blueprint or "") == "api" or request.path.startswith("/api/")


def _answer(code: int, message: str):
    if _is_api():
        response = jsonify({"success": False,
                            "error": {"__type": _API_TYPES[code], "message": message}})
        response.status_code = code
        return response
    extra_vars = {"code": code, "name": _title(code), "content": message,
                  "show_login_redirect_link": False}
    return tk.render("error_document_template.html", extra_vars), code


_API_TYPES = {400: "Bad Request", 403: "Authorization Error", 404: "Not Found Error"}


def _title(code: int) -> str:
    return {400: tk._("Solicitud no válida"), 403: tk._("Acceso denegado"),
            404: tk._("No encontrado")}[code]


def _has_nul(values: Iterable[Any]) -> bool:
    for value in values:
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict) and (_has_nul(value.keys()) or _has_nul(value.values())):
            return True
        if isinstance(value, list) and _has_nul(value):
            return True
    return False


def _nul_anywhere() -> bool:
    if "\x00" in request.path or "%00" in request.query_string.decode("latin-1"):
        return True
    if _has_nul(request.args.keys()) or _has_nul(request.args.values()):
        return True
    if request.method in ("POST", "PUT", "PATCH") and request.blueprint not in OWN_BODY_CHECKS:
        if request.is_json:
            payload = request.get_json(silent=True)
            return payload is not None and _has_nul([payload])
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return _has_nul(request.form.keys()) or _has_nul(request.form.values())
    return False


def _whole_number(text: str, smallest: int, largest: int) -> bool:
    text = text.strip()
    return (text.lstrip("-").isdigit() and len(text) <= 12
            and smallest <= int(text) <= largest)


def _timestamp(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and 0 <= value <= LARGEST_TIMESTAMP


def _bad_parameter() -> Optional[str]:
    for name, (smallest, largest) in PAGING.items():
        for value in request.args.getlist(name):
            if not _whole_number(value, smallest, largest):
                return tk._("El parámetro «{name}» debe ser un número entero entre "
                            "{smallest} y {largest}.").format(
                    name=name, smallest=smallest, largest=largest)
    for name in CURSORS:
        for value in request.args.getlist(name):
            if not _timestamp(value):
                return tk._("El parámetro «{name}» debe ser una marca de tiempo "
                            "válida.").format(name=name)
    return None


def refuse_hostile_input():
    """Flask ``before_request``: refuse what no view can answer sensibly."""
    if request.endpoint in SELF_CHECKED:
        return None
    if _nul_anywhere():
        return _answer(400, tk._("La solicitud contiene un carácter nulo, que no es válido."))
    if any(isinstance(value, str) and len(value) > MAX_URL_VALUE
           for value in (request.view_args or {}).values()):
        return _answer(404, tk._("No existe lo que busca: el nombre o identificador de la "
                                 "dirección es demasiado largo."))
    if request.endpoint != API_ACTION:
        message = _bad_parameter()
        if message:
            return _answer(400, message)
    return None


def _not_found(error):
    return _answer(404, tk._("No existe lo que busca, o no tiene permiso para verlo."))


def _not_authorized(error):
    return _answer(403, tk._("No tiene permiso para hacer esto."))


def _invalid(error):
    return _answer(400, tk._("Los datos de la solicitud no son válidos."))


def _refused_by_database(error):
    from ckan import model  # the session to roll back, as CKAN's after_request would

    model.Session.rollback()
    return _answer(400, tk._("Un valor de la solicitud no es válido (por ejemplo, un "
                             "número demasiado grande)."))


DOWNLOAD_ENDPOINTS = ("resource.download", "dataset_resource.download",
                      "harvest_resource.download")
LINK_SCHEMES = ("http", "https", "ftp")


def _only_web_links(original):
    """CKAN's download view redirects to a linked resource's URL with
    ``h.redirect_to``, which takes ``javascript:…`` (or any text without a web scheme)
    for an endpoint name: a 500. Such a link has nothing to download: 404."""

    def download(*args: Any, **kwargs: Any):
        try:
            resource = tk.get_action("resource_show")({}, {"id": kwargs.get("resource_id")})
        except (tk.ObjectNotFound, tk.NotAuthorized):
            return original(*args, **kwargs)  # CKAN's own 404/403
        url = (resource.get("url") or "").strip()
        if resource.get("url_type") != "upload" and (
                urlsplit(url).scheme.lower() not in LINK_SCHEMES):
            return _answer(404, tk._("Este recurso no tiene un enlace descargable."))
        return original(*args, **kwargs)

    download.__name__ = "download"
    download.__module__ = __name__
    return download


def install(app) -> None:
    """Register the guard (after CKAN's own ``before_request``: the page it may render
    needs the user CKAN identifies) and the error handlers, once."""
    functions = app.before_request_funcs.setdefault(None, [])
    if refuse_hostile_input not in functions:
        functions.append(refuse_hostile_input)
    app.register_error_handler(tk.ObjectNotFound, _not_found)
    app.register_error_handler(tk.NotAuthorized, _not_authorized)
    app.register_error_handler(tk.ValidationError, _invalid)
    app.register_error_handler(sa_exc.DataError, _refused_by_database)
    for endpoint in DOWNLOAD_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is not None and getattr(view, "__module__", "") != __name__:
            app.view_functions[endpoint] = _only_web_links(view)
