"""Domain rules of Lima Activa shared by actions, auth functions and views.

Kept free of request state: every function receives what it needs.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from typing import Any

import ckan.authz as authz  # not re-exported by the toolkit; stable since CKAN 2.0
import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from openlima_common import clock

from ckanext.openlima.ubigeo import DISTRICTS
from ckanext.limaactiva.model import (
    Comment,
    Participant,
    ParticipationSession,
    Phase,
    Proposal,
    Service,
    Space,
    Vote,
)

MAX_COMMENT_DEPTH = 3


def today() -> datetime.date:
    return clock.today()


def user_object(context: dict) -> model.User | None:
    user = context.get("auth_user_obj")
    if isinstance(user, model.User):
        return user
    name = context.get("user")
    if not name:
        return None
    return model.User.get(name)


def is_office_member(user: model.User, office: str) -> bool:
    """True for sysadmins and for editors/admins of the office (a CKAN organisation)."""
    if user.sysadmin:
        return True
    group = model.Group.get(office)
    if group is None or not group.is_organization:
        return False
    return authz.has_user_permission_for_group_or_org(
        group.id, user.name, "create_dataset"
    )


def is_organisation_member(user: model.User, organisation: str) -> model.Group | None:
    group = model.Group.get(organisation)
    if group is None or not group.is_organization or group.state != "active":
        return None
    if user.sysadmin or authz.has_user_permission_for_group_or_org(
        group.id, user.name, "read"
    ):
        return group
    return None


def participant(user_id: str) -> Participant | None:
    return model.Session.get(Participant, user_id)


def is_confirmed(user: model.User) -> bool:
    """A user takes part once Lima Activa has confirmed the e-mail address now on the account.

    Confirmation is a row in ``limaactiva_participant`` with ``email_confirmed_at`` set and
    ``confirmed_email`` equal to the account's current e-mail (changing the address on the
    account requires confirming again). It is set by the confirmation-link flow or by a
    sysadmin (``limaactiva_participant_confirm``). Sysadmins are always confirmed.
    """
    if user.sysadmin:
        return True
    row = participant(user.id)
    return bool(
        row
        and row.email_confirmed_at
        and user.email
        and row.confirmed_email
        and row.confirmed_email.strip().lower() == user.email.strip().lower()
    )


def dni_hmac(dni: str) -> str | None:
    key = tk.config.get("ckanext.limaactiva.dni_hmac_key") or ""
    if not key:
        return None
    return hmac.new(
        key.encode("utf-8"), dni.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find_space(id_or_name: Any) -> Space | None:
    if not id_or_name or not isinstance(id_or_name, str):
        return None
    return (
        model.Session.query(Space)
        .filter(sa.or_(Space.id == id_or_name, Space.name == id_or_name))
        .first()
    )


def find_service(id_or_name: Any) -> Service | None:
    if not id_or_name or not isinstance(id_or_name, str):
        return None
    return (
        model.Session.query(Service)
        .filter(sa.or_(Service.id == id_or_name, Service.name == id_or_name))
        .first()
    )


def find_office(id_or_name: Any) -> model.Group | None:
    """The CKAN organisation with that id or name, if there is one."""
    if not id_or_name or not isinstance(id_or_name, str):
        return None
    group = model.Group.get(id_or_name)
    return group if group is not None and group.is_organization else None


def find_proposal(proposal_id: Any) -> Proposal | None:
    if not proposal_id or not isinstance(proposal_id, str):
        return None
    return model.Session.get(Proposal, proposal_id)


def find_session(session_id: Any) -> ParticipationSession | None:
    if not session_id or not isinstance(session_id, str):
        return None
    return model.Session.get(ParticipationSession, session_id)


def find_comment(comment_id: Any) -> Comment | None:
    if not comment_id or not isinstance(comment_id, str):
        return None
    return model.Session.get(Comment, comment_id)


def office_of_proposal(proposal_id: Any) -> str | None:
    proposal = find_proposal(proposal_id)
    if proposal is None:
        return None
    space = model.Session.get(Space, proposal.space_id)
    return space.responsible_office if space else None


def office_of_session(session_id: Any) -> str | None:
    session = find_session(session_id)
    if session is None:
        return None
    space = model.Session.get(Space, session.space_id)
    return space.responsible_office if space else None


def current_phase(space: Space, on: datetime.date | None = None) -> Phase | None:
    on = on or today()
    for phase in space.phases:
        if phase.start_date <= on <= phase.end_date:
            return phase
    return None


def switches(space: Space) -> dict[str, bool]:
    phase = current_phase(space)
    return {
        "proposals_open": bool(phase and phase.proposals_enabled),
        "comments_open": bool(phase and phase.comments_enabled),
        "votes_open": bool(phase and phase.votes_enabled),
    }


def score_of(proposal_id: str) -> dict[str, Any]:
    row = model.Session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(Vote.weight), 0),
            sa.func.count(Vote.id),
            sa.func.count(Vote.id).filter(Vote.weight == 3),
            sa.func.count(Vote.id).filter(Vote.weight == 2),
            sa.func.count(Vote.id).filter(Vote.weight == 1),
        ).where(Vote.proposal_id == proposal_id)
    ).one()
    score, votes, n3, n2, n1 = (int(value) for value in row)
    return {
        "proposal_id": proposal_id,
        "score": score,
        "votes": votes,
        "count_3": n3,
        "count_2": n2,
        "count_1": n1,
        "mean": round(score / votes, 2) if votes else None,
    }


def district_name(code: str | None) -> str | None:
    return DISTRICTS.get(code or "")


def iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def audit(
    actor_id: str | None,
    action: str,
    target_type: str,
    target_id: str,
    detail: str | None = None,
) -> None:
    """Append to the internal audit log (same transaction as the act it records)."""
    from ckanext.limaactiva.model import AuditEntry

    model.Session.add(
        AuditEntry(
            actor_user_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
        )
    )


def over_rate_limit(
    column, user_column, user_id: str, window: datetime.timedelta, limit: int
) -> bool:
    """True when the user already made ``limit`` rows of this kind within ``window``."""
    since = clock.utcnow() - window
    made = model.Session.execute(
        sa.select(sa.func.count()).where(user_column == user_id, column >= since)
    ).scalar()
    return int(made or 0) >= limit
