"""CSRF exemptions for API-token requests last one request, not the process's life.

CKAN 2.12 (``ckan_before_request`` in ``ckan.config.middleware.flask_app``) calls
``csrf.exempt(view)`` when a request authenticates with an API token, so that token
clients can post to form views. Flask-WTF keeps exemptions in one set for the whole
process: after a single token request to a form's URL, that form accepts posts without
a CSRF token from every browser session served by the same worker — anyone with an
account (and so an API token) could switch the protection off before a CSRF attack.

:func:`scope_token_exemptions` replaces that set with one that records exemptions
added while a token-authenticated request is being handled in the request's own
context (``flask.g``) instead; exemptions made at start-up (CKAN's own API views and
blueprints) stay process-wide as before.
"""
from __future__ import annotations

from typing import Any

from flask import g, has_request_context

__all__ = ["scope_token_exemptions"]

_REQUEST_KEY = "_openlima_csrf_exempt_views"


class _RequestScopedExemptions(set):
    """Flask-WTF's ``_exempt_views`` where token requests add to the request only."""

    def add(self, view: Any) -> None:
        if has_request_context() and g.get("login_via_auth_header"):
            scoped = g.get(_REQUEST_KEY)
            if scoped is None:
                scoped = set()
                setattr(g, _REQUEST_KEY, scoped)
            scoped.add(view)
            return
        super().add(view)

    def __contains__(self, view: object) -> bool:
        if super().__contains__(view):
            return True
        return has_request_context() and view in (g.get(_REQUEST_KEY) or ())


def scope_token_exemptions(csrf: Any) -> None:
    """Make ``csrf`` (CKAN's Flask-WTF ``CSRFProtect``) scope token exemptions."""
    if not isinstance(csrf._exempt_views, _RequestScopedExemptions):
        csrf._exempt_views = _RequestScopedExemptions(csrf._exempt_views)
