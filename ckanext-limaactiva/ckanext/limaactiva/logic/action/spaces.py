"""Participation spaces and their dated phases."""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import notify
from ckanext.limaactiva.logic import schema as schemas
from ckanext.limaactiva.logic.shared import (
    apply_phases,
    commit,
    current_user,
    fail,
    matching_words,
    phase_errors,
    space_dict,
    space_or_404,
    validate,
)
from ckanext.limaactiva.model import Space


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
    data = validate(data_dict, schemas.space_create_schema(), context)
    office = model.Group.get(data["responsible_office"])
    if office is None or not office.is_organization:
        fail("responsible_office", tk._("La oficina responsable no existe."))
    if rules.find_space(data["name"]):
        fail("name", tk._("Ya existe un espacio con ese nombre."))
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
    apply_phases(space, data.get("phases") or [])
    model.Session.flush()
    # nobody follows a new space yet: its current phase is not news
    space.announced_phase = notify.phase_marker(space)
    rules.audit(current_user(context).id, "space_created", "space", space.id)
    commit(context)
    return space_dict(space)


def _checked_update(space, data: dict, data_dict: dict):
    """Every check of ``limaactiva_space_update`` that involves more than one field or
    the database, all at once (one ValidationError with every message); the new office
    when one is given."""
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
                for key, message in phase_errors(data.get("phases") or []).items()
            }
        )
    if errors:
        raise tk.ValidationError(errors)
    return office


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
    data = validate(data_dict, schemas.space_update_schema(), context)
    space = space_or_404(data["id"])
    office = _checked_update(space, data, data_dict)
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
        apply_phases(space, data.get("phases") or [])
        model.Session.flush()
        notices = notify.announce_phase(space, actor_id=current_user(context).id)
    rules.audit(current_user(context).id, "space_updated", "space", space.id)
    commit(context)
    if notices and not context.get("defer_commit"):
        notify.deliver(notices)
    return space_dict(space)


@tk.side_effect_free
def limaactiva_space_show(context, data_dict):
    """One space with its phases and which switches are on today.

    :param id: id or name
    """
    tk.check_access("limaactiva_space_show", context, data_dict)
    data = validate(data_dict, schemas.id_schema(), context)
    return space_dict(space_or_404(data["id"]))


@tk.side_effect_free
def limaactiva_space_list(context, data_dict):
    """All spaces, newest first.

    :param space_type: optional filter
    :param q: optional words, each found in the title, description, civic education
        text or responsible office, ignoring case and accents
    """
    tk.check_access("limaactiva_space_list", context, data_dict)
    data = validate(data_dict, schemas.space_list_schema(), context)
    query = model.Session.query(Space)
    if data.get("space_type"):
        query = query.filter(Space.space_type == data["space_type"])
    text = sa.func.concat_ws(
        " ", Space.title, Space.description, Space.civic_education, Space.responsible_office
    )
    query = matching_words(query, text, data.get("q"))
    return [space_dict(space) for space in query.order_by(Space.created.desc())]
