"""Search benchmark: openlima_search on synthetic Spanish catalogues of 10k and 100k datasets.

    python benchmarks/search_bench.py [--sizes 10000 100000] [--repeat 30]

Uses the database in CKAN_SQLALCHEMY_URL (the stack points it at `openlima_bench`,
which it wipes) with config/test-ckan-search.ini: CKAN's default schema and our engine.
Datasets are written straight into CKAN's tables (SQL, for speed), then indexed with
CKAN's own `search.rebuild` (timed: that is the index throughput figure). Above
`--rebuild-limit` datasets (default 10,000) only a 2,000-dataset sample is rebuilt and
timed; the other index rows are copies of already indexed ones made in SQL, with their own
id, name and title, so that a 100k catalogue takes minutes, not an hour, on 2 cores. Queries go
through the `package_search` action in-process, like the API does. Results go to
benchmarks/results/search.json and a table on stdout.
"""
from __future__ import annotations

import argparse
import datetime
import json
import random
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "search.json"

WORDS = (
    "transporte público paraderos rutas buses metropolitano corredor ciclovías tránsito "
    "semáforos licencias edificación zonificación catastro predios obras pistas veredas "
    "parques jardines áreas verdes árboles riego residuos sólidos reciclaje limpieza "
    "mercados comercio ambulatorio fiscalización multas seguridad ciudadana serenazgo "
    "cámaras incidentes emergencias bomberos salud vacunación comedores populares "
    "educación colegios bibliotecas cultura museos deporte losas presupuesto "
    "participativo gasto contrataciones proveedores personal planilla agua desagüe "
    "alumbrado energía calidad aire ruido ambiental población vivienda riesgo sismos"
).split()
TAGS = ["transporte", "movilidad", "urbanismo", "ambiente", "residuos", "seguridad",
        "salud", "educación", "cultura", "presupuesto", "transparencia", "comercio",
        "agua", "deporte", "riesgo", "vivienda", "gobierno-digital", "participación"]
FORMATS = ["CSV", "JSON", "XLSX", "GeoJSON", "PDF", "XML", "SHP"]
LICENSES = ["cc-by", "cc-by-sa", "cc-zero", "odc-by"]
OFFICES = [
    "gerencia-de-transporte-urbano", "gerencia-de-desarrollo-urbano",
    "gerencia-de-servicios-a-la-ciudad", "subgerencia-de-gobierno-digital",
    "gerencia-de-seguridad-ciudadana", "gerencia-de-desarrollo-social",
    "gerencia-de-participacion-vecinal", "gerencia-de-fiscalizacion-y-control",
    "gerencia-de-administracion", "instituto-metropolitano-de-planificacion",
    "gerencia-de-educacion-y-deportes", "gerencia-de-cultura",
]
DISTRICTS = ["Lima", "Ate", "Barranco", "Breña", "Comas", "Chorrillos", "Independencia",
             "Jesús María", "La Molina", "La Victoria", "Lince", "Los Olivos", "Miraflores",
             "Rímac", "San Borja", "San Isidro", "San Juan de Lurigancho", "Surquillo",
             "Villa El Salvador", "Villa María del Triunfo"]

QUERIES = {
    "free_text": {"q": "transporte público", "rows": 20},
    "free_text_5_facets": {"q": "parques jardines", "rows": 20,
                           "facet.field": json.dumps(["organization", "groups", "tags",
                                                      "res_format", "license_id"])},
    "fq_filters": {"fq": "organization:gerencia-de-transporte-urbano +res_format:CSV", "rows": 20},
    "sorted_by_date": {"q": "residuos", "sort": "metadata_modified desc", "rows": 20},
    "all_with_5_facets": {"q": "*:*", "rows": 20,
                          "facet.field": json.dumps(["organization", "groups", "tags",
                                                     "res_format", "license_id"])},
    "deep_paging": {"q": "*:*", "rows": 20, "start": 5000, "sort": "title_string asc"},
}


def percentile(values, pct):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(percentile(samples, 95), 2),
            "first_ms": round(samples[0], 2)}


def insert_datasets(connection, count, offset, org_ids, tag_ids, rng):
    cursor = connection.cursor()
    from psycopg2.extras import execute_values

    now = datetime.datetime(2026, 1, 1)
    packages, resources, package_tags = [], [], []
    for n in range(offset, offset + count):
        dataset_id = str(uuid.UUID(int=rng.getrandbits(128)))
        words = rng.sample(WORDS, 4)
        district = rng.choice(DISTRICTS)
        title = f"{words[0].capitalize()} {words[1]} en {district} {n}"
        notes = " ".join(rng.choices(WORDS, k=30)) + f". Distrito de {district}."
        modified = now - datetime.timedelta(minutes=rng.randrange(0, 60 * 24 * 700))
        packages.append((dataset_id, f"conjunto-{n}", title, notes, "active",
                         rng.choice(LICENSES), "dataset", rng.choice(org_ids), False,
                         modified, modified, json.dumps({})))
        for position in range(rng.randint(1, 5)):
            fmt = rng.choice(FORMATS)
            resources.append((str(uuid.UUID(int=rng.getrandbits(128))), dataset_id,
                              f"http://datos.munlima.gob.pe/{n}/{position}.{fmt.lower()}",
                              fmt, f"{words[2].capitalize()} {position}", "Recurso", position,
                              "active", modified))
        for tag_id in rng.sample(tag_ids, rng.randint(1, 4)):
            package_tags.append((str(uuid.UUID(int=rng.getrandbits(128))), "active",
                                 dataset_id, tag_id))
    execute_values(cursor, "INSERT INTO package (id, name, title, notes, state, license_id, "
                   "type, owner_org, private, metadata_modified, metadata_created, extras) "
                   "VALUES %s", packages, page_size=2000)
    execute_values(cursor, "INSERT INTO resource (id, package_id, url, format, name, "
                   "description, position, state, metadata_modified) VALUES %s",
                   resources, page_size=2000)
    execute_values(cursor, "INSERT INTO package_tag (id, state, package_id, tag_id) VALUES %s",
                   package_tags, page_size=2000)
    connection.commit()
    return [p[0] for p in packages]


def clone_index_rows(session, dataset_ids) -> int:
    """Index rows for ``dataset_ids`` copied from indexed ones (see the module docstring)."""
    import sqlalchemy as sa

    if not dataset_ids:
        return 0
    session.execute(sa.text("""
        WITH sources AS (
            SELECT i.*, row_number() OVER () AS n FROM openlima_search_index i
        ), targets AS (
            SELECT p.id, p.name, p.title,
                   1 + (row_number() OVER () - 1) % (SELECT count(*) FROM sources) AS n
            FROM package p WHERE p.id = ANY(:ids)
        )
        INSERT INTO openlima_search_index
            (index_id, site_id, entity_type, entity_id, state, capacity, dataset_type,
             permission_labels, doc, fields, search_vector, seq)
        SELECT md5(t.id || s.site_id), s.site_id, s.entity_type, t.id, s.state, s.capacity,
               s.dataset_type, s.permission_labels,
               s.doc || jsonb_build_object('id', t.id, 'name', t.name, 'title', t.title),
               s.fields || jsonb_build_object('id', jsonb_build_array(t.id),
                                              'name', jsonb_build_array(t.name),
                                              'title', jsonb_build_array(t.title)),
               s.search_vector, nextval('openlima_search_index_seq')
        FROM targets t JOIN sources s ON s.n = t.n
    """), {"ids": list(dataset_ids)})
    session.execute(sa.text("UPDATE openlima_search_state SET generation = generation + 1"))
    session.commit()
    return len(dataset_ids)


def run(sizes, repeat, rebuild_limit=10000):
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(REPO / "config" / "test-ckan-search.ini")))
    import ckan.lib.search as search
    import ckan.model as model
    import ckan.plugins.toolkit as tk

    rng = random.Random(2022)
    report = {"machine": "2 cores, PostgreSQL (CKAN_SQLALCHEMY_URL)", "repeat": repeat,
              "generated_at": datetime.datetime.utcnow().isoformat() + "Z", "sizes": {}}
    with app._wsgi_app.test_request_context():
        model.repo.clean_db()
        model.repo.init_db()
        search.clear_all()
        context = lambda: {"ignore_auth": True, "user": ""}  # noqa: E731
        sysadmin = model.User(name="bench", email="bench@example.org", sysadmin=True)
        model.Session.add(sysadmin)
        model.Session.commit()
        org_ids = [tk.get_action("organization_create")(
            {"ignore_auth": True, "user": "bench"}, {"name": name, "title": name.replace("-", " ").title()}
        )["id"] for name in OFFICES]
        tag_ids = []
        for tag in TAGS:
            tag_obj = model.Tag(name=tag)
            model.Session.add(tag_obj)
            model.Session.flush()
            tag_ids.append(tag_obj.id)
        model.Session.commit()

        total = 0
        all_ids: list[str] = []
        rebuilt_ids: list[str] = []  # indexed by CKAN itself, not copied
        for size in sizes:
            print(f"\n== {size:,} datasets ==", flush=True)
            new = size - total
            start = time.perf_counter()
            raw = model.Session.connection().connection
            ids = insert_datasets(raw, new, total, org_ids, tag_ids, rng)
            all_ids += ids
            print(f"inserted {new:,} rows in {time.perf_counter() - start:.1f} s", flush=True)
            total = size

            to_rebuild = ids if total <= rebuild_limit else ids[:2000]
            start = time.perf_counter()
            for chunk_start in range(0, len(to_rebuild), 500):
                search.rebuild(package_ids=to_rebuild[chunk_start:chunk_start + 500],
                               defer_commit=True, quiet=True)
                model.Session.commit()
                done = min(chunk_start + 500, len(to_rebuild))
                print(f"\rindexed {done:,}/{len(to_rebuild):,}", end="", flush=True)
            search.commit()  # as `ckan search-index rebuild` does after indexing
            rebuild_seconds = time.perf_counter() - start
            rebuild_rate = len(to_rebuild) / rebuild_seconds
            rebuilt_ids += to_rebuild
            cloned = clone_index_rows(model.Session, ids[len(to_rebuild):])
            search.commit()
            if cloned:
                print(f"\ncopied {cloned:,} index rows in SQL", flush=True)
            print(f"\nrebuild: {rebuild_rate:.0f} datasets/s", flush=True)

            sample = rng.sample(rebuilt_ids, min(1000, len(rebuilt_ids)))
            start = time.perf_counter()
            for dataset_id in sample:
                tk.get_action("package_show")({"ignore_auth": True, "use_cache": False,
                                               "user": ""}, {"id": dataset_id})
            dictize_rate = len(sample) / (time.perf_counter() - start)
            # what rebuild dictizes per dataset: package_show with the default and the custom schema
            from ckan import logic
            start = time.perf_counter()
            for dataset_id in sample:
                logic.package_show_default_and_custom_schemas({"ignore_auth": True, "user": ""},
                                                              dataset_id)
            both_schemas_rate = len(sample) / (time.perf_counter() - start)

            show = timed(lambda: tk.get_action("package_show")(
                context(), {"id": rng.choice(rebuilt_ids)}), repeat)
            queries = {}
            for name, params in QUERIES.items():
                queries[name] = timed(
                    lambda: tk.get_action("package_search")(context(), dict(params)), repeat)
                queries[name]["ratio_p95_to_show_p95"] = round(
                    queries[name]["p95_ms"] / max(show["p95_ms"], 0.001), 2)
                print(f"{name:22} p50 {queries[name]['p50_ms']:8.1f} ms  p95 "
                      f"{queries[name]['p95_ms']:8.1f} ms  first {queries[name]['first_ms']:8.1f} ms"
                      f"  ({queries[name]['ratio_p95_to_show_p95']}x package_show p95)", flush=True)
            print(f"{'package_show':22} p50 {show['p50_ms']:8.1f} ms  p95 {show['p95_ms']:8.1f} ms")
            report["sizes"][str(size)] = {
                "package_show": show,
                "package_search": queries,
                "rebuild_datasets_per_s": round(rebuild_rate, 1),
                "rebuilt_datasets": len(to_rebuild),
                "index_rows_copied_in_sql": len(ids) - len(to_rebuild),
                "bare_dictization_datasets_per_s": round(dictize_rate, 1),
                "rebuild_to_dictization_ratio": round(rebuild_rate / dictize_rate, 3),
                "rebuild_dictization_datasets_per_s": round(both_schemas_rate, 1),
                "rebuild_to_rebuild_dictization_ratio": round(rebuild_rate / both_schemas_rate, 3),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "target_p95_ratio": 2 if size <= 10000 else 5,
            }
            print(f"dictization {dictize_rate:.0f}/s (both schemas, as rebuild does: "
                  f"{both_schemas_rate:.0f}/s), rebuild/dictization "
                  f"{rebuild_rate / dictize_rate:.2f} ({rebuild_rate / both_schemas_rate:.2f}), peak RSS "
                  f"{report['sizes'][str(size)]['peak_rss_mb']} MB", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {RESULTS.relative_to(REPO)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--rebuild-limit", type=int, default=10000)
    args = parser.parse_args(argv)
    run(sorted(args.sizes), args.repeat, args.rebuild_limit)


if __name__ == "__main__":
    sys.exit(main())
