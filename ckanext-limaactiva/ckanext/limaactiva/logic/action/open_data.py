"""Open data: the participation dataset and the public list of contributors."""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import schema as schemas
from ckanext.limaactiva.logic.shared import (
    fail,
    validate,
)
from ckanext.limaactiva.model import (
    Comment,
    Participant,
    Proposal,
    SessionOrganisation,
    Vote,
)


def limaactiva_publish(context, data_dict):
    """Create or refresh the CKAN dataset that links to the participation CSV exports.

    :param owner_org: organisation that publishes it (default
        ``ckanext.limaactiva.publish_organization``)
    :returns: the dataset
    """
    from ckanext.limaactiva import exports

    tk.check_access("limaactiva_publish", context, data_dict)
    data = validate(
        data_dict, {"owner_org": [schemas.optional, schemas.v.limaactiva_text]}, context
    )
    owner = data.get("owner_org") or tk.config.get(
        "ckanext.limaactiva.publish_organization"
    )
    office = model.Group.get(owner) if owner else None
    if office is None or not office.is_organization:
        fail(
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
