"""Actions of the catalogue: compliance with the MML guidelines and usage metrics."""
from __future__ import annotations

import logging
from typing import Any

from redis import RedisError

import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.openlima.logic import schema
from ckanext.openlima.metrics import usage
from ckanext.openlima.operations.logic import openlima_schedule_show  # periodic jobs page
from ckanext.openlima.quality import linkcheck, summary

log = logging.getLogger(__name__)

__all__ = [
    "openlima_compliance_show",
    "openlima_compliance_summary",
    "openlima_compliance_publish",
    "openlima_links_check",
    "openlima_metrics_show",
    "openlima_metrics_publish",
    "openlima_rating_create",
    "openlima_schedule_show",
]

COMPLIANCE_DATASET = "cumplimiento-de-lineamientos-de-datos-abiertos"
METRICS_DATASET = "metricas-de-uso-del-portal-de-datos-abiertos"
OWN_DATASETS = (COMPLIANCE_DATASET, METRICS_DATASET)


def _validate(data_dict: dict, action_schema: dict, context: dict) -> dict:
    data, errors = tk.navl_validate(data_dict, action_schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _public_context() -> dict:
    # What an anonymous visitor sees: used for everything published openly.
    return {"user": "", "ignore_auth": False}


def _check_dataset_access(action: str, context: dict, data: dict) -> None:
    """The auth of actions whose only rule is reading the dataset: a dataset the caller
    may not read answers as one that does not exist (#12 §1)."""
    try:
        tk.check_access(action, context, data)
    except tk.NotAuthorized:
        raise tk.ObjectNotFound() from None


@tk.side_effect_free
def openlima_compliance_show(context, data_dict):
    """Compliance of one dataset with the MML publication guidelines.

    :param id: the dataset's id or name
    :returns: ``score`` (0–100), ``compliant``, ``overdue``, ``freshness``, the score per
        ``dimensions`` and the itemised ``checks`` (each with ``passed``, ``weight``,
        ``title`` and a Spanish ``explanation``)
    """
    data = _validate(data_dict, schema.compliance_show(), context)
    _check_dataset_access("openlima_compliance_show", context, data)
    dataset = tk.get_action("package_show")(dict(context), {"id": data["id"]})
    return summary.dataset_compliance(dataset)


@tk.side_effect_free
def openlima_compliance_summary(context, data_dict):
    """Compliance per office and city-wide: share of compliant datasets, overdue datasets,
    the checks most often failed and the ranking of offices.

    :param organization: an office (name or id) to summarise alone, with its datasets
    :param include_private: count the private datasets the caller may see (default False)
    :returns: ``totals``, ``overdue``, ``most_failed``, ``offices`` (ranked) and, for one
        office, ``datasets``
    """
    data = _validate(data_dict, schema.compliance_summary(), context)
    tk.check_access("openlima_compliance_summary", context, data)
    organization = data.get("organization")
    if organization:
        org = tk.get_action("organization_show")(dict(context), {"id": organization, "include_datasets": False})
        organization = org["name"]
    # Private datasets only as the caller's own permissions allow, never via ignore_auth.
    search_context = ({"user": context.get("user") or "", "ignore_auth": False}
                      if data.get("include_private") else _public_context())
    return summary.summarise(search_context, organization, bool(data.get("include_private")))


def openlima_links_check(context, data_dict):
    """Check that a dataset's resources answer (in the background by default).

    :param id: the dataset's id or name
    :param background: enqueue a CKAN job (default) or check now and return the results
    :returns: ``{"queued": True}`` or ``{"results": [...]}``
    """
    data = _validate(data_dict, schema.links_check(), context)
    tk.check_access("openlima_links_check", context, data)
    dataset = tk.get_action("package_show")(dict(context), {"id": data["id"]})
    if data.get("background", True):
        linkcheck.enqueue_dataset_check(dataset["id"])
        return {"queued": True}
    return {"results": linkcheck.check_dataset_links(dataset["id"])}


def _own_dataset(name: str, title: str, notes: str, base_path: str, theme: str,
                 columns: list[tuple[str, str, str]]) -> dict[str, Any]:
    organization = tk.config.get("ckanext.openlima.own_data_organization")
    site = tk.config.get("ckan.site_url").rstrip("/")
    today = clock.today().isoformat()
    return {
        "name": name,
        "title": title,
        "notes": notes,
        "owner_org": organization,
        "tag_string": "datos abiertos,transparencia,Open Lima",
        "theme": [f"http://publications.europa.eu/resource/authority/data-theme/{theme}"],
        "frequency": "http://publications.europa.eu/resource/authority/frequency/DAILY",
        "spatial_ubigeo": ["1501"],
        "license_id": "cc-by",
        "contact": [{"name": "Open Lima", "email": tk.config.get("ckanext.openlima.own_data_contact_email")}],
        "modified": today,
        "data_dictionary": [{"column": c, "type": t, "description": d} for c, t, d in columns],
        "resources": [
            {"name": f"{title} (CSV)", "url": f"{site}{base_path}.csv", "format": "CSV"},
            {"name": f"{title} (JSON)", "url": f"{site}{base_path}.json", "format": "JSON"},
        ],
    }


def _publish(context: dict, dataset: dict) -> dict:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    publish_context = {"user": site_user["name"], "ignore_auth": True}
    try:
        tk.get_action("organization_show")(dict(publish_context), {"id": dataset["owner_org"], "include_datasets": False})
    except tk.ObjectNotFound:
        raise tk.ValidationError({"owner_org": [
            tk._("No existe la organización «{org}» que publica los datos propios del portal "
                 "(ckanext.openlima.own_data_organization).").format(org=dataset["owner_org"])]})
    try:
        existing = tk.get_action("package_show")(dict(publish_context), {"id": dataset["name"]})
    except tk.ObjectNotFound:
        return tk.get_action("package_create")(dict(publish_context), dataset)
    by_url = {r["url"]: r["id"] for r in existing.get("resources", [])}
    for resource in dataset["resources"]:
        if resource["url"] in by_url:
            resource["id"] = by_url[resource["url"]]
    return tk.get_action("package_update")(dict(publish_context), {"id": existing["id"], **dataset})


def openlima_compliance_publish(context, data_dict):
    """Create or refresh the CKAN dataset that publishes the compliance of every office.

    :returns: the dataset
    """
    tk.check_access("openlima_compliance_publish", context, data_dict)
    dataset = _own_dataset(
        COMPLIANCE_DATASET,
        "Cumplimiento de los lineamientos de datos abiertos por oficina",
        "Puntaje de cumplimiento (0 a 100) de cada conjunto de datos público del portal con los "
        "lineamientos de publicación de la MML, y por oficina: conjuntos que cumplen, "
        "atrasados según su frecuencia y verificaciones más incumplidas. Se actualiza con cada cambio.",
        "/cumplimiento/cumplimiento", "GOVE",
        [("oficina", "texto", "Nombre de la oficina (gerencia o subgerencia)"),
         ("conjunto_de_datos", "texto", "Nombre del conjunto de datos"),
         ("puntaje", "entero", "Puntaje de cumplimiento de 0 a 100"),
         ("cumple", "booleano", "Si cumple los lineamientos"),
         ("atrasado", "booleano", "Si está atrasado según su frecuencia"),
         ("verificaciones_incumplidas", "texto", "Verificaciones que no pasa")],
    )
    return _publish(context, dataset)


@tk.side_effect_free
def openlima_metrics_show(context, data_dict):
    """Usage metrics of the public catalogue: published, consulted, downloads, rating.

    :param id: a dataset (id or name) to report alone
    :param organization: an office (id or name) to report alone
    :returns: ``published``, ``views``, ``downloads``, ``ratings``, ``rating_average``, and
        for the city-wide call ``offices`` and ``most_viewed``
    """
    data = _validate(data_dict, schema.metrics_show(), context)
    tk.check_access("openlima_metrics_show", context, data)
    try:
        usage.flush()
    except (RedisError, OSError) as error:
        # Redis down or hung: the totals already in PostgreSQL, without today's latest
        # counts (they stay in Redis for the next flush), rather than an error page
        log.warning("openlima: Redis no responde (%s); métricas sin los últimos conteos",
                    type(error).__name__)
    public = _public_context()
    if data.get("id"):
        dataset = tk.get_action("package_show")(dict(public), {"id": data["id"]})
        datasets = [dataset]
    else:
        organization = None
        if data.get("organization"):
            organization = tk.get_action("organization_show")(
                dict(public), {"id": data["organization"], "include_datasets": False})["name"]
        datasets = list(summary.datasets(public, organization))
    ids = [d["id"] for d in datasets]
    counts = usage.usage_totals(ids)
    ratings = usage.rating_totals(ids)

    def totals(rows: list[dict]) -> dict[str, Any]:
        views = sum(counts.get(d["id"], {}).get("views", 0) for d in rows)
        downloads = sum(counts.get(d["id"], {}).get("downloads", 0) for d in rows)
        rated = sum(ratings.get(d["id"], {}).get("ratings", 0) for d in rows)
        rating_sum = sum(ratings.get(d["id"], {}).get("rating_sum", 0) for d in rows)
        return {"published": len(rows), "views": views, "downloads": downloads, "ratings": rated,
                "rating_average": round(rating_sum / rated, 2) if rated else None}

    result = totals(datasets)
    if data.get("id"):
        result.update({"id": datasets[0]["id"], "name": datasets[0]["name"]})
        return result
    offices: dict[str, list[dict]] = {}
    titles: dict[str, str] = {}
    for dataset in datasets:
        org = dataset.get("organization") or {}
        offices.setdefault(org.get("name", ""), []).append(dataset)
        titles[org.get("name", "")] = org.get("title") or org.get("name", "")
    result["offices"] = sorted(
        ({"name": name, "title": titles[name], **totals(rows)} for name, rows in offices.items()),
        key=lambda o: (-o["views"], o["title"]))
    result["most_viewed"] = [
        {"name": d["name"], "title": d["title"], **counts.get(d["id"], {"views": 0, "downloads": 0})}
        for d in sorted(datasets, key=lambda d: (-counts.get(d["id"], {}).get("views", 0), d["name"]))[:10]
    ]
    return result


def openlima_metrics_publish(context, data_dict):
    """Create or refresh the CKAN dataset that publishes the usage metrics.

    :returns: the dataset
    """
    tk.check_access("openlima_metrics_publish", context, data_dict)
    dataset = _own_dataset(
        METRICS_DATASET,
        "Métricas de uso del portal de datos abiertos",
        "Conjuntos de datos publicados, visitas a sus páginas, descargas de sus recursos y la "
        "valoración «¿Te fue útil?» (1 a 5), por conjunto de datos y por oficina. Sin datos personales: "
        "solo conteos diarios agregados.",
        "/metricas/metricas", "GOVE",
        [("oficina", "texto", "Nombre de la oficina"),
         ("conjunto_de_datos", "texto", "Nombre del conjunto de datos"),
         ("visitas", "entero", "Visitas a la página del conjunto de datos"),
         ("descargas", "entero", "Descargas de sus recursos"),
         ("valoraciones", "entero", "Número de valoraciones"),
         ("valoracion_media", "decimal", "Valoración media de 1 a 5")],
    )
    return _publish(context, dataset)


def openlima_rating_create(context, data_dict):
    """Rate a dataset 1–5 ("¿Te fue útil?"). Only an aggregate per day is kept.

    :param id: the dataset's id or name
    :param rating: 1 to 5
    :returns: ``{"ratings": n, "rating_average": x}`` of the dataset
    """
    data = _validate(data_dict, schema.rating_create(), context)
    if not 1 <= int(data["rating"]) <= 5:
        raise tk.ValidationError({"rating": [tk._("La valoración debe ser un número del 1 al 5.")]})
    _check_dataset_access("openlima_rating_create", context, data)
    dataset = tk.get_action("package_show")(dict(context), {"id": data["id"]})
    if dataset.get("private"):
        raise tk.ObjectNotFound(tk._("Conjunto de datos no encontrado"))
    try:
        usage.rate(dataset["id"], int(data["rating"]))
    except usage.RatingLimited:
        raise tk.ValidationError({"rating": [tk._("Demasiadas valoraciones en poco tiempo; inténtelo en un minuto.")]})
    totals = usage.rating_totals([dataset["id"]]).get(dataset["id"], {"ratings": 0, "rating_sum": 0})
    return {"ratings": totals["ratings"],
            "rating_average": round(totals["rating_sum"] / totals["ratings"], 2) if totals["ratings"] else None}
