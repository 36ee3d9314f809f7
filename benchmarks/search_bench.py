"""Search benchmark: what visitors pay, on synthetic Spanish catalogues of 10k and 100k datasets.

    python benchmarks/search_bench.py [--sizes 10000 100000] [--requests 100]
                                      [--member-requests 100] [--trace 600]

Uses the database in CKAN_SQLALCHEMY_URL (`make bench` points it at `<OPENLIMA_DB>_bench`,
which it wipes) with config/test-ckan-search.ini: CKAN's default schema and our engine.

Catalogue. Datasets are written straight into CKAN's tables (SQL, for speed): titles and
descriptions drawn from a ~200-word municipal vocabulary with Zipf frequencies (a few words
common, most rare, as in real text), 1-5 resources, 1-4 tags, 10% private. They are indexed
with CKAN's own `search.rebuild` (timed: the index throughput figure). Above
`--rebuild-limit` datasets (default 10,000) only a sample is rebuilt (`--rebuild-sample`,
2,000); the other
index rows are built in SQL from each dataset's own name, title, description, tags,
formats, organisation, dates and privacy (the stored CKAN dictionaries are a sample's), so
that term statistics and facet counts are the catalogue's, not 2,000 texts repeated.

Requests. A seeded generator makes `--requests` distinct requests per class, shaped like
the `/dataset` page (`package_search` with the page's five facets, 20 rows, CKAN's default
sort; filters as the page writes them):
- words_facets: 1-3 words;
- filters_facets: 1-2 words + organisation and/or format filters;
- tag_page_facets: `*:*` + a tag filter + a page (1-5);
- words_sorted: 1-3 words sorted by date, title or score (no facets);
- deep_page: `*:*` or one word, page 50-250, sorted by title or date (no facets);
- show_engine: CKAN's default `package_show` (its search-index lookup);
- show_baseline: `package_show` with `use_cache=False` (CKAN's dictization, no engine): the
  denominator of every ratio.
All classes are shuffled together and run once each, with the result cache OFF
(`ckanext.openlima.search.result_cache = false`), as an anonymous visitor and as a
logged-in member of two organisations (permission labels). Then the cache's own effect: a
replayed trace of `--trace` requests drawn with Zipf popularity from those requests, with a
dataset update every 50 requests (each write empties the cache), cache ON: hit ratio and
p50/p95. One request per class is also run under `EXPLAIN (ANALYZE, BUFFERS)`; the plans
go to benchmarks/results/search_plans_<size>.txt. Results: benchmarks/results/search.json.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
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
    "alumbrado energía calidad aire ruido ambiental población vivienda riesgo sismos "
    "inundaciones huaicos defensa civil albergues padrón beneficiarios vaso leche "
    "adulto mayor discapacidad juventudes mujeres violencia familiar denuncias "
    "arbitrios tributos predial alcabala recaudación deuda fraccionamiento cobranza "
    "ordenanzas acuerdos concejo sesiones regidores resoluciones decretos normas "
    "convocatorias procesos selección obras ejecución avance físico financiero "
    "inversiones proyectos expedientes técnicos supervisión mantenimiento señalización "
    "estacionamientos taxis mototaxis colectivos terminales terrestres peajes "
    "accidentes infracciones papeletas velocidad peatones puentes túneles intercambios "
    "habilitaciones urbanas asentamientos humanos titulación lotes manzanas "
    "censo encuesta indicadores estadísticas mapas límites distritales geografía "
    "turismo patrimonio histórico monumentos centro festividades eventos ferias "
    "biblioteca lectura talleres vacaciones útiles escolares becas capacitación "
    "empleo trabajo emprendimiento empresas licencias funcionamiento anuncios "
    "quejas reclamos atención ciudadano trámites plazos tasas tarifas horarios "
    "humedales playas costa verde acantilados lomas cerros canales acequias ríos"
).split()
WORDS = list(dict.fromkeys(WORDS))
# Zipf weights: word n is 1/n as frequent as the first (real text; queries follow it too)
WEIGHTS = [1 / (rank + 1) for rank in range(len(WORDS))]
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
# what CKAN's /dataset page asks for (its default IFacets set)
PAGE_FACETS = ["organization", "groups", "tags", "res_format", "license_id"]
PRIVATE_SHARE = 0.1
CLASSES = ["words_facets", "filters_facets", "tag_page_facets", "words_sorted", "deep_page",
           "show_engine", "show_baseline"]
SEARCH_CLASSES = CLASSES[:5]


def percentile(values, pct):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(samples):
    return {"n": len(samples), "p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(percentile(samples, 95), 2), "max_ms": round(max(samples), 2)}


def words(rng, low=1, high=3):
    return " ".join(dict.fromkeys(rng.choices(WORDS, WEIGHTS, k=rng.randint(low, high))))


# ---------------------------------------------------------------- catalogue

def insert_datasets(connection, count, offset, org_ids, tag_ids, rng):
    cursor = connection.cursor()
    from psycopg2.extras import execute_values

    now = datetime.datetime(2026, 1, 1)
    packages, resources, package_tags = [], [], []
    for n in range(offset, offset + count):
        dataset_id = str(uuid.UUID(int=rng.getrandbits(128)))
        title_words = rng.choices(WORDS, WEIGHTS, k=rng.randint(2, 5))
        district = rng.choice(DISTRICTS)
        title = f"{' '.join(title_words).capitalize()} en {district} {n}"
        notes = " ".join(rng.choices(WORDS, WEIGHTS, k=rng.randint(15, 60))) + \
            f". Distrito de {district}."
        modified = now - datetime.timedelta(minutes=rng.randrange(0, 60 * 24 * 700))
        packages.append((dataset_id, f"conjunto-{n}", title, notes, "active",
                         rng.choice(LICENSES), "dataset", rng.choice(org_ids),
                         rng.random() < PRIVATE_SHARE, modified, modified, json.dumps({})))
        for position in range(rng.randint(1, 5)):
            fmt = rng.choice(FORMATS)
            resources.append((str(uuid.UUID(int=rng.getrandbits(128))), dataset_id,
                              f"http://datos.munlima.gob.pe/{n}/{position}.{fmt.lower()}",
                              fmt, f"{rng.choice(WORDS).capitalize()} {position}", "Recurso",
                              position, "active", modified))
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


def build_index_rows(session, dataset_ids) -> int:
    """Index rows for ``dataset_ids`` made in SQL from each dataset's own data.

    The stored CKAN dictionaries (``data_dict``, ``validated_data_dict``, resources'
    fields) are those of an indexed sample row; everything searched, filtered, faceted,
    sorted or counted is the dataset's own. Only the engine's columns are written, so
    this follows ``ddl.py``: a change there must be made here too.
    """
    import sqlalchemy as sa

    if not dataset_ids:
        return 0
    session.execute(sa.text("""
        WITH sources AS (
            SELECT i.*, row_number() OVER () AS n FROM openlima_search_index i
        ), targets AS (
            SELECT p.id, p.name, p.title, p.notes, p.private, p.license_id,
                   p.metadata_modified, p.owner_org, g.name AS organization,
                   ARRAY(SELECT t.name FROM package_tag pt JOIN tag t ON t.id = pt.tag_id
                         WHERE pt.package_id = p.id ORDER BY t.name) AS tags,
                   ARRAY(SELECT DISTINCT r.format FROM resource r
                         WHERE r.package_id = p.id) AS formats,
                   ARRAY(SELECT r.name FROM resource r WHERE r.package_id = p.id) AS res_names,
                   to_char(p.metadata_modified, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS modified,
                   1 + (row_number() OVER () - 1) % (SELECT count(*) FROM sources) AS n
            FROM package p JOIN "group" g ON g.id = p.owner_org
            WHERE p.id = ANY(:ids)
        ), rows AS (
            SELECT t.*, s.site_id, s.entity_type, s.dataset_type, s.doc, s.fields,
                   CASE WHEN t.private THEN 'private' ELSE 'public' END AS capacity,
                   CASE WHEN t.private THEN ARRAY['member-' || t.owner_org]
                        ELSE ARRAY['public'] END AS labels
            FROM targets t JOIN sources s ON s.n = t.n
        )
        INSERT INTO openlima_search_index
            (index_id, site_id, entity_type, entity_id, state, capacity, dataset_type, name,
             facet_values, metadata_modified, title_string,
             permission_labels, doc, fields, search_vector, seq)
        SELECT md5(r.id || r.site_id), r.site_id, r.entity_type, r.id, 'active', r.capacity,
               r.dataset_type, r.name,
               ARRAY['organization:' || r.organization, 'license_id:' || r.license_id]
                 || ARRAY(SELECT 'tags:' || tag FROM unnest(r.tags) AS tag)
                 || ARRAY(SELECT 'res_format:' || format FROM unnest(r.formats) AS format),
               r.modified, r.title, r.labels,
               r.doc || jsonb_build_object(
                   'id', r.id, 'name', r.name, 'title', r.title, 'notes', r.notes,
                   'capacity', r.capacity, 'organization', r.organization,
                   'owner_org', r.owner_org, 'license_id', r.license_id,
                   'tags', to_jsonb(r.tags), 'res_format', to_jsonb(r.formats),
                   'metadata_modified', r.modified, 'metadata_created', r.modified,
                   'title_string', r.title, 'permission_labels', to_jsonb(r.labels)),
               r.fields || jsonb_build_object(
                   'id', jsonb_build_array(r.id), 'name', jsonb_build_array(r.name),
                   'title', jsonb_build_array(r.title), 'notes', jsonb_build_array(r.notes),
                   'capacity', jsonb_build_array(r.capacity),
                   'organization', jsonb_build_array(r.organization),
                   'owner_org', jsonb_build_array(r.owner_org),
                   'license_id', jsonb_build_array(r.license_id),
                   'tags', to_jsonb(r.tags), 'res_format', to_jsonb(r.formats),
                   'res_name', to_jsonb(r.res_names),
                   'metadata_modified', jsonb_build_array(r.modified),
                   'metadata_created', jsonb_build_array(r.modified),
                   'title_string', jsonb_build_array(r.title),
                   'permission_labels', to_jsonb(r.labels)),
               setweight(to_tsvector('openlima_es', r.name || ' ' || r.title), 'A')
                 || setweight(to_tsvector('openlima_es', array_to_string(r.tags, ' ')
                                          || ' ' || r.organization), 'B')
                 || setweight(to_tsvector('openlima_es', coalesce(r.notes, '') || ' '
                                          || array_to_string(r.res_names, ' ')), 'C'),
               nextval('openlima_search_index_seq')
        FROM rows r
    """), {"ids": list(dataset_ids)})
    session.execute(sa.text("UPDATE openlima_search_state SET generation = generation + 1"))
    session.commit()
    return len(dataset_ids)


# ---------------------------------------------------------------- requests

def page_request(q="", fq="", sort=None, start=0, facets=True):
    """``package_search`` as CKAN's /dataset page calls it (views/dataset.py search)."""
    request = {"q": q, "fq": fq, "rows": 20, "start": start, "sort": sort,
               "include_private": True}
    if facets:
        request["facet.field"] = list(PAGE_FACETS)
    return request


def make_requests(rng, count, dataset_ids):
    """``count`` distinct requests of every class: {class: [request, ...]}."""
    makers = {
        "words_facets": lambda: page_request(q=words(rng)),
        "filters_facets": lambda: page_request(
            q=words(rng, 1, 2),
            fq=" ".join(rng.sample([f'organization:"{rng.choice(OFFICES)}"',
                                    f'res_format:"{rng.choice(FORMATS)}"'],
                                   rng.randint(1, 2)))),
        "tag_page_facets": lambda: page_request(
            fq=f'tags:"{rng.choice(TAGS)}"', start=20 * rng.randint(0, 4)),
        "words_sorted": lambda: page_request(
            q=words(rng), facets=False,
            sort=rng.choice(["metadata_modified desc", "title_string asc",
                             "score desc, metadata_modified desc"])),
        "deep_page": lambda: page_request(
            q=rng.choice(["", words(rng, 1, 1)]), facets=False, start=20 * rng.randint(50, 250),
            sort=rng.choice(["title_string asc", "metadata_modified desc"])),
        "show_engine": lambda: {"id": rng.choice(dataset_ids)},
        "show_baseline": lambda: {"id": rng.choice(dataset_ids)},
    }
    requests = {}
    for name, make in makers.items():
        seen: dict[str, dict] = {}
        wanted = min(count, len(dataset_ids)) if name.startswith("show") else count
        for _ in range(count * 50):
            request = make()
            seen.setdefault(json.dumps(request, sort_keys=True), request)
            if len(seen) >= wanted:
                break
        requests[name] = list(seen.values())
    return requests


def call(kind, request, user):
    import ckan.plugins.toolkit as tk

    if kind.startswith("show"):
        context = {"user": user, "use_cache": kind == "show_engine"}
        return tk.get_action("package_show")(context, dict(request))
    return tk.get_action("package_search")({"user": user}, dict(request))


def measure(requests, user, rng):
    """Every request once, all classes shuffled together: {class: summary}."""
    jobs = [(kind, request) for kind, items in requests.items() for request in items]
    rng.shuffle(jobs)
    samples: dict[str, list[float]] = {kind: [] for kind in requests}
    hits: dict[str, list[int]] = {kind: [] for kind in requests}
    for kind, request in jobs:
        start = time.perf_counter()
        result = call(kind, request, user)
        samples[kind].append((time.perf_counter() - start) * 1000)
        if not kind.startswith("show"):
            hits[kind].append(result["count"])
    baseline = summary(samples["show_baseline"])
    out = {}
    for kind, values in samples.items():
        figures = summary(values)
        figures["ratio_p50"] = round(figures["p50_ms"] / baseline["p50_ms"], 2)
        figures["ratio_p95"] = round(figures["p95_ms"] / baseline["p95_ms"], 2)
        if hits[kind]:
            figures["median_hits"] = int(statistics.median(hits[kind]))
        out[kind] = figures
    return out


def cache_trace(requests, user, rng, length, dataset_ids):
    """The cache ON over a replayed trace with a write every 50 requests."""
    import ckan.plugins.toolkit as tk
    from ckanext.openlima.search import cache

    pool = [(kind, r) for kind in SEARCH_CLASSES + ["show_engine"] for r in requests[kind]]
    rng.shuffle(pool)
    popularity = [1 / (rank + 1) for rank in range(len(pool))]
    counted = {"hits": 0, "lookups": 0}
    original_get = cache.get

    def counting_get(key):
        found = original_get(key)
        if key is not None:
            counted["lookups"] += 1
            counted["hits"] += found is not None
        return found

    cache.get = counting_get
    samples, writes = [], 0
    try:
        for position in range(length):
            if position and position % 50 == 0:
                tk.get_action("package_patch")(
                    {"user": "bench"},
                    {"id": rng.choice(dataset_ids), "notes": f"Actualizado {position}"})
                writes += 1
            kind, request = rng.choices(pool, popularity)[0]
            start = time.perf_counter()
            call(kind, request, user)
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        cache.get = original_get
    figures = summary(samples)
    figures.update(writes=writes, distinct_requests=len(pool),
                   hit_ratio=round(counted["hits"] / max(1, counted["lookups"]), 3))
    return figures


def explain_one_per_class(requests, user, path):
    """Each class's first request once more, its index SQL under EXPLAIN (ANALYZE, BUFFERS)."""
    import sqlalchemy as sa
    import ckan.model as model

    lines = []
    for kind in CLASSES:
        seen = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if "openlima_search_index" in statement and \
                    statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, parameters))

        sa.event.listen(model.meta.engine, "before_cursor_execute", record)
        try:
            call(kind, requests[kind][0], user)
        finally:
            sa.event.remove(model.meta.engine, "before_cursor_execute", record)
        lines.append(f"===== {kind}: {json.dumps(requests[kind][0], ensure_ascii=False)}")
        for statement, parameters in seen:
            plan = model.Session.connection().exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
            lines.append(" ".join(statement.split())[:600])
            lines += [row[0] for row in plan]
            lines.append("")
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------- run

# C901: one benchmark script read top to bottom; left as it is (not product code).
def run(sizes, count, member_count, trace_length, rebuild_limit=10000, rebuild_sample=2000):  # noqa: C901
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(REPO / "config" / "test-ckan-search.ini")))
    import ckan.lib.search as search
    import ckan.model as model
    import ckan.plugins.toolkit as tk

    rng = random.Random(2022)
    report = {
        "machine": f"{os.cpu_count()} cores shared with other users (load averages below), "
                   "PostgreSQL 15 (CKAN_SQLALCHEMY_URL)",
        "command": "python benchmarks/search_bench.py " + " ".join(sys.argv[1:]),
        "method": "distinct requests per class, every request once, classes shuffled together, "
                  "result cache off; ratios are to package_show(use_cache=False) of the same run "
                  "(see the docstring of benchmarks/search_bench.py)",
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "sizes": {}}
    previous = {}
    if RESULTS.exists():
        try:
            previous = json.loads(RESULTS.read_text()).get("sizes", {})
        except ValueError:
            previous = {}
    with app._wsgi_app.test_request_context():
        model.repo.clean_db()
        model.repo.init_db()
        search.clear_all()
        admin = {"ignore_auth": True, "user": "bench"}
        sysadmin = model.User(name="bench", email="bench@example.org", sysadmin=True)
        member = model.User(name="bench-member", email="member@example.org")
        model.Session.add_all([sysadmin, member])
        model.Session.commit()
        org_ids = [tk.get_action("organization_create")(
            dict(admin), {"name": name, "title": name.replace("-", " ").title()}
        )["id"] for name in OFFICES]
        for org_id in org_ids[:2]:
            tk.get_action("organization_member_create")(
                dict(admin), {"id": org_id, "username": "bench-member", "role": "member"})
        tag_ids = []
        for tag in TAGS:
            tag_obj = model.Tag(name=tag)
            model.Session.add(tag_obj)
            model.Session.flush()
            tag_ids.append(tag_obj.id)
        model.Session.commit()

        total = 0
        rebuilt_ids: list[str] = []  # indexed by CKAN itself, not built in SQL
        for size in sizes:
            print(f"\n== {size:,} datasets ==", flush=True)
            new = size - total
            start = time.perf_counter()
            raw = model.Session.connection().connection
            ids = insert_datasets(raw, new, total, org_ids, tag_ids, rng)
            print(f"inserted {new:,} rows in {time.perf_counter() - start:.1f} s", flush=True)
            total = size

            to_rebuild = ids if total <= rebuild_limit else ids[:rebuild_sample]
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
            built = build_index_rows(model.Session, ids[len(to_rebuild):])
            search.commit()
            if built:
                print(f"\nbuilt {built:,} index rows in SQL", flush=True)
            print(f"\nrebuild: {rebuild_rate:.0f} datasets/s", flush=True)

            sample = rng.sample(rebuilt_ids, min(300, len(rebuilt_ids)))
            from ckan import logic
            start = time.perf_counter()
            for dataset_id in sample:
                logic.package_show_default_and_custom_schemas({"ignore_auth": True, "user": ""},
                                                              dataset_id)
            both_schemas_rate = len(sample) / (time.perf_counter() - start)

            public_ids = [row[0] for row in model.Session.execute(
                model.package_table.select().with_only_columns(model.package_table.c.id)
                .where(model.package_table.c.id.in_(rebuilt_ids))
                .where(model.package_table.c.private.is_(False)))]
            figures = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
            tk.config["ckanext.openlima.search.result_cache"] = False
            for label, user, how_many in (("anonymous", "", count),
                                          ("member_of_two_organisations", "bench-member",
                                           member_count)):
                if not how_many:
                    continue
                requests = make_requests(rng, how_many, public_ids)
                # one untimed pass over a few requests: connections, caches of the process
                for kind in CLASSES:
                    call(kind, requests[kind][-1], user)
                figures[label] = measure(requests, user, rng)
                print(f"-- {label}", flush=True)
                for kind, result in figures[label].items():
                    print(f"{kind:16} p50 {result['p50_ms']:8.1f} ms  p95 {result['p95_ms']:8.1f} ms"
                          f"  ({result['ratio_p50']}x / {result['ratio_p95']}x package_show"
                          f" use_cache=False)", flush=True)
                if label == "anonymous":
                    explain_one_per_class(requests, user,
                                          RESULTS.parent / f"search_plans_{size}.txt")
                    anonymous_requests = requests
            tk.config["ckanext.openlima.search.result_cache"] = True
            if trace_length:
                figures["cache_on_replayed_trace"] = cache_trace(
                    anonymous_requests, "", rng, trace_length, rebuilt_ids)
                print("-- cache on, replayed trace:", figures["cache_on_replayed_trace"])
            figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
            figures.update({
                "rebuild_datasets_per_s": round(rebuild_rate, 1),
                "rebuilt_datasets": len(to_rebuild),
                "index_rows_built_in_sql": len(ids) - len(to_rebuild),
                "rebuild_dictization_datasets_per_s": round(both_schemas_rate, 1),
                "rebuild_to_rebuild_dictization_ratio": round(rebuild_rate / both_schemas_rate, 3),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "target_p95_ratio": 2 if size <= 10000 else 5,
            })
            report["sizes"][str(size)] = figures
            print(f"load average {figures['load_average_before']} -> "
                  f"{figures['load_average_after']}", flush=True)
    # sizes not measured in this run keep their last figures (each with its own date)
    for size, figures in previous.items():
        if size not in report["sizes"] and "anonymous" in figures:
            report["sizes"][size] = figures
    for figures in report["sizes"].values():
        figures.setdefault("measured_at", report["generated_at"])
        figures.setdefault("command", report["command"])
    report["sizes"] = dict(sorted(report["sizes"].items(), key=lambda item: int(item[0])))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {RESULTS.relative_to(REPO)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--requests", type=int, default=100,
                        help="distinct requests per class, anonymous")
    parser.add_argument("--member-requests", type=int, default=100,
                        help="distinct requests per class, member of two organisations (0: skip)")
    parser.add_argument("--trace", type=int, default=600,
                        help="requests of the cache-on replayed trace (0: skip)")
    parser.add_argument("--rebuild-limit", type=int, default=10000,
                        help="largest catalogue rebuilt by CKAN in full")
    parser.add_argument("--rebuild-sample", type=int, default=2000,
                        help="datasets rebuilt by CKAN above --rebuild-limit")
    args = parser.parse_args(argv)
    run(sorted(args.sizes), args.requests, args.member_requests, args.trace, args.rebuild_limit,
        args.rebuild_sample)


if __name__ == "__main__":
    sys.exit(main())
