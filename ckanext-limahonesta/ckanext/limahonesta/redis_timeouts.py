"""Timeouts on CKAN's Redis client, which every part of the portal (and Lima Honesta)
shares: a Redis that hangs must cost seconds, not a worker forever.

CKAN builds its one connection pool per process with
``redis.ConnectionPool.from_url(config["ckan.redis.url"])`` (``ckan.lib.redis``) and
sets no socket timeout, so a Redis that accepts connections and never answers holds
each request until the kernel gives up (35–55 s were seen). redis-py reads
``socket_timeout`` and ``socket_connect_timeout`` from the URL's query string, so
``apply`` adds them to ``ckan.redis.url`` when the operator did not set them (an
explicit value in the URL wins) and, if CKAN already built its pool, gives the same
values to that pool's future connections. Connections from ``from_url`` make no
retries, so a request waits at most about one timeout per Redis call.

RQ workers (``ckan jobs worker``) raise the socket timeout of their own process's pool
above their blocking-pop timeout by themselves (``rq.worker.BaseWorker._set_connection``),
so the jobs worker keeps working.

This is the only module that touches CKAN's private ``_connection_pool``;
``tests/limahonesta/test_faults.py`` fails loudly if CKAN changes how it builds it.
"""
from __future__ import annotations

from typing import Any, MutableMapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__: list[str] = []

TIMEOUT_ARGUMENTS = ("socket_timeout", "socket_connect_timeout")


def with_timeouts(url: str, seconds: float) -> str:
    """``url`` with ``socket_timeout`` and ``socket_connect_timeout`` unless it has them."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _value in query}
    query += [(name, f"{seconds:g}") for name in TIMEOUT_ARGUMENTS if name not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


def apply(config: MutableMapping[str, Any]) -> None:
    seconds = float(config.get("ckanext.limahonesta.redis_timeout_seconds") or 0)
    url = config.get("ckan.redis.url")
    if seconds <= 0 or not url:
        return
    config["ckan.redis.url"] = with_timeouts(url, seconds)
    import ckan.lib.redis as ckan_redis  # the pool CKAN keeps per process
    pool = getattr(ckan_redis, "_connection_pool", None)
    if pool is not None:
        for name in TIMEOUT_ARGUMENTS:
            if pool.connection_kwargs.get(name) is None:
                pool.connection_kwargs[name] = seconds
