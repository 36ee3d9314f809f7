"""``make prod`` (``openlima-stack prod``) started and walked as a visitor would.

One stack for the module, on the test PostgreSQL server (database ``<test db>_prod``) and
the test Redis under its own site id, on free ports: gunicorn with deploy/wsgi.py,
``ckan jobs worker``, ``ckan openlima scheduler`` and Debian's nginx with
deploy/nginx.conf. A short schedule (site_build every 15 s) shows periodic jobs running by
themselves, and the dataset created through the API reaches the static site.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup

from openlima_stack.services import (
    LOCALHOST,
    database_name,
    port_answers,
    port_is_free,
    with_database,
)

pytestmark = pytest.mark.stack

SITE_ID = "openlima_prod_test"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"


def free_port_pair() -> int:
    import socket

    for _ in range(50):
        with socket.socket() as sock:
            sock.bind((LOCALHOST, 0))
            base = sock.getsockname()[1]
        if base < 65000 and all(port_is_free(base + i) for i in range(1, 4)):
            return base
    raise RuntimeError("no free ports")


class Client:
    """urllib with its own cookie jar, no proxy, errors as answers."""

    def __init__(self, cookies: bool = False):
        handlers = [urllib.request.ProxyHandler({})]
        self.jar = CookieJar() if cookies else None
        if self.jar is not None:
            handlers.append(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, url, data=None, headers=None, method=None):
        body = None
        if isinstance(data, dict):
            body = urlencode(data).encode()
        elif isinstance(data, (bytes, str)):
            body = data.encode() if isinstance(data, str) else data
        request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")


class ProdStack:
    def __init__(self, directory: Path, base_port: int, database_url: str, redis_url: str):
        self.directory = directory
        self.site = f"http://{LOCALHOST}:{base_port}"
        self.ckan = f"http://{LOCALHOST}:{base_port + 1}"
        self.ports = (base_port, base_port + 1)
        self.log = directory / "prod.log"
        self.env = dict(os.environ)
        for name in ("CKAN_SITE_URL", "CKAN_INI", "OPENLIMA_SERVICES"):
            self.env.pop(name, None)
        self.env.update({
            "PORT": str(base_port),
            "OPENLIMA_STATE_DIR": str(directory / "state"),
            "CKAN_SQLALCHEMY_URL": database_url,
            "CKAN_REDIS_URL": redis_url,
            "OPENLIMA_PROD_DB": database_name(database_url),
            "CKAN_SITE_ID": SITE_ID,
            "OPENLIMA_LOAD_DEMO": "false",
            "GUNICORN_WORKERS": "2",
            "CKAN___CKANEXT__OPENLIMA__SCHEDULE": (
                "site_build = 15; link_checks = off; harvest_run = off; limahonesta_purge = off; "
                "limahonesta_reminders = off; limahonesta_publish = off"),
            "CKAN___CKANEXT__OPENLIMA__SCHEDULE_RETRY_SECONDS": "5",
            "PYTHONUNBUFFERED": "1",
        })
        self.process = None

    def start(self):
        log = open(self.log, "wb")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "openlima-stack"), "prod"], env=self.env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "make prod ended:\n" + self.output()[-4000:]
            if "En marcha" in self.output() and "=====" in self.output():
                return
            time.sleep(1)
        raise AssertionError("make prod did not start:\n" + self.output()[-4000:])

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C in the terminal
        try:
            return self.process.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise

    def ckan_cli(self, *args) -> str:
        ini = self.directory / "state" / "prod" / "ckan.ini"
        result = subprocess.run([str(Path(sys.executable).parent / "ckan"), "-c", str(ini),
                                 *args], env=self.env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    import psycopg2
    from psycopg2 import sql

    test_db = os.environ.get("CKAN_SQLALCHEMY_URL")
    assert test_db, "run through `make test`"
    database_url = with_database(test_db, database_name(test_db) + "_prod")
    maintenance = psycopg2.connect(with_database(test_db, "postgres"))
    maintenance.autocommit = True
    with maintenance.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(database_name(database_url))))
    directory = Path(tempfile.mkdtemp(prefix="openlima-prod-"))
    directory.chmod(0o755)  # nginx's workers (www-data) read the static site in here
    stack = ProdStack(directory, free_port_pair(), database_url, os.environ["CKAN_REDIS_URL"])
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        with maintenance.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(database_name(database_url))))
        maintenance.close()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def admin_token(prod):
    output = prod.ckan_cli("user", "token", "add", "admin", "prueba-prod")
    return output.strip().splitlines()[-1].strip()


def api(prod, action, data=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    status, _, body = Client().request(f"{prod.ckan}/api/3/action/{action}",
                                       data=json.dumps(data or {}), headers=headers)
    return status, json.loads(body)


def dataset(name: str, owner_org: str, private: bool = False) -> dict:
    return {
        "name": name, "title": f"Conjunto {name}", "owner_org": owner_org, "private": private,
        "notes": "Datos de prueba de la topología de producción.",
        "tag_string": "prueba", "theme": [THEME + "GOVE"], "license_id": "cc-by",
        "contact": [{"name": "Subgerencia de Datos", "email": "datos@munlima.gob.pe"}],
        "frequency": FREQUENCY + "MONTHLY",
        "temporal_coverage": [{"start": "2024-01-01", "end": "2024-12-31"}],
        "spatial_ubigeo": ["150101"], "version": "1.0",
        "conforms_to": ["https://www.datosabiertos.gob.pe/estandar"],
        "data_dictionary": [{"column": "codigo", "type": "texto", "description": "Código"}],
        "resources": [{"name": "Datos (CSV)", "url": "http://example.org/datos.csv",
                       "format": "CSV", "modified": "2024-12-31"}],
    }


@pytest.fixture(scope="module")
def office(prod, admin_token):
    status, body = api(prod, "organization_create", {
        "name": "gerencia-de-prueba-prod", "title": "Gerencia de Prueba"}, admin_token)
    assert status == 200, body
    return body["result"]


def wait_for(condition, timeout, what, prod):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        assert prod.process.poll() is None, prod.output()[-3000:]
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


# --------------------------------------------------------------------------- walking it


def test_static_site_is_served_by_nginx(prod):
    status, headers, body = Client().request(prod.site + "/")
    assert status == 200 and headers["Server"].startswith("nginx")
    assert "text/html" in headers["Content-Type"]
    assert "Content-Security-Policy" in headers
    assert "<html" in body.lower()
    status, _, body = Client().request(prod.site + "/healthz")
    assert status == 200 and body == "ok\n"
    status, _, _ = Client().request(prod.site + "/no-existe-esta-pagina")
    assert status == 404


def test_ckan_pages_api_and_health_through_nginx(prod):
    client = Client()
    status, headers, body = client.request(prod.ckan + "/dataset")
    assert status == 200 and headers["Server"].startswith("nginx")
    assert "gunicorn" not in json.dumps(headers).lower()
    status, _, body = client.request(prod.ckan + "/api/3/action/status_show")
    assert status == 200 and json.loads(body)["result"]["ckan_version"] == "2.12.0"
    # a redirect keeps the port the visitor used (nginx passes the Host as sent)
    status, _, body = client.request(prod.ckan + "/participa")
    assert status == 200, body[:500]
    status, _, body = client.request(prod.ckan + "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}

    def ready():
        status, headers, body = client.request(prod.ckan + "/readyz")
        checks = json.loads(body)["checks"]
        return status == 200 and checks["worker"]["ok"] and checks["scheduler"]["ok"] and body
    body = wait_for(ready, 240, "worker and scheduler in /readyz", prod)
    for secret in ("postgresql://", "redis://", prod.env["CKAN_SQLALCHEMY_URL"]):
        assert secret not in body


def test_a_new_dataset_reaches_the_static_site_on_the_next_scheduled_build(
        prod, admin_token, office):
    name = "conjunto-visto-en-el-sitio"
    status, body = api(prod, "package_create", dataset(name, office["id"]), admin_token)
    assert status == 200, body
    # nobody builds the site but the scheduler's site_build job (every 15 s here)
    page = prod.site + f"/conjuntos/{name}.html"

    def published():
        status, _, html = Client().request(page)
        return status == 200 and html
    html = wait_for(published, 300, "the dataset page on the static site", prod)
    assert f"Conjunto {name}" in html

    # CKAN knows the site's address (ckanext.openlima.site_url from OPENLIMA_SITE_URL):
    # DCAT's landing page is the site's page, and a district URI leads to its site page
    status, _, turtle = Client().request(prod.ckan + f"/dataset/{name}.ttl")
    assert status == 200 and f"<{page}>" in turtle, turtle[:2000]

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    try:
        urllib.request.build_opener(urllib.request.ProxyHandler({}), Stay()).open(
            prod.ckan + "/ubigeo/150122", timeout=60)
        raise AssertionError("/ubigeo/150122 did not redirect")
    except urllib.error.HTTPError as answer:
        assert answer.code == 303 and answer.headers["Location"] == prod.site + "/distritos/150122/"
    status, _, district = Client().request(prod.site + "/distritos/150122/")
    assert status == 200 and "Miraflores" in district

    status, body = api(prod, "openlima_schedule_show", token=admin_token)
    jobs = {job["name"]: job for job in body["result"]["jobs"]}
    assert jobs["site_build"]["last_result"] == "ok" and jobs["site_build"]["next_run"]
    assert body["result"]["schedulers"] == 1


# --------------------------------------------------------------------------- micro-cache


def test_anonymous_reads_are_answered_from_the_cache(prod):
    url = prod.ckan + "/dataset?q=cache-anonimo"
    client = Client()
    statuses = []
    for _ in range(3):
        status, headers, _ = client.request(url)
        assert status == 200 and "Set-Cookie" not in headers
        statuses.append(headers.get("X-Cache-Status"))
    assert statuses[0] in ("MISS", "EXPIRED") and statuses[-1] == "HIT"
    status, headers, _ = client.request(prod.ckan + "/api/3/action/package_search?q=cache")
    status, headers, _ = client.request(prod.ckan + "/api/3/action/package_search?q=cache")
    assert status == 200 and headers["X-Cache-Status"] == "HIT"


def login(prod) -> Client:
    password = (Path(prod.env["OPENLIMA_STATE_DIR"]) / "prod" / "admin-password").read_text()
    browser = Client(cookies=True)
    status, _, page = browser.request(prod.ckan + "/user/login")
    assert status == 200
    token = BeautifulSoup(page, "html.parser").find("input", {"name": "_csrf_token"})["value"]
    status, _, _ = browser.request(prod.ckan + "/user/login", data={
        "login": "admin", "password": password.strip(), "_csrf_token": token})
    assert status == 200
    return browser


def test_a_logged_in_page_is_never_served_to_someone_else(prod):
    browser = login(prod)
    url = prod.ckan + "/dataset?q=pagina-con-sesion"
    status, headers, page = browser.request(url)
    assert status == 200 and headers["X-Cache-Status"] == "BYPASS"
    assert "/user/_logout" in page or "user.logout" in page or "/user/logout" in page
    # the same address, asked by someone without the session, right after
    status, headers, page = Client().request(url)
    assert status == 200
    assert headers["X-Cache-Status"] in ("MISS", "EXPIRED")
    assert "/user/logout" not in page and "/user/_logout" not in page
    # and the user's own dashboard is never kept
    for _ in range(2):
        status, headers, _ = browser.request(prod.ckan + "/dashboard/datasets")
        assert status == 200 and headers["X-Cache-Status"] == "BYPASS"


def test_a_private_dataset_is_never_served_from_the_cache(prod, admin_token, office):
    name = "conjunto-privado-de-cache"
    status, body = api(prod, "package_create", dataset(name, office["id"], private=True),
                       admin_token)
    assert status == 200, body
    page_url = prod.ckan + f"/dataset/{name}"
    api_url = prod.ckan + f"/api/3/action/package_show?id={name}"
    for url in (page_url, api_url, page_url, api_url):
        status, headers, body = Client().request(url, headers={"Authorization": admin_token})
        assert status == 200 and f"Conjunto {name}" in body
        assert headers["X-Cache-Status"] == "BYPASS"
    for url in (page_url, api_url):
        status, headers, body = Client().request(url)
        assert status in (403, 404) and f"Conjunto {name}" not in body
    # nor through search, nor on the static site after the next build
    status, _, body = Client().request(prod.ckan + f"/dataset?q={name}")
    assert f"Conjunto {name}" not in body


def test_forms_and_lima_honesta_are_never_cached(prod):
    for path in ("/user/login", "/denuncias/nueva", "/denuncias/seguimiento"):
        for _ in range(2):
            status, headers, _ = Client().request(prod.ckan + path)
            assert status == 200, path
            assert headers.get("X-Cache-Status") != "HIT", path
            assert "Set-Cookie" in headers or "no-store" in headers.get("Cache-Control", ""), path


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_stops_every_process(prod):
    ports = [int(m) for m in re.findall(r"127\.0\.0\.1:(\d+)", prod.output())]
    assert prod.stop() == 130
    for port in set(prod.ports) | {p for p in ports if p not in (5432, 6379)}:
        assert not port_answers(port), port
    import redis
    from rq import Worker
    from rq.cron import CronScheduler

    connection = redis.Redis.from_url(prod.env["CKAN_REDIS_URL"])
    assert not [w for w in Worker.all(connection=connection)
                if any(q.startswith(f"ckan:{SITE_ID}:") for q in w.queue_names())]
    assert not [s for s in CronScheduler.all(connection) if s.name.startswith(
        f"openlima:{SITE_ID}:")]
