"""What every Lima Activa action shares: input validation with Spanish messages
(``validate``, ``fail``), the commit that respects ``defer_commit``, the caller, lookups
that answer 404, and the dict builders that decide what an action returns (never who
voted, the author's account of a proposal or comment, or any DNI material).

Imported by the actions (``logic/action/``), ``logic/moderation.py`` and
``logic/notify.py``; it imports none of them.
"""

from __future__ import annotations

import datetime
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from openlima_common import clock
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic.validators import PHASE_KEYS
from ckanext.limaactiva.model import (
    Comment,
    ParticipationSession,
    Phase,
    Proposal,
    SessionOrganisation,
    SessionProposal,
    SessionRegistration,
    Snapshot,
    Space,
    utcnow,
)


def validate(data_dict: dict, schema: dict, context: dict) -> dict:
    if not isinstance(data_dict, dict):
        raise tk.ValidationError(
            {"__all__": [tk._("Se esperaba un objeto con los campos.")]}
        )
    # navl refuses a sub-schema field that is not a list of objects with an English
    # DataError; answer in Spanish instead.
    shape_errors = {
        key: [tk._("Debe ser una lista de objetos con sus campos.")]
        for key, rule in schema.items()
        if isinstance(rule, dict)
        and data_dict.get(key) not in (None, "")
        and not (
            isinstance(data_dict[key], list)
            and all(isinstance(item, dict) for item in data_dict[key])
        )
    }
    if shape_errors:
        raise tk.ValidationError(shape_errors)
    data, errors = tk.navl_validate(dict(data_dict or {}), schema, context)
    errors = {key: value for key, value in errors.items() if value}
    if errors:
        raise tk.ValidationError(errors)
    data.pop("__extras", None)
    data.pop("__junk", None)
    return data


def matching_words(query, text, words: str | None):
    """``query`` narrowed to rows whose ``text`` (an SQL expression) holds every word of
    ``words``, ignoring case and Spanish accents; ``%`` and ``_`` are matched literally."""
    for word in (words or "").split():
        pattern = (
            "%"
            + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        query = query.filter(
            sa.func.translate(sa.func.lower(text), "áéíóúüñ", "aeiouun").like(
                sa.func.translate(sa.func.lower(pattern), "áéíóúüñ", "aeiouun"),
                escape="\\",
            )
        )
    return query


def fail(field: str, message: str):
    raise tk.ValidationError({field: [message]})


def commit(context: dict) -> None:
    if not context.get("defer_commit"):
        model.repo.commit()


def current_user(context: dict) -> model.User:
    user = rules.user_object(context)
    if user is None:
        raise tk.NotAuthorized(tk._("Debe iniciar sesión."))
    return user


def space_or_404(id_or_name: Any) -> Space:
    space = rules.find_space(id_or_name)
    if space is None:
        raise tk.ObjectNotFound(tk._("Espacio de participación no encontrado."))
    return space


def proposal_or_404(proposal_id: Any, context: dict | None = None) -> Proposal:
    """The proposal; a hidden one (under moderation) only for its office's moderators."""
    proposal = rules.find_proposal(proposal_id)
    if proposal is None:
        raise tk.ObjectNotFound(tk._("Propuesta no encontrada."))
    if proposal.hidden and not moderates(context, proposal):
        raise tk.ObjectNotFound(tk._("Propuesta no encontrada."))
    return proposal


def moderates(context: dict | None, proposal: Proposal) -> bool:
    user = rules.user_object(context or {})
    if user is None:
        return False
    office = rules.office_of_proposal(proposal.id)
    return bool(office and rules.is_office_member(user, office))


def phase_dict(phase: Phase) -> dict:
    return {
        "phase_key": phase.phase_key,
        "title": phase.title,
        "start_date": rules.iso(phase.start_date),
        "end_date": rules.iso(phase.end_date),
        "proposals_enabled": phase.proposals_enabled,
        "comments_enabled": phase.comments_enabled,
        "votes_enabled": phase.votes_enabled,
    }


def space_dict(space: Space) -> dict:
    phase = rules.current_phase(space)
    return {
        "id": space.id,
        "name": space.name,
        "title": space.title,
        "description": space.description,
        "space_type": space.space_type,
        "responsible_office": space.responsible_office,
        "civic_education": space.civic_education,
        "commitment_ref": space.commitment_ref,
        "answer_deadline_days": deadline_days(space),
        "answer_deadline_days_own": space.answer_deadline_days,
        "proposals_overdue": overdue_count(space.id),
        "phases": [phase_dict(p) for p in space.phases],
        "current_phase": phase.phase_key if phase else None,
        **rules.switches(space),
        "created": rules.iso(space.created),
        "modified": rules.iso(space.modified),
    }


def session_dict(session: ParticipationSession) -> dict:
    organisations = (
        model.Session.query(SessionOrganisation)
        .filter(SessionOrganisation.session_id == session.id)
        .order_by(SessionOrganisation.organisation)
        .all()
    )
    proposal_ids = [
        row.proposal_id
        for row in model.Session.query(SessionProposal).filter(
            SessionProposal.session_id == session.id
        )
    ]
    registered = registered_count(session.id)
    return {
        "id": session.id,
        "space_id": session.space_id,
        "title": session.title,
        "description": session.description,
        "modality": session.modality,
        "place": session.place,
        "district": session.district,
        "online_url": session.online_url,
        "registration_url": session.registration_url,
        "registration_required": session.registration_required,
        "capacity": session.capacity,
        "starts_at": rules.iso(session.starts_at),
        "ends_at": rules.iso(session.ends_at),
        "closed": session.closed_at is not None,
        "closed_at": rules.iso(session.closed_at),
        "report": session.report,
        "attendees_count": session.attendees_count,
        "contributions_count": session.contributions_count,
        "recording_url": session.recording_url,
        "proposal_ids": sorted(proposal_ids),
        "registered_count": registered,
        "places_left": (
            max(session.capacity - registered, 0)
            if session.capacity is not None
            else None
        ),
        "organisations": [
            {"organisation": o.organisation, "district": o.district, "people": o.people}
            for o in organisations
        ],
    }


def proposal_dict(proposal: Proposal, with_score: bool = True) -> dict:
    result = {
        "id": proposal.id,
        "space_id": proposal.space_id,
        "title": proposal.title,
        "body": proposal.body,
        "district": proposal.district,
        "district_name": rules.district_name(proposal.district),
        "theme": proposal.theme,
        "author_organisation": proposal.author_organisation,
        "author_public_name": proposal.author_public_name,
        "state": proposal.state,
        "answer_text": proposal.answer_text,
        "answer_date": rules.iso(proposal.answer_date),
        "answer_days": (
            (proposal.answer_date - clock.local_date(proposal.created)).days
            if proposal.answer_date and proposal.created
            else None
        ),
        "answer_office": proposal.answer_office,
        **answer_deadline(proposal),
        "commitment_milestone_ref": proposal.commitment_milestone_ref,
        "hidden": proposal.hidden,
        "created": rules.iso(proposal.created),
    }
    if with_score:
        score = rules.score_of(proposal.id)
        score.pop("proposal_id")
        result.update(score)
    return result


def deadline_days(space: Space | None) -> int:
    """Days the office has to answer a proposal of ``space``: its own setting, else
    ``ckanext.limaactiva.answer_deadline_days`` (a portal rule, not a legal term)."""
    if space is not None and space.answer_deadline_days:
        return int(space.answer_deadline_days)
    return int(tk.config.get("ckanext.limaactiva.answer_deadline_days"))


def answer_deadline(proposal: Proposal) -> dict:
    """The answer deadline of a proposal, counted in Lima days from the day it was made."""
    space = model.Session.get(Space, proposal.space_id)
    days = deadline_days(space)
    made = clock.local_date(proposal.created) if proposal.created else rules.today()
    due = made + datetime.timedelta(days=days)
    return {
        "answer_deadline_days": days,
        "answer_due_date": due.isoformat(),
        "answer_overdue": proposal.answer_date is None and rules.today() > due,
        "answer_late": proposal.answer_date is not None and proposal.answer_date > due,
    }


def overdue_clause(today: datetime.date):
    """SQL: the proposal has no answer and its deadline has passed (Lima days)."""
    days = sa.func.coalesce(
        Space.answer_deadline_days,
        int(tk.config.get("ckanext.limaactiva.answer_deadline_days")),
    )
    made = sa.cast(lima_time(Proposal.created), sa.Date)
    return sa.and_(Proposal.answer_date.is_(None), made + days < today)


def overdue_count(space_id: str | None = None) -> int:
    statement = (
        sa.select(sa.func.count())
        .select_from(Proposal)
        .join(Space, Space.id == Proposal.space_id)
        .where(overdue_clause(rules.today()), Proposal.hidden.is_(False))
    )
    if space_id is not None:
        statement = statement.where(Proposal.space_id == space_id)
    return int(model.Session.execute(statement).scalar() or 0)


def comment_dict(comment: Comment, viewer: model.User | None = None) -> dict:
    author = rules.participant(comment.author_user_id)
    public_name = author.public_name if author and author.show_publicly else None
    mine = viewer is not None and viewer.id == comment.author_user_id
    return {
        "id": comment.id,
        "proposal_id": comment.proposal_id,
        "parent_id": comment.parent_id,
        "depth": comment.depth,
        "alignment": comment.alignment,
        "body": None if comment.deleted or comment.hidden else comment.body,
        "deleted": comment.deleted,
        "hidden": comment.hidden,
        "author_public_name": None
        if comment.deleted or comment.hidden
        else public_name,
        "created": rules.iso(comment.created),
        "modified": rules.iso(comment.modified),
        "editable": bool(mine and not comment.deleted and within_edit_window(comment)),
        "deletable": bool(mine and not comment.deleted),
    }


def within_edit_window(comment: Comment) -> bool:
    minutes = tk.config.get("ckanext.limaactiva.comment_edit_minutes")
    return utcnow() - comment.created <= datetime.timedelta(minutes=int(minutes))


def apply_phases(space: Space, phases: list[dict]) -> None:
    for key, errors in phase_errors(phases).items():
        fail("phases", errors)
    space.phases.clear()
    model.Session.flush()
    for position, phase in enumerate(phases):
        space.phases.append(
            Phase(
                position=position,
                phase_key=phase["phase_key"],
                title=phase.get("title") or PHASE_KEYS[phase["phase_key"]],
                start_date=phase["start_date"],
                end_date=phase["end_date"],
                proposals_enabled=bool(phase.get("proposals_enabled")),
                comments_enabled=bool(phase.get("comments_enabled")),
                votes_enabled=bool(phase.get("votes_enabled")),
            )
        )


def phase_errors(phases: list[dict]) -> dict[str, str]:
    previous_end = None
    for phase in phases:
        if phase["end_date"] < phase["start_date"]:
            return {
                "phases": tk._(
                    "Cada fase debe terminar en o después de su fecha de inicio."
                )
            }
        if previous_end is not None and phase["start_date"] <= previous_end:
            return {
                "phases": tk._("Las fases deben ir en orden y no pueden superponerse.")
            }
        previous_end = phase["end_date"]
    return {}


def take_snapshot(proposal_id: str, on: datetime.date) -> dict:
    score = rules.score_of(proposal_id)
    values = {
        "proposal_id": proposal_id,
        "snapshot_date": on,
        "score": score["score"],
        "count_3": score["count_3"],
        "count_2": score["count_2"],
        "count_1": score["count_1"],
    }
    statement = pg_insert(Snapshot.__table__).values(**values)
    statement = statement.on_conflict_do_update(
        constraint="limaactiva_snapshot_one_per_day",
        set_={
            key: statement.excluded[key]
            for key in ("score", "count_3", "count_2", "count_1")
        },
    )
    model.Session.execute(statement)
    return {**values, "snapshot_date": on.isoformat()}


def registered_count(session_id: str) -> int:
    return int(
        model.Session.execute(
            sa.select(sa.func.count()).where(
                SessionRegistration.session_id == session_id
            )
        ).scalar()
        or 0
    )


def lima_time(utc_column):
    """A naive UTC timestamp column as Lima's wall-clock time (for its Lima date)."""
    return sa.func.timezone(clock.LIMA.key, sa.func.timezone("UTC", utc_column))
