"""Locust users of `make bench-load` (benchmarks/load.py starts them headless).

Readers: the static site through nginx, the catalogue search page with facets, the API
(package_search, package_show), /compromisos and /participa. Writers: package_patch of
a dataset through the API (a data officer editing), with the reads a data officer makes.
Queries and datasets are drawn from the running catalogue, so requests vary (distinct
URLs) as a real audience's do.

Environment (set by benchmarks/load.py): LOAD_SITE (static site), LOAD_CKAN (CKAN through
nginx), LOAD_TOKEN (a sysadmin API token, writers only), LOAD_NO_CACHE=1 (every CKAN
request carries a cookie, so nginx's micro-cache is bypassed: the "caches off" figure).
"""
from __future__ import annotations

import os
import random
import re

import requests
from locust import HttpUser, constant, task

SITE = os.environ.get("LOAD_SITE", "http://127.0.0.1:5000")
CKAN = os.environ.get("LOAD_CKAN", "http://127.0.0.1:5001")
TOKEN = os.environ.get("LOAD_TOKEN", "")
NO_CACHE = os.environ.get("LOAD_NO_CACHE") == "1"
WORDS = ["agua", "transporte", "mercados", "parques", "salud", "residuos", "seguridad",
         "lima", "obras", "licencias", "presupuesto", "cultura", "riesgo", "comercio",
         "educación", "movilidad", "ambiente", "vecinos", "distrito", "datos"]
FACETS = ["", "&res_format=CSV", "&tags=transporte", "&license_id=cc-by", "&sort=name+asc"]

_names: list[str] = []
_static_names: list[str] = []


def dataset_names() -> list[str]:
    if not _names:
        result = requests.get(f"{CKAN}/api/3/action/package_search",
                              params={"rows": 1000, "fl": "name"}, timeout=60).json()
        _names.extend(d["name"] for d in result["result"]["results"])
    return _names


def static_names() -> list[str]:
    """Dataset pages of the static site as last built (its sitemap)."""
    if not _static_names:
        sitemap = requests.get(f"{SITE}/sitemap.xml", timeout=60).text
        _static_names.extend(re.findall(r"/conjuntos/([a-z0-9_-]+)\.html", sitemap))
    return _static_names


class Reader(HttpUser):
    host = CKAN
    wait_time = constant(0)
    weight = 5

    def on_start(self):
        if NO_CACHE:
            self.client.cookies.set("openlima_bench", "sin-cache")

    @task(4)
    def static_home(self):
        self.client.get(f"{SITE}/", name="site /")

    @task(4)
    def static_dataset(self):
        self.client.get(f"{SITE}/conjuntos/{random.choice(static_names())}.html",
                        name="site /conjuntos/<name>.html")

    @task(3)
    def search_page(self):
        self.client.get(f"/dataset?q={random.choice(WORDS)}{random.choice(FACETS)}",
                        name="/dataset?q=…")

    @task(3)
    def api_search(self):
        self.client.get(f"/api/3/action/package_search?q={random.choice(WORDS)}"
                        "&facet.field=[\"organization\",\"tags\",\"res_format\"]&rows=10",
                        name="api package_search")

    @task(3)
    def api_show(self):
        self.client.get(f"/api/3/action/package_show?id={random.choice(dataset_names())}",
                        name="api package_show")

    @task(1)
    def commitments(self):
        self.client.get("/compromisos", name="/compromisos")

    @task(1)
    def participation(self):
        self.client.get("/participa", name="/participa")


class Writer(HttpUser):
    """Only in the mixed run (benchmarks/load.py names the classes to run)."""

    host = CKAN
    wait_time = constant(0)
    weight = 1

    @task(1)
    def patch(self):
        name = random.choice(dataset_names())
        self.client.post("/api/3/action/package_patch", name="api package_patch (write)",
                         json={"id": name, "notes": f"Revisión {random.randint(1, 10**9)}."},
                         headers={"Authorization": TOKEN})

    @task(2)
    def read_own(self):
        self.client.get(f"/api/3/action/package_show?id={random.choice(dataset_names())}",
                        name="api package_show (writer)", headers={"Authorization": TOKEN})
