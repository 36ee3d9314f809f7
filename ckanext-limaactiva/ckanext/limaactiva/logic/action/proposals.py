"""Proposals and the official answers of the responsible office (linked to the
commitments plan)."""

from __future__ import annotations

import datetime

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import notify
from ckanext.limaactiva.logic import schema as schemas
from ckanext.limaactiva.logic.shared import (
    commit,
    current_user,
    fail,
    proposal_dict,
    proposal_or_404,
    space_or_404,
    validate,
)
from ckanext.limaactiva.model import (
    ParticipationSession,
    Proposal,
    SessionProposal,
    Space,
)


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
    data = validate(data_dict, schemas.proposal_create_schema(), context)
    user = current_user(context)
    space = space_or_404(data["space_id"])
    if not rules.switches(space)["proposals_open"]:
        fail("space_id", tk._("Este espacio no recibe propuestas en la fase actual."))
    limit = int(tk.config.get("ckanext.limaactiva.max_proposals_per_day"))
    if rules.over_rate_limit(
        Proposal.created,
        Proposal.author_user_id,
        user.id,
        datetime.timedelta(days=1),
        limit,
    ):
        fail(
            "title", tk._("Alcanzó el máximo de propuestas por día. Inténtelo mañana.")
        )
    organisation = None
    if data.get("author_organisation"):
        group = rules.is_organisation_member(user, data["author_organisation"])
        if group is None:
            fail(
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
    commit(context)
    return proposal_dict(proposal)


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
    data = validate(data_dict, schemas.proposal_answer_schema(), context)
    user = current_user(context)
    proposal = proposal_or_404(data["id"], context)
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
    commit(context)
    if notices and not context.get("defer_commit"):
        notify.deliver(notices, answer=proposal.answer_text if answer_changed else None)
    return proposal_dict(proposal)


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
        fail(
            "commitment_milestone_ref",
            tk._(
                "No hay un plan de compromisos cargado: no se puede enlazar la propuesta "
                "a un compromiso, hito o indicador."
            ),
        )
    found = _find_result(plan, reference)
    if found is None:
        fail(
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
    user = current_user(context)
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
        item = proposal_dict(proposal, with_score=False)
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
    data = validate(data_dict, schemas.id_schema(), context)
    proposal = proposal_or_404(data["id"], context)
    result = proposal_dict(proposal)
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
    data = validate(data_dict, schemas.proposal_list_schema(), context)
    query = model.Session.query(Proposal).filter(Proposal.hidden.is_(False))
    if data.get("space_id"):
        query = query.filter(Proposal.space_id == space_or_404(data["space_id"]).id)
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
    proposals = [proposal_dict(p) for p in query.order_by(Proposal.created.desc())]
    if data.get("sort") != "recent":
        proposals.sort(key=lambda p: p["score"], reverse=True)
    return proposals


@tk.side_effect_free
def limaactiva_proposal_score(context, data_dict):
    """Score (sum of weights), count at each level (3/2/1) and mean.

    :param id: proposal id
    """
    tk.check_access("limaactiva_proposal_score", context, data_dict)
    data = validate(data_dict, schemas.id_schema(), context)
    return rules.score_of(proposal_or_404(data["id"], context).id)
