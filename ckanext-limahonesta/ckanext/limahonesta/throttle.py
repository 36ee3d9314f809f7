"""Refusing tracking-code guessing without holding a worker and without storing who guessed.

Nothing here sleeps. A client that must wait is **refused** at once (``Throttled``: the
page answers 429 with ``Retry-After`` and keeps what was typed), so a guessing campaign
costs the server a dictionary lookup per refused request, no Argon2id and no worker held.

Two counters of failed code checks over a sliding ten-minute window:

* **Per client**: in this process's memory only, keyed by an HMAC of the address with a
  key that exists only here and changes at restart, so even a memory dump maps to no
  address. After ``guess_free_failures`` failures a client may try again only
  ``backoff`` seconds after its last failure (quadratic growth, capped at
  ``guess_delay_max_ms``). It is deliberately not shared: every process would need the
  same key, stored somewhere they all read (Redis, the config), and then a Redis dump
  plus 2^32 HMACs maps each stored tag back to its IPv4 address. Behind a reverse proxy
  that hides client addresses (``client_limits_at_proxy``) this counter is off and the
  proxy's ``limit_req`` does the per-client work: otherwise every reporter would share the
  proxy's address and one guesser would lock everybody out.
* **Global** (no client data at all): shared by every web process through CKAN's Redis,
  as a sorted set of failure timestamps with random members, pruned and counted in one
  MULTI/EXEC and expiring on its own when guessing stops. It raises the alert (one a
  minute for the whole site) and is shown to the Integrity Unit; it **never delays or
  refuses anybody**: other people's failures must not slow down a right code (with a
  global delay, four wrong codes at once took every gunicorn worker). Each process also
  keeps its own copy of the count: if Redis cannot be reached it goes on with that (and
  logs it once); the count used is the larger of the two, so a failure is never
  forgotten on recovery.
"""
from __future__ import annotations

import bisect
import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from typing import Any, Callable, Optional

from redis import Redis, RedisError

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis  # no toolkit equivalent

log = logging.getLogger(__name__)

WINDOW_SECONDS = 600
# After a Redis error, checks use the in-process count for this long before asking again
# (a Redis that hangs would otherwise cost its timeout on every check).
REDIS_RETRY_SECONDS = 30
ALERT_EVERY_SECONDS = 60
FAILURES_KEY = "limahonesta:guess:failures"
ALERTED_KEY = "limahonesta:guess:alerted"
# Atomic "at most one alert every ALERT_EVERY_SECONDS, whichever process sees it".
_CLAIM_ALERT = """
local last = tonumber(redis.call('GET', KEYS[1]))
if last and tonumber(ARGV[1]) - last < tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
"""

_lock = threading.Lock()
_global_failures: list[float] = []  # sorted timestamps
_client_failures: dict[bytes, list[float]] = {}
_process_key = secrets.token_bytes(32)
_alerted_at: Optional[float] = None  # only used while Redis is unreachable
_redis_down = False
_redis_retry_at = 0.0


class Throttled(Exception):
    """This client must wait ``retry_after`` whole seconds before another code check."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _clock() -> float:
    """``time.time()``; tests replace it to move time without sleeping."""
    return time.time()


def client_tag(address: str | None) -> bytes | None:
    """The in-memory pseudonym of a client, or ``None`` when a proxy hides clients
    (``ckanext.limahonesta.client_limits_at_proxy``: the proxy limits per client)."""
    if tk.config.get("ckanext.limahonesta.client_limits_at_proxy"):
        return None
    return hmac.new(_process_key, (address or "").encode(), hashlib.sha256).digest()[:12]


# --------------------------------------------------------------------------- Redis


def _shared(operation: Callable[[Redis], Any]) -> Any:
    """``operation`` on CKAN's Redis, or ``None`` while Redis is unreachable."""
    global _redis_down, _redis_retry_at
    if _redis_down and time.monotonic() < _redis_retry_at:
        return None
    try:
        result = operation(connect_to_redis())
    except (RedisError, OSError) as error:
        with _lock:
            newly_down = not _redis_down
            _redis_down = True
            _redis_retry_at = time.monotonic() + REDIS_RETRY_SECONDS
        if newly_down:
            log.warning("limahonesta: Redis no responde (%s); el contador global de códigos "
                        "erróneos sigue solo en la memoria de cada proceso hasta que vuelva",
                        type(error).__name__)
        return None
    if _redis_down:
        with _lock:
            recovered, _redis_down = _redis_down, False
        if recovered:
            log.info("limahonesta: Redis responde de nuevo; el contador global vuelve a ser "
                     "compartido por todos los procesos")
    return result


def _record_shared(redis: Redis, now: float) -> int:
    cutoff = now - WINDOW_SECONDS
    pipe = redis.pipeline(transaction=True)
    pipe.zadd(FAILURES_KEY, {f"{now:.6f}:{secrets.token_hex(8)}": now})
    pipe.zremrangebyscore(FAILURES_KEY, "-inf", f"({cutoff}")
    pipe.zcount(FAILURES_KEY, cutoff, "+inf")
    pipe.expire(FAILURES_KEY, WINDOW_SECONDS + 60)
    return int(pipe.execute()[2])


def _claim_alert(redis: Redis, now: float) -> bool:
    return bool(redis.eval(_CLAIM_ALERT, 1, ALERTED_KEY, repr(now), ALERT_EVERY_SECONDS,
                           2 * ALERT_EVERY_SECONDS))


# --------------------------------------------------------------------------- counters


def _now(now: Optional[float]) -> float:
    return _clock() if now is None else now


def _count_since(timestamps: list[float], cutoff: float) -> int:
    return len(timestamps) - bisect.bisect_left(timestamps, cutoff)


def _prune(cutoff: float) -> None:
    del _global_failures[:bisect.bisect_left(_global_failures, cutoff)]
    for tag in list(_client_failures):
        timestamps = _client_failures[tag]
        del timestamps[:bisect.bisect_left(timestamps, cutoff)]
        if not timestamps:
            del _client_failures[tag]


def _global_count(now: float) -> int:
    cutoff = now - WINDOW_SECONDS
    with _lock:
        local = _count_since(_global_failures, cutoff)
    shared = _shared(lambda redis: int(redis.zcount(FAILURES_KEY, cutoff, "+inf")))
    return max(local, shared or 0)


def failures(tag: bytes | None = None, *, now: Optional[float] = None) -> int:
    """Failures in the window: site-wide without ``tag``, else of that client here.

    ``now`` (a ``time.time()`` value) exists for tests; callers leave it out.
    """
    moment = _now(now)
    if tag is None:
        return _global_count(moment)
    with _lock:
        return _count_since(_client_failures.get(tag, []), moment - WINDOW_SECONDS)


def backoff_seconds(failed: int) -> float:
    """How long after its last failure a client with ``failed`` failures must wait."""
    over = failed - tk.config.get("ckanext.limahonesta.guess_free_failures")
    if over < 0:
        return 0.0
    cap = tk.config.get("ckanext.limahonesta.guess_delay_max_ms") / 1000.0
    return min(cap, 0.25 * (over + 1) ** 2)


def retry_after(tag: bytes | None, *, now: Optional[float] = None) -> float:
    """Seconds this client must still wait before a code check (0: go ahead).

    Only the client's own failures count: without ``tag`` the answer is always 0.
    """
    if not tag:
        return 0.0
    moment = _now(now)
    with _lock:
        timestamps = _client_failures.get(tag, [])
        recent = timestamps[bisect.bisect_left(timestamps, moment - WINDOW_SECONDS):]
    if not recent:
        return 0.0
    return max(0.0, recent[-1] + backoff_seconds(len(recent)) - moment)


def check(tag: bytes | None) -> None:
    """Raise ``Throttled`` if this client must wait; never sleeps."""
    seconds = retry_after(tag)
    if seconds > 0:
        raise Throttled(max(1, math.ceil(seconds)))


def _alert_due(now: float) -> bool:
    global _alerted_at
    claimed = _shared(lambda redis: _claim_alert(redis, now))
    if claimed is not None:
        return claimed
    with _lock:
        if _alerted_at is not None and now - _alerted_at < ALERT_EVERY_SECONDS:
            return False
        _alerted_at = now
        return True


def record_failure(tag: bytes | None, *, now: Optional[float] = None) -> None:
    """Count one failed code check (``now`` exists for tests; callers leave it out)."""
    moment = _now(now)
    with _lock:
        bisect.insort(_global_failures, moment)
        if tag:
            bisect.insort(_client_failures.setdefault(tag, []), moment)
        _prune(moment - WINDOW_SECONDS)
        local = len(_global_failures)
    shared = _shared(lambda redis: _record_shared(redis, moment))
    count = max(local, shared or 0)
    if count < tk.config.get("ckanext.limahonesta.guess_alert_threshold"):
        return
    if _alert_due(moment):
        # No address, no code, no case: only the fact and the size of the campaign.
        log.warning("limahonesta: ALERTA: %d códigos de seguimiento erróneos en los "
                    "últimos %d minutos; posible adivinación de códigos",
                    count, WINDOW_SECONDS // 60)


def snapshot() -> dict[str, float]:
    """For the Integrity Unit: the site-wide failures, and the wait a client without
    failures of its own gets now — always 0, since others' failures delay nobody."""
    return {"failures_last_10_min": failures(), "current_delay_seconds": retry_after(None)}


def reset() -> None:
    """Forget every counter, here and in Redis (tests and benchmarks), and the
    per-client intake state of the proof of work."""
    global _alerted_at, _redis_down, _redis_retry_at
    from . import pow as proof_of_work
    proof_of_work.reset_clients()
    with _lock:
        _global_failures.clear()
        _client_failures.clear()
        _alerted_at = None
        _redis_down = False
        _redis_retry_at = 0.0
    try:
        connect_to_redis().delete(FAILURES_KEY, ALERTED_KEY)
    except (RedisError, OSError):
        pass  # nothing shared to forget while Redis is unreachable
