"""End to end, over HTTP, with a real ``ckan jobs worker``: Spanish files as offices really
publish them are loaded with sensible types; every kind of bad input gets its clear
Spanish status, keeps its download and does not stop the worker; the row API answers;
private datasets' rows stay private on every path."""
from __future__ import annotations

import http.server
import io
import json
import socket
import threading
import time
import urllib.parse

import pytest

pytestmark = [pytest.mark.usefixtures("with_plugins")]

SPANISH_CSV = (
    "distrito;año;monto;fecha;señal;ubigeo\r\n"
    "Breña;2025;1.234,50;03/01/2025;sí;150105\r\n"
    "Jesús María;2024;12,5;28/02/2024;no;150113\r\n"
    "Ate;2023;7;15/12/2023;sí;150103\r\n"
).encode("cp1252")
BOM_CSV = "\ufeffcodigo,nombre,poblacion\r\n001,Lince,54711\r\n002,Surquillo,93271\r\n".encode()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _xlsx_two_sheets() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    first.title = "Ejecución"
    first.append(["rubro", "monto"])
    first.append(["Obras", 1500.5])
    first.append(["Limpieza", 320])
    second = workbook.create_sheet("Notas")
    second.append(["nota"])
    second.append(["Cifras de demostración"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _InternalServer:
    """A real server on 127.0.0.1 standing for the city's network: it must never be hit."""

    def __init__(self):
        self.hits: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(self.path)
                body = b"a,b\n1,2\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                return None

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def loaded(live_portal):
    """One public and one private dataset, every kind of file, all loads finished."""
    portal = live_portal
    status, body = portal.action("organization_create", name="gerencia-de-pruebas",
                                 title="Gerencia de pruebas")
    assert status == 200, body
    org = body["result"]["id"]
    datasets = {}
    for name, private in (("datos-publicos", False), ("datos-privados", True)):
        status, body = portal.action("package_create", name=name, title=name,
                                     owner_org=org, private=private,
                                     notes="Datos de prueba")
        assert status == 200, body
        datasets[name] = body["result"]["id"]
    internal = _InternalServer()
    public = datasets["datos-publicos"]
    resources = {
        "espanol": portal.upload(public, "Montos por distrito", "montos.csv", SPANISH_CSV,
                                 "CSV"),
        "bom": portal.upload(public, "Distritos", "distritos.csv", BOM_CSV, "CSV"),
        "xlsx": portal.upload(public, "Ejecución", "ejecucion.xlsx", _xlsx_two_sheets(),
                              "XLSX"),
        "vacio": portal.upload(public, "Vacío", "vacio.csv", b"", "CSV"),
        "png": portal.upload(public, "No es CSV", "imagen.csv", PNG, "CSV"),
        "grande": portal.upload(public, "Grande", "grande.csv",
                                b"n;texto\n" + b"1;" + b"x" * 400_000 + b"\n", "CSV"),
        "privada": portal.action(
            "resource_create", package_id=public, name="Red interna", format="CSV",
            url=f"http://127.0.0.1:{internal.port}/datos.csv")[1]["result"],
        "caido": portal.action(
            "resource_create", package_id=public, name="Servidor caído", format="CSV",
            url=f"http://localhost:{_closed_port()}/datos.csv")[1]["result"],
        "oculto": portal.upload(datasets["datos-privados"], "Filas privadas", "privado.csv",
                                "clave,valor\nsecreto,42\n".encode(), "CSV"),
    }
    states = portal.wait_for_loads([resource["id"] for resource in resources.values()])
    yield portal, resources, {key: states[r["id"]] for key, r in resources.items()}, internal
    internal.httpd.shutdown()


def _search(portal, auth=True, **params):
    query = urllib.parse.urlencode(
        {key: json.dumps(value) if isinstance(value, (dict, list)) else value
         for key, value in params.items()})
    status, body, _ = portal.request("GET", f"/api/3/action/datastore_search?{query}",
                                     auth=auth)
    return status, json.loads(body)


def test_good_files_load_and_bad_ones_fail_without_stopping_the_worker(loaded):
    _portal, _resources, states, internal = loaded
    assert states == {"espanol": "complete", "bom": "complete", "xlsx": "complete",
                      "oculto": "complete", "vacio": "error", "png": "error",
                      "grande": "error", "privada": "error", "caido": "error"}
    # the loader never asked the city's network
    assert internal.hits == []


def test_spanish_csv_gets_its_accents_and_types(loaded):
    portal, resources, _states, _internal = loaded
    status, body = _search(portal, resource_id=resources["espanol"]["id"], sort="monto desc")
    assert status == 200, body
    result = body["result"]
    types = {field["id"]: field["type"] for field in result["fields"]}
    assert types == {"_id": "int", "distrito": "text", "año": "int8", "monto": "numeric",
                     "fecha": "date", "señal": "text", "ubigeo": "text"}
    assert [(r["distrito"], r["monto"], r["fecha"][:10]) for r in result["records"]] == [
        ("Breña", 1234.5, "2025-01-03"), ("Jesús María", 12.5, "2024-02-28"),
        ("Ate", 7, "2023-12-15")]
    assert result["total"] == 3


def test_utf8_bom_and_codes_with_leading_zeros(loaded):
    portal, resources, _states, _internal = loaded
    status, body = _search(portal, resource_id=resources["bom"]["id"])
    fields = {field["id"]: field["type"] for field in body["result"]["fields"]}
    assert fields == {"_id": "int", "codigo": "text", "nombre": "text", "poblacion": "int8"}
    assert [r["codigo"] for r in body["result"]["records"]] == ["001", "002"]


def test_the_first_sheet_of_a_workbook_is_loaded(loaded):
    portal, resources, _states, _internal = loaded
    status, body = _search(portal, resource_id=resources["xlsx"]["id"])
    assert status == 200
    assert [r["rubro"] for r in body["result"]["records"]] == ["Obras", "Limpieza"]


def test_row_api_filters_spanish_q_sort_fields_paging_and_total(loaded):
    portal, resources, _states, _internal = loaded
    resource_id = resources["espanol"]["id"]
    # full text in Spanish, accents folded: "brena" finds "Breña", "jesus" "Jesús"
    for q, expected in (("brena", ["Breña"]), ("jesus maria", ["Jesús María"])):
        status, body = _search(portal, resource_id=resource_id, q=q)
        assert [r["distrito"] for r in body["result"]["records"]] == expected
    status, body = _search(portal, resource_id=resource_id, filters={"señal": "sí"},
                           fields="distrito", sort="distrito", limit=1, offset=1)
    assert body["result"]["records"] == [{"distrito": "Breña"}]
    assert body["result"]["total"] == 2


def test_a_loaded_table_keeps_its_indexes_statistics_and_full_text_trigger(loaded):
    """The loader's last steps stay done: rows added later through the API are found by
    ``q``; ``q``, filters and sort have indexes; the planner has statistics."""
    import sqlalchemy as sa

    import ckan.plugins.toolkit as tk

    portal, resources, _states, _internal = loaded
    resource = portal.upload(
        resources["espanol"]["package_id"], "Licencias", "licencias.csv",
        "distrito;tramite;monto\nBreña;licencia de funcionamiento;12,5\n"
        "Ate;obra menor;7\n".encode(), "CSV")
    assert portal.wait_for_loads([resource["id"]]) == {resource["id"]: "complete"}
    status, body = _search(portal, resource_id=resource["id"], q="funcionamiento")
    assert [r["distrito"] for r in body["result"]["records"]] == ["Breña"]
    status, body = portal.action("datastore_upsert", resource_id=resource["id"],
                                 method="insert", force=True, records=[
                                     {"distrito": "Rímac", "tramite": "anuncio publicitario",
                                      "monto": 3}])
    assert status == 200, body
    status, body = _search(portal, resource_id=resource["id"], q="publicitario")
    assert [r["distrito"] for r in body["result"]["records"]] == ["Rímac"]

    engine = sa.create_engine(tk.config["ckan.datastore.write_url"])
    try:
        with engine.connect() as connection:
            definitions = connection.execute(
                sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = :table"),
                {"table": resource["id"]}).scalars().all()
            statistics = connection.execute(
                sa.text("SELECT attname FROM pg_stats WHERE tablename = :table"),
                {"table": resource["id"]}).scalars().all()
    finally:
        engine.dispose()
    assert any("USING gin (_full_text)" in definition for definition in definitions), (
        definitions)
    for column in ("distrito", "tramite", "monto"):
        assert any(f"USING btree ({column})" in definition for definition in definitions)
    assert {"distrito", "tramite", "monto"} <= set(statistics)


@pytest.mark.parametrize("key, reason", [
    ("vacio", "no se pudo leer como una tabla"),
    ("png", "no se pudo leer como una tabla"),
    ("grande", "supera el tamaño máximo"),
    ("privada", "red privada o local"),
    ("caido", "no se pudo conectar"),
])
def test_each_failure_has_a_clear_spanish_status_and_the_file_stays(loaded, key, reason):
    portal, resources, _states, _internal = loaded
    resource = resources[key]
    status, page, _ = portal.request(
        "GET", f"/dataset/{resource['package_id']}/resource/{resource['id']}", auth=False)
    text = page.decode()
    assert status == 200
    assert "No se pudo cargar: " in text and reason in text
    assert "Traceback" not in text and "psycopg" not in text and "tabulator" not in text
    status, body = portal.action("resource_show", auth=False, id=resource["id"])
    assert body["result"].get("datastore_active") is False
    if resource.get("url_type") == "upload":
        status, content, _ = portal.request("GET", urllib.parse.urlsplit(resource["url"]).path,
                                            auth=False)
        assert status == 200


def test_private_rows_stay_private_on_every_path(loaded):
    portal, resources, _states, _internal = loaded
    hidden = resources["oculto"]["id"]
    public = resources["espanol"]["id"]
    # the owner sees them
    status, body = _search(portal, resource_id=hidden)
    assert status == 200 and body["result"]["records"][0]["valor"] in ("42", 42)
    # anyone else does not: search, SQL, SQL joined with a public table or the table list,
    # dumps in every format
    status, body = _search(portal, auth=False, resource_id=hidden)
    assert status == 404 and hidden not in json.dumps(body)  # as a missing table, no echo
    # the list of DataStore tables names private resources too: sysadmins only
    status, body = _search(portal, auth=False, resource_id="_table_metadata")
    assert status == 403 and hidden not in json.dumps(body)
    status, body = _search(portal, resource_id="_table_metadata", limit=1000)
    assert status == 200 and hidden in json.dumps(body)
    for sql in (f'SELECT * FROM "{hidden}"',
                f'SELECT p.distrito, h.valor FROM "{public}" p, "{hidden}" h',
                f'SELECT * FROM "{public}" WHERE distrito IN (SELECT clave FROM "{hidden}")',
                f'SELECT t.name, h.valor FROM "_table_metadata" t JOIN "{hidden}" h ON true',
                'SELECT name FROM "_table_metadata"'):
        status, body, _ = portal.request(
            "GET", "/api/3/action/datastore_search_sql?" + urllib.parse.urlencode({"sql": sql}),
            auth=False)
        # 403 for a table the caller may not read; 404 for the table list, which is no
        # resource at all
        assert status in (403, 404), (sql, body[:300])
        assert b"secreto" not in body and hidden.encode() not in body
    for fmt in ("csv", "tsv", "json", "xlsx"):
        status, body, _ = portal.request("GET", f"/datastore/dump/{hidden}?format={fmt}",
                                         auth=False)
        assert status in (403, 404) and b"secreto" not in body


def test_sql_endpoint_reads_public_rows_and_refuses_writes_without_database_text(loaded):
    portal, resources, _states, _internal = loaded
    public = resources["espanol"]["id"]
    status, body, _ = portal.request("GET", "/api/3/action/datastore_search_sql?" + urllib.parse.urlencode(
        {"sql": f'SELECT distrito FROM "{public}" ORDER BY monto DESC LIMIT 1'}), auth=False)
    assert status == 200 and json.loads(body)["result"]["records"] == [{"distrito": "Breña"}]
    for sql in (f'DELETE FROM "{public}"', f'SELECT * FROM "{public}"; DROP TABLE "{public}"',
                "SELECT * FROM no_existe"):
        status, body, _ = portal.request(
            "GET", "/api/3/action/datastore_search_sql?" + urllib.parse.urlencode({"sql": sql}),
            auth=False)
        assert status in (400, 403, 404, 409), (sql, body[:300])
        text = body.decode()
        assert "psycopg" not in text and "LINE 1" not in text and "relation" not in text
    status, body = _search(portal, resource_id=public)
    assert body["result"]["total"] == 3  # nothing was deleted


def test_dumps_stream_every_format(loaded):
    portal, resources, _states, _internal = loaded
    public = resources["espanol"]["id"]
    status, body, headers = portal.request("GET", f"/datastore/dump/{public}?format=csv",
                                           auth=False)
    assert status == 200 and "Breña" in body.decode("utf-8-sig")
    status, body, headers = portal.request("GET", f"/datastore/dump/{public}?format=tsv",
                                           auth=False)
    assert status == 200 and "Jesús María\t" in body.decode("utf-8-sig")
    status, body, headers = portal.request("GET", f"/datastore/dump/{public}?format=json",
                                           auth=False)
    assert status == 200 and "Breña" in body.decode()
    status, body, headers = portal.request("GET", f"/datastore/dump/{public}?format=xlsx",
                                           auth=False)
    assert status == 200 and body[:2] == b"PK"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("_id", "distrito", "año")
    assert rows[1][1] == "Breña"


def test_loaded_resources_get_a_table_preview(loaded):
    portal, resources, _states, _internal = loaded
    status, body = portal.action("resource_view_list", auth=False,
                                 id=resources["espanol"]["id"])
    assert "datatables_view" in [view["view_type"] for view in body["result"]]
    resource = resources["espanol"]
    status, page, _ = portal.request(
        "GET", f"/dataset/{resource['package_id']}/resource/{resource['id']}", auth=False)
    assert "Datos cargados" in page.decode()


class _SlowServer:
    """Serves a CSV on 'localhost' (an allowed intranet host in the live ini). The first
    download stops half-way until ``release`` is set: the worker is killed meanwhile."""

    def __init__(self, body: bytes):
        self.started = threading.Event()
        self.release = threading.Event()
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.requests == 1:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    outer.started.set()
                    outer.release.wait(120)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                return None

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_a_worker_killed_mid_load_leaves_a_resource_that_loads_again(live_portal, loaded):
    portal = live_portal
    rows = "".join(f"{i};Distrito {i % 43};{i},5\n" for i in range(5000))
    body = ("n;distrito;valor\n" + rows).encode()
    server = _SlowServer(body)
    dataset = loaded[1]["espanol"]["package_id"]
    status, created = portal.action(
        "resource_create", package_id=dataset, name="Interrumpido", format="CSV",
        url=f"http://localhost:{server.port}/interrumpido.csv")
    resource_id = created["result"]["id"]
    assert server.started.wait(240), portal.log_tail()
    portal.kill_worker()  # mid-download: SIGKILL to the worker and its work horse
    server.release.set()
    # not presented as complete: no rows promised, the page says it is not loaded
    status, body_ = portal.action("xloader_status", resource_id=resource_id)
    assert body_["result"]["status"] != "complete"
    status, shown = portal.action("resource_show", auth=False, id=resource_id)
    assert not shown["result"].get("datastore_active")

    portal.restart_worker()
    status, submitted = portal.action("xloader_submit", resource_id=resource_id,
                                      ignore_hash=True)
    assert status == 200, submitted
    assert portal.wait_for_loads([resource_id]) == {resource_id: "complete"}
    status, result = _search(portal, resource_id=resource_id, limit=1)
    assert result["result"]["total"] == 5000
    server.httpd.shutdown()


@pytest.mark.browser
def test_the_table_preview_works_in_a_browser_without_serious_axe_violations(
        loaded, browser, axe_violations):
    portal, resources, _states, _internal = loaded
    resource = resources["espanol"]
    status, body = portal.action("resource_view_list", auth=False, id=resource["id"])
    view = next(v for v in body["result"] if v["view_type"] == "datatables_view")
    context = browser.new_context(locale="es-PE")
    try:
        page = context.new_page()
        # The portal's CSP must refuse nothing the view needs: no script file, no inline
        # script (those carry the page's nonce). CKAN's DataTables view also writes inline
        # onclick attributes and its vendor code evaluates a string; both are refused on
        # purpose, and the buttons work through listeners (assets/datatables_frames.js).
        refused: list[str] = []
        vendor = ("Executing inline event handler", "Evaluating a string as JavaScript")
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text
                and not message.text.startswith(vendor) else None)
        page.goto(f"{portal.url}/dataset/{resource['package_id']}/resource/{resource['id']}",
                  wait_until="load", timeout=120_000)
        assert "Vista de datos:" in page.content()
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations)
        # the view itself (CKAN shows it in an iframe): rows, sorting and paging in DataTables
        page.goto(f"{portal.url}/dataset/{resource['package_id']}/resource/{resource['id']}"
                  f"/view/{view['id']}", wait_until="load", timeout=120_000)
        page.wait_for_selector("table tbody tr td", timeout=120_000)
        page.wait_for_function(
            "document.body.innerText.includes('Breña')", timeout=120_000)
        assert "Jesús María" in page.inner_text("body")
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations)
        assert refused == [], json.dumps(refused, indent=1)
        # the refit button still refits, through the listener
        page.evaluate("window.__refits = 0; const f = window.fitColText;"
                      " window.fitColText = function () { window.__refits++; return f.apply(this, arguments); }")
        page.click("#refit-button")
        assert page.evaluate("window.__refits") >= 1  # 0 if nothing answers the click
    finally:
        context.close()


def test_views_survive_a_new_upload_and_the_table_follows_the_new_file(loaded):
    portal, resources, _states, _internal = loaded
    resource = resources["bom"]
    status, body = portal.action("resource_view_list", auth=False, id=resource["id"])
    before = {view["view_type"]: view["id"] for view in body["result"]}
    assert "datatables_view" in before
    status, task = portal.action("xloader_status", resource_id=resource["id"])
    previous_run = task["result"].get("last_updated")
    portal.reupload(resource["id"], "distritos.csv",
                    "codigo,nombre,poblacion\r\n003,Barranco,34378\r\n".encode())
    deadline = time.monotonic() + 420
    while time.monotonic() < deadline:
        status, task = portal.action("xloader_status", resource_id=resource["id"])
        if (task["result"].get("last_updated") != previous_run
                and task["result"].get("status") in ("complete", "error")):
            break
        time.sleep(1)
    assert task["result"]["status"] == "complete", portal.log_tail()
    status, body = _search(portal, resource_id=resource["id"])
    assert [r["nombre"] for r in body["result"]["records"]] == ["Barranco"]
    status, body = portal.action("resource_view_list", auth=False, id=resource["id"])
    assert {view["view_type"]: view["id"] for view in body["result"]} == before
