"""Which datasets a caller may read, as SQL over CKAN's ``package`` table.

CKAN decides with permission labels (``IPermissionLabels``): a dataset's labels against
the caller's. The caller's labels come from CKAN (``get_user_dataset_labels``); the
dataset's are those of CKAN's ``DefaultPermissionLabels`` written as SQL, so that lists
can be filtered in the database (with their limits and offsets) instead of dataset by
dataset: ``public`` for an active, public dataset; otherwise ``member-<office>``,
``creator-<user>`` for a dataset without office, and ``collaborator-<dataset>`` when
collaborators are enabled.
"""
from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

import ckan.model as model  # CKAN's own tables: the lists below are built from them
import ckan.plugins.toolkit as tk
from ckan import authz  # the sysadmin test CKAN's own auth layer uses
from ckan.lib.plugins import get_permission_labels


def caller_labels(context: dict[str, Any]) -> Optional[list[str]]:
    """The caller's permission labels; None for whom CKAN shows everything (sysadmins,
    calls with ``ignore_auth``)."""
    if context.get("ignore_auth"):
        return None
    user_name = context.get("user")
    if user_name and authz.is_sysadmin(user_name):
        return None
    user = context.get("auth_user_obj")
    if user is None and user_name:
        user = model.User.get(user_name)
    return list(get_permission_labels().get_user_dataset_labels(user))


# CKAN's DefaultPermissionLabels as SQL: a fixed, parameterised statement. It is text, not
# an SQLAlchemy expression over ``model.Package``, because the activity streams filter a
# UNION of queries, which SQLAlchemy cannot adapt a subquery over another table into
# ("NotImplementedError" from ``is_derived_from``); a textual SELECT it leaves alone.
_READABLE = sa.text("""
    SELECT package.id FROM package
    WHERE (:openlima_public
           AND package.state = 'active' AND NOT coalesce(package.private, false))
       OR (NOT (package.state = 'active' AND NOT coalesce(package.private, false))
           AND (package.owner_org = ANY(:openlima_offices)
                OR (package.owner_org IS NULL
                    AND package.creator_user_id = ANY(:openlima_creators))
                OR package.id = ANY(:openlima_collaborations)))
""")


def _suffixes(labels: set[str], prefix: str) -> list[str]:
    return sorted(label[len(prefix):] for label in labels if label.startswith(prefix))


def readable_ids(labels: list[str]) -> sa.TextualSelect:
    """``SELECT id FROM package`` of the datasets a caller with ``labels`` may read (for
    ``column.in_(...)``)."""
    label_set = set(labels)
    collaborations = (_suffixes(label_set, "collaborator-")
                      if authz.check_config_permission("allow_dataset_collaborators") else [])
    texts = ARRAY(sa.UnicodeText)
    return _READABLE.bindparams(
        sa.bindparam("openlima_public", "public" in label_set, type_=sa.Boolean),
        sa.bindparam("openlima_offices", _suffixes(label_set, "member-"), type_=texts),
        sa.bindparam("openlima_creators", _suffixes(label_set, "creator-"), type_=texts),
        sa.bindparam("openlima_collaborations", collaborations, type_=texts),
    ).columns(sa.column("id", sa.UnicodeText))


def readable(labels: Optional[list[str]]) -> sa.ColumnElement[bool]:
    """A condition on ``model.Package``: the caller with ``labels`` (None: everything)
    may read the dataset."""
    if labels is None:
        return sa.true()
    return model.Package.id.in_(readable_ids(labels))


def may_read(context: dict[str, Any], package_id: Optional[str]) -> bool:
    labels = caller_labels(context)
    if labels is None:
        return True
    if not package_id:
        return False
    found = model.Session.query(model.Package.id).filter(
        model.Package.id == package_id, readable(labels)).first()
    return found is not None


def not_found() -> tk.ObjectNotFound:
    """What CKAN answers for a dataset that does not exist (no message: the API says
    only "No encontrado")."""
    return tk.ObjectNotFound()
