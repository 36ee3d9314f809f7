"""Progress arithmetic of the commitments dashboard (pure functions, no database).

* A commitment's progress is Σ(milestone progress × weight) / Σ weight over its
  milestones that are not cancelled. When no milestone has a weight, it is the plain
  mean; when only some have one, the others weigh 1 (as in Decidim). Without counted
  milestones the progress is unknown (``None``), never zero.
* A milestone is delayed when today is past its planned end and its progress is below
  100 % (cancelled milestones are never delayed).
* A milestone has **no recorded progress** while nobody has recorded anything about it:
  still ``not_started``, 0 %, no actual dates, no evidence. Past its planned end it is
  late by the rule above, but the dashboard says "sin avance registrado", not "con
  retraso": nobody has said yet whether work was done. A commitment whose counted
  milestones are all like that, one of them past due, has the status
  ``no_progress_recorded`` instead of ``delayed``.
* The OGP completion label is only *suggested* from the progress (0 → not started,
  1–49 → limited, 50–99 → substantial, 100 → complete: our own heuristic, not OGP's);
  official labels live in assessments.
"""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping, Optional

from openlima_common import clock

__all__ = [
    "commitment_progress",
    "is_delayed",
    "progress_recorded",
    "commitment_status",
    "suggested_completion",
    "mean_progress",
]

CANCELLED = "cancelled"
COMPLETED = "completed"


def _counted(milestones: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [m for m in milestones if m.get("status") != CANCELLED]


def commitment_progress(milestones: Iterable[Mapping[str, Any]]) -> Optional[float]:
    """Weighted (or plain) mean of the milestones' progress, rounded to 0.1."""
    counted = _counted(milestones)
    if not counted:
        return None
    weighted = any(m.get("weight") is not None for m in counted)
    if weighted:
        weights = [
            Decimal(str(m["weight"])) if m.get("weight") is not None else Decimal(1)
            for m in counted
        ]
        total_weight = sum(weights)
        if total_weight > 0:
            total = sum(
                Decimal(str(m.get("progress") or 0)) * w for m, w in zip(counted, weights)
            )
            return round(float(total / total_weight), 1)
    values = [Decimal(str(m.get("progress") or 0)) for m in counted]
    return round(float(sum(values) / len(values)), 1)


def mean_progress(values: Iterable[Optional[float]]) -> Optional[float]:
    known = [v for v in values if v is not None]
    if not known:
        return None
    return round(sum(known) / len(known), 1)


def is_delayed(milestone: Mapping[str, Any], on: Optional[datetime.date] = None) -> bool:
    planned_end = milestone.get("planned_end")
    if planned_end is None or milestone.get("status") == CANCELLED:
        return False
    if isinstance(planned_end, str):
        planned_end = datetime.date.fromisoformat(planned_end)
    on = on or clock.today()
    return on > planned_end and (milestone.get("progress") or 0) < 100


def progress_recorded(milestone: Mapping[str, Any]) -> bool:
    """Whether anything was recorded about the milestone's progress (see above)."""
    return not (
        milestone.get("status") in (None, "", "not_started")
        and not milestone.get("progress")
        and not milestone.get("actual_start")
        and not milestone.get("actual_end")
        and not milestone.get("evidence")
    )


def commitment_status(
    milestones: Iterable[Mapping[str, Any]], on: Optional[datetime.date] = None
) -> str:
    """``not_started`` | ``in_progress`` | ``delayed`` | ``no_progress_recorded`` |
    ``completed`` | ``no_milestones``."""
    counted = _counted(milestones)
    if not counted:
        return "no_milestones"
    if all((m.get("progress") or 0) >= 100 for m in counted):
        return "completed"
    if any(is_delayed(m, on) for m in counted):
        if not any(progress_recorded(m) for m in counted):
            return "no_progress_recorded"
        return "delayed"
    if all((m.get("progress") or 0) == 0 and m.get("status") == "not_started" for m in counted):
        return "not_started"
    return "in_progress"


def suggested_completion(progress: Optional[float]) -> Optional[str]:
    if progress is None:
        return None
    if progress <= 0:
        return "not_started"
    if progress < 50:
        return "limited"
    if progress < 100:
        return "substantial"
    return "complete"
