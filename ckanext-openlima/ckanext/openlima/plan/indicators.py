"""Indicators computed live from the platform.

Datasets published and consulted come from the catalogue; reports and participation
come from Lima Honesta and Lima Activa through their statistics actions, the share of
offices that signed the integrity commitment from Lima Honesta's register. Every other
extension is optional: when its action is absent (``KeyError``), refuses, or lacks the
figure, the value is ``None`` and the pages say "sin datos" — never zero.
Actions are called as an anonymous user, so only public figures are ever read.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import ckan.plugins.toolkit as tk

from ckanext.openlima.plan.vocabulary import N_

log = logging.getLogger(__name__)

__all__ = ["METRICS", "Computation", "MetricReader", "metric_label"]

NESTED = ("totals", "total", "city", "city_wide", "overall", "summary", "results")


@dataclass
class Computation:
    value: Optional[float]
    breakdown: Optional[dict[str, Any]] = None
    source_action: Optional[str] = None
    # the date the figure refers to, when the source says (else the page's date)
    date: Optional[str] = None

    @property
    def available(self) -> bool:
        return self.value is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "available": self.available,
            "breakdown": self.breakdown,
            "source_action": self.source_action,
            "date": self.date,
        }


@dataclass(frozen=True)
class Metric:
    label: str
    # config option listing the candidate action names, first found wins
    actions_option: str
    keys: tuple[str, ...]
    breakdown_keys: tuple[str, ...] = ()
    # keys of the action's result holding the date of its last change (ISO date)
    date_keys: tuple[str, ...] = ()
    # computes the value from the action's result when no key holds it directly
    derive: Optional[Callable[[dict[str, Any]], Optional[float]]] = None
    # used when no action is available at all
    fallback: Optional[Callable[[], Optional[float]]] = field(default=None, compare=False)


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _lookup(result: Any, keys: tuple[str, ...]) -> Any:
    if not isinstance(result, dict):
        return None
    for key in keys:
        if key in result and result[key] is not None:
            return result[key]
    for container in NESTED:
        nested = result.get(container)
        if isinstance(nested, dict):
            found = _lookup(nested, keys)
            if found is not None:
                return found
    return None


def _attended_ratio(result: dict[str, Any]) -> Optional[float]:
    """Percent attended: Lima Honesta's ``attended_ratio`` (a fraction), else the counts."""
    fraction = _number(_lookup(result, ("attended_ratio",)))
    if fraction is not None:
        return round(fraction * 100, 1)
    received = _number(_lookup(result, ("received", "reports_received")))
    attended = _number(_lookup(result, ("attended", "reports_attended")))
    if received is None or attended is None or received <= 0:
        return None
    return round(attended * 100 / received, 1)


def _count_public_datasets() -> Optional[float]:
    """The catalogue's public, active datasets (CKAN's ``package_list``)."""
    try:
        names = tk.get_action("package_list")({"user": "", "ignore_auth": False}, {})
    except Exception:  # noqa: BLE001 - a broken catalogue must not break the dashboard
        log.warning("package_list failed; datasets published shown as sin datos", exc_info=True)
        return None
    return float(len(names))


CATALOGUE = "ckanext.openlima_plan.catalogue_metrics_actions"
HONESTA = "ckanext.openlima_plan.limahonesta_statistics_actions"
ACTIVA = "ckanext.openlima_plan.limaactiva_statistics_actions"
INTEGRITY = "ckanext.openlima_plan.limahonesta_integrity_actions"

METRICS: dict[str, Metric] = {
    "datasets_published": Metric(
        N_("Conjuntos de datos publicados"), CATALOGUE,
        ("published", "datasets_published", "published_count"),
        fallback=_count_public_datasets,
    ),
    "datasets_consulted": Metric(
        N_("Consultas de conjuntos de datos"), CATALOGUE,
        ("consulted", "datasets_consulted", "views", "page_views"),
    ),
    "perception_rating": Metric(
        N_("Valoración ciudadana del catálogo"), CATALOGUE,
        ("rating_average", "rating_mean", "mean_rating"),
    ),
    "reports_received": Metric(
        N_("Denuncias recibidas"), HONESTA, ("received", "reports_received"),
        breakdown_keys=("per_channel", "by_channel", "channels"),
    ),
    "reports_attended_ratio": Metric(
        N_("Denuncias atendidas / recibidas (%)"), HONESTA,
        ("attended_ratio_pct", "attended_percentage"), derive=_attended_ratio,
    ),
    "reports_rating": Metric(
        N_("Valoración de Lima Honesta"), HONESTA, ("rating_mean", "mean_rating", "rating"),
    ),
    "integrity_signatures": Metric(
        N_("Oficinas que firmaron el compromiso de integridad (%)"), INTEGRITY,
        ("share_signed_pct",), date_keys=("last_update",),
    ),
    "participation_proposals": Metric(
        N_("Propuestas ciudadanas"), ACTIVA, ("proposals", "proposals_count", "proposal_count"),
    ),
    "participation_participants": Metric(
        N_("Personas participantes"), ACTIVA,
        ("participants", "participants_count", "participant_count"),
    ),
    "participation_sessions": Metric(
        N_("Sesiones de participación"), ACTIVA, ("sessions", "sessions_count", "session_count"),
    ),
}


def metric_label(metric: Optional[str]) -> str:
    found = METRICS.get(metric or "")
    return tk._(found.label) if found else (metric or "")


class MetricReader:
    """Reads metrics, calling each statistics action at most once."""

    def __init__(self) -> None:
        self._results: dict[str, tuple[Optional[str], Any]] = {}

    def _action_result(self, option: str) -> tuple[Optional[str], Any]:
        if option in self._results:
            return self._results[option]
        names = tk.config.get(option) or []
        if isinstance(names, str):
            names = names.split()
        found: tuple[Optional[str], Any] = (None, None)
        for name in names:
            try:
                action = tk.get_action(name)
            except KeyError:
                continue
            try:
                found = (name, action({"user": "", "ignore_auth": False}, {}))
            except (tk.NotAuthorized, tk.ValidationError, tk.ObjectNotFound) as error:
                log.info("%s unavailable for the dashboard: %r", name, error)
                found = (name, None)
            except Exception:  # noqa: BLE001 - another extension's failure is "sin datos"
                log.warning("%s failed; shown as sin datos", name, exc_info=True)
                found = (name, None)
            break
        self._results[option] = found
        return found

    def read(self, metric_name: Optional[str]) -> Computation:
        metric = METRICS.get(metric_name or "")
        if metric is None:
            return Computation(None)
        action_name, result = self._action_result(metric.actions_option)
        if action_name is None:
            if metric.fallback is not None:
                return Computation(metric.fallback(), source_action="package_list")
            return Computation(None)
        value = _number(_lookup(result, metric.keys))
        if value is None and metric.derive is not None and isinstance(result, dict):
            value = metric.derive(result)
        breakdown = None
        if metric.breakdown_keys:
            raw = _lookup(result, metric.breakdown_keys)
            if isinstance(raw, dict):
                breakdown = raw
        date = None
        if metric.date_keys:
            found = _lookup(result, metric.date_keys)
            date = found if isinstance(found, str) else None
        return Computation(value, breakdown, action_name, date)
