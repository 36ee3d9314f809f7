"""The two places where Open Lima changes ckanext-xloader (ckanext/openlima/datastore/
xloader_seam.py): they must still exist in the installed xloader, the loader's download
never reaches a private address (same rule and allow-list as the link checker, at every
hop, tested with real local servers), and the loader's API token is made in-process."""
from __future__ import annotations

import http.server
import threading

import pytest
import requests

import ckan.plugins.toolkit as tk

pytestmark = pytest.mark.usefixtures("with_plugins")


class _Server:
    """A real HTTP server on 127.0.0.1 answering each path from ``routes``."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[tuple[str, str | None]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append((self.path, self.headers.get("Authorization")))
                status, headers, body = outer.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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
    internal.routes["/latest/meta-data"] = (200, {}, b"secreto")
    yield public, internal
    public.close()
    internal.close()


ALLOWED = pytest.mark.ckan_config("ckanext.openlima.linkcheck_allowed_hosts", "localhost")


def test_the_patched_names_exist_in_xloader_and_are_ours():
    import inspect

    from ckanext.xloader import action, jobs, loader, utils
    from ckanext.xloader.plugin import xloaderPlugin

    assert xloaderPlugin.notify.__module__ == "ckanext.openlima.datastore.xloader_seam"
    assert loader.load_csv.__module__ == "ckanext.openlima.datastore.xloader_seam"
    assert loader.delete_datastore_resource.__module__ == "ckanext.openlima.datastore.xloader_seam"
    assert "delete_datastore_resource(resource_id)" in inspect.getsource(loader)

    assert jobs.get_response.__module__ == "ckanext.openlima.datastore.xloader_seam"
    assert utils.get_xloader_user_apitoken.__module__ == "ckanext.openlima.datastore.xloader_seam"
    # xloader must still call them through these module attributes
    assert "get_response(download_url" in inspect.getsource(jobs._download_resource_data)
    assert "utils.get_xloader_user_apitoken()" in inspect.getsource(action.xloader_submit)
    # the load's steps (one table rewrite, committed indexes and statistics)
    seam = "ckanext.openlima.datastore.xloader_seam"
    for name in ("_populate_fulltext", "split_copy_by_size", "create_column_indexes",
                 "calculate_record_count"):
        assert getattr(loader, name).__module__ == seam, name
    # xloader's own load_csv (kept by the seam) calls them through the module
    load_csv_source = inspect.getsource(loader.load_csv.__globals__["_original_load_csv"])
    assert "_populate_fulltext(conn, resource_id" in load_csv_source
    assert "split_copy_by_size(csv_filepath, engine" in load_csv_source
    jobs_source = inspect.getsource(jobs.xloader_data_into_datastore_)
    assert "loader.create_column_indexes(" in jobs_source
    assert "loader.calculate_record_count(" in jobs_source


def test_a_private_address_is_refused_before_any_request(servers):
    from ckanext.xloader import jobs

    _public, internal = servers
    with pytest.raises(requests.RequestException, match="red privada"):
        jobs.get_response(f"http://127.0.0.1:{internal.port}/latest/meta-data", {})
    assert internal.hits == []


@ALLOWED
def test_a_redirect_from_an_allowed_host_into_a_private_one_is_refused(servers):
    from ckanext.xloader import jobs

    public, internal = servers
    public.routes["/datos.csv"] = (
        302, {"Location": f"http://127.0.0.1:{internal.port}/latest/meta-data"}, b"")
    with pytest.raises(requests.RequestException, match="red privada"):
        jobs.get_response(f"http://localhost:{public.port}/datos.csv", {})
    assert [path for path, _ in public.hits] == ["/datos.csv"]
    assert internal.hits == []


@ALLOWED
def test_allowed_hosts_are_fetched_hop_by_hop_without_the_portals_token(servers):
    from ckanext.xloader import jobs

    public, _internal = servers
    public.routes["/viejo.csv"] = (301, {"Location": "/nuevo.csv"}, b"")
    public.routes["/nuevo.csv"] = (200, {"Content-Type": "text/csv"}, b"a;b\n1;2\n")
    response = jobs.get_response(f"http://localhost:{public.port}/viejo.csv",
                                 {"Authorization": "token-del-portal"})
    assert response.content == b"a;b\n1;2\n"
    assert public.hits == [("/viejo.csv", None), ("/nuevo.csv", None)]


def test_the_portal_itself_is_fetched_with_the_token(servers, ckan_config, monkeypatch):
    from ckanext.xloader import jobs

    public, _internal = servers
    monkeypatch.setitem(ckan_config, "ckan.site_url", f"http://127.0.0.1:{public.port}")
    public.routes["/dataset/x/resource/y/download/a.csv"] = (200, {}, b"a\n1\n")
    response = jobs.get_response(
        f"http://127.0.0.1:{public.port}/dataset/x/resource/y/download/a.csv",
        {"Authorization": "token-del-portal"})
    assert response.content == b"a\n1\n"
    assert public.hits == [("/dataset/x/resource/y/download/a.csv", "token-del-portal")]


@ALLOWED
def test_a_redirect_loop_stops(servers):
    from ckanext.xloader import jobs

    public, _internal = servers
    public.routes["/bucle"] = (302, {"Location": "/bucle"}, b"")
    with pytest.raises(requests.TooManyRedirects):
        jobs.get_response(f"http://localhost:{public.port}/bucle", {})
    assert len(public.hits) == 6


@pytest.mark.usefixtures("clean_db")
def test_the_loaders_token_is_made_once_for_the_site_user_and_works():
    from ckan.lib.api_token import get_user_from_token
    from ckanext.xloader import utils

    first = utils.get_xloader_user_apitoken()
    second = utils.get_xloader_user_apitoken()
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    assert get_user_from_token(first).name == site_user["name"]
    assert get_user_from_token(second).name == site_user["name"]
    tokens = tk.get_action("api_token_list")(
        {"ignore_auth": True, "user": site_user["name"]}, {"user_id": site_user["name"]})
    assert [token["name"] for token in tokens] == ["openlima-xloader"]


@pytest.mark.usefixtures("clean_db")
def test_asking_for_the_token_does_not_commit_the_callers_transaction():
    import ckan.model as model
    from ckanext.xloader import utils

    tk.get_action("get_site_user")({"ignore_auth": True}, {})
    model.Session.add(model.Group(name="grupo-sin-confirmar"))
    model.Session.flush()
    utils.get_xloader_user_apitoken()
    model.Session.rollback()
    assert model.Group.get("grupo-sin-confirmar") is None


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_changing_a_resources_url_queues_one_load_instead_of_recursing():
    from ckan.lib.jobs import get_queue
    from ckan.tests import factories
    from ckan.tests.helpers import call_action

    sysadmin = factories.Sysadmin()
    context = {"user": sysadmin["name"]}
    dataset = factories.Dataset(owner_org=factories.Organization()["id"],
                                resources=[{"url": "https://datos.example.org/a.csv",
                                            "format": "CSV", "name": "A"}])
    get_queue().empty()
    import ckan.model as model

    model.Session.remove()  # a new request
    call_action("resource_patch", context=dict(context), id=dataset["resources"][0]["id"],
                url="https://datos.example.org/b.csv")
    titles = [job.meta.get("title", "") for job in get_queue().get_jobs()]
    assert len([title for title in titles if title.startswith("xloader_submit")]) == 1
