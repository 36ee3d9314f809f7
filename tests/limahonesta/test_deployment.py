"""The deployment keeps Lima Honesta's promises (#12): nginx neither logs reporter routes
nor forwards the client's address there, limits each client itself, and accepts bodies
up to Lima Honesta's real maximum; gunicorn's access log leaves reporter routes out;
production tells CKAN that the proxy does the per-client work.

The files are read as they are; then the real programs run: Debian's nginx with
deploy/nginx.conf (hosts, ports and paths rewritten for a temporary directory) in front
of a server that records what nginx forwards, and gunicorn with the entrypoint's logger
class serving CKAN.
"""
from __future__ import annotations

import configparser
import http.client
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
NGINX_CONF = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
ENTRYPOINT = (DEPLOY / "entrypoint.sh").read_text(encoding="utf-8")
DECLARATION = yaml.safe_load((REPO / "ckanext-limahonesta" / "ckanext" / "limahonesta"
                              / "config_declaration.yaml").read_text(encoding="utf-8"))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REPORTER_PATHS = ["/denuncias/nueva", "/en/denuncias/seguimiento", "/Denuncias/", "/en//denuncias/nueva",
                  "/%64enuncias/nueva", "/api/3/action/limahonesta_report_show_by_code"]


def declared_default(key: str) -> int:
    for group in DECLARATION["groups"]:
        for option in group["options"]:
            if option["key"] == key:
                return int(option["default"])
    raise KeyError(key)


def lima_honesta_max_body_mib() -> float:
    """What Lima Honesta itself accepts: max_files × max_file_size_mb + 1 MiB of form."""
    return (declared_default("ckanext.limahonesta.max_files")
            * declared_default("ckanext.limahonesta.max_file_size_mb") + 1)


def reporter_location() -> str:
    match = re.search(r'location ~\* "([^"]*denuncias[^"]*)" \{(.*?)\n    \}', NGINX_CONF, re.S)
    assert match, "no nginx location for the reporter routes"
    return match.group(2)


def test_the_deployment_files_keep_the_readme_promises():
    block = reporter_location()
    assert "access_log off;" in block
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded", "User-Agent", "Referer"):
        assert re.search(rf'proxy_set_header {header} "";', block), header
    body = int(re.search(r"client_max_body_size\s+(\d+)m;", block).group(1))
    assert body >= lima_honesta_max_body_mib()
    assert "limit_req zone=lh_code" in block and "limit_req zone=lh_intake" in block
    assert "error_page 429 = @lh_too_many;" in block
    staff = re.search(r'location ~\* "[^"]*integridad[^"]*" \{(.*?)\}', NGINX_CONF, re.S).group(1)
    assert int(re.search(r"client_max_body_size\s+(\d+)m;", staff).group(1)) >= \
        lima_honesta_max_body_mib()
    gunicorn = ENTRYPOINT[ENTRYPOINT.index("exec gunicorn"):]
    assert "--logger-class gunicorn_logging.LimaHonestaLogger" in gunicorn \
        or "--access-logfile" not in gunicorn
    assert "limahonesta setup" in ENTRYPOINT
    production = configparser.ConfigParser(interpolation=None)
    production.read(REPO / "config" / "production.ini")
    assert production["app:main"]["ckanext.limahonesta.client_limits_at_proxy"] == "true"


# --------------------------------------------------------------------------- real nginx


class Recorder(http.server.ThreadingHTTPServer):
    """Stands in for CKAN behind nginx and remembers what nginx forwarded."""

    def __init__(self):
        self.seen: list[tuple[str, str, dict[str, str]]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(handler):
                length = int(handler.headers.get("Content-Length") or 0)
                remaining = length
                while remaining:
                    remaining -= len(handler.rfile.read(min(remaining, 1 << 20)))
                self.seen.append((handler.command, handler.path, dict(handler.headers)))
                handler.send_response(200)
                handler.send_header("Content-Length", "2")
                handler.end_headers()
                handler.wfile.write(b"ok")

            do_GET = do_POST = _answer

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def nginx():
    """Debian's nginx with deploy/nginx.conf rendered as `make prod` renders it, CKAN's
    upstream replaced by the recorder."""
    if not os.path.exists(NGINX):
        pytest.skip("nginx is not installed here (the file checks above still ran)")
    from openlima_stack import prod
    recorder = Recorder()
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    # not pytest's tmp_path (0700): nginx's workers (www-data when root) must reach it
    state = Path(tempfile.mkdtemp(prefix="lh-nginx-"))
    state.chmod(0o755)
    ports = prod.Ports(site=free_port(), ckan=free_port(), app=recorder.server_port)
    env = prod.production_environment(
        postgres_url="postgresql://postgres@127.0.0.1:5432/postgres",
        redis_url="redis://127.0.0.1:6379/5", ports=ports, state=state,
        environ={"PATH": os.environ.get("PATH", "")})
    env["OPENLIMA_CKAN_HOST"] = "ckan.test"
    conf = prod.render_nginx(env, state / "nginx")
    process = subprocess.Popen(
        [NGINX, "-p", str(state / "nginx"), "-c", str(conf), "-g", "daemon off;"],
        stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", ports.ckan), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
    yield ports.ckan, recorder, state / "nginx" / "logs"
    process.terminate()
    process.wait(timeout=30)
    recorder.shutdown()
    recorder.server_close()
    shutil.rmtree(state, ignore_errors=True)


def send(port: int, method: str, path: str, body: bytes = b""):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.putrequest(method, path, skip_host=True)
        for name, value in {"Host": "ckan.test", "User-Agent": "NavegadorEspia/9.9",
                            "X-Forwarded-For": "198.51.100.23", "X-Real-IP": "198.51.100.24",
                            "Referer": "http://203.0.113.77/", "Content-Length": str(len(body))
                            }.items():
            connection.putheader(name, value)
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    except (BrokenPipeError, ConnectionResetError):
        return None, {}, b""
    finally:
        connection.close()


def test_nginx_forgets_reporters_limits_each_client_and_takes_lima_honesta_bodies(nginx):
    port, recorder, logs = nginx
    for path in REPORTER_PATHS + ["/dataset/", "/integridad/"]:
        status, _headers, _body = send(port, "GET", path)
        assert status == 200, path
    forwarded = {path: headers for _m, path, headers in recorder.seen}
    for path, headers in forwarded.items():
        spoofed = {"X-Forwarded-For", "X-Real-IP", "User-Agent", "Referer"} & set(headers)
        if "denuncias" in path.lower() or "%64enuncias" in path or "limahonesta_" in path:
            assert not spoofed, (path, headers)
        else:
            assert "X-Forwarded-For" in headers, path  # everything else is unchanged
    # code checks: six a minute per client (burst 5), then 429 with Retry-After in Spanish
    statuses = [send(port, "POST", "/denuncias/seguimiento", b"codigo=1")[0] for _ in range(12)]
    assert statuses[:6] == [200] * 6 and 429 in statuses
    status, headers, body = send(port, "POST", "/en//denuncias/seguimiento", b"codigo=1")
    assert status == 429 and headers["Retry-After"] == "60"
    assert "espere un minuto" in body.decode()
    # Lima Honesta's largest request reaches CKAN; a bigger one does not
    big = int(lima_honesta_max_body_mib() * 1024 * 1024)
    assert send(port, "POST", "/denuncias/caso/mensaje", b"x" * big)[0] == 200
    assert send(port, "POST", "/denuncias/caso/mensaje", b"x" * (big + 2 * 1024 * 1024))[0] in (
        413, None)
    access = (logs / "access.log").read_text()
    assert "/dataset/" in access and "/integridad/" in access
    assert "enuncias" not in access and "limahonesta" not in access
    errors = (logs / "error.log").read_text()  # at the official image's level (notice)
    assert "limiting requests" not in errors and "client: 127.0.0.1" not in errors


# --------------------------------------------------------------------------- real gunicorn


def test_gunicorn_access_log_leaves_reporter_routes_out(tmp_path, ckan_config):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    port = free_port()
    access_log = tmp_path / "access.log"
    env = dict(os.environ, CKAN_INI=ckan_config["__file__"])
    process = subprocess.Popen(
        [str(gunicorn), "--chdir", str(DEPLOY), "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--timeout", "300", "--logger-class", "gunicorn_logging.LimaHonestaLogger",
         "--access-logfile", str(access_log), "wsgi:application"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                status = send(port, "GET", "/api/3/action/status_show")[0]
                if status == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, process.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        for path in REPORTER_PATHS:
            assert send(port, "GET", path)[0] is not None
        send(port, "GET", "/dataset/")
        deadline = time.monotonic() + 60
        while "/dataset/" not in (access_log.read_text() if access_log.exists() else ""):
            assert time.monotonic() < deadline, "gunicorn wrote no access log"
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=60)
    logged = access_log.read_text()
    assert "status_show" in logged and "/dataset/" in logged
    assert "enuncias" not in logged and "limahonesta" not in logged
