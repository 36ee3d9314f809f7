"""WSGI middleware for Lima Honesta paths: forget the client, harden the response.

For reporter paths (``/denuncias`` and the reporter API actions) the client's address,
user agent, referrer and forwarding headers are removed from the WSGI environ *before*
CKAN, Flask, error e-mails or the development server's access log can see them (the
development server logs ``environ['REMOTE_ADDR']``, which becomes ``0.0.0.0``). A web
server or proxy in front of CKAN keeps its own logs: see the README for its settings.

For reporter and Integrity Unit paths the security headers are set last, after CKAN's
own cache headers, so nothing downstream can weaken them.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable

# This runs before CKAN strips the locale, so "/en/denuncias" must match too.
_LOCALE = r"(?:/[A-Za-z]{2,3}(?:_[A-Za-z]{2,4}){0,2})?"
REPORTER_PATH = re.compile(
    r"^" + _LOCALE
    + r"/(?:denuncias(?:/|$)|api/(?:\d+/)?action/limahonesta_(?:report_|pow_))")
STAFF_PATH = re.compile(r"^" + _LOCALE + r"/integridad(?:/|$)")

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


def scrub_environ(environ: dict[str, Any]) -> None:
    """In place: the same dict is what the server's access log reads afterwards.

    The only trace kept is an in-memory keyed tag of the address for the guessing
    counters (its key lives in this process only and changes at every restart).
    """
    from .throttle import client_tag
    environ["limahonesta.client_tag"] = client_tag(environ.get("REMOTE_ADDR"))
    environ["REMOTE_ADDR"] = ANONYMOUS_ADDRESS
    environ.pop("REMOTE_HOST", None)
    environ["REMOTE_PORT"] = "0"
    for key in CLIENT_KEYS:
        environ.pop(key, None)


class LimaHonestaMiddleware:
    def __init__(self, app: Callable[..., Any]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        reporter = bool(REPORTER_PATH.match(path))
        staff = bool(STAFF_PATH.match(path))
        if reporter:
            scrub_environ(environ)
        if not (reporter or staff):
            return self.app(environ, start_response)
        environ["__no_cache__"] = True

        def hardened_start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            names = {name.lower() for name in SECURITY_HEADERS}
            kept = [(k, v) for k, v in headers if k.lower() not in names]
            return start_response(status, kept + list(SECURITY_HEADERS.items()), exc_info)

        return self.app(environ, hardened_start_response)
