"""Run CKAN 2.12's own search tests, from the installed package, against openlima_search.

Usage: python tests/ckan_search/run.py [extra pytest args]   (`make test-ckan-search`)
Services are resolved as `make test` resolves them (openlima_stack), on a database of
its own, `<test database>_ckan_search`, since CKAN's fixtures drop every table; given
CKAN_SQLALCHEMY_URL / CKAN_REDIS_URL are used as they are. The ini is
config/test-ckan-search.ini (CKAN's test-core settings, our search plugin and nothing
else). Exclusions, each with its reason: exclusions.txt.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ckan
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SITE_PACKAGES = Path(ckan.__file__).resolve().parents[1]
INI = REPO / "config" / "test-ckan-search.ini"

TARGETS = [
    "ckan/tests/lib/search/",
    "ckan/tests/logic/action/test_get.py::TestPackageSearch",
    "ckan/tests/logic/action/test_get.py::TestPackageAutocomplete",
    "ckan/tests/logic/action/test_get.py::TestOrganizationList",
    "ckan/tests/logic/action/test_get.py::TestOrganizationShow",
    "ckan/tests/logic/action/test_get.py::TestGroupList",
    "ckan/tests/logic/action/test_get.py::TestGroupShow",
    "ckan/tests/controllers/test_package.py::TestSearch",
    "ckan/tests/controllers/test_pagination.py",
    "ckan/tests/cli/test_search_index.py",
]


def exclusions() -> list[str]:
    ids = []
    for line in (HERE / "exclusions.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            node, _, reason = line.partition("#")
            if not reason.strip():
                raise SystemExit(f"exclusion without a reason: {line}")
            ids.append(node.strip())
    return ids


def run_pytest(argv: list[str]) -> int:
    args = [f"--ckan-ini={INI}", "-p", "no:cacheprovider",
            f"--rootdir={SITE_PACKAGES}", *TARGETS]
    for node in exclusions():
        args += ["--deselect", node]
    os.chdir(SITE_PACKAGES)
    return pytest.main(args + argv)


def main(argv: list[str]) -> int:
    if os.environ.get("CKAN_SQLALCHEMY_URL") and os.environ.get("CKAN_REDIS_URL"):
        return run_pytest(argv)
    from openlima_stack import config
    from openlima_stack.cli import test_urls
    from openlima_stack.services import Services, ensure_database, with_database

    with Services(config.state_dir()) as services:
        database_url, redis_url = test_urls(services.postgres.url, services.redis.url)
        database_url = with_database(database_url, config.test_database() + "_ckan_search")
        ensure_database(database_url)
        os.environ["CKAN_SQLALCHEMY_URL"] = database_url
        os.environ["CKAN_REDIS_URL"] = redis_url
        # CKAN's suite expects an initialised database (some tests use no clean_db)
        subprocess.run([str(Path(sys.executable).with_name("ckan")), "-c", str(INI), "db", "init"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"==> CKAN's own search tests on {database_url}", flush=True)
        return run_pytest(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
