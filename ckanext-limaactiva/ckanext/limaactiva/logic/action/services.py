"""The municipal services directory."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import schema as schemas
from ckanext.limaactiva.logic.shared import (
    commit,
    fail,
    matching_words,
    validate,
)
from ckanext.limaactiva.model import Service


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
    data = validate(data_dict, schemas.service_create_schema(), context)
    office = model.Group.get(data["office"])
    if office is None or not office.is_organization:
        fail("office", tk._("La oficina no existe."))
    if model.Session.query(Service).filter(Service.name == data["name"]).first():
        fail("name", tk._("Ya existe un servicio con ese nombre."))
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
    commit(context)
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
    data = validate(data_dict, schemas.service_update_schema(), context)
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
    commit(context)
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
    data = validate(data_dict, schemas.id_schema(), context)
    return _service_dict(_service_or_404(data["id"]))


@tk.side_effect_free
def limaactiva_service_list(context, data_dict):
    """Search the services directory (accent- and case-insensitive words in any field).

    :param q: optional words; :param channel: optional channel
    """
    tk.check_access("limaactiva_service_list", context, data_dict)
    data = validate(data_dict, schemas.service_list_schema(), context)
    query = model.Session.query(Service)
    if data.get("channel"):
        query = query.filter(Service.channel == data["channel"])
    text = sa.func.concat_ws(
        " ", Service.title, Service.description, Service.office, Service.requirements
    )
    query = matching_words(query, text, data.get("q"))
    return [_service_dict(s) for s in query.order_by(Service.title)]
