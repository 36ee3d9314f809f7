"""Integrity Unit reviewers: membership, enrolment (key pair + TOTP), two-factor sessions.

A reviewer is a CKAN user who (1) is a member of the Integrity Unit organisation
(``ckanext.limahonesta.integrity_org``), (2) has enrolled a key pair protected by a
passphrase and a printed recovery key, and a TOTP secret, and (3) has opened a
two-factor session in this browser: TOTP code (or a one-time recovery code) plus the
passphrase that unlocks the private key. CKAN sysadmins get nothing for free.
"""
from __future__ import annotations

import secrets
from typing import Any, Optional

from nacl.public import PrivateKey
from redis import RedisError

import ckan.model as model
import ckan.plugins.toolkit as tk

from . import crypto, unit, vault
from .model import Case, CaseKey, Reviewer, audit, now as model_now



def integrity_org() -> Optional[model.Group]:
    return model.Group.get(tk.config.get("ckanext.limahonesta.integrity_org"))


def integrity_member_ids() -> set[str]:
    org = integrity_org()
    if org is None or org.state != "active" or not org.is_organization:
        return set()
    rows = model.Session.query(model.Member.table_id).filter(
        model.Member.group_id == org.id, model.Member.table_name == "user",
        model.Member.state == "active")
    return {uid for (uid,) in rows}


def integrity_members() -> list[dict[str, Any]]:
    ids = integrity_member_ids()
    users = model.Session.query(model.User).filter(model.User.id.in_(ids),
                                                   model.User.state == "active")
    return [{"id": u.id, "name": u.name, "email": u.email, "display_name": u.display_name}
            for u in users]


def is_member(user_id: Optional[str]) -> bool:
    return bool(user_id) and user_id in integrity_member_ids()


def user_id_from_context(context: dict[str, Any]) -> Optional[str]:
    obj = context.get("auth_user_obj")
    if obj is not None and getattr(obj, "id", None):
        return obj.id
    name = context.get("user")
    if not name:
        return None
    user = model.User.get(name)
    return user.id if user else None


# --------------------------------------------------------------------------- enrolment


def new_totp_secret() -> bytes:
    return secrets.token_bytes(20)  # 160 bits, as RFC 4226 recommends


def enrol(user_id: str, passphrase: str, totp_secret: bytes, totp_step: int) -> dict[str, Any]:
    """Create the reviewer's key pair; returns the recovery key and codes (shown once)."""
    key = crypto.new_keypair()
    params = crypto.current_kdf_params()
    salt = crypto.new_salt()
    recovery_key = secrets.token_bytes(32)
    recovery_codes = [crypto.group(crypto.b32(secrets.token_bytes(10)), 4) for _ in range(10)]
    reviewer = Reviewer(
        user_id=user_id, public_key=bytes(key.public_key), key_kdf=params, key_salt=salt,
        passphrase_wrapped_key=crypto.secretbox_encrypt(
            crypto.slow_keyed_hash("reviewer", passphrase.encode(), salt, params), bytes(key)),
        recovery_wrapped_key=crypto.secretbox_encrypt(recovery_key, bytes(key)),
        totp_secret=crypto.secretbox_encrypt(crypto.subkey("totp", user_id), totp_secret),
        totp_last_step=totp_step,  # the enrolment code cannot be replayed to log in
        recovery_codes=[crypto.recovery_code_hash(c) for c in recovery_codes],
    )
    members = integrity_member_ids()
    approved = [uid for (uid,) in model.Session.query(Reviewer.user_id).filter(
        Reviewer.approved_by.isnot(None)) if uid in members]
    if not approved:  # the unit's first reviewer cannot be approved by anybody else
        reviewer.approved_by = "bootstrap"
        reviewer.approved_at = model_now()
    model.Session.add(reviewer)
    audit("reviewer_enrolled", actor_id=user_id, detail=reviewer.approved_by)
    model.Session.commit()
    if reviewer.approved_by == "bootstrap":
        # the unit key waited under the pepper for this moment: every report received
        # so far becomes readable by this reviewer, and the pepper copy is destroyed
        unit.hand_over_bootstrap(reviewer)
        model.Session.commit()
    return {"recovery_key": crypto.group(crypto.b32(recovery_key), 4),
            "recovery_codes": recovery_codes}


def pending_reviewers() -> list[Reviewer]:
    members = integrity_member_ids()
    return [r for r in model.Session.query(Reviewer).filter(Reviewer.approved_by.is_(None))
            if r.user_id in members]


def get_reviewer(user_id: Optional[str]) -> Optional[Reviewer]:
    return model.Session.get(Reviewer, user_id) if user_id else None


def _totp_secret(reviewer: Reviewer) -> bytes:
    return crypto.secretbox_decrypt(crypto.subkey("totp", reviewer.user_id), reviewer.totp_secret)


def check_second_factor(reviewer: Reviewer, code: str) -> bool:
    """TOTP (a used time step is refused) or a one-time recovery code."""
    code = (code or "").strip()
    if len(code.replace(" ", "")) == 6:
        step = crypto.totp_verify(_totp_secret(reviewer), code, reviewer.totp_last_step)
        if step is None:
            return False
        reviewer.totp_last_step = step
        return True
    if 10 <= len(code) <= 40:
        digest = crypto.recovery_code_hash(code)
        remaining = list(reviewer.recovery_codes or [])
        for stored in remaining:
            if crypto.constant_time_equal(stored.encode(), digest.encode()):
                remaining.remove(stored)
                reviewer.recovery_codes = remaining
                return True
    return False


def unlock(reviewer: Reviewer, passphrase: str = "", recovery_key: str = "") -> Optional[PrivateKey]:
    try:
        if recovery_key:
            raw = crypto.secretbox_decrypt(crypto.unb32(recovery_key), reviewer.recovery_wrapped_key)
        else:
            wrap = crypto.slow_keyed_hash("reviewer", (passphrase or "").encode(),
                                          reviewer.key_salt, reviewer.key_kdf)
            raw = crypto.secretbox_decrypt(wrap, reviewer.passphrase_wrapped_key)
    except (crypto.DecryptionError, ValueError):
        return None
    return crypto.private_key(raw)


def login(user_id: str, second_factor: str, passphrase: str = "",
          recovery_key: str = "") -> Optional[str]:
    """Open a two-factor session (rotating any previous one); the token for the cookie."""
    reviewer = get_reviewer(user_id)
    if reviewer is None or not is_member(user_id):
        return None
    if not check_second_factor(reviewer, second_factor):
        model.Session.commit()
        audit("reviewer_login_failed", actor_id=user_id)
        model.Session.commit()
        return None
    key = unlock(reviewer, passphrase, recovery_key)
    if key is None:
        model.Session.commit()  # the TOTP step stays spent
        audit("reviewer_login_failed", actor_id=user_id)
        model.Session.commit()
        return None
    logout()
    token = vault.open_session({"user_id": user_id, "key": bytes(key).hex()})
    audit("reviewer_login", actor_id=user_id)
    model.Session.commit()
    unit.on_login(user_id, key)  # unit copies of old cases; orphan cases back to the unit
    return token


def logout() -> None:
    """Destroy this browser's session key in Redis (the view clears the cookie)."""
    token = vault.token_from_request(vault.REVIEWER_COOKIE)
    if token:
        vault.close_session(token)


def current_session(user_id: Optional[str]) -> Optional[PrivateKey]:
    """The reviewer's private key if this browser holds a live two-factor session."""
    if not user_id:
        return None
    payload = vault.read_session(vault.token_from_request(vault.REVIEWER_COOKIE))
    if not payload or payload.get("user_id") != user_id:
        return None
    return crypto.private_key(bytes.fromhex(payload["key"]))


def reviewer_key(context: dict[str, Any]) -> Optional[PrivateKey]:
    """Key from the context (set by our views) or the request's two-factor session."""
    user_id = user_id_from_context(context)
    if not is_member(user_id):
        return None
    key = context.get("limahonesta_reviewer_key")
    if key is not None and context.get("limahonesta_reviewer_id") == user_id:
        return key
    try:
        key = current_session(user_id)
    except (RedisError, OSError):
        from .refusals import unavailable
        raise unavailable("sesion")
    if key is not None:
        context["limahonesta_reviewer_key"] = key
        context["limahonesta_reviewer_id"] = user_id
    return key


def require_reviewer(context: dict[str, Any]) -> tuple[str, PrivateKey]:
    """The reviewer's user id and key from a session with its second factor, or 403:
    one rule for every staff action (cases, the integrity register)."""
    user_id = user_id_from_context(context)
    key = reviewer_key(context)
    if user_id is None or key is None:
        raise tk.NotAuthorized(tk._("Se requiere una sesión de la Unidad de Integridad con "
                                    "segundo factor."))
    return user_id, key


def case_key_for(case: Case, reviewer_id: str, key: PrivateKey) -> Optional[PrivateKey]:
    row = model.Session.get(CaseKey, (case.id, reviewer_id))
    if row is None:
        return None
    try:
        raw = crypto.unseal(key, row.sealed_key)
    except crypto.DecryptionError:
        return None
    case_key = crypto.private_key(raw)
    return case_key if bytes(case_key.public_key) == case.public_key else None
