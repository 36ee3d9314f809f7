"""Lima Activa actions: spaces, sessions, proposals, threads, 3/2/1 votes, services.

Every action follows one shape: check access, validate with a schema (Spanish messages),
do the work in CKAN's transaction, return a dict. Dicts never contain who voted, the
author's account of a proposal or comment, or any DNI material.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from openlima_common import clock
from sqlalchemy.exc import IntegrityError

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import schema as schemas
from ckanext.limaactiva.logic.moderation import (
    limaactiva_audit_list,
    limaactiva_flag_create,
    limaactiva_flag_list,
    limaactiva_flag_resolve,
)
from ckanext.limaactiva.logic import notify
from ckanext.limaactiva.logic.notify import (
    limaactiva_follow,
    limaactiva_follow_list,
    limaactiva_follow_show,
    limaactiva_notification_list,
    limaactiva_notification_mark_read,
    limaactiva_phase_announce,
    limaactiva_unfollow,
    limaactiva_unfollow_by_token,
)
from ckanext.limaactiva.logic.validators import PHASE_KEYS
from ckanext.limaactiva.model import (
    Comment,
    Participant,
    ParticipationSession,
    Phase,
    Proposal,
    Service,
    SessionOrganisation,
    SessionProposal,
    SessionRegistration,
    Snapshot,
    Space,
    Vote,
    VoteEvent,
    new_id,
    utcnow,
)

__all__ = [
    "limaactiva_space_create",
    "limaactiva_space_update",
    "limaactiva_space_show",
    "limaactiva_space_list",
    "limaactiva_session_create",
    "limaactiva_session_update",
    "limaactiva_session_close",
    "limaactiva_session_show",
    "limaactiva_session_list",
    "limaactiva_proposal_create",
    "limaactiva_proposal_answer",
    "limaactiva_proposal_show",
    "limaactiva_proposal_list",
    "limaactiva_proposal_score",
    "limaactiva_comment_create",
    "limaactiva_comment_update",
    "limaactiva_comment_delete",
    "limaactiva_comment_list",
    "limaactiva_vote_cast",
    "limaactiva_vote_show",
    "limaactiva_snapshot_create",
    "limaactiva_snapshot_list",
    "limaactiva_statistics",
    "limaactiva_stats_show",
    "limaactiva_participant_show",
    "limaactiva_participant_update",
    "limaactiva_participant_confirm",
    "limaactiva_email_confirmation_request",
    "limaactiva_email_confirm",
    "limaactiva_service_create",
    "limaactiva_service_update",
    "limaactiva_service_show",
    "limaactiva_service_list",
    "limaactiva_flag_create",
    "limaactiva_flag_list",
    "limaactiva_flag_resolve",
    "limaactiva_audit_list",
    "limaactiva_publish",
    "limaactiva_contributor_list",
    "limaactiva_session_register",
    "limaactiva_session_unregister",
    "limaactiva_follow",
    "limaactiva_unfollow",
    "limaactiva_follow_show",
    "limaactiva_follow_list",
    "limaactiva_unfollow_by_token",
    "limaactiva_notification_list",
    "limaactiva_notification_mark_read",
    "limaactiva_phase_announce",
    "limaactiva_pending_answer_list",
]


# --------------------------------------------------------------------------- helpers


def _validate(data_dict: dict, schema: dict, context: dict) -> dict:
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


def _fail(field: str, message: str):
    raise tk.ValidationError({field: [message]})


def _commit(context: dict) -> None:
    if not context.get("defer_commit"):
        model.repo.commit()


def _user(context: dict) -> model.User:
    user = rules.user_object(context)
    if user is None:
        raise tk.NotAuthorized(tk._("Debe iniciar sesión."))
    return user


def _space_or_404(id_or_name: Any) -> Space:
    space = rules.find_space(id_or_name)
    if space is None:
        raise tk.ObjectNotFound(tk._("Espacio de participación no encontrado."))
    return space


def _proposal_or_404(proposal_id: Any, context: dict | None = None) -> Proposal:
    """The proposal; a hidden one (under moderation) only for its office's moderators."""
    proposal = rules.find_proposal(proposal_id)
    if proposal is None:
        raise tk.ObjectNotFound(tk._("Propuesta no encontrada."))
    if proposal.hidden and not _moderates(context, proposal):
        raise tk.ObjectNotFound(tk._("Propuesta no encontrada."))
    return proposal


def _moderates(context: dict | None, proposal: Proposal) -> bool:
    user = rules.user_object(context or {})
    if user is None:
        return False
    office = rules.office_of_proposal(proposal.id)
    return bool(office and rules.is_office_member(user, office))


def _phase_dict(phase: Phase) -> dict:
    return {
        "phase_key": phase.phase_key,
        "title": phase.title,
        "start_date": rules.iso(phase.start_date),
        "end_date": rules.iso(phase.end_date),
        "proposals_enabled": phase.proposals_enabled,
        "comments_enabled": phase.comments_enabled,
        "votes_enabled": phase.votes_enabled,
    }


def _space_dict(space: Space) -> dict:
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
        "proposals_overdue": _overdue_count(space.id),
        "phases": [_phase_dict(p) for p in space.phases],
        "current_phase": phase.phase_key if phase else None,
        **rules.switches(space),
        "created": rules.iso(space.created),
        "modified": rules.iso(space.modified),
    }


def _session_dict(session: ParticipationSession) -> dict:
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
        "registered_count": _registered(session.id),
        "places_left": (
            max(session.capacity - _registered(session.id), 0)
            if session.capacity is not None
            else None
        ),
        "organisations": [
            {"organisation": o.organisation, "district": o.district, "people": o.people}
            for o in organisations
        ],
    }


def _proposal_dict(proposal: Proposal, with_score: bool = True) -> dict:
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
        **_deadline(proposal),
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


def _deadline(proposal: Proposal) -> dict:
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


def _overdue_clause(today: datetime.date):
    """SQL: the proposal has no answer and its deadline has passed (Lima days)."""
    days = sa.func.coalesce(
        Space.answer_deadline_days,
        int(tk.config.get("ckanext.limaactiva.answer_deadline_days")),
    )
    made = sa.cast(_lima_time(Proposal.created), sa.Date)
    return sa.and_(Proposal.answer_date.is_(None), made + days < today)


def _overdue_count(space_id: str | None = None) -> int:
    statement = (
        sa.select(sa.func.count())
        .select_from(Proposal)
        .join(Space, Space.id == Proposal.space_id)
        .where(_overdue_clause(rules.today()), Proposal.hidden.is_(False))
    )
    if space_id is not None:
        statement = statement.where(Proposal.space_id == space_id)
    return int(model.Session.execute(statement).scalar() or 0)


def _comment_dict(comment: Comment, viewer: model.User | None = None) -> dict:
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
        "editable": bool(mine and not comment.deleted and _within_edit_window(comment)),
        "deletable": bool(mine and not comment.deleted),
    }


def _within_edit_window(comment: Comment) -> bool:
    minutes = tk.config.get("ckanext.limaactiva.comment_edit_minutes")
    return utcnow() - comment.created <= datetime.timedelta(minutes=int(minutes))


def _apply_phases(space: Space, phases: list[dict]) -> None:
    for key, errors in _phase_errors(phases).items():
        _fail("phases", errors)
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


def _phase_errors(phases: list[dict]) -> dict[str, str]:
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


def _take_snapshot(proposal_id: str, on: datetime.date) -> dict:
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


# --------------------------------------------------------------------------- spaces


def limaactiva_space_create(context, data_dict):
    """Create a participation space with its dated phases.

    :param name: URL name (lower case, digits, ``-``, ``_``)
    :param title: title
    :param space_type: ``policy``, ``plan``, ``programme`` or ``project``
    :param responsible_office: name or id of the CKAN organisation that answers
    :param description: optional
    :param civic_education: optional civic-education text shown on the space page
    :param commitment_ref: optional reference to an OGP commitment
    :param phases: list of ``{phase_key, title, start_date, end_date, proposals_enabled,
        comments_enabled, votes_enabled}``, in date order, not overlapping
    :returns: the space
    """
    tk.check_access("limaactiva_space_create", context, data_dict)
    data = _validate(data_dict, schemas.space_create_schema(), context)
    office = model.Group.get(data["responsible_office"])
    if office is None or not office.is_organization:
        _fail("responsible_office", tk._("La oficina responsable no existe."))
    if rules.find_space(data["name"]):
        _fail("name", tk._("Ya existe un espacio con ese nombre."))
    space = Space(
        name=data["name"],
        title=data["title"],
        description=data.get("description") or "",
        space_type=data["space_type"],
        responsible_office=office.name,
        civic_education=data.get("civic_education") or "",
        commitment_ref=data.get("commitment_ref"),
        answer_deadline_days=data.get("answer_deadline_days"),
    )
    model.Session.add(space)
    _apply_phases(space, data.get("phases") or [])
    model.Session.flush()
    # nobody follows a new space yet: its current phase is not news
    space.announced_phase = notify.phase_marker(space)
    rules.audit(_user(context).id, "space_created", "space", space.id)
    _commit(context)
    return _space_dict(space)


def limaactiva_space_update(context, data_dict):
    """Update a space; only the fields given change (``phases`` replaces all phases).
    Every check runs before anything changes, so bad input leaves the space as it was.

    :param id: id or name of the space
    :param name: optional new URL name (not empty when given)
    :param title: optional (not empty when given)
    :param space_type: optional (not empty when given)
    :param responsible_office: optional; handing the space to another office needs
        membership of that office too
    :param description: optional; given empty, it is cleared
    :param civic_education: optional; given empty, it is cleared
    :param commitment_ref: optional; given empty, it is cleared
    :param phases: optional list as in ``limaactiva_space_create``
    :returns: the space
    """
    tk.check_access("limaactiva_space_update", context, data_dict)
    data = _validate(data_dict, schemas.space_update_schema(), context)
    space = _space_or_404(data["id"])
    errors: dict[str, list[str]] = {}
    if (
        data.get("name")
        and data["name"] != space.name
        and rules.find_space(data["name"])
    ):
        errors["name"] = [tk._("Ya existe un espacio con ese nombre.")]
    office = None
    if data.get("responsible_office"):
        office = rules.find_office(data["responsible_office"])
        if office is None:
            errors["responsible_office"] = [tk._("La oficina responsable no existe.")]
    if "phases" in data_dict:
        errors.update(
            {
                key: [message]
                for key, message in _phase_errors(data.get("phases") or []).items()
            }
        )
    if errors:
        raise tk.ValidationError(errors)
    if data.get("name"):
        space.name = data["name"]
    if office is not None:
        space.responsible_office = office.name
    for field in ("title", "space_type"):
        if data.get(field) is not None:
            setattr(space, field, data[field])
    for field in ("description", "civic_education"):
        if field in data_dict:
            setattr(space, field, data.get(field) or "")
    if "commitment_ref" in data_dict:
        space.commitment_ref = data.get("commitment_ref")
    if "answer_deadline_days" in data_dict:
        space.answer_deadline_days = data.get("answer_deadline_days")
    notices: list = []
    if "phases" in data_dict:
        _apply_phases(space, data.get("phases") or [])
        model.Session.flush()
        notices = notify.announce_phase(space, actor_id=_user(context).id)
    rules.audit(_user(context).id, "space_updated", "space", space.id)
    _commit(context)
    if notices and not context.get("defer_commit"):
        notify.deliver(notices)
    return _space_dict(space)


@tk.side_effect_free
def limaactiva_space_show(context, data_dict):
    """One space with its phases and which switches are on today.

    :param id: id or name
    """
    tk.check_access("limaactiva_space_show", context, data_dict)
    data = _validate(data_dict, schemas.id_schema(), context)
    return _space_dict(_space_or_404(data["id"]))


@tk.side_effect_free
def limaactiva_space_list(context, data_dict):
    """All spaces, newest first.

    :param space_type: optional filter
    """
    tk.check_access("limaactiva_space_list", context, data_dict)
    data = _validate(data_dict, schemas.space_list_schema(), context)
    query = model.Session.query(Space)
    if data.get("space_type"):
        query = query.filter(Space.space_type == data["space_type"])
    return [_space_dict(space) for space in query.order_by(Space.created.desc())]


# --------------------------------------------------------------------------- sessions


def limaactiva_session_create(context, data_dict):
    """Schedule a session (in person, online or hybrid) of a space.

    :param space_id: id or name of the space
    :param title: title
    :param modality: ``in_person``, ``online`` or ``hybrid``
    :param place: address (required in person / hybrid)
    :param district: UBIGEO of the place
    :param online_url: link (required online / hybrid)
    :param registration_required: bool; :param registration_url: optional
    :param capacity: optional number of places
    :param starts_at: ISO date-time; :param ends_at: optional
    :returns: the session
    """
    tk.check_access("limaactiva_session_create", context, data_dict)
    data = _validate(data_dict, schemas.session_create_schema(), context)
    space = _space_or_404(data["space_id"])
    errors = _session_errors(data)
    if errors:
        raise tk.ValidationError(errors)
    session = ParticipationSession(
        space_id=space.id,
        title=data["title"],
        description=data.get("description") or "",
        modality=data["modality"],
        place=data.get("place"),
        district=data.get("district"),
        online_url=data.get("online_url"),
        registration_url=data.get("registration_url"),
        registration_required=bool(data.get("registration_required")),
        capacity=data.get("capacity"),
        starts_at=data["starts_at"],
        ends_at=data.get("ends_at"),
    )
    model.Session.add(session)
    _commit(context)
    return _session_dict(session)


SESSION_FIELDS = (
    "title",
    "description",
    "modality",
    "place",
    "district",
    "online_url",
    "registration_url",
    "registration_required",
    "capacity",
    "starts_at",
    "ends_at",
)


def _session_errors(values: dict) -> dict[str, list[str]]:
    """Checks that involve more than one field of a session (as it would be saved)."""
    errors: dict[str, list[str]] = {}
    if values["modality"] in ("in_person", "hybrid") and not values.get("place"):
        errors["place"] = [tk._("Indique el lugar de la sesión presencial.")]
    if values["modality"] in ("online", "hybrid") and not values.get("online_url"):
        errors["online_url"] = [tk._("Indique el enlace de la sesión virtual.")]
    if values.get("ends_at") and values["ends_at"] < values["starts_at"]:
        errors["ends_at"] = [tk._("La sesión no puede terminar antes de empezar.")]
    return errors


def limaactiva_session_update(context, data_dict):
    """Update a session that has not been closed; only the fields given change. Every
    check runs before anything changes, so bad input leaves the session as it was.

    :param id: session id
    :param title: optional (not empty when given)
    :param modality: optional ``in_person``, ``online`` or ``hybrid`` (not empty when
        given)
    :param starts_at: optional ISO date-time (not empty when given)
    :param description: optional; given empty, it is cleared
    :param place: optional; given empty, it is cleared (still required in person /
        hybrid)
    :param district: optional; given empty, it is cleared
    :param online_url: optional; given empty, it is cleared (still required online /
        hybrid)
    :param registration_required: optional bool
    :param registration_url: optional; given empty, it is cleared
    :param capacity: optional; given empty, no limit; never below the places taken
    :param ends_at: optional; given empty, it is cleared
    :param space_id: optional; a session stays in its space, so only its own space is
        accepted
    :returns: the session
    """
    tk.check_access("limaactiva_session_update", context, data_dict)
    data = _validate(data_dict, schemas.session_update_schema(), context)
    if rules.find_session(data["id"]) is None:
        raise tk.ObjectNotFound(tk._("Sesión no encontrada."))
    # Places are taken under a lock of this row, so the capacity checked below cannot
    # fall behind a registration made meanwhile.
    session = (
        model.Session.query(ParticipationSession)
        .filter(ParticipationSession.id == data["id"])
        .populate_existing()
        .with_for_update()
        .one()
    )
    if session.closed_at is not None:
        _fail("id", tk._("La sesión ya fue cerrada; ya no se puede editar."))
    given = {field for field in SESSION_FIELDS if field in data_dict}
    values = {
        field: data.get(field) if field in given else getattr(session, field)
        for field in SESSION_FIELDS
    }
    errors = _session_errors(values)
    if data.get("space_id"):
        space = rules.find_space(data["space_id"])
        if space is None or space.id != session.space_id:
            errors["space_id"] = [tk._("Una sesión no puede pasar a otro espacio.")]
    registered = _registered(session.id)
    if (
        "capacity" in given
        and values["capacity"] is not None
        and values["capacity"] < registered
    ):
        errors["capacity"] = [
            tk._(
                "El aforo no puede ser menor que las personas ya inscritas ({count})."
            ).format(count=registered)
        ]
    if errors:
        raise tk.ValidationError(errors)
    for field in given:
        setattr(session, field, values[field])
    if "description" in given:
        session.description = values["description"] or ""
    if "registration_required" in given:
        session.registration_required = bool(values["registration_required"])
    _commit(context)
    return _session_dict(session)


def limaactiva_session_close(context, data_dict):
    """Close a session: report, counts, linked proposals, attending organisations.

    :param id: session id
    :param report: what happened (public)
    :param attendees_count: people who attended
    :param contributions_count: contributions received
    :param recording_url: optional
    :param proposal_ids: optional list of proposal ids discussed (same space)
    :param organisations: list of ``{organisation, district, people}``
    :returns: the session
    """
    tk.check_access("limaactiva_session_close", context, data_dict)
    data = _validate(data_dict, schemas.session_close_schema(), context)
    session = rules.find_session(data["id"])
    if session is None:
        raise tk.ObjectNotFound(tk._("Sesión no encontrada."))
    if session.closed_at is not None:
        _fail("id", tk._("La sesión ya fue cerrada."))
    proposal_ids = data.get("proposal_ids") or []
    if isinstance(proposal_ids, str):
        proposal_ids = [proposal_ids]
    if not isinstance(proposal_ids, list) or not all(
        isinstance(p, str) for p in proposal_ids
    ):
        _fail(
            "proposal_ids", tk._("Debe ser una lista de identificadores de propuestas.")
        )
    for proposal_id in set(proposal_ids):
        proposal = rules.find_proposal(proposal_id)
        if proposal is None or proposal.space_id != session.space_id:
            _fail(
                "proposal_ids", tk._("Alguna propuesta no existe o es de otro espacio.")
            )
    session.closed_at = utcnow()
    session.report = data["report"]
    session.attendees_count = data["attendees_count"]
    session.contributions_count = data["contributions_count"]
    session.recording_url = data.get("recording_url")
    for proposal_id in sorted(set(proposal_ids)):
        model.Session.add(
            SessionProposal(session_id=session.id, proposal_id=proposal_id)
        )
    rules.audit(_user(context).id, "session_closed", "session", session.id)
    for row in data.get("organisations") or []:
        model.Session.add(
            SessionOrganisation(
                session_id=session.id,
                organisation=row["organisation"],
                district=row["district"],
                people=row["people"],
            )
        )
    _commit(context)
    return _session_dict(session)


@tk.side_effect_free
def limaactiva_session_show(context, data_dict):
    """One session. :param id: session id"""
    tk.check_access("limaactiva_session_show", context, data_dict)
    data = _validate(data_dict, schemas.id_schema(), context)
    session = rules.find_session(data["id"])
    if session is None:
        raise tk.ObjectNotFound(tk._("Sesión no encontrada."))
    return _session_dict(session)


@tk.side_effect_free
def limaactiva_session_list(context, data_dict):
    """Sessions of a space, by start time. :param space_id: id or name of the space"""
    tk.check_access("limaactiva_session_list", context, data_dict)
    data = _validate(
        data_dict, {"space_id": [schemas.required, schemas.v.limaactiva_text]}, context
    )
    space = _space_or_404(data["space_id"])
    sessions = (
        model.Session.query(ParticipationSession)
        .filter(ParticipationSession.space_id == space.id)
        .order_by(ParticipationSession.starts_at)
    )
    return [_session_dict(session) for session in sessions]


# --------------------------------------------------------------------------- proposals


def limaactiva_proposal_create(context, data_dict):
    """A citizen (or an organisation, through a member) proposes, while the phase allows it.

    :param space_id: id or name of the space
    :param title: title; :param body: text
    :param district: UBIGEO of the district concerned
    :param theme: theme
    :param author_organisation: optional CKAN organisation the author belongs to
    :param show_author: bool, show the author's public name (opt-in, default false)
    :returns: the proposal
    """
    tk.check_access("limaactiva_proposal_create", context, data_dict)
    data = _validate(data_dict, schemas.proposal_create_schema(), context)
    user = _user(context)
    space = _space_or_404(data["space_id"])
    if not rules.switches(space)["proposals_open"]:
        _fail("space_id", tk._("Este espacio no recibe propuestas en la fase actual."))
    limit = int(tk.config.get("ckanext.limaactiva.max_proposals_per_day"))
    if rules.over_rate_limit(
        Proposal.created,
        Proposal.author_user_id,
        user.id,
        datetime.timedelta(days=1),
        limit,
    ):
        _fail(
            "title", tk._("Alcanzó el máximo de propuestas por día. Inténtelo mañana.")
        )
    organisation = None
    if data.get("author_organisation"):
        group = rules.is_organisation_member(user, data["author_organisation"])
        if group is None:
            _fail(
                "author_organisation",
                tk._(
                    "Solo puede proponer en nombre de una organización de la que es miembro."
                ),
            )
        organisation = group.title or group.name
    public_name = None
    if data.get("show_author"):
        public_name = user.fullname or user.name
    proposal = Proposal(
        space_id=space.id,
        author_user_id=user.id,
        author_organisation=organisation,
        author_public_name=public_name,
        district=data["district"],
        theme=data["theme"],
        title=data["title"],
        body=data["body"],
        state="received",
    )
    model.Session.add(proposal)
    _commit(context)
    return _proposal_dict(proposal)


def limaactiva_proposal_answer(context, data_dict):
    """The responsible office gives (or updates) the official, dated answer.

    :param id: proposal id
    :param state: new state (``under_evaluation``, ``accepted``, ``partially_accepted``,
        ``rejected``, ``implemented``, ``received``)
    :param answer_text: the answer
    :param answer_date: optional, defaults to today
    :param commitment_milestone_ref: optional link to what takes the proposal up in the
        commitments plan: ``<commitment>``, ``<commitment>/<milestone code>`` (or a
        milestone id) or ``<commitment>/indicador/<indicator code>``; it must exist in the
        loaded plan and is stored in that canonical form (commitment by name)
    :returns: the proposal
    """
    tk.check_access("limaactiva_proposal_answer", context, data_dict)
    data = _validate(data_dict, schemas.proposal_answer_schema(), context)
    user = _user(context)
    proposal = _proposal_or_404(data["id"], context)
    space = model.Session.get(Space, proposal.space_id)
    linked = None  # checked before anything changes
    if data.get("commitment_milestone_ref"):
        linked = result_reference(data["commitment_milestone_ref"])
    answer_changed = (proposal.answer_text or "") != data["answer_text"]
    state_changed = proposal.state != data["state"]
    proposal.state = data["state"]
    proposal.answer_text = data["answer_text"]
    proposal.answer_date = data.get("answer_date") or rules.today()
    proposal.answer_office = space.responsible_office
    proposal.answered_by = user.id
    if linked is not None:
        proposal.commitment_milestone_ref = linked["ref"]
    rules.audit(user.id, "proposal_answered", "proposal", proposal.id, data["state"])
    notices: list = []
    if answer_changed or state_changed:
        notices = notify.record(
            "answer" if answer_changed else "state",
            space,
            proposal,
            detail=proposal.state,
            actor_id=user.id,
        )
    _commit(context)
    if notices and not context.get("defer_commit"):
        notify.deliver(notices, answer=proposal.answer_text if answer_changed else None)
    return _proposal_dict(proposal)


def _plan() -> dict | None:
    """The commitments dashboard's plan (``openlima_plan_show``), or None when that
    plugin is off or no plan is loaded."""
    try:
        return tk.get_action("openlima_plan_show")({"ignore_auth": True}, {})
    except KeyError:  # the commitments dashboard is not enabled
        return None
    except (tk.ObjectNotFound, tk.ValidationError):  # no plan loaded
        return None


def _find_result(plan: dict, reference: str) -> dict | None:
    """What ``reference`` names in the plan: a commitment (``<name or code>``), one of its
    milestones (``<commitment>/<milestone code>``, or the milestone's id) or indicators
    (``<commitment>/indicador/<indicator code>``)."""
    head, _, rest = reference.strip().partition("/")
    for commitment in plan.get("commitments") or []:
        base = {
            "commitment_name": commitment.get("name"),
            "commitment_title": commitment.get("title"),
            "url": f"/compromisos/{commitment.get('name')}",
        }
        for milestone in commitment.get("milestones") or []:
            if reference == str(milestone.get("id")):
                rest, head = str(milestone.get("code")), commitment.get("name")
        if head not in (commitment.get("name"), commitment.get("code")):
            continue
        if not rest:
            return {**base, "kind": "commitment", "ref": commitment["name"],
                    "title": commitment.get("title"), "progress": commitment.get("progress")}
        kind, _, code = rest.partition("/")
        if kind == "indicador" and code:
            for indicator in commitment.get("indicators") or []:
                if str(indicator.get("code")) == code:
                    return {**base, "kind": "indicator",
                            "ref": f"{commitment['name']}/indicador/{code}",
                            "title": indicator.get("name"), "progress": None}
            return None
        for milestone in commitment.get("milestones") or []:
            if str(milestone.get("code")) == rest:
                return {**base, "kind": "milestone",
                        "ref": f"{commitment['name']}/{rest}",
                        "title": milestone.get("title"),
                        "progress": milestone.get("progress")}
        return None
    return None


def result_reference(reference: str) -> dict:
    """The plan record a proposal is linked to, or a Spanish validation error: the
    reference must name a commitment, milestone or indicator of the loaded plan."""
    plan = _plan()
    if plan is None:
        _fail(
            "commitment_milestone_ref",
            tk._(
                "No hay un plan de compromisos cargado: no se puede enlazar la propuesta "
                "a un compromiso, hito o indicador."
            ),
        )
    found = _find_result(plan, reference)
    if found is None:
        _fail(
            "commitment_milestone_ref",
            tk._(
                "No existe ese compromiso, hito o indicador en el plan. Use "
                "«compromiso», «compromiso/hito» o «compromiso/indicador/código»."
            ),
        )
    return found


@tk.side_effect_free
def limaactiva_pending_answer_list(context, data_dict):
    """Proposals still waiting for an official answer in the spaces of the offices the
    caller manages (all offices for sysadmins), the nearest deadline first.

    :returns: list of proposals (as ``limaactiva_proposal_show``, without sessions),
        each with ``answer_due_date`` and ``answer_overdue``
    """
    tk.check_access("limaactiva_pending_answer_list", context, data_dict)
    user = _user(context)
    query = (
        model.Session.query(Proposal, Space)
        .join(Space, Space.id == Proposal.space_id)
        .filter(Proposal.answer_date.is_(None))
    )
    if not user.sysadmin:
        offices = [
            space.responsible_office
            for space in model.Session.query(Space)
            if rules.is_office_member(user, space.responsible_office)
        ]
        query = query.filter(Space.responsible_office.in_(set(offices)))
    result = []
    for proposal, space in query:
        item = _proposal_dict(proposal, with_score=False)
        item["space_name"] = space.name
        item["space_title"] = space.title
        result.append(item)
    result.sort(key=lambda item: (item["answer_due_date"], item["created"] or ""))
    return result


@tk.side_effect_free
def limaactiva_proposal_show(context, data_dict):
    """One proposal with its score, the sessions that discussed it and its trail.

    :param id: proposal id
    """
    tk.check_access("limaactiva_proposal_show", context, data_dict)
    data = _validate(data_dict, schemas.id_schema(), context)
    proposal = _proposal_or_404(data["id"], context)
    result = _proposal_dict(proposal)
    sessions = (
        model.Session.query(ParticipationSession)
        .join(SessionProposal, SessionProposal.session_id == ParticipationSession.id)
        .filter(SessionProposal.proposal_id == proposal.id)
        .order_by(ParticipationSession.starts_at)
    )
    result["sessions"] = [
        {"id": s.id, "title": s.title, "starts_at": rules.iso(s.starts_at)}
        for s in sessions
    ]
    plan = _plan() if proposal.commitment_milestone_ref else None
    result["result"] = (
        _find_result(plan, proposal.commitment_milestone_ref) if plan else None
    )
    return result


@tk.side_effect_free
def limaactiva_proposal_list(context, data_dict):
    """Proposals, filtered by space, district or state.

    :param space_id: optional id or name of the space
    :param district: optional UBIGEO; :param state: optional state
    :param commitment: optional commitment name: the proposals linked to it or to one of
        its milestones or indicators
    :param sort: ``score`` (default) or ``recent``
    """
    tk.check_access("limaactiva_proposal_list", context, data_dict)
    data = _validate(data_dict, schemas.proposal_list_schema(), context)
    query = model.Session.query(Proposal).filter(Proposal.hidden.is_(False))
    if data.get("space_id"):
        query = query.filter(Proposal.space_id == _space_or_404(data["space_id"]).id)
    if data.get("district"):
        query = query.filter(Proposal.district == data["district"])
    if data.get("state"):
        query = query.filter(Proposal.state == data["state"])
    if data.get("commitment"):
        prefix = (
            data["commitment"].replace("\\", "\\\\").replace("%", "\\%")
            .replace("_", "\\_")
        )
        query = query.filter(
            sa.or_(
                Proposal.commitment_milestone_ref == data["commitment"],
                Proposal.commitment_milestone_ref.like(prefix + "/%", escape="\\"),
            )
        )
    proposals = [_proposal_dict(p) for p in query.order_by(Proposal.created.desc())]
    if data.get("sort") != "recent":
        proposals.sort(key=lambda p: p["score"], reverse=True)
    return proposals


@tk.side_effect_free
def limaactiva_proposal_score(context, data_dict):
    """Score (sum of weights), count at each level (3/2/1) and mean.

    :param id: proposal id
    """
    tk.check_access("limaactiva_proposal_score", context, data_dict)
    data = _validate(data_dict, schemas.id_schema(), context)
    return rules.score_of(_proposal_or_404(data["id"], context).id)


# --------------------------------------------------------------------------- comments


def limaactiva_comment_create(context, data_dict):
    """Comment on a proposal or reply to a comment (depth at most 3).

    :param proposal_id: proposal id
    :param parent_id: optional comment being answered
    :param alignment: ``a_favor``, ``neutral`` or ``en_contra``
    :param body: text
    :returns: the comment
    """
    tk.check_access("limaactiva_comment_create", context, data_dict)
    data = _validate(data_dict, schemas.comment_create_schema(), context)
    user = _user(context)
    proposal = _proposal_or_404(data["proposal_id"], context)
    space = model.Session.get(Space, proposal.space_id)
    if not rules.switches(space)["comments_open"]:
        _fail("proposal_id", tk._("Los comentarios están cerrados en la fase actual."))
    limit = int(tk.config.get("ckanext.limaactiva.max_comments_per_hour"))
    if rules.over_rate_limit(
        Comment.created,
        Comment.author_user_id,
        user.id,
        datetime.timedelta(hours=1),
        limit,
    ):
        _fail(
            "body",
            tk._(
                "Publicó demasiados comentarios en la última hora. Inténtelo más tarde."
            ),
        )
    depth = 1
    if data.get("parent_id"):
        parent = rules.find_comment(data["parent_id"])
        if parent is None or parent.proposal_id != proposal.id:
            _fail("parent_id", tk._("El comentario al que responde no existe."))
        if parent.deleted:
            _fail("parent_id", tk._("No se puede responder a un comentario eliminado."))
        depth = parent.depth + 1
        if depth > rules.MAX_COMMENT_DEPTH:
            _fail(
                "parent_id",
                tk._("Las conversaciones admiten como máximo {depth} niveles.").format(
                    depth=rules.MAX_COMMENT_DEPTH
                ),
            )
    comment = Comment(
        proposal_id=proposal.id,
        parent_id=data.get("parent_id"),
        depth=depth,
        author_user_id=user.id,
        alignment=data["alignment"],
        body=data["body"],
    )
    model.Session.add(comment)
    _commit(context)
    return _comment_dict(comment, user)


def limaactiva_comment_update(context, data_dict):
    """The author edits a comment within the edit window.

    :param id: comment id; :param body: text; :param alignment: optional
    """
    tk.check_access("limaactiva_comment_update", context, data_dict)
    data = _validate(data_dict, schemas.comment_update_schema(), context)
    user = _user(context)
    comment = rules.find_comment(data["id"])
    if comment is None:
        raise tk.ObjectNotFound(tk._("Comentario no encontrado."))
    if comment.deleted:
        _fail("id", tk._("El comentario fue eliminado."))
    if not _within_edit_window(comment):
        _fail("body", tk._("El plazo para editar este comentario ya venció."))
    comment.body = data["body"]
    if data.get("alignment"):
        comment.alignment = data["alignment"]
    _commit(context)
    return _comment_dict(comment, user)


def limaactiva_comment_delete(context, data_dict):
    """Soft delete: the comment stays in the thread as "eliminado", its text is hidden.

    :param id: comment id
    """
    tk.check_access("limaactiva_comment_delete", context, data_dict)
    data = _validate(data_dict, schemas.id_schema(), context)
    comment = rules.find_comment(data["id"])
    if comment is None:
        raise tk.ObjectNotFound(tk._("Comentario no encontrado."))
    if not comment.deleted:
        comment.deleted = True
        comment.deleted_at = utcnow()
        actor = rules.user_object(context)
        if actor is not None and actor.id != comment.author_user_id:
            rules.audit(actor.id, "comment_deleted_by_moderator", "comment", comment.id)
        _commit(context)
    return _comment_dict(comment, rules.user_object(context))


@tk.side_effect_free
def limaactiva_comment_list(context, data_dict):
    """The thread of a proposal, in reading order (each reply after its parent).

    :param proposal_id: proposal id
    """
    tk.check_access("limaactiva_comment_list", context, data_dict)
    data = _validate(
        data_dict,
        {"proposal_id": [schemas.required, schemas.v.limaactiva_text]},
        context,
    )
    proposal = _proposal_or_404(data["proposal_id"], context)
    comments = (
        model.Session.query(Comment)
        .filter(Comment.proposal_id == proposal.id)
        .order_by(Comment.created, Comment.id)
        .all()
    )
    viewer = rules.user_object(context)
    children: dict[str | None, list[Comment]] = {}
    for comment in comments:
        children.setdefault(comment.parent_id, []).append(comment)
    ordered: list[dict] = []

    def walk(parent_id: str | None) -> None:
        for comment in children.get(parent_id, []):
            ordered.append(_comment_dict(comment, viewer))
            walk(comment.id)

    walk(None)
    return ordered


# --------------------------------------------------------------------------- votes


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
            _fail(
                key,
                tk._(
                    "Las organizaciones no votan: cada persona prioriza con su propia cuenta."
                ),
            )
    data = _validate(data_dict, schemas.vote_cast_schema(), context)
    user = _user(context)
    proposal = _proposal_or_404(data["proposal_id"], context)
    space = model.Session.get(Space, proposal.space_id)
    if not rules.switches(space)["votes_open"]:
        _fail(
            "weight",
            tk._("La priorización no está abierta en la fase actual de este espacio."),
        )
    if tk.config.get("ckanext.limaactiva.require_dni_to_vote") and not user.sysadmin:
        row = rules.participant(user.id)
        if row is None or not row.dni_hmac:
            _fail(
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
        _take_snapshot(proposal.id, rules.today())
    _commit(context)
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
    data = _validate(
        data_dict,
        {"proposal_id": [schemas.required, schemas.v.limaactiva_text]},
        context,
    )
    user = _user(context)
    proposal = _proposal_or_404(data["proposal_id"], context)
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
    data = _validate(data_dict, schemas.snapshot_create_schema(), context)
    on = data.get("snapshot_date") or rules.today()
    if data.get("proposal_id"):
        ids = [_proposal_or_404(data["proposal_id"], context).id]
    else:
        ids = [
            row.id
            for row in model.Session.query(Proposal.id).order_by(Proposal.created)
        ]
    written = [_take_snapshot(proposal_id, on) for proposal_id in ids]
    _commit(context)
    return written


@tk.side_effect_free
def limaactiva_snapshot_list(context, data_dict):
    """Dated scores of a proposal, oldest first (the public history chart).

    :param proposal_id: proposal id
    """
    tk.check_access("limaactiva_snapshot_list", context, data_dict)
    data = _validate(
        data_dict,
        {"proposal_id": [schemas.required, schemas.v.limaactiva_text]},
        context,
    )
    proposal = _proposal_or_404(data["proposal_id"], context)
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


# --------------------------------------------------------------------------- statistics


@tk.side_effect_free
def limaactiva_statistics(context, data_dict):
    """Aggregate participation counts (for the commitments dashboard). No personal data.

    :returns: counts of spaces, sessions, attendees, organisations, proposals, answers,
        comments, votes, distinct voters, distinct online participants (people who
        proposed, commented or voted), and proposals by district and by state
    """
    tk.check_access("limaactiva_statistics", context, data_dict)
    session = model.Session

    def scalar(statement) -> int:
        return int(session.execute(statement).scalar() or 0)

    closed = ParticipationSession.closed_at.isnot(None)
    by_district = dict(
        session.execute(
            sa.select(Proposal.district, sa.func.count()).group_by(Proposal.district)
        ).all()
    )
    by_state = dict(
        session.execute(
            sa.select(Proposal.state, sa.func.count()).group_by(Proposal.state)
        ).all()
    )
    return {
        "spaces": scalar(sa.select(sa.func.count()).select_from(Space)),
        "sessions": scalar(
            sa.select(sa.func.count()).select_from(ParticipationSession)
        ),
        "sessions_closed": scalar(
            sa.select(sa.func.count()).select_from(ParticipationSession).where(closed)
        ),
        "session_attendees": scalar(
            sa.select(sa.func.sum(ParticipationSession.attendees_count))
        ),
        "session_contributions": scalar(
            sa.select(sa.func.sum(ParticipationSession.contributions_count))
        ),
        "organisations_attending": scalar(
            sa.select(sa.func.count(sa.distinct(SessionOrganisation.organisation)))
        ),
        "proposals": scalar(sa.select(sa.func.count()).select_from(Proposal)),
        "proposals_answered": scalar(
            sa.select(sa.func.count())
            .select_from(Proposal)
            .where(Proposal.answer_date.isnot(None))
        ),
        "mean_answer_days": _mean_answer_days(),
        "proposals_overdue": _overdue_count(),
        "answer_deadline_days": deadline_days(None),
        "comments": scalar(
            sa.select(sa.func.count())
            .select_from(Comment)
            .where(Comment.deleted.is_(False))
        ),
        "votes": scalar(sa.select(sa.func.count()).select_from(Vote)),
        "voters": scalar(sa.select(sa.func.count(sa.distinct(Vote.user_id)))),
        "participants": scalar(
            sa.select(sa.func.count()).select_from(
                sa.union(
                    sa.select(Proposal.author_user_id),
                    sa.select(Comment.author_user_id),
                    sa.select(Vote.user_id),
                ).subquery()
            )
        ),
        "proposals_by_district": {k: int(v) for k, v in sorted(by_district.items())},
        "proposals_by_state": {k: int(v) for k, v in sorted(by_state.items())},
    }


@tk.side_effect_free
def limaactiva_stats_show(context, data_dict):
    """Alias of ``limaactiva_statistics`` (the name used in issue 8)."""
    tk.check_access("limaactiva_stats_show", context, data_dict)
    return limaactiva_statistics(context, data_dict)


# --------------------------------------------------------------------------- participants


def _participant_dict(user: model.User, row: Participant | None) -> dict:
    return {
        "email_confirmed": rules.is_confirmed(user),
        "dni_declared": bool(row and row.dni_hmac),
        "district": row.district if row else None,
        "public_name": row.public_name if row else None,
        "show_publicly": bool(row and row.show_publicly),
    }


def _participant_row(user: model.User) -> Participant:
    row = rules.participant(user.id)
    if row is None:
        row = Participant(user_id=user.id)
        model.Session.add(row)
    return row


@tk.side_effect_free
def limaactiva_participant_show(context, data_dict):
    """The caller's own participation profile (never anyone else's)."""
    tk.check_access("limaactiva_participant_show", context, data_dict)
    user = _user(context)
    return _participant_dict(user, rules.participant(user.id))


def limaactiva_participant_update(context, data_dict):
    """Update one's own profile: district, public name, opt-in, and a one-time DNI declaration.

    The DNI is never stored: only HMAC-SHA256(``ckanext.limaactiva.dni_hmac_key``, DNI),
    unique across accounts, so one person cannot take part from two accounts that both
    declare it. Once declared it cannot be changed through the API.

    :param dni: optional, 8 digits
    :param district: optional UBIGEO; :param public_name: optional
    :param show_publicly: optional bool (opt-in to appear by name and district)
    """
    tk.check_access("limaactiva_participant_update", context, data_dict)
    data = _validate(data_dict, schemas.participant_update_schema(), context)
    user = _user(context)
    row = rules.participant(user.id)
    digest = None
    if data.get("dni"):
        digest = rules.dni_hmac(data["dni"])
        if digest is None:
            _fail(
                "dni", tk._("La declaración de DNI no está disponible en este portal.")
            )
        if row is not None and row.dni_hmac and row.dni_hmac != digest:
            _fail("dni", tk._("Ya declaró un DNI; no puede cambiarse."))
        other = (
            model.Session.query(Participant)
            .filter(Participant.dni_hmac == digest, Participant.user_id != user.id)
            .first()
        )
        if other is not None:
            _fail("dni", tk._("Este DNI ya fue declarado desde otra cuenta."))
    row = _participant_row(user)
    if digest:
        row.dni_hmac = digest
    for field in ("district", "public_name", "show_publicly"):
        if field in data_dict and data.get(field) is not None:
            setattr(row, field, data[field])
    try:
        model.Session.flush()
    except IntegrityError:
        model.Session.rollback()
        _fail("dni", tk._("Este DNI ya fue declarado desde otra cuenta."))
    _commit(context)
    return _participant_dict(user, row)


def limaactiva_participant_confirm(context, data_dict):
    """Sysadmin: mark a user's current e-mail as confirmed (e.g. verified in person).

    :param user: user name or id
    """
    tk.check_access("limaactiva_participant_confirm", context, data_dict)
    data = _validate(data_dict, schemas.participant_confirm_schema(), context)
    user = model.User.get(data["user"])
    if user is None:
        raise tk.ObjectNotFound(tk._("Usuario no encontrado."))
    if not user.email:
        _fail("user", tk._("La cuenta no tiene correo electrónico."))
    row = _participant_row(user)
    row.email_confirmed_at = utcnow()
    row.confirmed_email = user.email
    row.confirmation_token_hash = None
    _commit(context)
    return _participant_dict(user, row)


def limaactiva_email_confirmation_request(context, data_dict):
    """Send the caller a link that confirms their account's e-mail for Lima Activa.

    Only the SHA-256 of the random token is stored. The link is valid for
    ``ckanext.limaactiva.confirmation_token_hours``.

    :returns: ``{"sent": bool}``
    """
    tk.check_access("limaactiva_email_confirmation_request", context, data_dict)
    user = _user(context)
    if not user.email:
        _fail("email", tk._("Su cuenta no tiene correo electrónico."))
    token = secrets.token_urlsafe(32)
    row = _participant_row(user)
    row.confirmation_token_hash = rules.token_hash(token)
    row.confirmation_sent_at = utcnow()
    row.confirmed_email = None if not row.email_confirmed_at else row.confirmed_email
    pending_email = user.email
    _commit(context)
    link = tk.url_for("limaactiva.confirm_email", token=token, _external=True)
    sent = True
    try:
        tk.mail_user(
            user,
            tk._("Confirme su correo para participar en Lima Activa"),
            tk._(
                "Para confirmar su correo ({email}) y participar en Lima Activa, abra este "
                "enlace:\n\n{link}\n\nSi no lo solicitó, ignore este mensaje."
            ).format(email=pending_email, link=link),
        )
    except Exception:  # the mail server may be down; the user can ask again
        sent = False
    result = {"sent": sent}
    if context.get("limaactiva_return_token"):  # only reachable from Python (tests)
        result["token"] = token
    return result


def limaactiva_email_confirm(context, data_dict):
    """Confirm an e-mail with the token from the link.

    :param token: the token
    """
    tk.check_access("limaactiva_email_confirm", context, data_dict)
    data = _validate(data_dict, schemas.email_confirm_schema(), context)
    row = (
        model.Session.query(Participant)
        .filter(Participant.confirmation_token_hash == rules.token_hash(data["token"]))
        .first()
    )
    hours = int(tk.config.get("ckanext.limaactiva.confirmation_token_hours"))
    if (
        row is None
        or row.confirmation_sent_at is None
        or utcnow() - row.confirmation_sent_at > datetime.timedelta(hours=hours)
    ):
        _fail("token", tk._("El enlace de confirmación no es válido o ya venció."))
    user = model.User.get(row.user_id)
    if user is None or not user.email:
        _fail("token", tk._("El enlace de confirmación no es válido o ya venció."))
    row.email_confirmed_at = utcnow()
    row.confirmed_email = user.email
    row.confirmation_token_hash = None
    _commit(context)
    return {"email_confirmed": True}


# --------------------------------------------------------------------------- services


def _service_dict(service: Service) -> dict:
    return {
        "id": service.id,
        "name": service.name,
        "title": service.title,
        "description": service.description,
        "office": service.office,
        "channel": service.channel,
        "requirements": service.requirements,
        "url": service.url,
    }


def limaactiva_service_create(context, data_dict):
    """Add a municipal service to the directory.

    :param name: URL name; :param title: title; :param office: responsible organisation
    :param channel: ``online``, ``in_person`` or ``both``
    :param requirements: optional; :param url: optional; :param description: optional
    """
    tk.check_access("limaactiva_service_create", context, data_dict)
    data = _validate(data_dict, schemas.service_create_schema(), context)
    office = model.Group.get(data["office"])
    if office is None or not office.is_organization:
        _fail("office", tk._("La oficina no existe."))
    if model.Session.query(Service).filter(Service.name == data["name"]).first():
        _fail("name", tk._("Ya existe un servicio con ese nombre."))
    service = Service(
        name=data["name"],
        title=data["title"],
        description=data.get("description") or "",
        office=office.name,
        channel=data["channel"],
        requirements=data.get("requirements") or "",
        url=data.get("url"),
    )
    model.Session.add(service)
    _commit(context)
    return _service_dict(service)


def limaactiva_service_update(context, data_dict):
    """Update a service of the directory; only the fields given change. Every check runs
    before anything changes, so bad input leaves the service as it was.

    :param id: id or name of the service
    :param name: optional new URL name (not empty when given)
    :param title: optional (not empty when given)
    :param office: optional; handing the service to another office needs membership of
        that office too
    :param channel: optional ``online``, ``in_person`` or ``both``
    :param requirements: optional; given empty, it is cleared
    :param url: optional; given empty, it is cleared
    :param description: optional; given empty, it is cleared
    :returns: the service
    """
    tk.check_access("limaactiva_service_update", context, data_dict)
    data = _validate(data_dict, schemas.service_update_schema(), context)
    service = _service_or_404(data["id"])
    errors: dict[str, list[str]] = {}
    if (
        data.get("name")
        and data["name"] != service.name
        and rules.find_service(data["name"])
    ):
        errors["name"] = [tk._("Ya existe un servicio con ese nombre.")]
    office = None
    if data.get("office"):
        office = rules.find_office(data["office"])
        if office is None:
            errors["office"] = [tk._("La oficina no existe.")]
    if errors:
        raise tk.ValidationError(errors)
    if data.get("name"):
        service.name = data["name"]
    if office is not None:
        service.office = office.name
    for field in ("title", "channel"):
        if data.get(field) is not None:
            setattr(service, field, data[field])
    for field in ("description", "requirements"):
        if field in data_dict:
            setattr(service, field, data.get(field) or "")
    if "url" in data_dict:
        service.url = data.get("url")
    _commit(context)
    return _service_dict(service)


def _service_or_404(id_or_name: Any) -> Service:
    service = rules.find_service(id_or_name)
    if service is None:
        raise tk.ObjectNotFound(tk._("Servicio no encontrado."))
    return service


@tk.side_effect_free
def limaactiva_service_show(context, data_dict):
    """One service of the directory.

    :param id: id or name
    """
    tk.check_access("limaactiva_service_show", context, data_dict)
    data = _validate(data_dict, schemas.id_schema(), context)
    return _service_dict(_service_or_404(data["id"]))


@tk.side_effect_free
def limaactiva_service_list(context, data_dict):
    """Search the services directory (accent- and case-insensitive words in any field).

    :param q: optional words; :param channel: optional channel
    """
    tk.check_access("limaactiva_service_list", context, data_dict)
    data = _validate(data_dict, schemas.service_list_schema(), context)
    query = model.Session.query(Service)
    if data.get("channel"):
        query = query.filter(Service.channel == data["channel"])
    text = sa.func.concat_ws(
        " ", Service.title, Service.description, Service.office, Service.requirements
    )
    for word in (data.get("q") or "").split():
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
    return [_service_dict(s) for s in query.order_by(Service.title)]


# --------------------------------------------------------------------------- open data


def limaactiva_publish(context, data_dict):
    """Create or refresh the CKAN dataset that links to the participation CSV exports.

    :param owner_org: organisation that publishes it (default
        ``ckanext.limaactiva.publish_organization``)
    :returns: the dataset
    """
    from ckanext.limaactiva import exports

    tk.check_access("limaactiva_publish", context, data_dict)
    data = _validate(
        data_dict, {"owner_org": [schemas.optional, schemas.v.limaactiva_text]}, context
    )
    owner = data.get("owner_org") or tk.config.get(
        "ckanext.limaactiva.publish_organization"
    )
    office = model.Group.get(owner) if owner else None
    if office is None or not office.is_organization:
        _fail(
            "owner_org",
            tk._("Indique una organización existente para publicar los datos."),
        )
    dataset = exports.dataset_dict(office.id)
    child = {
        "user": context.get("user"),
        "ignore_auth": context.get("ignore_auth", False),
    }
    try:
        existing = tk.get_action("package_show")(dict(child), {"id": dataset["name"]})
    except tk.ObjectNotFound:
        return tk.get_action("package_create")(dict(child), dataset)
    by_url = {r.get("url"): r["id"] for r in existing.get("resources", [])}
    for resource in dataset["resources"]:
        if resource["url"] in by_url:
            resource["id"] = by_url[resource["url"]]
    return tk.get_action("package_patch")(
        dict(child), {"id": existing["id"], **dataset}
    )


@tk.side_effect_free
def limaactiva_contributor_list(context, data_dict):
    """Who took part, by district: the public names of participants who opted in
    (``show_publicly`` with a district, and who proposed, commented or voted) and the
    organisations that proposed or attended sessions. Nobody appears without opting in.

    :returns: list of ``{district, district_name, people: [...], organisations: [...]}``
    """
    tk.check_access("limaactiva_contributor_list", context, data_dict)
    contributors = sa.union(
        sa.select(Proposal.author_user_id.label("user_id")),
        sa.select(Comment.author_user_id),
        sa.select(Vote.user_id),
    ).subquery()
    people = model.Session.execute(
        sa.select(Participant.district, Participant.public_name)
        .join(contributors, contributors.c.user_id == Participant.user_id)
        .where(
            Participant.show_publicly.is_(True),
            Participant.district.isnot(None),
            Participant.public_name.isnot(None),
        )
    ).all()
    organisations = model.Session.execute(
        sa.union(
            sa.select(SessionOrganisation.district, SessionOrganisation.organisation),
            sa.select(Proposal.district, Proposal.author_organisation).where(
                Proposal.author_organisation.isnot(None), Proposal.hidden.is_(False)
            ),
        )
    ).all()
    by_district: dict[str, dict] = {}

    def entry(code: str) -> dict:
        return by_district.setdefault(
            code,
            {
                "district": code,
                "district_name": rules.district_name(code),
                "people": [],
                "organisations": [],
            },
        )

    for code, name in people:
        entry(code)["people"].append(name)
    for code, name in organisations:
        entry(code)["organisations"].append(name)
    result = sorted(
        by_district.values(), key=lambda e: e["district_name"] or e["district"]
    )
    for item in result:
        item["people"] = sorted(set(item["people"]))
        item["organisations"] = sorted(set(item["organisations"]))
    return result


# --------------------------------------------------------------------------- registration


def _registered(session_id: str) -> int:
    return int(
        model.Session.execute(
            sa.select(sa.func.count()).where(
                SessionRegistration.session_id == session_id
            )
        ).scalar()
        or 0
    )


def _open_session_or_fail(session_id: Any) -> ParticipationSession:
    session = rules.find_session(session_id)
    if session is None:
        raise tk.ObjectNotFound(tk._("Sesión no encontrada."))
    if session.closed_at is not None or session.starts_at < clock.wall_now():
        _fail("id", tk._("La inscripción a esta sesión ya cerró."))
    return session


def limaactiva_session_register(context, data_dict):
    """Take a place in a session; refused when it is full (the capacity is counted under a
    lock of the session row, so two people cannot take the last place).

    :param id: session id
    :returns: ``{registered: True, registered_count, places_left}``
    """
    tk.check_access("limaactiva_session_register", context, data_dict)
    data = _validate(data_dict, schemas.id_schema(), context)
    user = _user(context)
    session = _open_session_or_fail(data["id"])
    model.Session.execute(
        sa.select(ParticipationSession.id)
        .where(ParticipationSession.id == session.id)
        .with_for_update()
    )
    already = model.Session.get(SessionRegistration, (session.id, user.id))
    if already is None:
        if session.capacity is not None and _registered(session.id) >= session.capacity:
            _fail("id", tk._("No quedan cupos en esta sesión."))
        model.Session.execute(
            pg_insert(SessionRegistration.__table__)
            .values(session_id=session.id, user_id=user.id, created=utcnow())
            .on_conflict_do_nothing()
        )
    _commit(context)
    count = _registered(session.id)
    return {
        "registered": True,
        "registered_count": count,
        "places_left": None
        if session.capacity is None
        else max(session.capacity - count, 0),
    }


def limaactiva_session_unregister(context, data_dict):
    """Give back one's place in a session. :param id: session id"""
    tk.check_access("limaactiva_session_unregister", context, data_dict)
    data = _validate(data_dict, schemas.id_schema(), context)
    user = _user(context)
    session = _open_session_or_fail(data["id"])
    model.Session.execute(
        sa.delete(SessionRegistration).where(
            SessionRegistration.session_id == session.id,
            SessionRegistration.user_id == user.id,
        )
    )
    _commit(context)
    return {"registered": False, "registered_count": _registered(session.id)}


def session_registered(context: dict, session_id: str) -> bool:
    """Whether the caller holds a place (for the session page)."""
    user = rules.user_object(context)
    return bool(user and model.Session.get(SessionRegistration, (session_id, user.id)))


def _lima_time(utc_column):
    """A naive UTC timestamp column as Lima's wall-clock time (for its Lima date)."""
    return sa.func.timezone(clock.LIMA.key, sa.func.timezone("UTC", utc_column))


def _mean_answer_days() -> float | None:
    """Mean days from proposal to official answer (the consultation asked for fast answers)."""
    value = model.Session.execute(
        sa.select(
            sa.func.avg(Proposal.answer_date - sa.cast(_lima_time(Proposal.created), sa.Date))
        ).where(Proposal.answer_date.isnot(None))
    ).scalar()
    return None if value is None else round(float(value), 1)
