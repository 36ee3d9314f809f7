"""Sessions of a space (in person, online, hybrid): scheduling, closing with its
report, and registration for a place."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from openlima_common import clock
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import schema as schemas
from ckanext.limaactiva.logic.shared import (
    commit,
    current_user,
    fail,
    registered_count,
    session_dict,
    space_or_404,
    validate,
)
from ckanext.limaactiva.model import (
    ParticipationSession,
    SessionOrganisation,
    SessionProposal,
    SessionRegistration,
    utcnow,
)


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
    data = validate(data_dict, schemas.session_create_schema(), context)
    space = space_or_404(data["space_id"])
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
    commit(context)
    return session_dict(session)


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
    data = validate(data_dict, schemas.session_update_schema(), context)
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
        fail("id", tk._("La sesión ya fue cerrada; ya no se puede editar."))
    given = {field for field in schemas.SESSION_FIELDS if field in data_dict}
    values = {
        field: data.get(field) if field in given else getattr(session, field)
        for field in schemas.SESSION_FIELDS
    }
    errors = _session_errors(values)
    if data.get("space_id"):
        space = rules.find_space(data["space_id"])
        if space is None or space.id != session.space_id:
            errors["space_id"] = [tk._("Una sesión no puede pasar a otro espacio.")]
    registered = registered_count(session.id)
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
    commit(context)
    return session_dict(session)


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
    data = validate(data_dict, schemas.session_close_schema(), context)
    session = rules.find_session(data["id"])
    if session is None:
        raise tk.ObjectNotFound(tk._("Sesión no encontrada."))
    if session.closed_at is not None:
        fail("id", tk._("La sesión ya fue cerrada."))
    proposal_ids = data.get("proposal_ids") or []
    if isinstance(proposal_ids, str):
        proposal_ids = [proposal_ids]
    if not isinstance(proposal_ids, list) or not all(
        isinstance(p, str) for p in proposal_ids
    ):
        fail(
            "proposal_ids", tk._("Debe ser una lista de identificadores de propuestas.")
        )
    for proposal_id in set(proposal_ids):
        proposal = rules.find_proposal(proposal_id)
        if proposal is None or proposal.space_id != session.space_id:
            fail(
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
    rules.audit(current_user(context).id, "session_closed", "session", session.id)
    for row in data.get("organisations") or []:
        model.Session.add(
            SessionOrganisation(
                session_id=session.id,
                organisation=row["organisation"],
                district=row["district"],
                people=row["people"],
            )
        )
    commit(context)
    return session_dict(session)


@tk.side_effect_free
def limaactiva_session_show(context, data_dict):
    """One session. :param id: session id"""
    tk.check_access("limaactiva_session_show", context, data_dict)
    data = validate(data_dict, schemas.id_schema(), context)
    session = rules.find_session(data["id"])
    if session is None:
        raise tk.ObjectNotFound(tk._("Sesión no encontrada."))
    return session_dict(session)


@tk.side_effect_free
def limaactiva_session_list(context, data_dict):
    """Sessions of a space, by start time. :param space_id: id or name of the space"""
    tk.check_access("limaactiva_session_list", context, data_dict)
    data = validate(
        data_dict, {"space_id": [schemas.required, schemas.v.limaactiva_text]}, context
    )
    space = space_or_404(data["space_id"])
    sessions = (
        model.Session.query(ParticipationSession)
        .filter(ParticipationSession.space_id == space.id)
        .order_by(ParticipationSession.starts_at)
    )
    return [session_dict(session) for session in sessions]


# --------------------------------------------------------------------------- registration


def _open_session_or_fail(session_id: Any) -> ParticipationSession:
    session = rules.find_session(session_id)
    if session is None:
        raise tk.ObjectNotFound(tk._("Sesión no encontrada."))
    if session.closed_at is not None or session.starts_at < clock.wall_now():
        fail("id", tk._("La inscripción a esta sesión ya cerró."))
    return session


def limaactiva_session_register(context, data_dict):
    """Take a place in a session; refused when it is full (the capacity is counted under a
    lock of the session row, so two people cannot take the last place).

    :param id: session id
    :returns: ``{registered: True, registered_count, places_left}``
    """
    tk.check_access("limaactiva_session_register", context, data_dict)
    data = validate(data_dict, schemas.id_schema(), context)
    user = current_user(context)
    session = _open_session_or_fail(data["id"])
    model.Session.execute(
        sa.select(ParticipationSession.id)
        .where(ParticipationSession.id == session.id)
        .with_for_update()
    )
    already = model.Session.get(SessionRegistration, (session.id, user.id))
    if already is None:
        if session.capacity is not None and registered_count(session.id) >= session.capacity:
            fail("id", tk._("No quedan cupos en esta sesión."))
        model.Session.execute(
            pg_insert(SessionRegistration.__table__)
            .values(session_id=session.id, user_id=user.id, created=utcnow())
            .on_conflict_do_nothing()
        )
    commit(context)
    count = registered_count(session.id)
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
    data = validate(data_dict, schemas.id_schema(), context)
    user = current_user(context)
    session = _open_session_or_fail(data["id"])
    model.Session.execute(
        sa.delete(SessionRegistration).where(
            SessionRegistration.session_id == session.id,
            SessionRegistration.user_id == user.id,
        )
    )
    commit(context)
    return {"registered": False, "registered_count": registered_count(session.id)}


def session_registered(context: dict, session_id: str) -> bool:
    """Whether the caller holds a place (for the session page)."""
    user = rules.user_object(context)
    return bool(user and model.Session.get(SessionRegistration, (session_id, user.id)))
