"""A real CKAN served over HTTP, demo data made through actions, and the site built from it."""
from __future__ import annotations

import functools
import http.server
import threading
import uuid
from pathlib import Path

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from werkzeug.serving import make_server

THEME = "http://publications.europa.eu/resource/authority/data-theme/{}"
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
REPO = Path(__file__).resolve().parents[2]


class Server:
    """A WSGI app or a folder served on 127.0.0.1 from a thread, stoppable at will."""

    def __init__(self, server):
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()
        self.running = True

    def stop(self):
        if self.running:
            self.running = False
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=10)


@pytest.fixture
def ckan_server(clean_db, clean_index, with_plugins, app):
    """CKAN (the test app, with every plugin of test.ini) answering on a free local port."""
    server = Server(make_server("127.0.0.1", 0, app.app, threaded=False))
    yield server
    server.stop()


def dataset_fields(org_id: str, **fields):
    """A dataset valid under the MML schema (and accepted by DCAT-AP's full schema)."""
    data = {
        "name": f"ds-{uuid.uuid4().hex[:10]}",
        "notes": "Datos abiertos de la Municipalidad Metropolitana de Lima.",
        "tag_string": "lima,datos abiertos",
        "theme": [THEME.format("GOVE")],
        "owner_org": org_id,
        "contact": [{"name": "Mesa de datos abiertos", "email": "datosabiertos@munlima.gob.pe"}],
        "license_id": "cc-by",
        "frequency": FREQUENCY,
        "spatial_ubigeo": ["150101"],
        "resources": [{"name": "Datos", "format": "CSV",
                       "url": "https://datos.example.org/archivo.csv"}],
    }
    data.update(fields)
    # DCAT-AP's full schema has no spatial_ubigeo: say the same as a spatial coverage URI.
    data["spatial_coverage"] = [{"uri": f"https://www.inei.gob.pe/ubigeo/{code}"}
                                for code in data["spatial_ubigeo"]]
    return data


@pytest.fixture
def portal(ckan_server):
    """Demo catalogue: two offices, a theme group, three public datasets and a private one."""
    sysadmin = factories.Sysadmin()
    context = {"user": sysadmin["name"], "ignore_auth": True}
    education = call_action(
        "organization_create", context=dict(context), name="gerencia-de-educacion",
        title="Gerencia de Educación y Deportes",
    )
    transport = call_action(
        "organization_create", context=dict(context), name="gerencia-de-transporte",
        title="Gerencia de Transporte Urbano",
    )
    group = call_action(
        "group_create", context=dict(context), name="participacion",
        title="Participación ciudadana",
    )

    def create(org, **fields):
        return call_action("package_create", context=dict(context),
                           **dataset_fields(org["id"], **fields))

    accented = create(
        education, name="poblacion-atendida-comedores",
        title="Población atendida por los comedores populares de Lima",
        notes="Número de personas atendidas por los comedores populares, por distrito y año.",
        spatial_ubigeo=["150122", "150132"], theme=[THEME.format("SOCI")],
        groups=[{"name": group["name"]}],
        resources=[{"name": "Población atendida 2025", "format": "CSV",
                    "url": "https://datos.example.org/comedores.csv"}],
    )
    transport_ds = create(
        transport, name="paraderos-transporte-publico",
        title="Paraderos del transporte público",
        notes="Ubicación de los paraderos autorizados y la población que los usa a diario.",
        spatial_ubigeo=["150131"], theme=[THEME.format("TRAN")],
        resources=[{"name": "Paraderos", "format": "JSON",
                    "url": "https://datos.example.org/paraderos.json"}],
    )
    parks = create(
        education, name="parques-y-jardines",
        title="Parques y jardines zonales",
        notes="Inventario de parques zonales administrados por la Municipalidad.",
        theme=[THEME.format("ENVI")],
    )
    private = create(
        education, name="planilla-interna-reservada", private=True,
        title="Planilla interna reservada Zorzal",
        notes="Documento interno con la palabra clave secreta Zorzal.",
    )
    return {
        "server": ckan_server, "context": context, "sysadmin": sysadmin,
        "offices": {"education": education, "transport": transport}, "group": group,
        "accented": accented, "transport": transport_ds, "parks": parks, "private": private,
    }


@pytest.fixture
def built_site(portal, tmp_path):
    """The site built once from the demo portal into ``tmp_path / 'dist'``."""
    from openlima_site.build import build_site
    from openlima_site.source import CkanSource

    out = tmp_path / "dist"
    report = build_site(out, "http://sitio.test", source=CkanSource(portal["server"].url))
    return {"out": out, "report": report, **portal}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        return None


@pytest.fixture
def serve_folder():
    """Serve folders with Python's http.server on 127.0.0.1; stopped after the test."""
    servers = []

    def serve(folder: Path) -> Server:
        handler = functools.partial(_QuietHandler, directory=str(Path(folder).resolve()))
        servers.append(Server(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)))
        return servers[-1]

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture
def static_server(built_site, serve_folder):
    """The built site served by Python's http.server on 127.0.0.1."""
    return serve_folder(built_site["out"])


@pytest.fixture
def plan_loaded(portal):
    """The 2022 action plan loaded through ``openlima_plan_load``, as ``make run`` does."""
    import yaml

    data = yaml.safe_load((REPO / "config" / "plan" / "plan-2022.yaml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((REPO / "config" / "plan" / "plan-2022.portal.yaml").read_text(encoding="utf-8"))
    try:
        call_action("openlima_plan_load", context=dict(portal["context"]),
                    plan=data["plan"], commitments=data["commitments"], portal=rules)
    except KeyError:
        pytest.skip("the openlima_plan plugin is not enabled")
    return {**portal, "plan": data}
