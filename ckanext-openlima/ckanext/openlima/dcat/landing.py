"""Where a person reads a dataset: its ``dcat:landingPage``.

The static site's page (``<ckanext.openlima.site_url>/conjuntos/<name>.html``) when the
site is configured, otherwise the CKAN page (``<ckan.site_url>/dataset/<name>``). Parsing
goes the other way: a landing page of either shape names the dataset (its slug).
"""
from __future__ import annotations

import re
from urllib.parse import urlparse

import ckan.plugins.toolkit as tk

__all__ = ["landing_page", "name_from_landing_page"]

_NAME = r"[a-z0-9_-]{2,100}"
_PAGE_PATHS = (re.compile(rf"/dataset/({_NAME})/?"), re.compile(rf"/conjuntos/({_NAME})\.html"))


def landing_page(dataset: dict) -> str:
    site = (tk.config.get("ckanext.openlima.site_url") or "").rstrip("/")
    if site:
        return f"{site}/conjuntos/{dataset['name']}.html"
    return f"{tk.config.get('ckan.site_url').rstrip('/')}/dataset/{dataset['name']}"


def name_from_landing_page(url: str) -> str | None:
    """The dataset name in a portal page address (``…/dataset/<name>``,
    ``…/conjuntos/<name>.html``), or None."""
    path = urlparse(str(url)).path
    for pattern in _PAGE_PATHS:
        match = pattern.search(path)
        if match and path.endswith(match.group(0)):
            return match.group(1)
    return None
