"""Template helpers of the commitments dashboard (Spanish formats)."""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk

from ckanext.openlima.plan import vocabulary as vocab

__all__ = [
    "openlima_plan_date",
    "openlima_plan_percent",
    "openlima_plan_number",
    "openlima_plan_ogp_value_choices",
    "openlima_plan_completion_label",
    "openlima_plan_field_label",
    "openlima_plan_change_value",
]

FIELD_LABELS = {
    "status": "Estado",
    "progress": "Avance",
    "actual_start": "Inicio real",
    "actual_end": "Fin real",
    "planned_start": "Inicio planificado",
    "planned_end": "Fin planificado",
    "evidence": "Evidencias",
    "weight": "Peso",
    "title": "Título",
    "commitment_progress": "Avance del compromiso",
    "value": "Valor",
    "date": "Fecha",
    "completion": "Nivel de cumplimiento",
    "assessor": "Evaluador",
}


def openlima_plan_date(value: Any) -> str:
    """``2022-11-08`` → ``08/11/2022``; empty stays empty."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
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
    if field == "completion":
        return vocab.label(vocab.COMPLETION_LEVELS, value)
    if field == "evidence" and isinstance(value, list):
        return "; ".join(e.get("title") or e.get("url") or e.get("dataset") or "" for e in value)
    if isinstance(value, (list, dict)):
        return str(value)
    return str(value)
