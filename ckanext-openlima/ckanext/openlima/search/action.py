"""``package_search`` with the engine's refusals answered in the caller's words.

CKAN wraps every search error in ``SearchError('SOLR returned an error running query:
<the whole request> Error: <pysolr error>')``: a 100 kB query comes back whole, inside
an English sentence about Solr. When the engine refused the search on purpose
(``SearchRefused``), the 409 carries only the engine's translated message.
"""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan.lib.search import SearchError, SearchQueryError

from . import messages
from .engine import SearchRefused

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
    with the engine's message alone (HTTP 409 in the API)."""
    errors = {name: [messages.single_integer()] for name in _SINGLE_NUMBERS
              if isinstance(data_dict.get(name), (list, tuple, dict, set))}
    if errors:
        raise tk.ValidationError(errors)
    try:
        return original_action(context, data_dict)
    except SearchError as error:
        refusal = _refusal(error)
        if refusal is None or isinstance(error, SearchQueryError):
            raise  # CKAN's own answer (an unreadable sort: 400 with its message)
        raise SearchError(refusal.user_message) from None
