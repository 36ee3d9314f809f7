"""Short-lived holders of decrypted keys (reporter and reviewer sessions).

The decrypted key is stored in Redis encrypted under a random 256-bit session secret
that only the browser holds, in its own HttpOnly, SameSite=Strict cookie (not in CKAN's
session, which a deployment may keep server-side next to the ciphertext); Redis keeps
the ciphertext under SHA-256(secret). A Redis dump alone therefore opens nothing, the
idle timeout is the Redis TTL, and logging out deletes the entry (the key is gone).
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis  # no toolkit equivalent

from . import crypto

_PREFIX = "limahonesta:vault:"
REPORTER_COOKIE = "limahonesta_r"
REVIEWER_COOKIE = "limahonesta_s"


def token_from_request(cookie: str) -> Optional[str]:
    try:
        return tk.request.cookies.get(cookie)
    except RuntimeError:  # outside a request
        return None


def set_cookie(response: Any, cookie: str, token: str) -> Any:
    secure = bool(tk.config.get("SESSION_COOKIE_SECURE")) or tk.request.is_secure
    response.set_cookie(cookie, token, httponly=True, samesite="Strict", secure=secure,
                        path="/")
    return response


def clear_cookie(response: Any, cookie: str) -> Any:
    response.delete_cookie(cookie, path="/")
    return response


def _redis_key(token: bytes) -> str:
    return _PREFIX + hashlib.sha256(token).hexdigest()


def _ttl() -> int:
    return max(60, tk.config.get("ckanext.limahonesta.session_timeout_seconds"))


def ping() -> None:
    """Raise ``RedisError`` if sessions cannot be stored right now."""
    connect_to_redis().ping()


def open_session(payload: dict[str, Any]) -> str:
    """Store ``payload`` and return the token the browser must present."""
    token = secrets.token_bytes(32)
    blob = crypto.secretbox_encrypt(token, json.dumps(payload).encode())
    connect_to_redis().set(_redis_key(token), blob, ex=_ttl())
    return base64.urlsafe_b64encode(token).decode()


def _decode(token: Any) -> Optional[bytes]:
    if not isinstance(token, str) or len(token) > 64:
        return None
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (ValueError, TypeError):
        return None
    return raw if len(raw) == 32 else None


def read_session(token: Any) -> Optional[dict[str, Any]]:
    """The payload if the session is alive (and refresh its idle timer), else ``None``."""
    raw = _decode(token)
    if raw is None:
        return None
    redis = connect_to_redis()
    blob = redis.get(_redis_key(raw))
    if blob is None:
        return None
    try:
        payload = json.loads(crypto.secretbox_decrypt(raw, blob))
    except crypto.DecryptionError:
        return None
    redis.expire(_redis_key(raw), _ttl())
    return payload


def close_session(token: Any) -> None:
    raw = _decode(token)
    if raw is not None:
        connect_to_redis().delete(_redis_key(raw))
