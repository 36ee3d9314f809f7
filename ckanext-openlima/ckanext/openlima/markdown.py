"""Markdown without third-party images (#12 §4).

CKAN's ``render_markdown`` keeps ``<img>`` with any ``src``: a proposal, a comment or a
description could make every visitor's browser fetch a picture from somewhere else (a
tracking pixel that learns who read a proposal, and when). Chained here, for every text
the portal renders as Markdown (datasets, offices, Lima Activa): an image published by
the portal itself stays; any other becomes a link to it, which a visitor may follow or
not. The portal's CSP (``csp.py``) refuses remote images too; this keeps the page whole.
"""
from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk
from markupsafe import Markup

from ckanext.openlima.csp import is_third_party

__all__ = ["render_markdown", "without_remote_images"]

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs = {name: value or "" for name, value in attrs}

    handle_startendtag = handle_starttag


def _attributes(tag: str) -> dict[str, str]:
    parser = _Attributes()
    parser.feed(tag)
    parser.close()
    return parser.attrs


def without_remote_images(html: str) -> str:
    """``html`` with every ``<img>`` the portal does not serve turned into a link."""
    def replace(match: re.Match[str]) -> str:
        attrs = _attributes(match.group(0))
        src = attrs.get("src", "")
        if src and not is_third_party(src):
            return match.group(0)
        if not src.lower().startswith(("http://", "https://", "//")):
            return ""  # nothing a visitor could follow
        label = attrs.get("alt") or attrs.get("title") or urlsplit(src).netloc
        kind = tk._("Imagen externa")
        return (f'<a href="{escape(src)}" class="openlima-external-image" '
                f'rel="nofollow noopener noreferrer">{escape(kind)}: {escape(label)}</a>')
    return _IMG.sub(replace, html)


@tk.chained_helper
def render_markdown(next_helper, data: Any, *args: Any, **kwargs: Any) -> Markup:
    """CKAN's ``render_markdown``, with images from elsewhere turned into links."""
    rendered = next_helper(data, *args, **kwargs)
    if "<img" not in rendered.lower():
        return rendered
    return Markup(without_remote_images(str(rendered)))
