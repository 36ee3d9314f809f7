"""The threaded conversation of a proposal."""

from __future__ import annotations

import datetime

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic import schema as schemas
from ckanext.limaactiva.logic.shared import (
    comment_dict,
    commit,
    current_user,
    fail,
    proposal_or_404,
    validate,
    within_edit_window,
)
from ckanext.limaactiva.model import (
    Comment,
    Space,
    utcnow,
)


def limaactiva_comment_create(context, data_dict):
    """Comment on a proposal or reply to a comment (depth at most 3).

    :param proposal_id: proposal id
    :param parent_id: optional comment being answered
    :param alignment: ``a_favor``, ``neutral`` or ``en_contra``
    :param body: text
    :returns: the comment
    """
    tk.check_access("limaactiva_comment_create", context, data_dict)
    data = validate(data_dict, schemas.comment_create_schema(), context)
    user = current_user(context)
    proposal = proposal_or_404(data["proposal_id"], context)
    space = model.Session.get(Space, proposal.space_id)
    if not rules.switches(space)["comments_open"]:
        fail("proposal_id", tk._("Los comentarios están cerrados en la fase actual."))
    limit = int(tk.config.get("ckanext.limaactiva.max_comments_per_hour"))
    if rules.over_rate_limit(
        Comment.created,
        Comment.author_user_id,
        user.id,
        datetime.timedelta(hours=1),
        limit,
    ):
        fail(
            "body",
            tk._(
                "Publicó demasiados comentarios en la última hora. Inténtelo más tarde."
            ),
        )
    depth = 1
    if data.get("parent_id"):
        parent = rules.find_comment(data["parent_id"])
        if parent is None or parent.proposal_id != proposal.id:
            fail("parent_id", tk._("El comentario al que responde no existe."))
        if parent.deleted:
            fail("parent_id", tk._("No se puede responder a un comentario eliminado."))
        depth = parent.depth + 1
        if depth > rules.MAX_COMMENT_DEPTH:
            fail(
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
    commit(context)
    return comment_dict(comment, user)


def limaactiva_comment_update(context, data_dict):
    """The author edits a comment within the edit window.

    :param id: comment id; :param body: text; :param alignment: optional
    """
    tk.check_access("limaactiva_comment_update", context, data_dict)
    data = validate(data_dict, schemas.comment_update_schema(), context)
    user = current_user(context)
    comment = rules.find_comment(data["id"])
    if comment is None:
        raise tk.ObjectNotFound(tk._("Comentario no encontrado."))
    if comment.deleted:
        fail("id", tk._("El comentario fue eliminado."))
    if not within_edit_window(comment):
        fail("body", tk._("El plazo para editar este comentario ya venció."))
    comment.body = data["body"]
    if data.get("alignment"):
        comment.alignment = data["alignment"]
    commit(context)
    return comment_dict(comment, user)


def limaactiva_comment_delete(context, data_dict):
    """Soft delete: the comment stays in the thread as "eliminado", its text is hidden.

    :param id: comment id
    """
    tk.check_access("limaactiva_comment_delete", context, data_dict)
    data = validate(data_dict, schemas.id_schema(), context)
    comment = rules.find_comment(data["id"])
    if comment is None:
        raise tk.ObjectNotFound(tk._("Comentario no encontrado."))
    if not comment.deleted:
        comment.deleted = True
        comment.deleted_at = utcnow()
        actor = rules.user_object(context)
        if actor is not None and actor.id != comment.author_user_id:
            rules.audit(actor.id, "comment_deleted_by_moderator", "comment", comment.id)
        commit(context)
    return comment_dict(comment, rules.user_object(context))


@tk.side_effect_free
def limaactiva_comment_list(context, data_dict):
    """The thread of a proposal, in reading order (each reply after its parent).

    :param proposal_id: proposal id
    """
    tk.check_access("limaactiva_comment_list", context, data_dict)
    data = validate(
        data_dict,
        {"proposal_id": [schemas.required, schemas.v.limaactiva_text]},
        context,
    )
    proposal = proposal_or_404(data["proposal_id"], context)
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
            ordered.append(comment_dict(comment, viewer))
            walk(comment.id)

    walk(None)
    return ordered
