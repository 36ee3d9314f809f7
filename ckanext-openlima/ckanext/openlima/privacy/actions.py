"""CKAN's actions that told a caller about datasets they may not read, chained.

- ``package_show``, ``resource_show``, ``resource_view_list``, ``package_activity_list``
  and the activity items
  (``activity_show``, ``activity_data_show``, ``activity_diff``) answer a dataset the caller
  may not read as one that does not exist: 404 "No encontrado", nothing echoed;
- ``tag_list``, ``tag_search``, ``tag_autocomplete``, ``tag_show`` and
  ``format_autocomplete`` count only the datasets the caller may read (CKAN reads every
  dataset's tags and formats from its tables);
- ``member_list`` lists only the datasets the caller may read;
- ``package_collaborator_list``, ``package_relationships_list`` and
  ``dataset_follower_count`` are asked about a dataset that does not exist instead, so
  that their answer is CKAN's own for a missing dataset (403 and a count before).
Vocabulary tags are the vocabulary's terms, not datasets' content: CKAN's answer stays.
"""
from __future__ import annotations

import uuid
from typing import Any, Optional

import sqlalchemy as sa

import ckan.model as model  # tags, resources and members are read from CKAN's tables
import ckan.plugins.toolkit as tk
from ckan.lib.dictization import model_dictize, table_dictize
from ckan.lib.navl.dictization_functions import validate
from ckan.logic.schema import default_autocomplete_schema

from . import visibility

__all__ = [
    "package_show",
    "resource_show",
    "resource_view_list",
    "package_collaborator_list",
    "package_relationships_list",
    "dataset_follower_count",
    "tag_list",
    "tag_search",
    "tag_autocomplete",
    "tag_show",
    "format_autocomplete",
    "member_list",
]
# Chained only when the plugin that defines them is loaded (see ``chained_actions``)
ACTIVITY_ACTIONS = ["package_activity_list", "activity_show", "activity_data_show",
                    "activity_diff"]


def _hidden_as_missing(original_action, context, data_dict):
    try:
        return original_action(context, data_dict)
    except tk.NotAuthorized:
        raise visibility.not_found() from None


@tk.chained_action
@tk.side_effect_free
def package_show(original_action, context, data_dict):
    """CKAN's ``package_show``; a dataset the caller may not read: not found."""
    return _hidden_as_missing(original_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def resource_show(original_action, context, data_dict):
    """CKAN's ``resource_show``; a resource of a dataset the caller may not read: not found."""
    return _hidden_as_missing(original_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def resource_view_list(original_action, context, data_dict):
    """CKAN's ``resource_view_list``; a resource of a dataset the caller may not read:
    not found."""
    return _hidden_as_missing(original_action, context, data_dict)


def _about_a_missing_dataset_instead(original_action, context, data_dict, keys=("id",)):
    """CKAN's action, asked about a dataset that does not exist in place of each one the
    caller may not read: its answer is then exactly CKAN's for a missing dataset (these
    actions' answers name no id)."""
    labels = visibility.caller_labels(context)
    if labels is not None:
        for key in keys:
            reference = data_dict.get(key)
            package = model.Package.get(reference) if isinstance(reference, str) else None
            if package is not None and not visibility.may_read(context, package.id):
                data_dict = {**data_dict, key: str(uuid.uuid4())}
    return original_action(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def package_collaborator_list(original_action, context, data_dict):
    """CKAN's ``package_collaborator_list``; a dataset the caller may not read: as missing."""
    return _about_a_missing_dataset_instead(original_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def package_relationships_list(original_action, context, data_dict):
    """CKAN's ``package_relationships_list``; datasets the caller may not read: as missing."""
    return _about_a_missing_dataset_instead(original_action, context, data_dict, ("id", "id2"))


@tk.chained_action
@tk.side_effect_free
def dataset_follower_count(original_action, context, data_dict):
    """CKAN's ``dataset_follower_count``; a dataset the caller may not read: as missing."""
    return _about_a_missing_dataset_instead(original_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def package_activity_list(original_action, context, data_dict):
    """The activity of a dataset the caller may not read: not found."""
    return _hidden_as_missing(original_action, context, data_dict)


def _activity_item(original_action, context, data_dict):
    from ckanext.activity.model import Activity  # the activity plugin's table

    activity = model.Session.get(Activity, data_dict.get("id")) if isinstance(
        data_dict.get("id"), str) else None
    if (activity is not None and (activity.activity_type or "").endswith("package")
            and not visibility.may_read(context, activity.object_id)):
        raise visibility.not_found()
    # CKAN's auth function reads ``include_data`` without a default (a 500 without it)
    data_dict = {**data_dict, "include_data": tk.asbool(data_dict.get("include_data", False))}
    return _hidden_as_missing(original_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def activity_show(original_action, context, data_dict):
    """An activity of a dataset the caller may not read (now): not found."""
    return _activity_item(original_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def activity_data_show(original_action, context, data_dict):
    """The recorded dataset of an activity, if the caller may read the dataset now."""
    return _activity_item(original_action, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def activity_diff(original_action, context, data_dict):
    """The changes of an activity, if the caller may read the dataset now."""
    return _activity_item(original_action, context, data_dict)


# --- tags -------------------------------------------------------------------------------

def _free_tags(labels, terms: list[str]):
    """Free tags on an active link to a dataset the caller may read, matching every term."""
    query = (model.Session.query(model.Tag)
             .filter(model.Tag.vocabulary_id.is_(None))
             .join(model.PackageTag, model.PackageTag.tag_id == model.Tag.id)
             .join(model.Package, model.Package.id == model.PackageTag.package_id)
             .filter(model.PackageTag.state == "active")
             .filter(visibility.readable(labels))
             .distinct())
    for term in terms:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.filter(model.Tag.name.ilike(f"%{escaped}%", escape="\\"))
    return query.order_by(model.Tag.name)


def _terms(data_dict) -> list[str]:
    terms = data_dict.get("query") or data_dict.get("q") or []
    if isinstance(terms, str):
        terms = [terms]
    fields = data_dict.get("fields") or {}
    if isinstance(fields, dict):
        terms = list(terms) + [v for k, v in fields.items() if k in ("tag", "tags")]
    return [t.strip() for t in terms if isinstance(t, str) and t.strip()]


def _restricted_free_tags(context, data_dict):
    """The caller's labels when the answer must be filtered, else None."""
    if "vocabulary_id" in data_dict and data_dict.get("vocabulary_id") is not None:
        return None
    return visibility.caller_labels(context)


def _whole_number(data_dict, name: str, default: Optional[int]) -> Optional[int]:
    value = data_dict.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, bool) or number < 0:
        raise tk.ValidationError({name: [
            tk._("El parámetro {name} debe ser un número entero positivo.").format(name=name)]})
    return number


def _page(query, data_dict):
    offset = _whole_number(data_dict, "offset", 0)
    limit = _whole_number(data_dict, "limit", None)
    return query.count(), query.offset(offset).limit(limit).all()


@tk.chained_action
@tk.side_effect_free
def tag_list(original_action, context, data_dict):
    """CKAN's ``tag_list`` over the datasets the caller may read."""
    labels = _restricted_free_tags(context, data_dict)
    if labels is None:
        return original_action(context, data_dict)
    tk.check_access("tag_list", context, data_dict)
    tags = _free_tags(labels, _terms({"query": data_dict.get("query") or data_dict.get("q")})).all()
    if tk.asbool(data_dict.get("all_fields")):
        return model_dictize.tag_list_dictize(tags, context)
    return [tag.name for tag in tags]


@tk.chained_action
@tk.side_effect_free
def tag_search(original_action, context, data_dict):
    """CKAN's ``tag_search`` over the datasets the caller may read."""
    labels = _restricted_free_tags(context, data_dict)
    if labels is None:
        return original_action(context, data_dict)
    tk.check_access("tag_search", context, data_dict)
    terms = _terms(data_dict)
    if not terms:
        return {"count": 0, "results": []}
    count, tags = _page(_free_tags(labels, terms), data_dict)
    return {"count": count, "results": [table_dictize(tag, context) for tag in tags]}


@tk.chained_action
@tk.side_effect_free
def tag_autocomplete(original_action, context, data_dict):
    """CKAN's ``tag_autocomplete`` over the datasets the caller may read."""
    labels = _restricted_free_tags(context, data_dict)
    if labels is None:
        return original_action(context, data_dict)
    tk.check_access("tag_autocomplete", context, data_dict)
    terms = _terms(data_dict)
    if not terms:
        return []
    _count, tags = _page(_free_tags(labels, terms), data_dict)
    return [tag.name for tag in tags]


@tk.chained_action
@tk.side_effect_free
def tag_show(original_action, context, data_dict):
    """CKAN's ``tag_show``; a free tag of no dataset the caller may read: not found."""
    labels = _restricted_free_tags(context, data_dict)
    if labels is not None:
        name_or_id = tk.get_or_bust(data_dict, "id")
        tag = model.Tag.get(name_or_id) if isinstance(name_or_id, str) else None
        if tag is None or not _free_tags(labels, []).filter(model.Tag.id == tag.id).count():
            raise visibility.not_found()
    return original_action(context, data_dict)


# --- formats and members ------------------------------------------------------------------

@tk.chained_action
@tk.side_effect_free
def format_autocomplete(original_action, context, data_dict):
    """CKAN's ``format_autocomplete`` over the resources of datasets the caller may read."""
    labels = visibility.caller_labels(context)
    if labels is None:
        return original_action(context, data_dict)
    data, errors = validate(data_dict, default_autocomplete_schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    tk.check_access("format_autocomplete", context, data)
    term = data["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    total = sa.func.count(model.Resource.format).label("total")
    query = (model.Session.query(model.Resource.format, total)
             .join(model.Package, model.Package.id == model.Resource.package_id)
             .filter(model.Resource.state == "active")
             .filter(visibility.readable(labels))
             .filter(model.Resource.format.ilike(f"%{term}%", escape="\\"))
             .group_by(model.Resource.format)
             .order_by(total.desc())
             .limit(data.get("limit", 5)))
    return [row.format.lower() for row in query]


@tk.chained_action
@tk.side_effect_free
def member_list(original_action, context, data_dict) -> list[Any]:
    """CKAN's ``member_list`` without the datasets the caller may not read."""
    members = original_action(context, data_dict)
    labels = visibility.caller_labels(context)
    package_ids = [m[0] for m in members if m[1] == "package"]
    if labels is None or not package_ids:
        return members
    allowed = {row[0] for row in model.Session.query(model.Package.id).filter(
        model.Package.id.in_(package_ids), visibility.readable(labels))}
    return [m for m in members if m[1] != "package" or m[0] in allowed]


def chained_actions() -> dict[str, Any]:
    """The actions above whose originals are loaded (the activity plugin's may not be)."""
    import ckan.plugins as p

    actions = {name: globals()[name] for name in __all__}
    if p.plugin_loaded("activity"):
        actions.update({name: globals()[name] for name in ACTIVITY_ACTIONS})
    return actions
