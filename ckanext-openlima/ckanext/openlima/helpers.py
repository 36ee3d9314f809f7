"""Template helpers of the Open Lima catalogue (choices for the MML schema, labels)."""
from __future__ import annotations

import datetime
import re
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.openlima import csp
from ckanext.openlima.harvest.helpers import openlima_harvest_provenance
from ckanext.openlima.markdown import render_markdown
from ckanext.openlima.logic import vocabularies

__all__ = [
    "openlima_harvest_provenance",
    "openlima_theme_choices",
    "openlima_frequency_choices",
    "openlima_language_choices",
    "openlima_access_rights_choices",
    "openlima_licence_choices",
    "openlima_district_choices",
    "openlima_publisher_type_choices",
    "openlima_vocabulary_label",
    "openlima_district_name",
    "openlima_office_compliance",
    "openlima_home_figures",
    "openlima_theme_counts",
    "openlima_districts",
    "openlima_latest_datasets",
    "openlima_nav_links",
    "openlima_portal_sections",
    "openlima_portal_rule",
    "openlima_render_date",
    "openlima_facet_label",
    "openlima_licence_title",
    "openlima_search_suggestion",
    "render_datetime",
    "render_markdown",
    "openlima_csp_nonce",
    "openlima_own_image",
]


def _choices(name: str) -> list[dict[str, Any]]:
    return [
        {"value": row["uri"], "label": {"es": row["label_es"], "en": row["label_en"]}}
        for row in vocabularies.vocabulary(name)
    ]


def openlima_theme_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return _choices("themes")


def openlima_frequency_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return _choices("frequencies")


def openlima_language_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return _choices("languages")


def openlima_access_rights_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return _choices("access_rights")


def openlima_licence_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return [
        {"value": row["license_id"], "label": {"es": row["label_es"], "en": row["label_en"]}}
        for row in vocabularies.vocabulary("licences")
    ]


def openlima_publisher_type_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return _choices("publisher_types")


def openlima_district_choices(field: dict | None = None) -> list[dict[str, Any]]:
    return [{"value": row["ubigeo"], "label": f'{row["name"]} ({row["ubigeo"]})'}
            for row in vocabularies.districts()]


def openlima_vocabulary_label(name: str, uri: str, lang: str | None = None) -> str:
    """Spanish (or ``lang``) label of a vocabulary URI, or the URI when unknown."""
    row = vocabularies.by_uri(name, uri)
    return vocabularies.label(row, lang or tk.h.lang() or "es") if row else uri


def openlima_district_name(ubigeo: str) -> str:
    row = vocabularies.district(ubigeo)
    return row["name"] if row else ubigeo


def openlima_facet_label(name: str, item: dict[str, Any]) -> str:
    """A search filter's value in the page's language: licences and themes by their
    vocabulary label (CKAN's licence titles are English; themes are indexed by their
    Spanish label), anything else as CKAN names it (offices by their full title)."""
    lang = tk.h.lang() or "es"
    if name == "license_id":
        row = vocabularies.licence(item.get("name"))
        if row:
            return vocabularies.label(row, lang)
    elif name == "tema":
        for row in vocabularies.vocabulary("themes"):
            if row["label_es"] == item.get("name"):
                return vocabularies.label(row, lang)
    return item.get("display_name") or item.get("name") or ""


def openlima_licence_title(pkg_dict: dict[str, Any]) -> str:
    """A dataset's licence by the portal's label in the page's language (CKAN's licence
    register titles are English: "Creative Commons Attribution")."""
    row = vocabularies.licence(pkg_dict.get("license_id"))
    if row:
        return vocabularies.label(row, tk.h.lang() or "es")
    return pkg_dict.get("license_title") or pkg_dict.get("license_id") or ""


def openlima_search_suggestion(q: Any) -> Optional[dict[str, str]]:
    """"Did you mean": the corrected query that ``package_search`` found for ``q`` in
    this request (``openlima_search`` leaves it on ``g``) and the same page's address
    with it, filters kept; None when there is none (or the engine is not in use)."""
    found = getattr(tk.g, "openlima_search_suggestion", None)
    if not found or not q or found.get("q") != q:
        return None
    args: dict[str, list[str]] = {}
    for key, value in tk.request.args.items(multi=True):
        if key not in ("q", "page"):
            args.setdefault(key, []).append(value)
    args["q"] = [found["suggestion"]]
    return {"q": found["suggestion"],
            "url": tk.h.url_for(tk.request.endpoint, **(tk.request.view_args or {}), **args)}


def openlima_office_compliance(organization: str) -> dict[str, Any] | None:
    """Compliance of an office as its own data officers see it (private datasets included)."""
    user = tk.current_user.name if tk.current_user.is_authenticated else ""
    try:
        return tk.get_action("openlima_compliance_summary")(
            {"user": user}, {"organization": organization, "include_private": True})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return None


def openlima_home_figures() -> dict[str, Any]:
    """Headline metrics of the home page (public data only)."""
    try:
        return tk.get_action("openlima_metrics_show")({"user": ""}, {})
    except Exception:  # noqa: BLE001 - the home page must render even without metrics
        return {"published": 0, "views": 0, "downloads": 0, "rating_average": None, "most_viewed": [], "offices": []}


def openlima_theme_counts() -> list[dict[str, Any]]:
    """Every EU data theme with its Spanish label and how many public datasets use it."""
    counts: dict[str, int] = {}
    try:
        result = tk.get_action("package_search")(
            {"user": ""}, {"q": "*:*", "rows": 0, "facet.field": ["tema"], "facet.limit": -1})
        counts = {item["name"]: item["count"] for item in result["search_facets"].get("tema", {}).get("items", [])}
    except Exception:  # noqa: BLE001 - the home page must render even if search is down
        pass
    lang = tk.h.lang() or "es"
    # ``value`` filters (themes are indexed by their Spanish label); ``label`` is shown
    return [{"label": vocabularies.label(row, lang), "value": row["label_es"], "uri": row["uri"],
             "count": counts.get(row["label_es"], 0)}
            for row in vocabularies.vocabulary("themes")]


def openlima_districts() -> list[dict[str, str]]:
    return vocabularies.districts()


def openlima_latest_datasets(limit: int = 5) -> list[dict[str, Any]]:
    try:
        return tk.get_action("package_search")(
            {"user": ""}, {"q": "*:*", "rows": limit, "sort": "metadata_created desc"})["results"]
    except Exception:  # noqa: BLE001
        return []


def openlima_portal_sections() -> list[dict[str, Any]]:
    """The parts of Open Lima a visitor can reach, in the order the main menu, the footer
    and the home page show them: ``endpoint``, ``label`` (menu), ``title`` and ``summary``
    (what it is for, home page), ``prefixes`` (endpoints that mark the entry active).
    Parts whose plugin is not enabled in this portal are left out."""
    from flask import current_app

    sections = [
        {"endpoint": "dataset.search", "label": tk._("Datos"),
         "title": tk._("Catálogo de datos abiertos"),
         "summary": tk._("Busque y descargue los datos que publican las gerencias de la MML, "
                         "con licencia abierta."),
         "prefixes": ("dataset.", "resource.", "organization.", "group.", "openlima.")},
        {"endpoint": "openlima_plan.index", "label": tk._("Compromisos"),
         "title": tk._("Compromisos de gobierno abierto"),
         "summary": tk._("Siga el avance de los compromisos del Plan de Acción de Gobierno "
                         "Abierto: hitos, evidencias y fechas."),
         "prefixes": ("openlima_plan.",)},
        {"endpoint": "limaactiva.index", "label": tk._("Participa"),
         "title": tk._("Lima Activa"),
         "summary": tk._("Proponga, comente y priorice en los espacios de participación "
                         "ciudadana de la MML."),
         "prefixes": ("limaactiva.",)},
        {"endpoint": "limaactiva_services.directory", "label": tk._("Servicios"),
         "title": tk._("Directorio de servicios"),
         "summary": tk._("Encuentre los servicios y trámites municipales: dónde, cuándo y "
                         "por qué canal."),
         "prefixes": ("limaactiva_services.",)},
        {"endpoint": "limahonesta_reporter.index", "label": tk._("Denuncias"),
         "title": tk._("Lima Honesta"),
         "summary": tk._("Denuncie un acto de corrupción de forma anónima y siga su caso con "
                         "un código."),
         "prefixes": ("limahonesta_reporter.",)},
    ]
    return [section for section in sections if section["endpoint"] in current_app.view_functions]


def openlima_nav_links() -> list[tuple[str, str, str]]:
    """Links to the catalogue's own pages that the main menu leaves to the footer
    (endpoint, label, endpoint prefix)."""
    from flask import current_app

    wanted = [("organization.index", tk._("Oficinas"), "organization."),
              ("group.index", tk._("Grupos"), "group."),
              ("openlima.compliance_index", tk._("Cumplimiento"), "openlima.compliance"),
              ("openlima.metrics_index", tk._("Métricas"), "openlima.metrics"),
              ("home.about", tk._("Acerca de Open Lima"), "home.about")]
    return [entry for entry in wanted if entry[0] in current_app.view_functions]


def openlima_portal_rule(key: str) -> dict[str, Any]:
    """How to label a value the portal sets and the plan does not state (guideline
    checks and points, deadlines, indicators, contacts...): "Regla del portal (valor de
    ejemplo)" until the MML adopts it, which the operator records by listing ``key`` in
    ``ckanext.openlima.rules_set_by_mml``; then "Regla fijada por la MML"."""
    adopted = key in (tk.config.get("ckanext.openlima.rules_set_by_mml") or [])
    if adopted:
        return {"key": key, "adopted": True, "label": tk._("Regla fijada por la MML"),
                "explanation": tk._("La Municipalidad Metropolitana de Lima fijó este valor.")}
    return {"key": key, "adopted": False, "label": tk._("Regla del portal (valor de ejemplo)"),
            "explanation": tk._(
                "El plan de acción no lo establece y la MML aún no lo ha fijado: es un valor "
                "del portal, no una norma ni una política de la MML.")}


# A date typed as a date that came back as a naive midnight ("2025-04-10T00:00:00"), as
# DCAT dates without time do through some harvesters and API clients.
_NAIVE_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})T00:00(?::00(?:\.0+)?)?$")


def _calendar_day(value: Any, midnight_is_date: bool = False) -> Optional[datetime.date]:
    """The calendar day of a date-only value (``datetime.date``, ``YYYY-MM-DD``); ``None``
    for instants and anything else."""
    if isinstance(value, datetime.datetime):
        if midnight_is_date and value.tzinfo is None and value.time() == datetime.time(0):
            return value.date()
        return None
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if midnight_is_date:
        match = _NAIVE_MIDNIGHT.match(text)
        if match:
            text = match.group(1)
    try:
        moment = clock.to_lima(text)
    except (TypeError, ValueError):
        return None
    if isinstance(moment, datetime.date) and not isinstance(moment, datetime.datetime):
        return moment
    return None


def _format_day(day: datetime.date, date_format: Optional[str] = None) -> str:
    if date_format:
        return day.strftime(date_format)
    from flask_babel import format_date

    # a date, not a datetime: flask_babel does not move it to the display time zone
    return format_date(day, "long")


@tk.chained_helper
def render_datetime(next_helper, datetime_: Any, date_format: Optional[str] = None,
                    with_hours: bool = False, with_seconds: bool = False) -> str:
    """CKAN's ``render_datetime``, except that a date-only value (``2025-04-10``, a
    ``datetime.date``) is shown as that day: CKAN reads it as midnight UTC and moves it
    to ``ckan.display_timezone``, the day before in Lima. Instants are CKAN's."""
    day = _calendar_day(datetime_)
    if day is None:
        return next_helper(datetime_, date_format=date_format, with_hours=with_hours,
                           with_seconds=with_seconds)
    return _format_day(day, date_format)


def openlima_render_date(value: Any) -> str:
    """A DCAT date field (``issued``, ``modified``, a period's start and end): a date is
    shown as that day, a naive midnight too (a date that lost its type on the way); a
    real instant as its day in Lima."""
    day = _calendar_day(value, midnight_is_date=True)
    if day is None:
        try:
            day = clock.local_date(value)
        except (TypeError, ValueError):
            return ""
    return _format_day(day) if day else ""


def openlima_csp_nonce() -> str:
    """This request's script nonce, for the few inline scripts the portal keeps (csp.py)."""
    return csp.nonce()


def openlima_own_image(url: str | None, placeholder: str) -> str:
    """An office's or group's logo if the portal serves it, else ``placeholder`` (csp.py)."""
    return csp.own_image(url, placeholder)
