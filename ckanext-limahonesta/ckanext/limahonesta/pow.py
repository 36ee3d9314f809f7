"""Privacy-respecting submission metering: a hashcash-style proof of work.

The server issues a signed challenge ``<id>.<issued>.<bits>.<mac>``. A browser with
JavaScript finds a ``counter`` such that SHA-256(challenge ":" counter) starts with
``bits`` zero bits. Without JavaScript, the same challenge is accepted with no counter
once ``pow_nojs_wait_seconds`` have passed since it was issued (the slower path).

* Each challenge is **spent once**: its id is remembered in Redis until it expires
  (random ids only, nothing about the client).
* The no-JavaScript wait is **bound to one submission per client**: a challenge is
  accepted without work only if it was issued after that client's previous accepted
  no-JavaScript submission (same-second tolerance). Fetching many forms at once and
  waiting once no longer buys many reports: every extra report needs a fresh form and
  a fresh wait.
* **Per-client share of the intake**: one client may file at most
  ``submissions_per_client_per_hour`` web reports in a sliding hour, so it cannot use
  up the global hourly cap (``submissions_per_hour``) that protects everybody else.

Per-client state is the throttle's in-memory pseudonym of the address (``throttle``:
keyed tag, key in this process only, never stored). Behind a proxy that hides client
addresses (``client_limits_at_proxy``) these per-client rules are the proxy's job
(``limit_req`` in deploy/nginx.conf) and only the global ones stay here.
"""
from __future__ import annotations

import bisect
import hashlib
import hmac
import secrets
import threading
import time
from typing import Any

from redis import RedisError

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis  # no toolkit equivalent

from . import crypto

HOUR = 3600
_lock = threading.Lock()
_nojs_accepted: dict[bytes, float] = {}  # client tag -> time of its last no-JS acceptance
_submissions: dict[bytes, list[float]] = {}  # client tag -> accepted submissions (times)


def _clock() -> float:
    """``time.time()``; tests replace it to move time without sleeping."""
    return time.time()


def reset_clients() -> None:
    """Forget the per-client state (tests, benchmarks; ``throttle.reset`` calls it)."""
    with _lock:
        _nojs_accepted.clear()
        _submissions.clear()


def _mac(body: str) -> str:
    return hmac.new(crypto.subkey("pow"), body.encode(), hashlib.sha256).hexdigest()[:32]


def issue(now: float | None = None) -> dict[str, Any]:
    issued = int(_clock() if now is None else now)
    bits = tk.config.get("ckanext.limahonesta.pow_difficulty")
    body = f"{secrets.token_hex(16)}.{issued}.{bits}"
    return {"challenge": f"{body}.{_mac(body)}", "difficulty": bits,
            "wait_seconds": tk.config.get("ckanext.limahonesta.pow_nojs_wait_seconds")}


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(challenge: str, bits: int) -> str:
    """Reference solver (used by tests and the benchmark; browsers run pow.js)."""
    counter = 0
    while True:
        digest = hashlib.sha256(f"{challenge}:{counter}".encode()).digest()
        if leading_zero_bits(digest) >= bits:
            return str(counter)
        counter += 1


def _recent(tag: bytes, moment: float) -> list[float]:
    timestamps = _submissions.get(tag, [])
    del timestamps[:bisect.bisect_left(timestamps, moment - HOUR)]
    return timestamps


# C901: each branch is one refusal (bad MAC, expired, too little work, too early without
# JavaScript, per-client share, already spent) checked and reserved under one lock;
# security-sensitive, not split without its own review.
def check(challenge: Any, counter: Any, now: float | None = None,  # noqa: C901
          client_tag: bytes | None = None) -> str | None:
    """``None`` if acceptable (and now spent), else a Spanish error message."""
    invalid = tk._("La verificación antispam no es válida. Vuelva a cargar el formulario.")
    if not isinstance(challenge, str) or len(challenge) > 200 or challenge.count(".") != 3:
        return invalid
    body, mac = challenge.rsplit(".", 1)
    if not hmac.compare_digest(_mac(body), mac):
        return invalid
    challenge_id, issued_text, bits_text = body.split(".")
    try:
        issued, bits = int(issued_text), int(bits_text)
    except ValueError:
        return invalid
    moment = _clock() if now is None else now
    if moment - issued > tk.config.get("ckanext.limahonesta.pow_ttl_seconds"):
        return tk._("El formulario caducó. Vuelva a cargarlo para enviar su denuncia.")
    without_javascript = counter in (None, "")
    if not without_javascript:
        if not isinstance(counter, str) or len(counter) > 20 or not counter.isdigit():
            return invalid
        digest = hashlib.sha256(f"{challenge}:{counter}".encode()).digest()
        if leading_zero_bits(digest) < bits:
            return invalid
    else:
        wait = tk.config.get("ckanext.limahonesta.pow_nojs_wait_seconds")
        if moment - issued < wait:
            return wait_message()
    previous: float | None = None
    with _lock:  # check and reserve at once: concurrent requests of one client see it
        if client_tag:
            if without_javascript and issued < int(_nojs_accepted.get(client_tag, -1.0)):
                return tk._("Este formulario se abrió antes de su último envío. Vuelva a "
                            "cargarlo para enviar otra denuncia.")
            share = tk.config.get("ckanext.limahonesta.submissions_per_client_per_hour")
            if len(_recent(client_tag, moment)) >= share:
                return tk._("Ya recibimos varias denuncias desde su conexión en la última "
                            "hora. Por seguridad, intente de nuevo más tarde.")
            previous = _nojs_accepted.get(client_tag)
            if without_javascript:
                _nojs_accepted[client_tag] = moment
            bisect.insort(_submissions.setdefault(client_tag, []), moment)
    failure: Exception | None = None
    try:
        ttl = tk.config.get("ckanext.limahonesta.pow_ttl_seconds") + 60
        # SET NX answers None when the id is already there (spent)
        spent_now = bool(connect_to_redis().set("limahonesta:pow:" + challenge_id, b"1",
                                                nx=True, ex=ttl))
    except (RedisError, OSError) as error:
        spent_now, failure = False, error
    if not spent_now and client_tag:
        with _lock:  # not accepted after all: give the reservation back
            if without_javascript:
                if previous is None:
                    _nojs_accepted.pop(client_tag, None)
                else:
                    _nojs_accepted[client_tag] = previous
            timestamps = _submissions.get(client_tag, [])
            if moment in timestamps:
                timestamps.remove(moment)
    if failure is not None:
        raise failure
    if not spent_now:
        return tk._("Esta verificación ya fue usada. Vuelva a cargar el formulario.")
    return None


def release(challenge: Any) -> None:
    """Un-spend a genuine challenge whose submission was not stored (server busy), so
    the same form can be sent again."""
    if not isinstance(challenge, str) or len(challenge) > 200 or challenge.count(".") != 3:
        return
    body, mac = challenge.rsplit(".", 1)
    if not hmac.compare_digest(_mac(body), mac):
        return
    try:
        connect_to_redis().delete("limahonesta:pow:" + body.split(".")[0])
    except (RedisError, OSError):
        pass  # Redis is gone: the next attempt gets a fresh challenge


def wait_message() -> str:
    """The answer to a form sent without JavaScript before the wait is over (the same
    challenge stays valid, so the form keeps it)."""
    return tk._(
        "Por seguridad, sin JavaScript el envío se acepta %(s)s segundos después "
        "de abrir el formulario. Espere un momento y vuelva a enviarlo."
    ) % {"s": tk.config.get("ckanext.limahonesta.pow_nojs_wait_seconds")}


def submissions_meter_exceeded() -> bool:
    """Global hourly cap on web submissions (one counter, no client data)."""
    hour = int(time.time() // 3600)
    key = f"limahonesta:submissions:{hour}"
    redis = connect_to_redis()
    count = redis.incr(key)
    redis.expire(key, 7200)
    return count > tk.config.get("ckanext.limahonesta.submissions_per_hour")
