"""A Content Security Policy on every HTML page of the portal (#12 §4).

Lima Honesta's pages keep their own, stricter policy (its middleware sets it last);
every other page CKAN serves gets :func:`policy_for` its endpoint, from an
``after_request`` hook, unless the response already carries one:

* scripts only from the portal itself, plus inline scripts that carry this request's
  nonce (:func:`nonce`, the template helper ``openlima_csp_nonce``): CKAN's view
  templates that set a few variables inline are overridden to carry it
  (``templates/dataviewer/base.html``, ``templates/text_view.html``,
  ``templates/datatables/datatables_view.html``); an injected ``<script>`` has none and
  does not run;
* images, frames and connections from the portal only, so a page never makes a
  visitor's browser call a third party (a proposal's Markdown cannot hold a tracking
  pixel; ``render_markdown`` also turns such images into links: ``markdown.py``);
* except where the data officer's own resource is shown — the resource page and the
  embedded views — which may load the resource from where it is published (``https:``
  and ``http:``: an image, a web page in a frame, a PDF in an ``<object>``, GeoJSON), and a view that CKAN lets other sites embed may be framed by them.

Styles allow ``'unsafe-inline'``: CKAN's own templates and JavaScript set inline styles
(the static site's policy in ``deploy/nginx.conf`` does the same); a style cannot run
code. Bound to the Flask endpoint, not to a path string.
"""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk
from flask import Response, g, request

__all__ = ["nonce", "policy_for", "add_content_security_policy", "is_third_party",
           "own_image", "RESOURCE_ENDPOINTS", "EMBEDDABLE_ENDPOINTS"]

HEADER = "Content-Security-Policy"
# The pages that show a resource where it is published (image view, web page view, map)
RESOURCE_ENDPOINTS = frozenset({
    "resource.read", "dataset_resource.read", "resource.view", "dataset_resource.view",
})
# CKAN's "embed" dialog hands this URL to other sites to frame
EMBEDDABLE_ENDPOINTS = frozenset({"resource.view", "dataset_resource.view"})
REMOTE = "https: http:"


def _site_origin() -> str:
    """``ckan.site_url``'s origin: CKAN's JavaScript calls the API there, and qualified
    links (an uploaded logo) point there, whatever host the request came in by."""
    parts = urlsplit(tk.config.get("ckan.site_url") or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def is_third_party(url: str) -> bool:
    """Whether a browser fetching ``url`` would call somebody other than the portal."""
    parts = urlsplit((url or "").strip())
    if parts.scheme.lower() == "data" or (not parts.scheme and not parts.netloc):
        return False
    return parts.netloc.lower() != urlsplit(_site_origin()).netloc.lower()


def own_image(url: str | None, placeholder: str) -> str:
    """``url`` when the portal serves it, else ``placeholder`` (an office's logo given as
    another site's address: the CSP would refuse it; the page shows the placeholder)."""
    return url if url and not is_third_party(url) else placeholder


def nonce() -> str:
    """This request's script nonce (one per request, made on first use)."""
    value = getattr(g, "openlima_csp_nonce", None)
    if value is None:
        value = g.openlima_csp_nonce = secrets.token_urlsafe(18)
    return value


def policy_for(endpoint: str | None, script_nonce: str) -> str:
    """The policy of a page served by ``endpoint``."""
    remote = endpoint in RESOURCE_ENDPOINTS
    own = " ".join(filter(None, ["'self'", _site_origin()]))
    media = f"{own} data: {REMOTE}" if remote else f"{own} data:"
    directives = [
        f"default-src {own}",
        f"script-src {own} 'nonce-{script_nonce}'",
        f"style-src {own} 'unsafe-inline'",
        f"img-src {media}",
        f"media-src {media}",
        f"font-src {own} data:",
        f"connect-src {own} {REMOTE}" if remote else f"connect-src {own}",
        f"frame-src {own} {REMOTE}" if remote else f"frame-src {own}",
        f"object-src {own} {REMOTE}" if remote else "object-src 'none'",
        "base-uri 'self'",
        f"form-action {own}",  # CKAN's login answers with a redirect to ckan.site_url
    ]
    if endpoint not in EMBEDDABLE_ENDPOINTS:
        directives.append("frame-ancestors 'self'")
    return "; ".join(directives)


def add_content_security_policy(response: Response) -> Response:
    """``after_request`` hook: the policy on an HTML answer that has none yet."""
    if response.mimetype == "text/html" and HEADER not in response.headers:
        response.headers[HEADER] = policy_for(request.endpoint, nonce())
    return response
