"""The request hook that counts dataset page views and resource downloads.

Registered with Flask's ``after_request`` by the plugin: it looks at the endpoint and
status of the finished request and, for a successful dataset page or resource download
by a browser (not a bot), adds one to today's Redis counter. It stores nothing about
the visitor and never fails the request.
"""
from __future__ import annotations

import logging

from flask import g, request

from ckanext.openlima.metrics import usage

__all__ = ["count_usage"]

log = logging.getLogger(__name__)
# dcat.read_dataset serves /dataset/<id> when content negotiation is on; only its
# HTML answers are page views.
VIEW_ENDPOINTS = {"dataset.read", "dcat.read_dataset"}
DOWNLOAD_ENDPOINTS = {"resource.download", "dataset_resource.download"}


def count_usage(response):
    try:
        endpoint = request.endpoint or ""
        if request.method != "GET" or usage.is_bot(request.headers.get("User-Agent")):
            return response
        if endpoint in VIEW_ENDPOINTS and response.status_code == 200 and response.mimetype == "text/html":
            pkg = getattr(g, "pkg_dict", None) or {}
            ref = pkg.get("id") or (request.view_args or {}).get("id")
            if ref and not pkg.get("private"):
                usage.record("view", ref)
        elif endpoint in DOWNLOAD_ENDPOINTS and response.status_code in (200, 302, 303):
            ref = (request.view_args or {}).get("id")
            if ref:
                usage.record("download", ref)
    except Exception:  # noqa: BLE001 - counting must never break a page
        log.warning("Usage not counted", exc_info=True)
    return response
