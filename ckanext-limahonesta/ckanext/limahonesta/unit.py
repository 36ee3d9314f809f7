"""The Integrity Unit's key pair: no report is lost, whenever it was filed (#12).

Every case key is sealed, besides to each approved reviewer and to the reporter's code,
to the **unit public key**. The unit private key is held by each approved reviewer,
sealed to their reviewer public key (``limahonesta_unit_key``), so a reviewer's
passphrase or recovery key unlocks it; nobody else has it. Before the unit has any
approved reviewer (a new installation: ``ckan limahonesta setup`` makes the key, and
reports may arrive before anybody enrols), the private key is kept under a key derived
from the pepper (``bootstrap_wrapped_key``) — as safe as the reports the running server
sees anyway, and useless with a database dump alone — and that copy is destroyed when
the first reviewer enrols and receives the key.

A case none of whose keys belongs to an approved member ("orphan": filed before anybody
enrolled, or every holder left the unit) is re-sealed to every approved member not
excluded from it (``limahonesta_case_exclusion``) with the unit key, when a reviewer
holding it signs in (``on_login``) or when the first reviewer enrols. Each use of the
unit key for that is audit-logged (``case_keys_restored``).

Cases stored before this design (no unit copy of their key) get it as soon as someone
who holds their key opens them: a reviewer signing in, or the reporter with the code.
"""
from __future__ import annotations

import logging
from typing import Optional

import sqlalchemy as sa
from nacl.public import PrivateKey
from sqlalchemy.dialects.postgresql import insert as pg_insert

import ckan.model as model

from . import crypto
from .model import Case, CaseExclusion, CaseKey, Reviewer, Unit, UnitKey, audit, today

log = logging.getLogger(__name__)

UNIT_ID = 1


def _approved_members() -> dict[str, bytes]:
    """Approved reviewers who are still members of the unit: id -> public key."""
    from . import staff
    members = staff.integrity_member_ids()
    rows = model.Session.query(Reviewer.user_id, Reviewer.public_key).filter(
        Reviewer.approved_by.isnot(None)).all()
    return {uid: key for uid, key in rows if uid in members}


def get_unit() -> Optional[Unit]:
    return model.Session.get(Unit, UNIT_ID)


def ensure_unit() -> Unit:
    """The unit key pair, created now if missing (safe against a concurrent creation).

    With approved reviewers already there (an installation upgraded to this design) the
    private key is sealed straight to them; otherwise it waits under the pepper for the
    first enrolment.
    """
    unit = get_unit()
    if unit is not None:
        return unit
    key = crypto.new_keypair()
    holders = _approved_members()
    bootstrap = None if holders else crypto.secretbox_encrypt(
        crypto.subkey("unit-bootstrap"), bytes(key))
    created = model.Session.execute(
        pg_insert(Unit.__table__).values(
            id=UNIT_ID, public_key=bytes(key.public_key), bootstrap_wrapped_key=bootstrap,
            created_on=today()).on_conflict_do_nothing().returning(Unit.__table__.c.id)).first()
    if created is not None:
        for reviewer_id, public_key in holders.items():
            model.Session.add(UnitKey(reviewer_id=reviewer_id,
                                      sealed_key=crypto.seal(public_key, bytes(key))))
        audit("unit_key_created", actor_id=None, detail="bootstrap" if bootstrap else
              "reviewers")
    model.Session.commit()
    unit = get_unit()
    assert unit is not None
    return unit


def seal_to_unit(case: Case, case_key: PrivateKey) -> None:
    """Give ``case`` its unit copy of the key if it has none (never replaces one)."""
    if case.unit_wrapped_key is None:
        case.unit_wrapped_key = crypto.seal(ensure_unit().public_key, bytes(case_key))


def _check(unit: Unit, key: PrivateKey) -> Optional[PrivateKey]:
    return key if bytes(key.public_key) == unit.public_key else None


def unit_key_of(reviewer_id: str, reviewer_key: PrivateKey) -> Optional[PrivateKey]:
    unit = get_unit()
    row = model.Session.get(UnitKey, reviewer_id)
    if unit is None or row is None:
        return None
    try:
        return _check(unit, crypto.private_key(crypto.unseal(reviewer_key, row.sealed_key)))
    except crypto.DecryptionError:
        return None


def _bootstrap_key(unit: Unit) -> Optional[PrivateKey]:
    if unit.bootstrap_wrapped_key is None:
        return None
    raw = crypto.secretbox_decrypt(crypto.subkey("unit-bootstrap"), unit.bootstrap_wrapped_key)
    return _check(unit, crypto.private_key(raw))


def give_to(reviewer: Reviewer, unit_key: PrivateKey) -> None:
    if model.Session.get(UnitKey, reviewer.user_id) is None:
        model.Session.add(UnitKey(reviewer_id=reviewer.user_id,
                                  sealed_key=crypto.seal(reviewer.public_key, bytes(unit_key))))


def hand_over_bootstrap(reviewer: Reviewer) -> None:
    """The unit's first reviewer receives the unit key; the pepper copy is destroyed and
    every report received so far is sealed to them."""
    unit = ensure_unit()
    key = _bootstrap_key(unit)
    if key is None:
        return
    give_to(reviewer, key)
    model.Session.flush()
    unit.bootstrap_wrapped_key = None
    audit("unit_key_handed_over", actor_id=reviewer.user_id)
    restore_orphans(key, reviewer.user_id)


def restore_orphans(unit_key: PrivateKey, actor_id: str) -> int:
    """Seal every orphan case (no key held by an approved member) to the approved members
    not excluded from it, and give the unit key to approved members who lack it."""
    approved = _approved_members()
    for reviewer in model.Session.query(Reviewer).filter(Reviewer.user_id.in_(list(approved))):
        give_to(reviewer, unit_key)
    held = sa.exists().where(CaseKey.case_id == Case.id,
                             CaseKey.reviewer_id.in_(list(approved)))
    orphans = model.Session.query(Case).filter(Case.unit_wrapped_key.isnot(None), ~held).all()
    restored = 0
    for case in orphans:
        try:
            case_key = crypto.private_key(crypto.unseal(unit_key, case.unit_wrapped_key))
        except crypto.DecryptionError:
            log.error("limahonesta: la copia de la llave del caso %s no abre con la llave "
                      "de la Unidad", case.case_number)
            continue
        if bytes(case_key.public_key) != case.public_key:
            continue
        excluded = {uid for (uid,) in model.Session.query(CaseExclusion.reviewer_id).filter(
            CaseExclusion.case_id == case.id)}
        for reviewer_id, public_key in approved.items():
            if reviewer_id in excluded or model.Session.get(CaseKey, (case.id, reviewer_id)):
                continue
            model.Session.add(CaseKey(case_id=case.id, reviewer_id=reviewer_id,
                                      sealed_key=crypto.seal(public_key, bytes(case_key))))
        audit("case_keys_restored", actor_id=actor_id, case_id=case.id)
        restored += 1
    model.Session.commit()
    return restored


def on_login(reviewer_id: str, reviewer_key: PrivateKey) -> None:
    """At each two-factor sign-in: copies of case keys for the unit where missing (cases
    older than this design), then orphan cases back to the approved members."""
    ensure_unit()
    missing = model.Session.query(Case, CaseKey).join(
        CaseKey, sa.and_(CaseKey.case_id == Case.id, CaseKey.reviewer_id == reviewer_id)
    ).filter(Case.unit_wrapped_key.is_(None)).all()
    for case, row in missing:
        try:
            case_key = crypto.private_key(crypto.unseal(reviewer_key, row.sealed_key))
        except crypto.DecryptionError:
            continue
        if bytes(case_key.public_key) == case.public_key:
            seal_to_unit(case, case_key)
    model.Session.commit()
    unit_key = unit_key_of(reviewer_id, reviewer_key)
    if unit_key is not None:
        restore_orphans(unit_key, reviewer_id)
