"""Cryptography for Lima Honesta (PyNaCl / libsodium only).

Key hierarchy (GlobaLeaks design, plus a server-side pepper as SecureDrop does):

* every case has its own Curve25519 key pair; everything written about the case
  (report answers, messages, status reasons, file contents and names, identity) is
  sealed to the case's public key, so any party can *add* to a case, but only
  holders of the case's private key can *read* it;
* the case private key is stored (a) wrapped under a key derived from the reporter's
  tracking code: ``HMAC(pepper, Argon2id(code, per-case salt))`` and (b) sealed to
  the public key of every authorised Integrity Unit reviewer;
* a reviewer's private key is stored under ``HMAC(pepper, Argon2id(passphrase, salt))``
  and, separately, under a random printed recovery key;
* the tracking code is looked up by ``HMAC(pepper, Argon2id(code, site salt))``;
  the site salt is itself derived from the pepper, so a database dump alone can
  neither verify a guessed code nor unwrap a case key.

The pepper (``ckanext.limahonesta.pepper``) lives in configuration or the
environment, never in the database.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import struct
import time
from typing import Any, Optional

import nacl.exceptions
import nacl.pwhash
import nacl.public
import nacl.secret
import nacl.utils

import ckan.plugins.toolkit as tk

#: 28 decimal digits in 7 groups of 4: log2(10**28) = 93 bits (GlobaLeaks: 16 digits, 53 bits).
TRACKING_CODE_DIGITS = 28
TRACKING_CODE_GROUP = 4
TRACKING_CODE_BITS = TRACKING_CODE_DIGITS * 3.3219280948873626

SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES  # 16 bytes = 128 bits


class NotConfigured(Exception):
    """The pepper is missing: Lima Honesta refuses to store or open anything."""


class DecryptionError(Exception):
    """Wrong key, tampered ciphertext or unknown secret (never says which)."""


# --------------------------------------------------------------------------- pepper


def _pepper() -> bytes:
    pepper = tk.config.get("ckanext.limahonesta.pepper") or ""
    if len(pepper) < 32:
        raise NotConfigured(
            "ckanext.limahonesta.pepper must be set (at least 32 characters)"
        )
    return pepper.encode("utf-8")


def subkey(label: str, *parts: bytes | str) -> bytes:
    """A 32-byte key derived from the pepper for one purpose (domain separation)."""
    mac = hmac.new(_pepper(), b"limahonesta/" + label.encode(), hashlib.sha256)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        mac.update(struct.pack(">I", len(data)) + data)
    return mac.digest()


def is_configured() -> bool:
    try:
        _pepper()
    except NotConfigured:
        return False
    return True


# --------------------------------------------------------------------------- KDF


def current_kdf_params() -> str:
    """The Argon2id cost for new secrets, as stored beside each case."""
    ops = max(nacl.pwhash.argon2id.OPSLIMIT_MIN,
              tk.config.get("ckanext.limahonesta.kdf_opslimit"))
    mem_mib = max(8, tk.config.get("ckanext.limahonesta.kdf_memlimit_mib"))
    return f"argon2id${ops}${mem_mib}"


def _argon2id(secret: bytes, salt: bytes, params: str) -> bytes:
    """Argon2id inside one of the host's bounded slots (``kdf_slots``; may raise
    ``kdf_slots.Busy``, which callers answer with 503)."""
    from .kdf_slots import slot
    name, ops, mem_mib = params.split("$")
    if name != "argon2id":
        raise ValueError("unknown KDF")
    with slot():
        return nacl.pwhash.argon2id.kdf(
            32, secret, salt, opslimit=int(ops), memlimit=int(mem_mib) << 20
        )


def slow_keyed_hash(label: str, secret: bytes, salt: bytes, params: str) -> bytes:
    """``HMAC(pepper, Argon2id(secret, salt))``: slow, and useless without the pepper."""
    return hmac.new(
        subkey(label), _argon2id(secret, salt, params), hashlib.sha256
    ).digest()


def new_salt() -> bytes:
    return nacl.utils.random(SALT_BYTES)


# --------------------------------------------------------------------------- tracking codes


def generate_tracking_code() -> str:
    digits = "".join(secrets.choice("0123456789") for _ in range(TRACKING_CODE_DIGITS))
    return format_tracking_code(digits)


def format_tracking_code(digits: str) -> str:
    g = TRACKING_CODE_GROUP
    return " ".join(digits[i:i + g] for i in range(0, len(digits), g))


def normalise_tracking_code(raw: Any) -> Optional[str]:
    """Digits only (spaces and dashes allowed in between), else ``None``."""
    if not isinstance(raw, str) or len(raw) > 80:
        return None
    digits = "".join(ch for ch in raw if ch not in " -\t\r\n")
    if len(digits) != TRACKING_CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def code_lookup_hash(digits: str, params: str) -> bytes:
    site_salt = subkey("lookup-salt")[:SALT_BYTES]
    return slow_keyed_hash("lookup", digits.encode(), site_salt, params)


def code_wrap_key(digits: str, case_salt: bytes, params: str) -> bytes:
    return slow_keyed_hash("wrap", digits.encode(), case_salt, params)


def burn_kdf(params: str) -> None:
    """Same work as a real unwrap, so a missing code costs what an existing one does."""
    _argon2id(b"0" * TRACKING_CODE_DIGITS, new_salt(), params)


# --------------------------------------------------------------------------- boxes


def new_keypair() -> nacl.public.PrivateKey:
    return nacl.public.PrivateKey.generate()


def private_key(raw: bytes) -> nacl.public.PrivateKey:
    return nacl.public.PrivateKey(raw)


def seal(public_key: bytes, plaintext: bytes) -> bytes:
    return nacl.public.SealedBox(nacl.public.PublicKey(public_key)).encrypt(plaintext)


def unseal(key: nacl.public.PrivateKey, ciphertext: bytes) -> bytes:
    try:
        return nacl.public.SealedBox(key).decrypt(ciphertext)
    except nacl.exceptions.CryptoError as exc:
        raise DecryptionError() from exc


def seal_json(public_key: bytes, value: Any) -> bytes:
    return seal(public_key, json.dumps(value, ensure_ascii=False).encode("utf-8"))


def unseal_json(key: nacl.public.PrivateKey, ciphertext: bytes) -> Any:
    return json.loads(unseal(key, ciphertext).decode("utf-8"))


def secretbox_encrypt(key: bytes, plaintext: bytes) -> bytes:
    return bytes(nacl.secret.SecretBox(key).encrypt(plaintext))


def secretbox_decrypt(key: bytes, ciphertext: bytes) -> bytes:
    try:
        return nacl.secret.SecretBox(key).decrypt(ciphertext)
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise DecryptionError() from exc


# --------------------------------------------------------------------------- identity


def identity_server_key(case_id: str) -> bytes:
    """Inner layer of the identity: released by the application only after four-eyes approval."""
    return subkey("identity", case_id)


def encrypt_identity(case_id: str, case_public_key: bytes, identity: dict) -> bytes:
    inner = secretbox_encrypt(
        identity_server_key(case_id), json.dumps(identity, ensure_ascii=False).encode()
    )
    return seal(case_public_key, inner)


def decrypt_identity(case_id: str, case_key: nacl.public.PrivateKey, blob: bytes) -> dict:
    inner = unseal(case_key, blob)
    return json.loads(secretbox_decrypt(identity_server_key(case_id), inner))


# --------------------------------------------------------------------------- recovery / TOTP


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def unb32(text: str) -> bytes:
    text = "".join(text.split()).replace("-", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def group(text: str, size: int = 4) -> str:
    return "-".join(text[i:i + size] for i in range(0, len(text), size))


def totp_at(secret: bytes, step: int, digits: int = 6) -> str:
    """RFC 6238 / RFC 4226 with HMAC-SHA1 (what every authenticator app speaks)."""
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


TOTP_PERIOD = 30


def totp_verify(secret: bytes, code: Any, last_step: int,
                now: Optional[float] = None) -> Optional[int]:
    """The matched time step (window ±1) if the code is valid and newer than ``last_step``.

    A code whose step is not newer than the last accepted one is a replay and refused.
    """
    if not isinstance(code, str):
        return None
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    current = int((time.time() if now is None else now) // TOTP_PERIOD)
    matched = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp_at(secret, step), code):
            matched = step
    if matched is None or matched <= last_step:
        return None
    return matched


def totp_uri(secret: bytes, account: str) -> str:
    from urllib.parse import quote
    return (f"otpauth://totp/{quote('Lima Honesta')}:{quote(account)}"
            f"?secret={b32(secret)}&issuer={quote('Lima Honesta')}")


def recovery_code_hash(code: str) -> str:
    normal = "".join(code.split()).replace("-", "").upper()
    return hmac.new(subkey("recovery-code"), normal.encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
