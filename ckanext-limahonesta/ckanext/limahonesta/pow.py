"""Privacy-respecting submission metering: a hashcash-style proof of work.

The server issues a signed challenge ``<id>.<issued>.<bits>.<mac>``. A browser with
JavaScript finds a ``counter`` such that SHA-256(challenge ":" counter) starts with
``bits`` zero bits. Without JavaScript, the same challenge is accepted with no counter
once ``pow_nojs_wait_seconds`` have passed since it was issued (the slower path).
Each challenge is spent once: its id is remembered in Redis until it expires (random
ids only, nothing about the client).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis  # no toolkit equivalent

from . import crypto


def _mac(body: str) -> str:
    return hmac.new(crypto.subkey("pow"), body.encode(), hashlib.sha256).hexdigest()[:32]


def issue(now: float | None = None) -> dict[str, Any]:
    issued = int(time.time() if now is None else now)
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


def check(challenge: Any, counter: Any, now: float | None = None) -> str | None:
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
    moment = time.time() if now is None else now
    if moment - issued > tk.config.get("ckanext.limahonesta.pow_ttl_seconds"):
        return tk._("El formulario caducó. Vuelva a cargarlo para enviar su denuncia.")
    if counter not in (None, ""):
        if not isinstance(counter, str) or len(counter) > 20 or not counter.isdigit():
            return invalid
        digest = hashlib.sha256(f"{challenge}:{counter}".encode()).digest()
        if leading_zero_bits(digest) < bits:
            return invalid
    else:
        wait = tk.config.get("ckanext.limahonesta.pow_nojs_wait_seconds")
        if moment - issued < wait:
            return wait_message()
    ttl = tk.config.get("ckanext.limahonesta.pow_ttl_seconds") + 60
    if not connect_to_redis().set("limahonesta:pow:" + challenge_id, b"1", nx=True, ex=ttl):
        return tk._("Esta verificación ya fue usada. Vuelva a cargar el formulario.")
    return None


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
