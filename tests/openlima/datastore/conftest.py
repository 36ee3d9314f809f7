"""A live portal for the DataStore's end-to-end tests: CKAN's web server and a real
``ckan jobs worker`` as separate processes, on the test database, its DataStore database
and the test Redis — as ``make run`` runs them. The tests talk to it over HTTP only."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import orm

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers
from ckanext.datastore.tests.helpers import clear_db
from openlima_stack.ckan_tasks import plugin_migration_ini

REPO = Path(__file__).resolve().parents[3]
CKAN = str(Path(sys.executable).parent / "ckan")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LivePortal:
    def __init__(self, url: str, token: str, logs: Path, start_worker):
        self.url, self.token, self.logs = url, token, logs
        self._start_worker = start_worker
        self.worker = start_worker()

    def kill_worker(self) -> None:
        """SIGKILL the worker and its work horse (its whole process group), as a crash."""
        os.killpg(self.worker.pid, 9)
        self.worker.wait(30)

    def restart_worker(self) -> None:
        self.worker = self._start_worker()

    def request(self, method: str, path: str, data: Optional[bytes] = None,
                headers: Optional[dict] = None, auth: bool = True) -> tuple[int, bytes, dict]:
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers=dict(headers or {}))
        if auth:
            request.add_header("Authorization", self.token)
        try:
            with OPENER.open(request, timeout=60) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def action(self, action_name: str, /, auth: bool = True, **data: Any) -> tuple[int, dict]:
        status, body, _ = self.request(
            "POST", f"/api/3/action/{action_name}", json.dumps(data).encode(),
            {"Content-Type": "application/json"}, auth=auth)
        return status, json.loads(body)

    def upload(self, package_id: str, name: str, filename: str, content: bytes,
               fmt: str) -> dict:
        boundary = "openlimaBoundary7MA4YWxk"
        parts = []
        for key, value in (("package_id", package_id), ("name", name), ("format", fmt)):
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"'
                         f"\r\n\r\n{value}\r\n".encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream'
                     "\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        status, body, _ = self.request(
            "POST", "/api/3/action/resource_create", b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert status == 200, body[:500]
        return json.loads(body)["result"]

    def reupload(self, resource_id: str, filename: str, content: bytes) -> dict:
        """A new file for an existing resource (resource_patch with an upload)."""
        boundary = "openlimaBoundary7MA4YWxk"
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="id"\r\n\r\n'
                f"{resource_id}\r\n".encode()
                + f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; '
                  f'filename="{filename}"\r\nContent-Type: application/octet-stream'
                  "\r\n\r\n".encode() + content + f"\r\n--{boundary}--\r\n".encode())
        status, answer, _ = self.request(
            "POST", "/api/3/action/resource_patch", body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert status == 200, answer[:500]
        return json.loads(answer)["result"]

    def wait_for_loads(self, resource_ids: list[str], timeout: float = 420) -> dict[str, str]:
        """Each resource's final loader state (complete or error), as the worker ends it."""
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            for resource_id in resource_ids:
                if resource_id in states:
                    continue
                status, body = self.action("xloader_status", resource_id=resource_id)
                state = body.get("result", {}).get("status") if status == 200 else None
                if state in ("complete", "error"):
                    states[resource_id] = state
            if len(states) == len(resource_ids):
                return states
            time.sleep(1)
        raise AssertionError(f"loads not finished: {set(resource_ids) - set(states)}\n"
                             + self.log_tail())

    def log_tail(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-3000:]
                         for path in sorted(self.logs.glob("*.log")))


def _wait_http(url: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"CKAN exited with {process.returncode}")
        try:
            with OPENER.open(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture(scope="module")
def live_portal():
    """CKAN web + jobs worker processes on a clean test database (module-scoped: the
    tests of a module share them and create their own datasets)."""
    # The test database as CKAN's clean_db leaves it, with every plugin's tables, and an
    # empty DataStore database.
    helpers.reset_db()
    for plugin_name in tk.aslist(tk.config.get("ckan.plugins")):
        ini, _ours = plugin_migration_ini(plugin_name)
        if ini is not None:
            alembic_config = Config(str(ini))
            alembic_config.set_main_option("sqlalchemy.url", tk.config["sqlalchemy.url"])
            command.upgrade(alembic_config, "head")
    engine = sa.create_engine(tk.config["ckan.datastore.write_url"])
    session = orm.scoped_session(orm.sessionmaker(bind=engine))
    clear_db(session)
    engine.dispose()
    # jobs other suites queued in the test Redis (no worker runs there) would keep this
    # worker busy with datasets long gone
    from ckan.lib.jobs import get_queue

    get_queue().empty()

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="openlima-live-"))
    storage = workdir / "storage"
    storage.mkdir()
    ini = workdir / "live.ini"
    ini.write_text(
        "[app:main]\n"
        f"use = config:{REPO / 'config' / 'test.ini'}\n"
        f"ckan.site_url = {url}\n"
        f"ckan.storage_path = {storage}\n"
        # 'localhost' plays an intranet file server the city allows; 127.0.0.1 any
        # other private address
        "ckanext.openlima.linkcheck_allowed_hosts = localhost\n"
        # small, so that "too large" needs no 200 MB file in the test
        "ckanext.xloader.max_content_length = 300000\n"
        "ckan.auth.create_unowned_dataset = true\n"
    )
    env = dict(os.environ, CKAN_SITE_URL=url, CKAN_INI=str(ini))
    env.pop("CKAN_STORAGE_PATH", None)
    web_log = open(workdir / "web.log", "w")
    worker_log = open(workdir / "worker.log", "w")
    web = subprocess.Popen([CKAN, "-c", str(ini), "run", "-H", "127.0.0.1", "-p", str(port),
                            "--disable-reloader"], env=env, stdout=web_log,
                           stderr=subprocess.STDOUT, start_new_session=True)

    def start_worker() -> subprocess.Popen:
        return subprocess.Popen([CKAN, "-c", str(ini), "jobs", "worker"], env=env,
                                stdout=worker_log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    portal = None
    try:
        _wait_http(url + "/api/3/action/status_show", web)
        admin = tk.get_action("user_create")(
            {"ignore_auth": True},
            {"name": "datos_admin", "email": "datos@example.org", "password": "Clave-Segura-123"})
        model.Session.query(model.User).filter_by(id=admin["id"]).update({"sysadmin": True})
        model.Session.commit()
        token = tk.get_action("api_token_create")(
            {"ignore_auth": True, "user": "datos_admin"},
            {"user": "datos_admin", "name": "pruebas"})["token"]
        portal = LivePortal(url, token, workdir, start_worker)
        yield portal
    finally:
        processes = [web] + ([portal.worker] if portal else [])
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, 2)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(10)
        web_log.close()
        worker_log.close()
        shutil.rmtree(workdir, ignore_errors=True)
