"""``/datastore/dump/<id>?format=xlsx``: CKAN 2.12 dumps CSV, TSV, JSON and XML; Excel is
what most municipal staff open. The endpoint ``datastore.dump`` (not a path string) is
wrapped: ``format=xlsx`` is served here, everything else by CKAN as before.

The workbook is written row by row by XlsxWriter in constant-memory mode into a temporary
file while the rows are read from the DataStore in pages, then streamed to the client in
chunks and deleted: memory stays flat whatever the table's size. Access is CKAN's own
(``datastore_search`` for the caller; a resource they may not read is a 404, as CKAN's
dump answers). The same filters as CKAN's dump apply: ``q``, ``filters``, ``fields``,
``sort``, ``limit``, ``offset``. Excel holds 1,048,576 rows; a larger table stops there.
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Callable, Iterator

import flask

import ckan.plugins.toolkit as tk

__all__ = ["wrap_dump_endpoint"]

ENDPOINT = "datastore.dump"
PAGE = 10_000
EXCEL_MAX_ROWS = 1_048_576
CHUNK = 64 * 1024
FORMATS = ("csv", "tsv", "json", "xml")  # CKAN's DUMP_FORMATS


def _search_params(args) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key in ("q", "plain", "language", "fields", "sort"):
        if args.get(key):
            params[key] = args[key]
    if args.get("filters"):
        try:
            params["filters"] = json.loads(args["filters"])
        except ValueError:
            tk.abort(400, tk._("Filtros no válidos: se espera un objeto JSON."))
    return params


def _int_arg(args, name: str, default: int | None) -> int | None:
    value = args.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        tk.abort(400, tk._("El parámetro {name} debe ser un número entero positivo.").format(
            name=name))
    return number


def _write_workbook(path: str, resource_id: str, params: dict, offset: int,
                    limit: int | None) -> None:
    import xlsxwriter

    search = tk.get_action("datastore_search")
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False,
                                          "strings_to_urls": False})
    sheet = workbook.add_worksheet("datos")
    row_number = 0
    remaining = min(limit if limit is not None else EXCEL_MAX_ROWS, EXCEL_MAX_ROWS - 1)
    while remaining > 0:
        page = search({}, dict(params, resource_id=resource_id, records_format="lists",
                               limit=min(PAGE, remaining), offset=offset,
                               include_total=False, sort=params.get("sort") or "_id"))
        if row_number == 0:
            sheet.write_row(0, 0, [field["id"] for field in page["fields"]])
            row_number = 1
        records = page["records"]
        for record in records:
            sheet.write_row(row_number, 0, [
                value if isinstance(value, (int, float)) or value is None
                else json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list))
                else str(value)
                for value in record])
            row_number += 1
        if len(records) < min(PAGE, remaining):
            break
        offset += len(records)
        remaining -= len(records)
    workbook.close()


def _stream_file(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _xlsx_dump(resource_id: str):
    args = flask.request.args
    params = _search_params(args)
    offset = _int_arg(args, "offset", 0) or 0
    limit = _int_arg(args, "limit", None)
    try:
        tk.check_access("datastore_search", {}, {"resource_id": resource_id})
        resource = tk.get_action("resource_show")({}, {"id": resource_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return tk.abort(404, tk._("No se encontró el recurso en el DataStore."))
    descriptor, path = tempfile.mkstemp(prefix="openlima-dump-", suffix=".xlsx")
    os.close(descriptor)
    try:
        _write_workbook(path, resource_id, params, offset, limit)
    except tk.ValidationError:
        os.unlink(path)
        return tk.abort(400, tk._("Parámetros de búsqueda no válidos."))
    except BaseException:
        os.unlink(path)
        raise
    filename = (resource.get("name") or resource_id).replace('"', "")[:100]
    response = flask.Response(
        flask.stream_with_context(_stream_file(path)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    response.headers["Content-Length"] = str(os.path.getsize(path))
    return response


def wrap_dump_endpoint(app: flask.Flask) -> None:
    original: Callable | None = app.view_functions.get(ENDPOINT)
    if original is None:  # the datastore plugin is off
        return

    def dump(resource_id: str):
        requested = flask.request.args.get("format")
        if requested == "xlsx":
            return _xlsx_dump(resource_id)
        # CKAN's schema checks the format with a message that fails to format (a 500)
        if requested not in (None, "", *FORMATS):
            return tk.abort(400, tk._("Formato no disponible: use {formats}.").format(
                formats=", ".join((*FORMATS, "xlsx"))))
        return original(resource_id)

    app.view_functions[ENDPOINT] = dump
