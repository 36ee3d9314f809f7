"""``package_search`` with the engine's refusals answered in the caller's words, and
"did you mean" for free text that finds nothing.

CKAN wraps every search error in ``SearchError('SOLR returned an error running query:
<the whole request> Error: <pysolr error>')``: a 100 kB query comes back whole, inside
an English sentence about Solr. When the engine refused the search on purpose
(``SearchRefused``), the 409 carries only the engine's translated message.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model  # the engine's own session: the vocabulary is in CKAN's database
from ckan.lib.search import SearchError, SearchQueryError

from . import messages, vocabulary
from .engine import SearchRefused

log = logging.getLogger(__name__)

# Where the /dataset page finds this request's suggestion (helper
# ``openlima_search_suggestion``): the view does not hand the template the whole result
SUGGESTION_ATTRIBUTE = "openlima_search_suggestion"

__all__ = ["package_search"]

# Parameters CKAN's schema converts with int(), which raises TypeError (a 500) on a list,
# as ``?rows=1&rows=2`` gives
_SINGLE_NUMBERS = ("rows", "start", "facet.limit", "facet.mincount")


def _refusal(error: BaseException) -> Optional[SearchRefused]:
    seen = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        if isinstance(current, SearchRefused):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


@tk.chained_action
@tk.side_effect_free  # a chained action keeps only its own attributes: GET stays allowed
def package_search(original_action, context, data_dict) -> dict[str, Any]:
    """CKAN's ``package_search``; a search the engine refuses raises ``SearchError``
    with the engine's message alone (HTTP 409 in the API).

    :returns: CKAN's result; when free text finds nothing and a correction of its words
        finds datasets for the caller, also ``suggestion``: the corrected ``q``
        (``educasion`` -> ``educación``). CKAN's clients ignore the extra key.
    """
    errors = {name: [messages.single_integer()] for name in _SINGLE_NUMBERS
              if isinstance(data_dict.get(name), (list, tuple, dict, set))}
    if errors:
        raise tk.ValidationError(errors)
    request = dict(data_dict)  # as asked: CKAN and plugins rewrite data_dict
    try:
        result = original_action(context, data_dict)
    except SearchError as error:
        refusal = _refusal(error)
        if refusal is None or isinstance(error, SearchQueryError):
            raise  # CKAN's own answer (an unreadable sort: 400 with its message)
        raise SearchError(refusal.user_message) from None
    if result.get("count") == 0:
        suggestion = _suggestion(original_action, context, request)
        if suggestion:
            result["suggestion"] = suggestion
            _remember(request.get("q"), suggestion)
    return result


def _suggestion(original_action, context, request: dict[str, Any]) -> Optional[str]:
    """The first correction of ``q`` (words close to the catalogue's vocabulary) that
    finds datasets for this caller, with the same filters and permissions; None."""
    q = vocabulary.free_text(request.get("q"))
    if q is None:
        return None
    try:
        with model.Session.begin_nested():
            trials = vocabulary.corrections(model.Session, q)
    except sa.exc.DBAPIError as error:  # no vocabulary table yet: no suggestion
        log.warning("search suggestions unavailable: %s", type(error.orig).__name__)
        return None
    for trial in trials:
        probe = {**request, "q": trial, "rows": 0, "start": 0, "facet": "false"}
        probe.pop("facet.field", None)
        try:
            found = original_action(dict(context), probe)
        except (SearchError, tk.ValidationError):
            continue
        if found.get("count"):
            return trial
    return None


def _remember(q: Any, suggestion: str) -> None:
    try:
        setattr(tk.g, SUGGESTION_ATTRIBUTE, {"q": q, "suggestion": suggestion})
    except (RuntimeError, AttributeError, TypeError):  # no request: nothing to show it on
        pass
