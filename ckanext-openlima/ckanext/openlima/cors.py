"""CORS for reading: a notebook or a web app in a browser may read the Action API's
read-only actions, the DCAT feeds and ``/data.json`` from any origin.

Only ``GET``/``HEAD`` answered by the endpoints in :data:`READ_ENDPOINTS` get
``Access-Control-Allow-Origin`` (from ``ckanext.openlima.cors_allowed_origins``, ``*`` by
default). No credentials are allowed, so a browser never sends the visitor's cookies with
such a request and what it can read is what an anonymous visitor sees. Writes (``POST``)
keep CKAN's own rules (``ckan.cors.*``, off by default); so does every other page.
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Response, request

__all__ = ["READ_ENDPOINTS", "add_read_cors_headers"]

# Flask endpoints (not paths): the Action API and the feeds
READ_ENDPOINTS = frozenset({
    "api.action",
    "dcat.read_catalog",
    "dcat.read_dataset",
    "dcat.read_dataset_series",
    "openlima_feeds.data_json",
})
# A feed endpoint also serves HTML (the home page, a dataset page): only its feeds count
FEED_TYPES = ("text/turtle", "text/n3", "application/rdf+xml", "application/ld+json",
              "application/json")


def _allowed_origin() -> str | None:
    allowed = tk.aslist(tk.config.get("ckanext.openlima.cors_allowed_origins"))
    if not allowed:
        return None
    if "*" in allowed:
        return "*"
    origin = request.headers.get("Origin")
    return origin if origin in allowed else None


def add_read_cors_headers(response: Response) -> Response:
    """``after_request`` hook: CORS headers on read-only GETs of :data:`READ_ENDPOINTS`."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in READ_ENDPOINTS:
        return response
    if request.endpoint != "api.action" and response.mimetype not in FEED_TYPES:
        return response
    if "Access-Control-Allow-Origin" in response.headers:
        return response
    origin = _allowed_origin()
    if origin is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
    if origin != "*":
        response.vary.add("Origin")
    return response
