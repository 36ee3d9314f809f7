"""DataStore benchmark (`make bench`): loading a 1,000,000-row CSV and querying its rows.

    python benchmarks/datastore_bench.py [--rows 1000000] [--queries 200]

Run by benchmarks/run.py on the benchmark database (`openlima_bench`) and its DataStore
(`openlima_bench_datastore`), with config/test.ini's plugins (datastore, xloader and
openlima_datastore included). Writes benchmarks/results/datastore.json.

What is measured, all in the same run:

* **reference**: PostgreSQL ``COPY`` of the very same CSV file into a text table of the
  DataStore database (psycopg2 ``copy_expert``): the fastest way the rows can get in;
* **load**: the loader as the jobs worker runs it — ckanext-xloader's ``load_csv`` (with
  Open Lima's Spanish types: ``dd/mm/aaaa`` dates, decimal commas) plus its column indexes
  and row count — in a child process of its own, whose peak RSS is read from the kernel
  (``getrusage(RUSAGE_CHILDREN)``). The download step is not included: the file is on
  disk already, as after xloader's streamed download. ``steps_seconds`` says where the
  seconds go (from the loader's own log lines): reading the headers, xloader's re-encoding
  to UTF-8 (tabulator, row by row in Python), ``COPY``, profiling the column types, the
  one rewrite with types and full text, ``VACUUM (ANALYZE)``, the indexes;
* **queries**: ``datastore_search`` p50/p95 over distinct requests (equality filters on a
  district, Spanish full-text ``q``, sort on an indexed and a non-indexed column, paging)
  next to ``package_show`` p50/p95 of distinct datasets, both through the action layer in
  the same process (no HTTP, no cache in front of either); p50/p95 per kind of query too.

The benchmark's DataStore is emptied at the start (tables of earlier runs).

Goals (issue 14): load rows/s ≥ COPY rows/s ÷ 2; search p95 ≤ 2 × package_show p95.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "datastore.json"
DISTRICTS = ["Lima", "Ate", "Barranco", "Breña", "Carabayllo", "Chorrillos", "Comas",
             "El Agustino", "Independencia", "Jesús María", "La Molina", "La Victoria",
             "Lince", "Los Olivos", "Miraflores", "Pueblo Libre", "Puente Piedra", "Rímac",
             "San Borja", "San Isidro", "San Juan de Lurigancho", "San Miguel", "Santa Anita",
             "Surquillo", "Villa El Salvador"]
WORDS = ["licencia", "funcionamiento", "obra", "mantenimiento", "pista", "vereda", "parque",
         "limpieza", "serenazgo", "mercado", "alumbrado", "señalización", "semáforo",
         "ciclovía", "paradero", "fiscalización", "multa", "comedor", "vaso", "leche"]


def write_csv(path: Path, rows: int, seed: int = 14) -> None:
    """About 100 bytes a row: code, district, dd/mm/aaaa date, decimal-comma amount, text."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["codigo", "distrito", "fecha", "monto", "cantidad", "descripcion"])
        for i in range(rows):
            words = " ".join(rng.choice(WORDS) for _ in range(5))
            writer.writerow([
                f"EXP-{i:08d}", rng.choice(DISTRICTS),
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2015, 2026)}",
                f"{rng.randint(0, 999_999)},{rng.randint(0, 99):02d}", rng.randint(1, 500),
                f"Expediente de {words}",
            ])


def copy_reference(write_url: str, path: Path) -> float:
    """Seconds PostgreSQL takes to COPY the file into a fresh text table."""
    import psycopg2

    connection = psycopg2.connect(write_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy_reference")
            cursor.execute("CREATE TABLE bench_copy_reference (codigo text, distrito text, "
                           "fecha text, monto text, cantidad text, descripcion text)")
            connection.commit()
            started = time.perf_counter()
            with open(path, encoding="utf-8") as handle:
                cursor.copy_expert("COPY bench_copy_reference FROM STDIN WITH (FORMAT csv, "
                                   "DELIMITER ';', HEADER true)", handle)
            connection.commit()
            elapsed = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_copy_reference")
            connection.commit()
            return elapsed
    finally:
        connection.close()


def _clear_datastore(write_url: str) -> None:
    """Drop the tables earlier runs left in the benchmark's DataStore (reset_db only
    empties CKAN's own database)."""
    import sqlalchemy as sa
    from sqlalchemy import orm

    from ckanext.datastore.tests.helpers import clear_db

    engine = sa.create_engine(write_url)
    try:
        clear_db(orm.scoped_session(orm.sessionmaker(bind=engine)))
    finally:
        engine.dispose()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# the loader's log lines that open each step of load_csv (xloader's own messages)
STEP_MARKS = (("Determining column names and types", "read_headers_and_encoding"),
              ("Ensuring character coding is UTF8", "reencode_to_utf8"),
              ("Copying to database...", "copy"),
              ("...copying done", "profile_column_types"),
              ("Rewriting the table once", "rewrite_with_types_and_full_text"))


class _StepClock:
    """Seconds between the loader's step messages (a logging handler)."""

    def __init__(self):
        self.marks: list[tuple[str, float]] = []

    def handle(self, record) -> None:
        message = record.getMessage()
        for mark, step in STEP_MARKS:
            if message.startswith(mark):
                self.marks.append((step, time.perf_counter()))

    def steps(self, started: float, ended: float) -> dict[str, float]:
        marks = [("setup", started)] + self.marks + [("end", ended)]
        return {step: round(following - at, 2)
                for (step, at), (_next, following) in zip(marks, marks[1:])}


def child_load(ini: str, csv_path: str, resource_id: str) -> None:
    """In the child process: what the worker's job does with a downloaded file."""
    import logging

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    from ckanext.xloader import loader

    logger = logging.getLogger("bench")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(relativeCreated)8.0f ms  %(message)s"))
    logger.addHandler(handler)
    clock = _StepClock()
    step_handler = logging.Handler()
    step_handler.emit = clock.handle
    logger.addHandler(step_handler)
    logger.setLevel(logging.INFO)
    with app._wsgi_app.test_request_context():
        started = time.perf_counter()
        fields = loader.load_csv(csv_path, resource_id=resource_id, mimetype="text/csv",
                                 logger=logger)
        loaded = time.perf_counter()
        loader.calculate_record_count(resource_id=resource_id, logger=logger)
        counted = time.perf_counter()
        loader.create_column_indexes(fields=fields, resource_id=resource_id, logger=logger)
        elapsed = time.perf_counter() - started
    steps = clock.steps(started, loaded)
    steps.update(vacuum_analyze=round(counted - loaded, 2),
                 indexes=round(started + elapsed - counted, 2))
    print(json.dumps({"seconds": elapsed, "steps": steps,
                      "types": {f["id"]: f["type"] for f in fields}}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_load(*args.child)
        return 0

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    ini = str(REPO / "config" / "test.ini")
    app = make_app(load_config(ini))
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    from ckan.tests import helpers

    with app._wsgi_app.test_request_context():
        helpers.reset_db()
        _clear_datastore(tk.config["ckan.datastore.write_url"])
        # in process (a `ckan db upgrade` child would count in the loader's peak RSS)
        from alembic import command
        from alembic.config import Config

        from openlima_stack.ckan_tasks import plugin_migration_ini

        for plugin in tk.aslist(tk.config.get("ckan.plugins")):
            plugin_ini, _ours = plugin_migration_ini(plugin)
            if plugin_ini is not None:
                alembic_config = Config(str(plugin_ini))
                alembic_config.set_main_option("sqlalchemy.url", tk.config["sqlalchemy.url"])
                command.upgrade(alembic_config, "head")
        model.Session.remove()
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        context = lambda: {"user": site_user["name"], "ignore_auth": True}  # noqa: E731
        org = tk.get_action("organization_create")(context(), {"name": "bench-oficina"})
        datasets = []
        for i in range(50):
            datasets.append(tk.get_action("package_create")(context(), {
                "name": f"bench-conjunto-{i}", "title": f"Conjunto {i}", "owner_org": org["id"],
                "notes": "Conjunto del benchmark del DataStore",
                "resources": [{"name": "Expedientes", "url": "http://example.org/x.csv",
                               "format": "TXT"}]}))
        resource_id = datasets[0]["resources"][0]["id"]
        write_url = tk.config["ckan.datastore.write_url"]

        workdir = Path(tempfile.mkdtemp(prefix="openlima-bench-ds-"))
        csv_path = workdir / "expedientes.csv"
        print(f"==> CSV de {args.rows:,} filas en {csv_path}", flush=True)
        write_csv(csv_path, args.rows)
        size_mb = csv_path.stat().st_size / 1e6

        print("==> referencia: COPY de PostgreSQL", flush=True)
        copy_seconds = copy_reference(write_url, csv_path)

        print("==> carga con xloader (proceso hijo, como el trabajador)", flush=True)
        child = subprocess.run([sys.executable, __file__, "--child", ini, str(csv_path),
                                resource_id], capture_output=True, text=True)
        if child.returncode != 0:
            print(child.stderr[-4000:], file=sys.stderr)
            return 1
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        loaded = json.loads(child.stdout.strip().splitlines()[-1])
        # the loader's own log, with times: where the load spends them
        print("\n".join(line for line in child.stderr.splitlines() if " ms  " in line),
              flush=True)
        csv_path.unlink()

        print("==> consultas", flush=True)
        model.Session.remove()
        rng = random.Random(7)
        search = tk.get_action("datastore_search")
        show = tk.get_action("package_show")
        kinds = [
            ("filter", lambda: {"filters": {"distrito": rng.choice(DISTRICTS)}, "limit": 20,
                                "offset": rng.randint(0, 100)}),
            ("q", lambda: {"q": " ".join(rng.sample(WORDS, 2)), "limit": 20}),
            ("sort", lambda: {"sort": rng.choice(["monto desc", "fecha asc", "cantidad desc"]),
                              "limit": 20, "offset": rng.randint(0, 1000)}),
            ("filter_q_sort", lambda: {"filters": {"distrito": rng.choice(DISTRICTS)},
                                       "q": rng.choice(WORDS), "sort": "fecha desc",
                                       "limit": 20}),
        ]
        search_ms, show_ms = [], []
        by_kind: dict[str, list[float]] = {name: [] for name, _params in kinds}
        for i in range(args.queries):
            kind, make_params = kinds[i % len(kinds)]
            params = dict(make_params(), resource_id=resource_id)
            started = time.perf_counter()
            search(context(), params)
            search_ms.append((time.perf_counter() - started) * 1000)
            by_kind[kind].append(search_ms[-1])
            dataset = datasets[i % len(datasets)]
            started = time.perf_counter()
            show(context(), {"id": dataset["id"]})
            show_ms.append((time.perf_counter() - started) * 1000)

    load_rows_per_s = args.rows / loaded["seconds"]
    copy_rows_per_s = args.rows / copy_seconds
    result = {
        "benchmark": "datastore",
        "command": "make bench (python benchmarks/datastore_bench.py "
                   f"--rows {args.rows} --queries {args.queries})",
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()[0]},
        "file": {"rows": args.rows, "megabytes": round(size_mb, 1)},
        "reference_copy": {"seconds": round(copy_seconds, 2),
                           "rows_per_second": round(copy_rows_per_s)},
        "load": {"seconds": round(loaded["seconds"], 2),
                 "rows_per_second": round(load_rows_per_s),
                 "ratio_to_copy": round(load_rows_per_s / copy_rows_per_s, 3),
                 "goal_ratio_at_least": 0.5,
                 "steps_seconds": loaded["steps"],
                 "column_types": loaded["types"],
                 "worker_peak_rss_mb": round(peak_kb / 1024, 1)},
        "queries": {"count_each": args.queries,
                    "datastore_search_ms": {"p50": round(statistics.median(search_ms), 2),
                                            "p95": round(percentile(search_ms, 0.95), 2)},
                    "datastore_search_ms_by_kind": {
                        kind: {"p50": round(statistics.median(values), 2),
                               "p95": round(percentile(values, 0.95), 2)}
                        for kind, values in by_kind.items() if values},
                    "package_show_ms": {"p50": round(statistics.median(show_ms), 2),
                                        "p95": round(percentile(show_ms, 0.95), 2)},
                    "p95_ratio": round(percentile(search_ms, 0.95) / percentile(show_ms, 0.95),
                                       2),
                    "goal_ratio_at_most": 2.0},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
