"""Slowing down tracking-code guessing without storing who guessed.

Counters live in this process's memory only, keyed by the minute; nothing about the
client is ever written anywhere. The per-client counter uses a keyed hash of the
address with a key that exists only in this process's memory and changes at restart,
so even a memory dump maps to no address. The global counter slows down every check
(including the right code) while a guessing campaign is running; the right code still
works, only later, exactly like GlobaLeaks' login delay.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import defaultdict, deque

import ckan.plugins.toolkit as tk

log = logging.getLogger(__name__)

WINDOW_SECONDS = 600
_lock = threading.Lock()
_global_failures: deque[float] = deque()
_client_failures: dict[bytes, deque[float]] = defaultdict(deque)
_process_key = secrets.token_bytes(32)
_alerted_at: float | None = None


def client_tag(address: str | None) -> bytes:
    return hmac.new(_process_key, (address or "").encode(), hashlib.sha256).digest()[:12]


def _prune(now: float) -> None:
    while _global_failures and _global_failures[0] < now - WINDOW_SECONDS:
        _global_failures.popleft()
    for tag in list(_client_failures):
        q = _client_failures[tag]
        while q and q[0] < now - WINDOW_SECONDS:
            q.popleft()
        if not q:
            del _client_failures[tag]


def failures(tag: bytes | None = None) -> int:
    with _lock:
        _prune(time.monotonic())
        if tag is None:
            return len(_global_failures)
        return len(_client_failures.get(tag, ()))


def delay_seconds(tag: bytes | None) -> float:
    """Quadratic growth after the free failures, capped (GlobaLeaks: up to 42 s)."""
    free = tk.config.get("ckanext.limahonesta.guess_free_failures")
    cap = tk.config.get("ckanext.limahonesta.guess_delay_max_ms") / 1000.0
    with _lock:
        _prune(time.monotonic())
        worst = max(len(_global_failures) // 4,
                    len(_client_failures.get(tag, ())) if tag else 0)
    over = worst - free
    if over < 0:
        return 0.0
    return min(cap, 0.25 * (over + 1) ** 2)


def wait(tag: bytes | None) -> float:
    seconds = delay_seconds(tag)
    if seconds > 0:
        time.sleep(seconds + secrets.randbelow(250) / 1000.0 * min(1.0, seconds))
    return seconds


def record_failure(tag: bytes | None) -> None:
    global _alerted_at
    now = time.monotonic()
    with _lock:
        _global_failures.append(now)
        if tag:
            _client_failures[tag].append(now)
        _prune(now)
        count = len(_global_failures)
        threshold = tk.config.get("ckanext.limahonesta.guess_alert_threshold")
        alert = count >= threshold and (_alerted_at is None or now - _alerted_at > 60)
        if alert:
            _alerted_at = now
    if alert:
        # No address, no code, no case: only the fact and the size of the campaign.
        log.warning("limahonesta: ALERTA: %d códigos de seguimiento erróneos en los "
                    "últimos %d minutos; posible adivinación de códigos",
                    count, WINDOW_SECONDS // 60)


def snapshot() -> dict[str, float]:
    return {"failures_last_10_min": failures(), "current_delay_seconds": delay_seconds(None)}


def reset() -> None:
    global _alerted_at
    with _lock:
        _global_failures.clear()
        _client_failures.clear()
        _alerted_at = None
