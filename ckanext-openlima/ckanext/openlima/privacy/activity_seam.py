"""Activity streams show a dataset's activity only to whom may read the dataset now.

CKAN's activity plugin filters every stream (dataset, office, group, user, dashboard,
recently changed) with the permission labels recorded when each activity happened: the
full record of a dataset published and later made private or deleted stayed in every
stream for everyone. Its one filter, ``_filter_activities_by_permission_labels`` in
``ckanext.activity.model.activity``, gets here the dataset's current visibility as well,
in the same SQL (limits and offsets stay right). ``install`` patches it once;
tests/openlima/test_leaks.py fails loudly if an upgrade moves it.
"""
from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa

import ckan.plugins as p

from . import visibility

TARGET = "_filter_activities_by_permission_labels"


def _filter(original):
    def filter_activities(q: Any, user_permission_labels: Optional[list[str]] = None):
        from ckanext.activity.model.activity import Activity

        q = original(q, user_permission_labels)
        if user_permission_labels is None or not p.plugin_loaded("openlima"):
            return q
        is_package_activity = sa.and_(Activity.activity_type.isnot(None),
                                      Activity.activity_type.endswith("package"))
        return q.filter(sa.or_(
            sa.not_(is_package_activity),
            Activity.object_id.in_(visibility.readable_ids(user_permission_labels))))

    filter_activities.openlima_original = original
    return filter_activities


def install() -> None:
    from ckanext.activity.model import activity as activity_model

    current = getattr(activity_model, TARGET)
    if not hasattr(current, "openlima_original"):
        setattr(activity_model, TARGET, _filter(current))
