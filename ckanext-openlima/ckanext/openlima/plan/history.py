"""The append-only change history: who, when, before → after, and why.

Rows are only ever added (nothing in the extension updates or deletes them), in the
same transaction as the change they describe.
"""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping, Optional

from ckanext.openlima.plan import model as pm

__all__ = ["jsonable", "apply_changes", "record"]


def jsonable(value: Any) -> Any:
    """A JSON-ready copy: ISO 8601 dates, numbers for decimals."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def _same(before: Any, after: Any) -> bool:
    return jsonable(before) == jsonable(after)


def apply_changes(obj: Any, values: Mapping[str, Any], fields: Iterable[str]) -> list[dict[str, Any]]:
    """Set ``fields`` of ``obj`` from ``values`` and return what actually changed."""
    changes = []
    for field in fields:
        if field not in values:
            continue
        before, after = getattr(obj, field), values[field]
        if isinstance(after, Decimal) and before is not None:
            before = Decimal(str(before))
        if not _same(before, after):
            changes.append({"field": field, "before": jsonable(before), "after": jsonable(after)})
            setattr(obj, field, after)
    return changes


def record(
    *,
    plan_id: str,
    commitment_id: Optional[str],
    entity_type: str,
    entity_id: str,
    entity_label: str,
    action: str,
    changes: list[dict[str, Any]],
    reason: str,
    author: str,
) -> pm.HistoryEntry:
    entry = pm.HistoryEntry(
        plan_id=plan_id,
        commitment_id=commitment_id,
        entity_type=entity_type,
        entity_id=entity_id,
        entity_label=entity_label,
        action=action,
        changes=changes,
        reason=reason,
        author=author or "",
    )
    pm.Session.add(entry)
    return entry
