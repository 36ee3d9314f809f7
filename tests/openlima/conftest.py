"""Fixtures of the catalogue suites: a valid MML dataset and its publishing office."""
from __future__ import annotations

import contextlib
import copy
from pathlib import Path

import pytest
from ckan.tests import factories, helpers

import ckan.plugins as plugins
import ckan.plugins.toolkit as tk

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"

VALID_DATASET = {
    "name": "paraderos-metropolitano",
    "title": "Paraderos del Metropolitano",
    "notes": "Ubicación de los paraderos del sistema Metropolitano.",
    "tag_string": "transporte,movilidad",
    "theme": [THEME + "TRAN"],
    "contact": [{"name": "Subgerencia de Datos", "email": "datos@munlima.gob.pe"}],
    "license_id": "cc-by",
    "frequency": FREQUENCY + "MONTHLY",
    "temporal_coverage": [{"start": "2024-01-01", "end": "2024-12-31"}],
    "spatial_ubigeo": ["150101", "150122"],
    "version": "1.0",
    "conforms_to": ["https://www.datosabiertos.gob.pe/estandar"],
    "data_dictionary": [
        {"column": "codigo", "type": "texto", "description": "Código del paradero"},
        {"column": "latitud", "type": "decimal", "description": "Latitud WGS84"},
    ],
    "resources": [
        {
            "name": "Paraderos (CSV)",
            "url": "http://example.org/paraderos.csv",
            "format": "CSV",
            "size": 2048,
            "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "hash_algorithm": "sha256",
            "modified": "2024-12-31",
        }
    ],
}


@pytest.fixture(scope="session")
def dataset_template():
    """``VALID_DATASET`` for fixtures wider than a test (add ``owner_org``; copy it first)."""
    return copy.deepcopy(VALID_DATASET)


@pytest.fixture
def office():
    return factories.Organization(
        name="gerencia-de-movilidad-urbana",
        title="Gerencia de Movilidad Urbana",
        description="Gerencia de Movilidad Urbana y Transporte",
    )


@pytest.fixture
def valid_dataset(office):
    """A dict that passes the MML schema (copy it before changing it)."""
    data = copy.deepcopy(VALID_DATASET)
    data["owner_org"] = office["id"]
    return data


class _Server:
    """A WSGI app served on 127.0.0.1 from a thread."""

    def __init__(self, wsgi_app):
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def portal_server(clean_db, clean_index, with_plugins, app):
    """The portal (the test app, with every plugin of test.ini) answering over real HTTP."""
    server = _Server(app.app)
    yield server
    server.stop()


class SecondPortal:
    """A second Open Lima in its own process and database (``second_portal.py``)."""

    def __init__(self, url: str, user: str, token: str, log: Path):
        self.url = url
        self.user = user
        self.token = token
        self.log = log

    def action(self, action_name: str, /, **data):
        """Call an action of the second portal over HTTP as its sysadmin."""
        import requests

        response = requests.post(f"{self.url}/api/3/action/{action_name}", json=data, timeout=120,
                                 headers={"Authorization": self.token})
        body = response.json()
        if not body.get("success"):
            raise AssertionError(f"{action_name} failed in the second portal: {body.get('error')}")
        return body["result"]


@pytest.fixture(scope="session")
def second_portal(tmp_path_factory):
    """Another Open Lima (MML schema, every plugin of base.ini) on ``<test db>_x``, started
    once per session; the tests that use it leave it as they found it."""
    import json
    import os
    import subprocess
    import sys

    import psycopg2
    from psycopg2 import sql

    import ckan.plugins.toolkit as tk
    from openlima_stack import config as stack_config
    from openlima_stack import services
    from openlima_stack.cli import prepare_datastore, wait_for_http
    from openlima_stack.processes import stop_process_group

    main_url = os.environ.get("CKAN_SQLALCHEMY_URL") or tk.config["sqlalchemy.url"]
    database = services.database_name(main_url) + "_x"
    database_url = services.with_database(main_url, database)
    admin = psycopg2.connect(services.with_database(main_url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
    admin.close()
    services.ensure_database(database_url)

    state = tmp_path_factory.mktemp("second-portal")
    port = services.free_port(20000 + os.getpid() % 20000)
    site_url = f"http://127.0.0.1:{port}"
    redis_url = os.environ.get("CKAN_REDIS_URL") or tk.config["ckan.redis.url"]
    # its own DataStore too: base.ini's plugins include it, and CKAN_DATASTORE_* are ours
    datastore_urls = prepare_datastore(database_url, state, quiet=True, environ={})
    settings = stack_config.development_settings(
        secrets_=stack_config.load_or_create_secrets(state), database_url=database_url,
        redis_url=redis_url, port=port, storage_path=state / "storage", environ={},
        datastore_urls=datastore_urls)
    settings.update({"ckan.site_id": "openlima_segundo", "ckan.site_title": "Portal distrital",
                     "ckanext.openlima.linkcheck_allow_private_addresses": "true"})
    ini = state / "second.ini"
    ini.write_text(stack_config.render_ini(stack_config.CONFIG_DIR / "development.ini", settings,
                                           "Second portal of the federation tests"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("CKAN_")}
    env.update({"CKAN_INI": str(ini), "CKAN_SQLALCHEMY_URL": database_url,
                "CKAN_REDIS_URL": redis_url, "CKAN_SITE_URL": site_url})
    log = state / "second-portal.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("second_portal.py")), str(ini), str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file, env=env, text=True,
            start_new_session=True)
    try:
        first_line = process.stdout.readline()
        if not first_line:
            raise AssertionError(f"the second portal did not start:\n{log.read_text()[-3000:]}")
        credentials = json.loads(first_line)
        assert wait_for_http(f"{site_url}/api/3/action/status_show", process, timeout=120), \
            log.read_text()[-3000:]
        yield SecondPortal(site_url, credentials["user"], credentials["token"], log)
    finally:
        stop_process_group(process)


# --- a portal built once per test module ----------------------------------------------
# The federation suites send hundreds of requests to the same catalogue: they load the
# plugins, reset the database and create their datasets once per module
# (``open_module_portal``) instead of once per test. Tests that use it must not use
# ``clean_db``/``with_plugins`` (those unload the plugins and empty the database).

# The configuration of the open module portal (with what its plugins added), put back
# before each of its tests: CKAN's pytest plugin resets the config before every test.
_PORTAL_CONFIG: dict = {}


@contextlib.contextmanager
def portal(reset_db_migrated, reset_index, **settings):
    """Plugins of test.ini loaded with ``settings`` on top, an empty migrated database
    and index; yields the test app. Everything is restored on exit."""
    from ckan.lib.app_globals import _CONFIG_CACHE

    settings = {"scheming.dataset_schemas": MML_SCHEMA,
                "ckanext.dcat.rdf.profiles": "openlima_dcat_ap_3", **settings}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in settings.items():
            patch.setitem(tk.config, key, value)
        _CONFIG_CACHE.clear()
        plugins.load_all()
        try:
            reset_db_migrated()
            reset_index()
            test_app = helpers._get_test_app()
            _PORTAL_CONFIG.update(tk.config)
            yield test_app
        finally:
            _PORTAL_CONFIG.clear()
            plugins.unload_all()
            _CONFIG_CACHE.clear()


@pytest.fixture(scope="session")
def open_module_portal(reset_db_migrated, reset_index):
    """``with open_module_portal(**settings) as app:`` inside a module-scoped fixture."""
    def open_portal(**settings):
        return portal(reset_db_migrated, reset_index, **settings)

    return open_portal


@pytest.fixture(autouse=True)
def _module_portal_config():
    if _PORTAL_CONFIG:
        from ckan.lib.app_globals import _CONFIG_CACHE

        tk.config.update(_PORTAL_CONFIG)
        _CONFIG_CACHE.clear()


