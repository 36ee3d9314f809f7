"""3/2/1 prioritisation and the dated score snapshots."""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import schema as schemas
from ckanext.limaactiva.logic.shared import (
    commit,
    current_user,
    fail,
    proposal_or_404,
    take_snapshot,
    validate,
)
from ckanext.limaactiva.model import (
    Proposal,
    Snapshot,
    Space,
    Vote,
    VoteEvent,
    new_id,
    utcnow,
)


def limaactiva_vote_cast(context, data_dict):
    """Cast or change one's 3/2/1 priority for a proposal while voting is open.

    One vote per person per proposal is enforced by the UNIQUE constraint
    ``(proposal_id, user_id)``; the insert is an upsert, so two simultaneous requests of
    the same person leave one row. Every change is appended to the vote history, and the
    day's snapshot of the proposal's score is refreshed.

    :param proposal_id: proposal id
    :param weight: 3 (muy prioritario), 2 (prioritario) or 1 (poco prioritario)
    :returns: ``{proposal_id, weight, changed}`` plus the new score (never who voted)
    """
    tk.check_access("limaactiva_vote_cast", context, data_dict)
    for key in (
        "organisation",
        "organization",
        "owner_org",
        "author_organisation",
        "on_behalf_of",
    ):
        if (data_dict or {}).get(key):
            # Organisations propose and endorse; prioritisation is personal.
            fail(
                key,
                tk._(
                    "Las organizaciones no votan: cada persona prioriza con su propia cuenta."
                ),
            )
    data = validate(data_dict, schemas.vote_cast_schema(), context)
    user = current_user(context)
    proposal = proposal_or_404(data["proposal_id"], context)
    space = model.Session.get(Space, proposal.space_id)
    if not rules.switches(space)["votes_open"]:
        fail(
            "weight",
            tk._("La priorización no está abierta en la fase actual de este espacio."),
        )
    if tk.config.get("ckanext.limaactiva.require_dni_to_vote") and not user.sysadmin:
        row = rules.participant(user.id)
        if row is None or not row.dni_hmac:
            fail(
                "weight",
                tk._(
                    "Para priorizar debe declarar su DNI en su perfil de participación."
                ),
            )
    weight = data["weight"]
    votes = Vote.__table__
    # Serialise the votes of one proposal so that the snapshot below counts every
    # committed vote (a row lock that does not block reads).
    model.Session.execute(
        sa.select(Proposal.id)
        .where(Proposal.id == proposal.id)
        .with_for_update(key_share=True)
    )
    now = utcnow()
    inserted = model.Session.execute(
        pg_insert(votes)
        .values(
            id=new_id(),
            proposal_id=proposal.id,
            user_id=user.id,
            weight=weight,
            created=now,
            modified=now,
        )
        .on_conflict_do_nothing(constraint="limaactiva_vote_one_per_person")
        .returning(votes.c.id)
    ).first()
    if inserted is not None:
        vote_id, old_weight = inserted.id, None
    else:
        existing = model.Session.execute(
            sa.select(votes.c.id, votes.c.weight)
            .where(votes.c.proposal_id == proposal.id, votes.c.user_id == user.id)
            .with_for_update()
        ).one()
        vote_id, old_weight = existing.id, existing.weight
        if old_weight != weight:
            model.Session.execute(
                votes.update()
                .where(votes.c.id == vote_id)
                .values(weight=weight, modified=now)
            )
    changed = old_weight != weight
    if changed:
        model.Session.execute(
            sa.insert(VoteEvent.__table__).values(
                vote_id=vote_id,
                proposal_id=proposal.id,
                old_weight=old_weight,
                new_weight=weight,
                created=now,
            )
        )
        take_snapshot(proposal.id, rules.today())
    commit(context)
    return {
        "proposal_id": proposal.id,
        "weight": weight,
        "changed": changed,
        "score": rules.score_of(proposal.id),
    }


@tk.side_effect_free
def limaactiva_vote_show(context, data_dict):
    """The caller's own vote on a proposal (only ever one's own).

    :param proposal_id: proposal id
    :returns: ``{proposal_id, weight}`` (weight ``None`` when not voted)
    """
    tk.check_access("limaactiva_vote_show", context, data_dict)
    data = validate(
        data_dict,
        {"proposal_id": [schemas.required, schemas.v.limaactiva_text]},
        context,
    )
    user = current_user(context)
    proposal = proposal_or_404(data["proposal_id"], context)
    vote = (
        model.Session.query(Vote)
        .filter(Vote.proposal_id == proposal.id, Vote.user_id == user.id)
        .first()
    )
    return {"proposal_id": proposal.id, "weight": vote.weight if vote else None}


def limaactiva_snapshot_create(context, data_dict):
    """Record the dated score of one proposal, or of every proposal (scheduled job).

    :param proposal_id: optional; all proposals when absent
    :param snapshot_date: optional, defaults to today
    :returns: list of snapshots written
    """
    tk.check_access("limaactiva_snapshot_create", context, data_dict)
    data = validate(data_dict, schemas.snapshot_create_schema(), context)
    on = data.get("snapshot_date") or rules.today()
    if data.get("proposal_id"):
        ids = [proposal_or_404(data["proposal_id"], context).id]
    else:
        ids = [
            row.id
            for row in model.Session.query(Proposal.id).order_by(Proposal.created)
        ]
    written = [take_snapshot(proposal_id, on) for proposal_id in ids]
    commit(context)
    return written


@tk.side_effect_free
def limaactiva_snapshot_list(context, data_dict):
    """Dated scores of a proposal, oldest first (the public history chart).

    :param proposal_id: proposal id
    """
    tk.check_access("limaactiva_snapshot_list", context, data_dict)
    data = validate(
        data_dict,
        {"proposal_id": [schemas.required, schemas.v.limaactiva_text]},
        context,
    )
    proposal = proposal_or_404(data["proposal_id"], context)
    rows = (
        model.Session.query(Snapshot)
        .filter(Snapshot.proposal_id == proposal.id)
        .order_by(Snapshot.snapshot_date)
    )
    return [
        {
            "snapshot_date": rules.iso(row.snapshot_date),
            "score": row.score,
            "count_3": row.count_3,
            "count_2": row.count_2,
            "count_1": row.count_1,
            "votes": row.count_3 + row.count_2 + row.count_1,
        }
        for row in rows
    ]
