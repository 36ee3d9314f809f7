"""Descriptions written in Markdown (as CKAN renders them): safe HTML, or plain text.

CKAN shows dataset, resource and office descriptions as Markdown; the static site does the
same, with markdown-it-py (CommonMark). The HTML is sanitised with nh3 (an allow-list: no scripts, no styles, no event
attributes, only http(s) and mailto links), and headings are moved two levels down so a
description never competes with the page's own ``<h1>``/``<h2>``.
"""
from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

__all__ = ["markdown_html", "plain_text"]

_TAGS = {"a", "p", "br", "hr", "strong", "b", "em", "i", "s", "del", "code", "pre", "blockquote",
         "ul", "ol", "li", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
_SCHEMES = {"http", "https", "mailto"}
# Anything Markdown (or HTML) could give a meaning to; text without it is plain paragraphs.
_SYNTAX = re.compile(r"[*_`#>\[\]<&|~\\]|^\s*(?:[-+=]|\d+[.)])(?:\s|$)|  $|^ {4}", re.M)
_HEADING = re.compile(r"<(/?)h([1-6])>")

# CommonMark with tables and strikethrough; raw HTML is shown as text, not passed through.
# Images are not embedded (a remote image would tell a third party who reads the page):
# ``![texto](url)`` stays a link to the image.
_converter = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]) \
    .disable("image")


def _demote(match: re.Match) -> str:
    return f"<{match.group(1)}h{min(6, int(match.group(2)) + 2)}>"


def markdown_html(text: str | None) -> Markup:
    """Safe HTML of a Markdown description (one ``<p>`` per paragraph for plain text)."""
    text = str(text or "").replace("\r\n", "\n").strip()
    if not text:
        return Markup("")
    if not _SYNTAX.search(text):
        blocks = (b.strip() for b in text.split("\n\n"))
        return Markup("\n".join(f"<p>{escape(b)}</p>" for b in blocks if b))
    html = _HEADING.sub(_demote, _converter.render(text))
    return Markup(nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES,
                            link_rel="noopener noreferrer nofollow"))


_TARGET = r"\((?:[^()]|\([^()]*\))*\)"  # (url), with one level of parentheses inside
_IMAGE = re.compile(r"!\[([^\]]*)\]" + _TARGET)
_LINK = re.compile(r"\[([^\]]*)\]" + _TARGET)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$", re.M)
_REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.M)
_TAG = re.compile(r"<[^>]*>")
_MARKERS = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-+*]\s+|\d+[.)]\s+)", re.M)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`|~~)(?=\S)(.+?)(?<=\S)\1")
_SPACE = re.compile(r"\s+")


def plain_text(text: str | None) -> str:
    """A description without its Markdown, on one line (summaries, feeds, meta tags)."""
    text = str(text or "")
    if _SYNTAX.search(text):
        text = _REFERENCE.sub("", text)
        text = _TABLE_RULE.sub("", text).replace("|", " ")
        text = _IMAGE.sub(r"\1", text)
        text = _LINK.sub(r"\1", text)
        text = _TAG.sub("", text)
        text = _MARKERS.sub("", text)
        text = _EMPHASIS.sub(r"\2", text)
    return _SPACE.sub(" ", text).strip()
