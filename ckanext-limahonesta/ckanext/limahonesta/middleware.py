"""Forget the client and harden the response on every Lima Honesta route.

The protections are bound to the **route** a request reaches (the Flask endpoint: our
two blueprints, and the ``limahonesta_*`` actions of CKAN's Action API), never to a
path string: ``/en//denuncias/nueva``, ``/denuncias//seguimiento``, ``/%64enuncias/``
and every other spelling Werkzeug routes to one of our views get exactly what
``/denuncias/nueva`` gets. Two layers, because the client must be forgotten *before*
anything (CKAN, Flask, error e-mails, the server's access log) reads the request:

1. this WSGI middleware, outermost around Flask, asks the application's own URL map
   which endpoint the request will reach (after CKAN's locale stripping, following
   Werkzeug's slash-merging redirects and method mismatches) — the same matcher Flask
   uses a moment later — and, as a second net, also treats any path that normalises
   (locale removed, slashes merged, lower case) to ``/denuncias``, ``/integridad`` or a
   ``limahonesta_`` action as ours, so a 404 under those prefixes is hardened too;
2. a Flask ``before_request`` hook, first of all, looks at ``request.endpoint`` that
   Flask actually matched and applies the same treatment if layer 1 did not.

For reporter routes (``/denuncias`` and the reporter API actions) the client's address,
user agent, referrer and forwarding headers are removed from the WSGI environ *in
place*, so the development server's access log (which reads ``environ['REMOTE_ADDR']``)
prints ``0.0.0.0``. For reporter and Integrity Unit routes the security headers are set
last, after CKAN's own cache headers, so nothing downstream can weaken them. A web server
or proxy in front of CKAN keeps its own logs: see ``deploy/nginx.conf`` and the README.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Optional
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

REPORTER = "reporter"
STAFF = "staff"
# The public integrity commitment register lives under /integridad too: it gets the
# Unit's hardened headers (nothing of the client is scrubbed: it is not a reporter page).
BLUEPRINT_ZONES = {"limahonesta_reporter": REPORTER, "limahonesta_staff": STAFF,
                   "limahonesta_commitment": STAFF}
# Actions a reporter calls (their requests are scrubbed like the reporter pages);
# every other ``limahonesta_`` action still gets the hardened headers.
REPORTER_ACTION_PREFIXES = ("limahonesta_report_", "limahonesta_pow_")
API_ENDPOINT = "api.action"
ENVIRON_ZONE = "limahonesta.zone"
ENVIRON_TAG = "limahonesta.client_tag"

CLIENT_KEYS = (
    "HTTP_USER_AGENT", "HTTP_REFERER", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP",
    "HTTP_FORWARDED", "HTTP_CLIENT_IP", "HTTP_TRUE_CLIENT_IP", "HTTP_CF_CONNECTING_IP",
    "HTTP_X_CLIENT_IP", "HTTP_X_CLUSTER_CLIENT_IP", "HTTP_VIA", "HTTP_FROM",
)
ANONYMOUS_ADDRESS = "0.0.0.0"

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
    "Expires": "0",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": ("camera=(), microphone=(), geolocation=(), usb=(), payment=(), "
                           "interest-cohort=()"),
    "X-Robots-Tag": "noindex, nofollow",
}

# The second net: a path that *normalises* to one of ours (see ``zone_of_path``).
_OUR_PREFIX = re.compile(
    r"^/(?:(?P<reporter>denuncias)|(?P<staff>integridad))(?:/|$)"
    r"|^/api/(?:\d+/)?action/(?P<action>limahonesta_\w*)")


def zone_of_endpoint(endpoint: Optional[str], view_args: Optional[dict[str, Any]]) -> Optional[str]:
    """The zone of a matched Flask endpoint: ``reporter``, ``staff`` or ``None``."""
    if not endpoint:
        return None
    zone = BLUEPRINT_ZONES.get(endpoint.split(".", 1)[0])
    if zone is not None:
        return zone
    if endpoint == API_ENDPOINT:
        action = str((view_args or {}).get("logic_function") or "")
        if action.startswith(REPORTER_ACTION_PREFIXES):
            return REPORTER
        if action.startswith("limahonesta_"):
            return STAFF
    return None


def _locales() -> set[str]:
    from ckan.lib.i18n import get_locales_from_config  # what CKAN's I18nMiddleware strips
    return get_locales_from_config()


def zone_of_path(path: str) -> Optional[str]:
    """Second net: lower-cased, slashes merged, locale prefix removed, then the prefixes."""
    normal = re.sub(r"/+", "/", "/" + (path or "")).lower()
    parts = normal.split("/")
    if len(parts) > 2 and parts[1] in {locale.lower() for locale in _locales()}:
        normal = "/" + "/".join(parts[2:])
    match = _OUR_PREFIX.match(normal)
    if match is None:
        return None
    if match.group("reporter"):
        return REPORTER
    if match.group("staff"):
        return STAFF
    return REPORTER if match.group("action").startswith(REPORTER_ACTION_PREFIXES) else STAFF


def _match(adapter: Any, path: str, method: str) -> tuple[Optional[str], dict[str, Any]]:
    """Endpoint and arguments Werkzeug gives ``path``, following one slash redirect."""
    for _hop in range(3):
        try:
            return adapter.match(path, method=method)
        except RequestRedirect as redirect:
            path = urlsplit(redirect.new_url).path
        except MethodNotAllowed as refused:
            allowed = sorted(refused.valid_methods or ())
            if not allowed:
                return None, {}
            method = allowed[0]
        except HTTPException:
            return None, {}
    return None, {}


def zone_of_request(flask_app: Any, environ: dict[str, Any]) -> Optional[str]:
    """The zone of the route this request will reach (computed on a copy of the environ)."""
    from ckan.config.middleware.flask_app import handle_i18n  # CKAN's own locale stripping
    probe = dict(environ)
    probe.pop("CKAN_LANG", None)
    probe["SCRIPT_NAME"] = ""  # as CKAN's RootPathMiddleware does
    try:
        handle_i18n(probe)
        adapter = flask_app.url_map.bind_to_environ(probe)
        endpoint, args = _match(adapter, probe.get("PATH_INFO") or "/",
                                probe.get("REQUEST_METHOD") or "GET")
    except Exception:  # noqa: BLE001 - a request we cannot route is judged by its path
        endpoint, args = None, {}
    return (zone_of_endpoint(endpoint, args)
            or zone_of_path(environ.get("PATH_INFO") or "")
            or zone_of_path(probe.get("PATH_INFO") or ""))


def scrub_environ(environ: dict[str, Any]) -> None:
    """In place: the same dict is what the server's access log reads afterwards.

    The only trace kept is an in-memory keyed tag of the address for the per-client
    counters (its key lives in this process only and changes at every restart).
    """
    if environ.get(ENVIRON_TAG) is None:
        from .throttle import client_tag
        environ[ENVIRON_TAG] = client_tag(environ.get("REMOTE_ADDR"))
    environ["REMOTE_ADDR"] = ANONYMOUS_ADDRESS
    environ.pop("REMOTE_HOST", None)
    environ["REMOTE_PORT"] = "0"
    for key in CLIENT_KEYS:
        environ.pop(key, None)


def protect(environ: dict[str, Any], zone: Optional[str]) -> None:
    """Mark the request as ours; reporter requests are scrubbed now (idempotent)."""
    if zone is None:
        return
    if zone == REPORTER or environ.get(ENVIRON_ZONE) == REPORTER:
        scrub_environ(environ)
        environ[ENVIRON_ZONE] = REPORTER
    else:
        environ[ENVIRON_ZONE] = STAFF
    environ["__no_cache__"] = True


def bind_to_matched_route() -> None:
    """Flask ``before_request`` (first of all): the endpoint Flask really matched decides.

    For our routes the request body is also capped while it streams, before anything
    (CSRF checks, CKAN) reads it (``uploads.limit_request``).
    """
    from flask import request
    protect(request.environ, zone_of_endpoint(request.endpoint, request.view_args))
    if request.environ.get(ENVIRON_ZONE) is not None:
        from .uploads import limit_request
        limit_request(request)


class LimaHonestaMiddleware:
    def __init__(self, app: Callable[..., Any], flask_app: Any = None):
        self.app = app
        self.flask_app = flask_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.flask_app is not None:
            zone = zone_of_request(self.flask_app, environ)
        else:
            zone = zone_of_path(environ.get("PATH_INFO") or "")
        protect(environ, zone)

        def hardened_start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            # decided now, after routing: layer 2 may have marked the request meanwhile
            if environ.get(ENVIRON_ZONE) is None:
                return start_response(status, headers, exc_info)
            names = {name.lower() for name in SECURITY_HEADERS}
            kept = [(k, v) for k, v in headers if k.lower() not in names]
            return start_response(status, kept + list(SECURITY_HEADERS.items()), exc_info)

        return self.app(environ, hardened_start_response)
