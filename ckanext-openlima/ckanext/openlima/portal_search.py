"""One search across the portal's kinds (``/buscar``): datasets, Lima Activa's services
and participation spaces, and the action plan's commitments, grouped by kind.

Each kind is asked through its own public action, as an anonymous visitor would ask it,
so what a kind hides from the public (private or draft datasets) never appears here. A
kind whose plugin is not enabled is left out.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable, Optional

import ckan.plugins.toolkit as tk
# the engine's own error (CKAN's dataset search pages catch it the same way)
from ckan.lib.search import SearchError

__all__ = ["MAX_QUERY_LENGTH", "SHOWN_PER_KIND", "clean_query", "fold", "search_portal"]

SHOWN_PER_KIND = 5
MAX_QUERY_LENGTH = 200
# anything but letters, digits and spaces is a separator: the words are searched, never
# the engines' own syntax (Solr operators, SQL LIKE wildcards)
_NOT_A_WORD = re.compile(r"[\W_]+")


def clean_query(q: Optional[str]) -> str:
    """The words of what the visitor typed, at most ``MAX_QUERY_LENGTH`` characters."""
    return " ".join(_NOT_A_WORD.sub(" ", (q or "")[:MAX_QUERY_LENGTH]).split())


def fold(text: Any) -> str:
    """Lower case without accents, for comparing Spanish words ("Participación" →
    "participacion")."""
    decomposed = unicodedata.normalize("NFKD", str(text or "")).casefold()
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _public_context() -> dict[str, Any]:
    return {"user": "", "ignore_auth": False}


def _action(name: str) -> Optional[Callable]:
    try:
        return tk.get_action(name)
    except KeyError:  # the plugin that owns the kind is not enabled
        return None


def _datasets(words: str) -> Optional[dict[str, Any]]:
    search = _action("package_search")
    result = search(_public_context(), {
        "q": words, "rows": SHOWN_PER_KIND, "include_private": False, "include_drafts": False})
    return {
        "count": result["count"],
        "results": [{
            "title": dataset.get("title") or dataset["name"],
            "url": tk.h.url_for("dataset.read", id=dataset["name"]),
            "meta": (dataset.get("organization") or {}).get("title") or "",
        } for dataset in result["results"]],
        "all_url": tk.h.url_for("dataset.search", q=words),
    }


def _services(words: str) -> Optional[dict[str, Any]]:
    service_list = _action("limaactiva_service_list")
    if service_list is None:
        return None
    services = service_list(_public_context(), {"q": words})
    offices = _office_titles()
    return {
        "count": len(services),
        "results": [{
            "title": service["title"],
            "url": tk.h.url_for("limaactiva_services.directory", q=service["title"]),
            "meta": offices.get(service["office"], service["office"]),
        } for service in services[:SHOWN_PER_KIND]],
        "all_url": tk.h.url_for("limaactiva_services.directory", q=words),
    }


def _spaces(words: str) -> Optional[dict[str, Any]]:
    space_list = _action("limaactiva_space_list")
    if space_list is None:
        return None
    spaces = space_list(_public_context(), {"q": words})
    offices = _office_titles()
    return {
        "count": len(spaces),
        "results": [{
            "title": space["title"],
            "url": tk.h.url_for("limaactiva.space", name=space["name"]),
            "meta": offices.get(space["responsible_office"], space["responsible_office"]),
        } for space in spaces[:SHOWN_PER_KIND]],
        "all_url": tk.h.url_for("limaactiva.index"),
    }


def _commitments(words: str) -> Optional[dict[str, Any]]:
    commitment_list = _action("openlima_commitment_list")
    if commitment_list is None:
        return None
    try:
        commitments = commitment_list(_public_context(), {})
    except tk.ObjectNotFound:  # no plan loaded yet
        commitments = []
    wanted = fold(words).split()
    found = [
        commitment for commitment in commitments
        if all(word in fold(" ".join(str(commitment.get(field) or "") for field in (
            "code", "title", "subtitle", "summary"))) for word in wanted)
    ]
    return {
        "count": len(found),
        "results": [{
            "title": commitment["title"],
            "url": tk.h.url_for("openlima_plan.commitment", name=commitment["name"]),
            "meta": commitment.get("status_label") or "",
        } for commitment in found[:SHOWN_PER_KIND]],
        "all_url": tk.h.url_for("openlima_plan.index"),
    }


def _office_titles() -> dict[str, str]:
    """Office (organisation) name and id → title, so results name offices, not slugs."""
    offices = tk.get_action("organization_list")(_public_context(), {"all_fields": True})
    titles = {office["name"]: office["title"] or office["name"] for office in offices}
    titles.update({office["id"]: office["title"] or office["name"] for office in offices})
    return titles


def _kinds() -> list[tuple[str, str, Callable[[str], Optional[dict[str, Any]]]]]:
    return [
        ("datasets", tk._("Conjuntos de datos"), _datasets),
        ("services", tk._("Servicios"), _services),
        ("spaces", tk._("Espacios de participación"), _spaces),
        ("commitments", tk._("Compromisos"), _commitments),
    ]


def search_portal(q: Optional[str]) -> dict[str, Any]:
    """Search every kind for the words of ``q``.

    :returns: ``q`` (the words searched), ``total`` and ``groups``: one per kind whose
        plugin is enabled, in a fixed order, each with ``kind``, ``label``, ``count``,
        ``results`` (at most ``SHOWN_PER_KIND``: ``title``, ``url``, ``meta``) and
        ``all_url`` (the kind's own search or listing). Without words, no groups.
    """
    words = clean_query(q)
    groups: list[dict[str, Any]] = []
    if words:
        for kind, label, search in _kinds():
            try:
                group = search(words)
            except (tk.ValidationError, SearchError):  # a kind refusing the words finds none
                group = {"count": 0, "results": [], "all_url": None}
            if group is not None:
                groups.append({"kind": kind, "label": label, **group})
    return {"q": words, "groups": groups, "total": sum(g["count"] for g in groups)}
