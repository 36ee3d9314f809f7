"""Template helpers of the commitments dashboard (Spanish formats)."""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.openlima.plan import vocabulary as vocab
from ckanext.openlima.plan.vocabulary import N_
from ckanext.openlima.plan.publish import DEFAULT_STATUSES

__all__ = [
    "openlima_plan_date",
    "openlima_plan_percent",
    "openlima_plan_number",
    "openlima_plan_ogp_value_choices",
    "openlima_plan_completion_label",
    "openlima_plan_field_label",
    "openlima_plan_change_value",
    "openlima_plan_timeline",
]

# abbreviated month names of the timeline axis, translated when drawn
MONTHS = (N_("ene"), N_("feb"), N_("mar"), N_("abr"), N_("may"), N_("jun"),
          N_("jul"), N_("ago"), N_("set"), N_("oct"), N_("nov"), N_("dic"))

FIELD_LABELS = {
    "status": N_("Estado"),
    "progress": N_("Avance"),
    "actual_start": N_("Inicio real"),
    "actual_end": N_("Fin real"),
    "planned_start": N_("Inicio planificado"),
    "planned_end": N_("Fin planificado"),
    "evidence": N_("Evidencias"),
    "weight": N_("Peso"),
    "title": N_("Título"),
    "commitment_progress": N_("Avance del compromiso"),
    "value": N_("Valor"),
    "date": N_("Fecha"),
    "completion": N_("Nivel de cumplimiento"),
    "assessor": N_("Evaluador"),
}


def openlima_plan_date(value: Any) -> str:
    """``2022-11-08`` → ``08/11/2022``; an instant → its day in Lima; empty stays empty."""
    if not value:
        return ""
    try:
        value = clock.local_date(value)
    except (TypeError, ValueError):
        return str(value)
    return value.strftime("%d/%m/%Y")


def openlima_plan_number(value: Any, decimals: int = 1) -> str:
    """Spanish number format (decimal comma); ``None`` is ``sin datos``, never zero."""
    if value is None or value == "":
        return tk._("sin datos")
    number = float(value)
    if number == int(number):
        text = f"{int(number):,}".replace(",", "\u00a0")
    else:
        text = f"{number:,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
    return text


def openlima_plan_percent(value: Optional[float]) -> str:
    if value is None:
        return tk._("sin datos")
    return openlima_plan_number(value) + "\u00a0%"


def openlima_plan_ogp_value_choices() -> list[dict[str, str]]:
    return [{"value": key, "text": tk._(text)} for key, text in vocab.OGP_VALUES.items()]


def openlima_plan_completion_label(key: Optional[str]) -> str:
    return vocab.label(vocab.COMPLETION_LEVELS, key)


def openlima_plan_field_label(field: str) -> str:
    return tk._(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def openlima_plan_change_value(field: str, value: Any) -> str:
    """A history value as people read it."""
    if value is None or value == "" or value == []:
        return "—"
    if field in ("actual_start", "actual_end", "planned_start", "planned_end", "date"):
        return openlima_plan_date(value)
    if field in ("progress", "commitment_progress"):
        return openlima_plan_percent(value)
    if field == "status":
        labels = {key: label for key, label, *_ in DEFAULT_STATUSES}
        return tk._(labels[value]) if value in labels else str(value)
    if field == "completion":
        return vocab.label(vocab.COMPLETION_LEVELS, value)
    if field == "evidence" and isinstance(value, list):
        return "; ".join(e.get("title") or e.get("url") or e.get("dataset") or "" for e in value)
    if isinstance(value, (list, dict)):
        return str(value)
    return str(value)


def _as_date(value: Any) -> Optional[datetime.date]:
    if not value:
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def openlima_plan_timeline(milestones: list[dict[str, Any]], left: int = 150, right: int = 590) -> Optional[dict[str, Any]]:
    """Geometry of the milestone timeline: planned and actual bars over a month axis.

    The SVG drawn from it is decorative (``aria-hidden``); the milestone table next to it
    holds the same dates as text.
    """
    dates = [
        d for m in milestones
        for d in (_as_date(m.get(k)) for k in ("planned_start", "planned_end", "actual_start", "actual_end"))
        if d
    ]
    if not dates:
        return None
    first = min(dates).replace(day=1)
    last = max(dates)
    last = (last.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)  # next month start
    span = max((last - first).days, 1)

    def x(day: datetime.date) -> float:
        return round(left + (day - first).days * (right - left) / span, 1)

    def bar(start: Any, end: Any) -> Optional[dict[str, float]]:
        start, end = _as_date(start), _as_date(end) or _as_date(start)
        if start is None:
            return None
        end = max(end, start)
        return {"x": x(start), "width": max(round(x(end + datetime.timedelta(days=1)) - x(start), 1), 3)}

    rows = []
    for index, m in enumerate(milestones):
        rows.append({
            "code": m["code"],
            "title": m["title"],
            "y": 30 + index * 34,
            "planned": bar(m.get("planned_start"), m.get("planned_end")),
            "actual": bar(m.get("actual_start"), m.get("actual_end")),
            "delayed": m.get("delayed", False) and m.get("progress_recorded", True),
            "unreported": m.get("delayed", False) and not m.get("progress_recorded", True),
        })
    ticks, month = [], first
    while month <= last:
        ticks.append({"x": x(month), "label": f"{tk._(MONTHS[month.month - 1])} {month.year}"})
        month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    if len(ticks) > 12:  # keep the axis readable on long plans
        step = -(-len(ticks) // 12)
        ticks = ticks[::step]
    return {"rows": rows, "ticks": ticks, "height": 40 + len(rows) * 34, "left": left, "right": right}
