"""The monthly statistics published as a public CKAN dataset (issue 7, "Statistics").

The figures are exactly those of ``limahonesta_statistics`` (``monthly``: received and
attended per month and channel, counts from 1 to ``min_cell - 1`` suppressed there), so
this module adds no aggregation and no suppression of its own: it only writes that
table as CSV. The same CSV text is served live at ``/denuncias/estadisticas.csv``.

``publish()`` creates or updates one dataset (``ckanext.limahonesta.statistics_dataset``)
of the Integrity Unit organisation with two resources: an uploaded CSV snapshot (the
monthly publication, replaced on each run) and a link to the live CSV. Running it
again updates the same dataset and resources; it never adds duplicates.
"""
from __future__ import annotations

import datetime
import io
from typing import Any

from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk
from openlima_common import clock, spreadsheet

__all__ = ["CSV_HEADER", "statistics_csv", "dataset_name", "integrity_organization", "publish",
           "site_context"]

CSV_HEADER = ("mes", "canal", "recibidas", "atendidas")
SNAPSHOT_FILENAME = "denuncias-lima-honesta-estadisticas-mensuales.csv"
SNAPSHOT_NAME = "Estadísticas mensuales de denuncias (CSV, corte mensual)"
LIVE_NAME = "Estadísticas mensuales de denuncias (CSV, actualizado al momento)"


def statistics_csv(stats: dict[str, Any]) -> str:
    """The ``monthly`` table of ``limahonesta_statistics`` as CSV (suppressed cells empty)."""
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    writer.writerow(CSV_HEADER)
    for row in stats["monthly"]:
        writer.writerow([row["month"], row["channel"],
                         "" if row["received"] is None else row["received"],
                         "" if row["attended"] is None else row["attended"]])
    return out.getvalue()


def dataset_name() -> str:
    return tk.config.get("ckanext.limahonesta.statistics_dataset")


def site_context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    return {"ignore_auth": True, "user": site_user}


def integrity_organization(context: dict[str, Any]) -> dict[str, Any]:
    """The Integrity Unit organisation, created (empty, no members) if missing."""
    name = tk.config.get("ckanext.limahonesta.integrity_org")
    try:
        return tk.get_action("organization_show")(
            dict(context), {"id": name, "include_datasets": False})
    except tk.ObjectNotFound:
        return tk.get_action("organization_create")(dict(context), {
            "name": name,
            "title": "Unidad de Integridad Institucional",
            "description": "Unidad de Integridad Institucional de la Municipalidad "
                           "Metropolitana de Lima (Lima Honesta).",
        })


def _dataset_dict(owner_org: str, stats: dict[str, Any], today: datetime.date) -> dict[str, Any]:
    months = sorted({row["month"] for row in stats["monthly"]})
    min_cell = stats["min_cell"]
    notes = (
        "Estadísticas mensuales de Lima Honesta, la plataforma de denuncias anónimas de "
        "actos de corrupción de la Municipalidad Metropolitana de Lima: denuncias "
        "recibidas y atendidas (cerradas con una decisión) por mes y canal (web, correo, "
        "teléfono, presencial). Se excluyen las denuncias calificadas como spam. "
        f"Para proteger a los denunciantes, toda cifra entre 1 y {min_cell - 1} se omite "
        "(celda vacía). Solo contiene cifras agregadas: ningún texto de denuncia, nombre "
        "ni dato de los denunciantes. "
        f"Corte: {today.isoformat()}. Columnas: {', '.join(CSV_HEADER)}."
    )
    dataset: dict[str, Any] = {
        "name": dataset_name(),
        "title": "Denuncias de Lima Honesta: estadísticas mensuales",
        "notes": notes,
        "owner_org": owner_org,
        "private": False,
        "tag_string": "denuncias,integridad,anticorrupción,Lima Honesta,rendición de cuentas",
        "license_id": "cc-by",
        "language": ["http://publications.europa.eu/resource/authority/language/SPA"],
        "theme": ["http://publications.europa.eu/resource/authority/data-theme/GOVE"],
        "frequency": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
        "spatial_ubigeo": ["1501"],  # Lima Metropolitana
        "access_rights": "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
        "modified": today.isoformat(),
        "url": (tk.config.get("ckan.site_url") or "").rstrip("/") + "/denuncias",
        "contact": [{"name": "Unidad de Integridad Institucional",
                     "email": tk.config.get("ckanext.limahonesta.statistics_contact_email")}],
        "publisher": [{"name": "Municipalidad Metropolitana de Lima"}],
    }
    if months:
        dataset["temporal_coverage"] = [{"start": months[0] + "-01", "end": today.isoformat()}]
    return dataset


def _upload(text: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(text.encode("utf-8")), filename=SNAPSHOT_FILENAME,
                       content_type="text/csv")


def publish() -> dict[str, Any]:
    """Create or update the statistics dataset; returns the dataset as ``package_show``."""
    context = site_context()
    stats = tk.get_action("limahonesta_statistics")(dict(context), {})
    text = statistics_csv(stats)
    today = clock.today()
    organization = integrity_organization(context)
    dataset = _dataset_dict(organization["id"], stats, today)
    live_url = (tk.config.get("ckan.site_url") or "").rstrip("/") + "/denuncias/estadisticas.csv"
    snapshot = {
        "name": SNAPSHOT_NAME,
        "description": f"Corte al {today.isoformat()}. Columnas: {', '.join(CSV_HEADER)}; "
                       f"cifras de 1 a {stats['min_cell'] - 1} omitidas (celda vacía).",
        "format": "CSV",
        "mimetype": "text/csv",
        "url": SNAPSHOT_FILENAME,
    }
    live = {
        "name": LIVE_NAME,
        "description": "Las mismas cifras calculadas en el momento de la descarga.",
        "format": "CSV",
        "mimetype": "text/csv",
        "url": live_url,
    }
    try:
        existing = tk.get_action("package_show")(dict(context), {"id": dataset["name"]})
    except tk.ObjectNotFound:
        existing = None
    if existing is None:
        created = tk.get_action("package_create")(dict(context), dict(dataset, resources=[live]))
        package_id = created["id"]
        resources: list[dict[str, Any]] = created.get("resources", [])
    else:
        package_id = existing["id"]
        if existing.get("state") == "deleted":
            dataset["state"] = "active"
        updated = tk.get_action("package_patch")(dict(context), dict(dataset, id=package_id))
        resources = updated.get("resources", [])
    by_name = {r.get("name"): r for r in resources}
    if SNAPSHOT_NAME in by_name:
        tk.get_action("resource_update")(dict(context), dict(
            snapshot, id=by_name[SNAPSHOT_NAME]["id"], package_id=package_id, upload=_upload(text)))
    else:
        tk.get_action("resource_create")(dict(context), dict(
            snapshot, package_id=package_id, upload=_upload(text)))
    if LIVE_NAME in by_name:
        if by_name[LIVE_NAME].get("url") != live_url:
            tk.get_action("resource_patch")(dict(context), {"id": by_name[LIVE_NAME]["id"],
                                                           "url": live_url})
    else:
        tk.get_action("resource_create")(dict(context), dict(live, package_id=package_id))
    return tk.get_action("package_show")(dict(context), {"id": package_id})
