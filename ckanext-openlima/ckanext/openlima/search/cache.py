"""Search results cached in Redis, keyed by the index generation.

Every index write bumps ``openlima_search_state.generation`` inside the writer's
transaction, so other processes see the new generation exactly when they can see
the new rows. A search first reads the generation and looks up
``(generation, request)``; a hit skips the work entirely, which is what makes the
catalogue's most repeated queries (home page, unfiltered ``/dataset`` with facets)
cheap on large catalogues. A transaction that has written to the index itself
never reads or fills the cache: what it sees is not yet what others see.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import event, orm

from . import ddl

log = logging.getLogger(__name__)

TTL_SECONDS = 600
_WRITTEN = "openlima_search_written"
_PREFIX = "openlima:search:v1:"


def mark_written(session) -> None:
    session.info[_WRITTEN] = True
    session.execute(sa.text(f"UPDATE {ddl.STATE_TABLE} SET generation = generation + 1"))


@event.listens_for(orm.Session, "after_commit")
@event.listens_for(orm.Session, "after_rollback")
def _forget_writes(session) -> None:
    session.info.pop(_WRITTEN, None)


def _redis():
    try:
        from ckan.lib.redis import connect_to_redis

        return connect_to_redis()
    except Exception:  # no Redis configured: search still works, uncached
        return None


def key_for(session, request: dict[str, Any]) -> Optional[str]:
    """The cache key of this request now, or None when the cache must not be used."""
    if session.info.get(_WRITTEN):
        return None
    generation = session.execute(
        sa.text(f"SELECT generation FROM {ddl.STATE_TABLE}")
    ).scalar()
    if generation is None:
        return None
    digest = hashlib.sha256(
        json.dumps(request, sort_keys=True, default=str).encode()
    ).hexdigest()
    database = str(session.get_bind().url.database)
    return f"{_PREFIX}{database}:{generation}:{digest}"


def get(key: Optional[str]) -> Optional[dict[str, Any]]:
    if key is None:
        return None
    client = _redis()
    if client is None:
        return None
    try:
        cached = client.get(key)
    except Exception as error:
        log.warning("search cache unavailable: %s", error)
        return None
    return json.loads(cached) if cached else None


def put(key: Optional[str], decoded: dict[str, Any]) -> None:
    if key is None:
        return
    client = _redis()
    if client is None:
        return
    try:
        client.set(key, json.dumps(decoded, default=str), ex=TTL_SECONDS)
    except Exception as error:
        log.warning("search cache unavailable: %s", error)
