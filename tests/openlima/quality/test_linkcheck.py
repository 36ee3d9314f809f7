"""The link checker never lets a redirect take it into private networks."""
from __future__ import annotations

import http.server
import threading

import pytest

from ckanext.openlima.quality.linkcheck import check_url

pytestmark = pytest.mark.usefixtures("with_plugins")


class _Server:
    """A real HTTP server on 127.0.0.1 answering each path from ``routes``."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict[str, str]]] = {}
        self.hits: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self):
                outer.hits.append(self.path)
                status, headers = outer.routes.get(self.path, (404, {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()

            do_GET = do_HEAD

            def log_message(self, *args):
                return None

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    public, internal = _Server(), _Server()
    internal.routes["/latest/meta-data"] = (200, {})
    yield public, internal
    public.close()
    internal.close()


# "localhost" stands for a host the municipality allows (an intranet file server);
# 127.0.0.1 for any other private address (a cloud metadata service, an internal API).
ALLOWED = pytest.mark.ckan_config("ckanext.openlima.linkcheck_allowed_hosts", "localhost")


@ALLOWED
def test_a_redirect_to_a_private_address_is_refused_without_requesting_it(servers):
    public, internal = servers
    public.routes["/datos.csv"] = (
        302, {"Location": f"http://127.0.0.1:{internal.port}/latest/meta-data"})

    ok, status, error = check_url(f"http://localhost:{public.port}/datos.csv")

    assert (ok, status) == (False, None)
    assert error == "Dirección de red privada: no se verifica."
    assert public.hits == ["/datos.csv"] and internal.hits == []


@ALLOWED
def test_redirects_are_followed_hop_by_hop_on_allowed_hosts(servers):
    public, _internal = servers
    public.routes["/viejo.csv"] = (301, {"Location": "/nuevo.csv"})
    public.routes["/nuevo.csv"] = (200, {})

    assert check_url(f"http://localhost:{public.port}/viejo.csv") == (True, 200, None)
    assert public.hits == ["/viejo.csv", "/nuevo.csv"]


@ALLOWED
def test_redirect_loops_end(servers):
    public, _internal = servers
    public.routes["/a"] = (302, {"Location": "/b"})
    public.routes["/b"] = (302, {"Location": "/a"})

    ok, _status, error = check_url(f"http://localhost:{public.port}/a")

    assert not ok and error == "Demasiadas redirecciones."
    assert len(public.hits) == 6  # the first request and five redirects


@ALLOWED
def test_private_addresses_not_listed_are_refused_outright(servers):
    _public, internal = servers

    ok, _status, error = check_url(f"http://127.0.0.1:{internal.port}/latest/meta-data")

    assert not ok and error == "Dirección de red privada: no se verifica."
    assert internal.hits == []
    assert check_url("ftp://datos.munlima.gob.pe/a.csv")[2].startswith("Dirección no válida")
