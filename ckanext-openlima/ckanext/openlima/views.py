"""Pages of the catalogue: compliance ("Cumplimiento"), usage metrics ("Métricas"),
the "¿Te fue útil?" rating, and the CSV/JSON files the platform publishes about itself."""
from __future__ import annotations

import io
import json

from flask import Blueprint, Response, redirect, request, session

import ckan.plugins.toolkit as tk
from openlima_common import spreadsheet

from ckanext.openlima.dcat.pod import openlima_feeds
from ckanext.openlima.logic import vocabularies
from ckanext.openlima.operations.views import operations  # /healthz, /readyz, jobs page
from ckanext.openlima.portal_search import search_portal

__all__ = ["openlima", "openlima_portal_search", "operations", "openlima_feeds"]

openlima = Blueprint("openlima", __name__)
# its own blueprint: the main menu marks "Datos" active on every ``openlima.`` page
openlima_portal_search = Blueprint("openlima_portal_search", __name__)
RATED_SESSION_KEY = "openlima_rated"


def _context() -> dict:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


def _public() -> dict:
    return {"user": "", "ignore_auth": False}


def compliance_index():
    summary = tk.get_action("openlima_compliance_summary")(_context(), {})
    return tk.render("openlima/compliance.html", {"summary": summary})


def compliance_office(name: str):
    try:
        summary = tk.get_action("openlima_compliance_summary")(
            _context(), {"organization": name, "include_private": tk.current_user.is_authenticated})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Oficina no encontrada"))
    return tk.render("openlima/compliance_office.html", {"summary": summary, "office": summary["offices"][0]
                     if summary["offices"] else {"name": name, "title": name, "datasets": 0}})


def compliance_dataset(id: str):
    try:
        compliance = tk.get_action("openlima_compliance_show")(_context(), {"id": id})
        dataset = tk.get_action("package_show")(_context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Conjunto de datos no encontrado"))
    return tk.render("openlima/compliance_dataset.html", {"compliance": compliance, "pkg_dict": dataset})


def _table_response(rows: list[dict], columns: list[str], fmt: str, filename: str) -> Response:
    if fmt == "json":
        return Response(json.dumps(rows, ensure_ascii=False, indent=1), mimetype="application/json")
    out = io.StringIO()
    writer = spreadsheet.dict_writer(out, columns)
    writer.writeheader()
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'inline; filename="{filename}.csv"'})


def compliance_export(fmt: str):
    summary = tk.get_action("openlima_compliance_summary")(_public(), {})
    rows = []
    for office in summary["offices"]:
        detail = tk.get_action("openlima_compliance_summary")(_public(), {"organization": office["name"]})
        for dataset in detail.get("datasets", []):
            rows.append({"oficina": office["title"], "conjunto_de_datos": dataset["name"],
                         "puntaje": dataset["score"], "cumple": "sí" if dataset["compliant"] else "no",
                         "atrasado": "sí" if dataset["overdue"] else "no",
                         "verificaciones_incumplidas": "; ".join(dataset["failed"])})
    return _table_response(rows, ["oficina", "conjunto_de_datos", "puntaje", "cumple", "atrasado",
                                  "verificaciones_incumplidas"], fmt, "cumplimiento")


def metrics_index():
    metrics = tk.get_action("openlima_metrics_show")(_context(), {})
    return tk.render("openlima/metrics.html", {"metrics": metrics})


def metrics_export(fmt: str):
    rows = []
    metrics = tk.get_action("openlima_metrics_show")(_public(), {})
    for office in metrics["offices"]:
        datasets = tk.get_action("package_search")(
            _public(), {"fq": f'+organization:"{office["name"]}"', "rows": 1000})["results"]
        for dataset in datasets:
            one = tk.get_action("openlima_metrics_show")(_public(), {"id": dataset["id"]})
            rows.append({"oficina": office["title"], "conjunto_de_datos": dataset["name"],
                         "visitas": one["views"], "descargas": one["downloads"],
                         "valoraciones": one["ratings"], "valoracion_media": one["rating_average"] or ""})
    return _table_response(rows, ["oficina", "conjunto_de_datos", "visitas", "descargas", "valoraciones",
                                  "valoracion_media"], fmt, "metricas")


def rate(id: str):
    wants_json = request.accept_mimetypes.best == "application/json"
    rated = list(session.get(RATED_SESSION_KEY, []))
    try:
        dataset = tk.get_action("package_show")(_context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Conjunto de datos no encontrado"))
    if dataset["id"] in rated:
        message, status = tk._("Ya valoró este conjunto de datos en esta sesión. ¡Gracias!"), 409
    else:
        try:
            tk.get_action("openlima_rating_create")(_context(), {"id": dataset["id"],
                                                                "rating": request.form.get("rating", "")})
        except tk.ValidationError as error:
            message = " ".join(error.error_dict.get("rating", [])) or tk._("Valoración no válida.")
            status = 429 if "Demasiadas" in message else 400
        else:
            rated.append(dataset["id"])
            session[RATED_SESSION_KEY] = rated[-200:]
            message, status = tk._("¡Gracias por su valoración!"), 200
    if wants_json:
        return Response(json.dumps({"message": message}, ensure_ascii=False), status=status,
                        mimetype="application/json")
    (tk.h.flash_success if status == 200 else tk.h.flash_error)(message)
    return tk.redirect_to("dataset.read", id=dataset["name"])


def district(code: str):
    """The district URIs DCAT publishes (``dct:spatial <site>/ubigeo/<code>``) resolve: a
    303 to the district's page, the static site's when it is configured
    (``ckanext.openlima.site_url``), else the catalogue filtered by the district."""
    row = vocabularies.district(code)
    if not row or row["ubigeo"] != code:
        return tk.abort(404, tk._("Distrito no encontrado"))
    site = (tk.config.get("ckanext.openlima.site_url") or "").rstrip("/")
    if site:
        return redirect(f"{site}/distritos/{row['ubigeo']}/", code=303)
    return redirect(tk.h.url_for("dataset.search", distrito=row["name"]), code=303)


def portal_search():
    """``/buscar?q=``: datasets, services, participation spaces and commitments at once."""
    return tk.render("openlima/portal_search.html",
                     {"search": search_portal(request.args.get("q", type=str))})


openlima_portal_search.add_url_rule("/buscar", view_func=portal_search, strict_slashes=False)
openlima.add_url_rule("/ubigeo/<code>", view_func=district)
openlima.add_url_rule("/cumplimiento", view_func=compliance_index)
openlima.add_url_rule("/cumplimiento/oficina/<name>", view_func=compliance_office)
openlima.add_url_rule("/cumplimiento/cumplimiento.<any(csv, json):fmt>", view_func=compliance_export)
openlima.add_url_rule("/dataset/<id>/cumplimiento", view_func=compliance_dataset)
openlima.add_url_rule("/metricas", view_func=metrics_index)
openlima.add_url_rule("/metricas/metricas.<any(csv, json):fmt>", view_func=metrics_export)
openlima.add_url_rule("/dataset/<id>/valoracion", view_func=rate, methods=["POST"])
