"""`make bench`: every benchmark, on services resolved the way `make run` resolves them.

Search: benchmarks/search_bench.py on its own database `<OPENLIMA_DB>_bench` (default
`openlima_bench`; wiped each run), so benchmarks in two checkouts never share one.
Lima Honesta: benchmarks/limahonesta_bench.py (submissions/s, code-check latency at the
configured Argon2id cost, offline guessing cost), same database afterwards; then
benchmarks/limahonesta_attack_bench.py (gunicorn, 4 sync workers: home page and right-code
p95 with and without 20 concurrent wrong-code clients).
Static site: benchmarks/site.py, then benchmarks/site_compare.py --datasets 10000,100000
(one run: ours next to Hugo and Jekyll + Pagefind at 10,000 datasets, ours and Hugo at
100,000, with the first-search download in Chromium; Hugo and Jekyll installed from
Debian when missing). DataStore: benchmarks/datastore_bench.py (1,000,000-row
CSV: load vs PostgreSQL COPY, worker peak RSS, datastore_search vs package_show p95) on
the same database and its DataStore `openlima_bench_datastore`.
Each writes its JSON under benchmarks/results/.
Extra arguments go to the search benchmark (e.g. `--sizes 10000 --repeat 20`); the
environment variable SITE_COMPARE_ARGS replaces site_compare.py's (e.g.
`make bench SITE_COMPARE_ARGS="--datasets 10000 --tools ours,hugo"` for a shorter run).
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from openlima_stack import config, datastore
from openlima_stack.services import Services, ensure_database, with_database, with_redis_db

HERE = Path(__file__).resolve().parent
BENCH_REDIS_DB = 3
# The longest part of `make bench` (on this project's 2-core machine shared with others'
# tests: 18 minutes at 10,000 datasets, Jekyll most of it, and 70 at 100,000, Hugo and the
# render profile most of it): SITE_COMPARE_ARGS replaces its arguments.
SITE_COMPARE_DEFAULT = "--datasets 10000,100000"


def main(argv: list[str]) -> int:
    site_compare_args = shlex.split(os.environ.get("SITE_COMPARE_ARGS", SITE_COMPARE_DEFAULT))
    with Services(config.state_dir()) as services:
        database_url = with_database(services.postgres.url, f"{config.dev_database()}_bench")
        ensure_database(database_url)
        write_url, read_url = datastore.derived_urls(database_url)
        datastore.ensure_datastore(database_url, write_url, read_url)
        env = dict(os.environ, CKAN_SQLALCHEMY_URL=database_url,
                   CKAN_REDIS_URL=with_redis_db(services.redis.url, BENCH_REDIS_DB),
                   CKAN_DATASTORE_WRITE_URL=write_url, CKAN_DATASTORE_READ_URL=read_url)
        status = 0
        for script, args in ((HERE / "search_bench.py", argv),
                             (HERE / "limahonesta_bench.py", []),
                             (HERE / "limahonesta_attack_bench.py", []),
                             (HERE / "site.py", []),
                             (HERE / "site_compare.py", site_compare_args),
                             (HERE / "datastore_bench.py", [])):
            print(f"==> {script.name}", flush=True)
            status |= subprocess.run([sys.executable, str(script), *args], env=env).returncode
        return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
