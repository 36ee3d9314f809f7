"""Every Lima Honesta protection is bound to the matched route, not to a path string.

Over real HTTP (a werkzeug server in a thread, the same server `ckan run` uses), every
rule of the two blueprints and the reporter API actions is requested under each path
variant a client can send — locale prefixes, doubled slashes, trailing slash,
percent-encoding, letter case — and each answer must carry the hardened headers; for
reporter routes the server's own access log must show no client address. The rules
are read from the Flask URL map, so a route added later is covered without anyone
remembering to add it here.
"""
from __future__ import annotations

import http.client
import re
import threading
import time

import pytest
from werkzeug.serving import make_server
from werkzeug.urls import uri_to_iri

from .conftest import csrf, form_value, solve_pow

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")

BLUEPRINTS = {"limahonesta_reporter": "reporter", "limahonesta_staff": "staff"}
REPORTER_ACTIONS = ("limahonesta_report_show_by_code", "limahonesta_report_create",
                    "limahonesta_report_message_create", "limahonesta_report_rate",
                    "limahonesta_pow_challenge_show")
SPY_UA = "NavegadorEspia/9.9 (PerfilUnico-7f3a)"
SPY_HEADERS = {"User-Agent": SPY_UA, "X-Forwarded-For": "198.51.100.23",
               "X-Real-IP": "198.51.100.24", "Referer": "http://203.0.113.77/origen"}
HARDENED = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


@pytest.fixture
def live(app, all_logs):
    server = make_server("127.0.0.1", 0, app.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None):
    """One raw request: the path goes on the wire exactly as given (no normalising)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        sent = dict(SPY_HEADERS, **(headers or {}))
        if body is not None:
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
            sent["Content-Length"] = str(len(body))
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def our_routes(flask_app) -> list[tuple[str, str, str]]:
    """(zone, method, path) for every rule of our blueprints, built by the URL map."""
    adapter = flask_app.url_map.bind("localhost")
    routes = []
    for rule in flask_app.url_map.iter_rules():
        zone = BLUEPRINTS.get(rule.endpoint.split(".")[0])
        if zone is None:
            continue
        values = {arg: ("lh.css" if arg == "filename" else "0f0e0d0c-0000-4000-8000-000000000000")
                  for arg in rule.arguments}
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        routes.append((zone, method, adapter.build(rule.endpoint, values, method=method)))
    assert {zone for zone, _m, _p in routes} == {"reporter", "staff"}
    return routes


def variants(path: str) -> list[str]:
    first, _, rest = path[1:].partition("/")
    rest = "/" + rest if rest or path.endswith("/") else ""
    toggled = path[:-1] if path.endswith("/") and len(path) > 1 else path + "/"
    return [
        path, "/en" + path, "/es" + path, "/en/" + path, "//" + path[1:],
        f"/{first}/{rest}" if rest else f"/{first}//", toggled,
        "/%" + format(ord(first[0]), "02X") + first[1:] + rest,
        "/" + first.capitalize() + rest, path.upper(), "/EN/" + path[1:],
    ]


def assert_hardened(status: int, headers, where: str) -> None:
    for name, value in HARDENED.items():
        assert value in (headers.get(name) or ""), (where, status, name, headers.get(name))
    csp = headers.get("Content-Security-Policy") or ""
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, (where, status)
    assert "public" not in (headers.get("Cache-Control") or ""), where


def access_log_lines(all_logs, path: str) -> list[str]:
    """The server's access-log lines for ``path`` (written just after the answer is
    sent, so wait for them a little)."""
    if path.startswith("//"):  # Python's http.server collapses a leading "//" itself
        path = "/" + path.lstrip("/")
    wanted = f" {uri_to_iri(path)} HTTP/1.1"
    deadline = time.monotonic() + 30
    while True:
        lines = [r.getMessage() for r in list(all_logs.records) if r.name == "werkzeug"]
        found = [line for line in lines if wanted in line]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def test_every_route_under_every_path_variant_is_hardened_and_forgets_the_client(
        app, live, all_logs):
    routes = our_routes(app.flask_app)
    actions = [("reporter", "POST", f"/api/3/action/{name}") for name in REPORTER_ACTIONS]
    actions += [("reporter", "POST", f"/api/action/{name}") for name in REPORTER_ACTIONS[:1]]
    checked = 0
    for zone, method, path in routes + actions:
        for variant in variants(path):
            body = b"codigo=1" if method == "POST" else None
            status, headers, _text = request(live, method, variant, body=body)
            assert status < 500, (variant, status)
            assert_hardened(status, headers, f"{method} {variant}")
            for header in ("Server-Timing", "X-Powered-By"):
                assert header not in headers
            if zone == "reporter":
                logged = access_log_lines(all_logs, variant)
                assert logged, (variant, "not in the access log")
                for line in logged:
                    assert "127.0.0.1" not in line and SPY_UA not in line, line
                    assert line.startswith("0.0.0.0 "), line
            checked += 1
    assert checked > 200


def test_a_report_filed_through_a_path_variant_keeps_no_client_trace(app, live, all_logs):
    from .conftest import db_dump_text
    status, headers, page = request(live, "GET", "/en//denuncias/nueva")
    assert status == 200, page[:500]
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    challenge = form_value(page, "pow_challenge")
    from urllib.parse import urlencode
    body = urlencode({
        "descripcion": "Cobro indebido en ventanilla, enviado por una variante de la ruta.",
        "oficina": "Gerencia de Transporte", "buena_fe": "on",
        "_csrf_token": csrf(page), "pow_challenge": challenge,
        "pow_counter": solve_pow(challenge)}).encode()
    status, headers, receipt = request(live, "POST", "/en//denuncias/nueva", body=body,
                                       headers={"Cookie": cookie})
    assert status == 200, receipt[:500]
    assert_hardened(status, headers, "receipt")
    code = re.search(r'id="tracking-code"[^>]*>([0-9 ]+)<', receipt).group(1)
    # the right code through another variant: the case page is never cacheable
    status, headers, case_page = request(
        live, "POST", "/en//denuncias/seguimiento",
        body=urlencode({"_csrf_token": csrf(page), "codigo": code}).encode(),
        headers={"Cookie": cookie})
    assert status == 200, case_page[:300]
    assert "Cobro indebido" in case_page
    assert_hardened(status, headers, "case page")
    dump = db_dump_text()
    logs = "\n".join(r.getMessage() + repr(r.__dict__) for r in all_logs.records)
    for trace in ("198.51.100.23", "198.51.100.24", "203.0.113.77", "NavegadorEspia"):
        assert trace not in dump and trace not in logs
    assert "127.0.0.1" not in "\n".join(
        r.getMessage() for r in all_logs.records if r.name == "werkzeug"
        and "/denuncias" in r.getMessage())
