"""Fixtures of the catalogue suites: a valid MML dataset and its publishing office."""
from __future__ import annotations

import copy

import pytest
from ckan.tests import factories

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
