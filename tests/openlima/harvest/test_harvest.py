"""Harvesting end to end, on the jobs worker: a DCAT file served by a local HTTP server
and a second real CKAN (its own process and database) are harvested into the MML
catalogue; re-harvests update and withdraw; refusals of the MML schema are reported per
dataset in Spanish; bad sources give one clear job error and change nothing else; only
sysadmins and office admins run sources."""
from __future__ import annotations

import http.server
import os
import threading
import time
from pathlib import Path

import pytest
import ckan.plugins.toolkit as tk
from ckan.lib import jobs
from ckan.tests import factories, helpers
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

THEME = "http://publications.europa.eu/resource/authority/data-theme/"
SHAPES = Path(os.environ.get("DCAT_AP_SHACL_DIR") or Path(__file__).resolve().parents[4] / "shared" / "standards")
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
"""


def district_dataset(slug: str, title: str, theme: str | None = "ENVI") -> str:
    """A dataset as a district's own DCAT file would describe it (no UBIGEO)."""
    theme_line = f"    dcat:theme <{THEME}{theme}> ;\n" if theme else ""
    return f"""
<https://datos.miraflores.gob.pe/dataset/{slug}> a dcat:Dataset ;
    dct:title "{title}" ;
    dct:description "Datos de la Municipalidad de Miraflores: {title}." ;
    dcat:keyword "miraflores", "{slug}" ;
{theme_line}    dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/MONTHLY> ;
    dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
    dcat:landingPage <https://datos.miraflores.gob.pe/conjuntos/{slug}.html> ;
    dcat:contactPoint [ a vcard:Kind ; vcard:fn "Subgerencia de Datos de Miraflores" ;
                        vcard:hasEmail <mailto:datos@miraflores.gob.pe> ] ;
    dcat:distribution <https://datos.miraflores.gob.pe/dataset/{slug}/csv> .
<https://datos.miraflores.gob.pe/dataset/{slug}/csv> a dcat:Distribution ;
    dct:title "{title} (CSV)" ;
    dcat:downloadURL <https://datos.miraflores.gob.pe/files/{slug}.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> .
"""


def district_file(*datasets: str) -> bytes:
    return (PREFIXES + "".join(datasets)).encode()


def huge_file(count: int) -> bytes:
    lines = [PREFIXES] + [f'<https://x.example.org/d/{i}> a dcat:Dataset ; dct:title "D{i}" .\n'
                          for i in range(count)]
    return "".join(lines).encode()


class _Routes(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):
        status, content_type, body, delay, headers = self.routes.get(
            self.path.split("?")[0], (404, "text/plain", b"no existe", 0, {}))
        if delay:
            time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value.format(port=self.server.server_address[1]))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def files():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Routes.routes = {
        "/roto.ttl": (200, "text/turtle", b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> dcat:x [ ;", 0, {}),
        "/lento.ttl": (200, "text/turtle", district_file(), 4, {}),
        "/enorme.ttl": (200, "text/turtle", huge_file(10_000), 0, {}),
        "/metadatos": (302, "text/plain", b"", 0, {"Location": "http://169.254.169.254/latest/meta-data/"}),
        "/a-localhost": (302, "text/plain", b"", 0, {"Location": "http://localhost:{port}/miraflores.ttl"}),
        "/pagina.html": (200, "text/html", b"<html><body>Hola</body></html>", 0, {}),
    }
    yield f"http://127.0.0.1:{server.server_address[1]}", _Routes.routes
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def portal(open_module_portal):
    with open_module_portal(**{"ckanext.openlima.harvest_allowed_hosts": "127.0.0.1",
                          "ckanext.openlima.harvest_timeout": "2"}) as app:
        sysadmin = factories.Sysadmin()
        office_admin, editor = factories.User(), factories.User()
        office = factories.Organization(
            name="gerencia-de-participacion-vecinal", title="Gerencia de Participación Vecinal",
            users=[{"name": office_admin["name"], "capacity": "admin"},
                   {"name": editor["name"], "capacity": "editor"}])
        yield {"app": app, "sysadmin": sysadmin, "admin": office_admin, "editor": editor,
               "office": office}


def _run_jobs():
    worker = jobs.Worker()
    worker.execute_job = lambda job, queue: worker.perform_job(job, queue)  # no fork: same DB
    worker.work(burst=True)


def _as(user) -> dict:
    return {"user": user["name"], "ignore_auth": False}


def _source(portal, url, name, user=None, **extra):
    return helpers.call_action("harvest_source_create", _as(user or portal["admin"]), **{
        "name": name, "title": f"Fuente {name}", "url": url, "source_type": "openlima_dcat",
        "frequency": "WEEKLY", "owner_org": portal["office"]["id"], **extra})


def _harvest(portal, source) -> dict:
    """Start a job as the office admin, run the worker, return the finished job's report."""
    job = helpers.call_action("harvest_job_create", _as(portal["admin"]), source_id=source["id"], run=True)
    queued = helpers.call_action("job_list", {"ignore_auth": True})
    assert any(f"openlima harvest {source['name']}" == j["title"] for j in queued)
    _run_jobs()
    finished = helpers.call_action("harvest_job_show", _as(portal["admin"]), id=job["id"])
    assert finished["status"] == "Finished"
    return helpers.call_action("harvest_job_report", _as(portal["admin"]), id=job["id"])


def _harvested(source) -> dict[str, dict]:
    found = helpers.call_action("package_search", {"ignore_auth": True}, rows=1000,
                                fq=f'harvest_source_id:"{source["id"]}"', include_private=True)
    return {d["title"]: d for d in found["results"]}


def _object_errors(report) -> list[str]:
    return [e["message"] for errors in report["object_errors"].values() for e in errors["errors"]]


DEFAULTS = '{"defaults": {"spatial_ubigeo": ["150122"]}}'


def test_only_sysadmins_and_office_admins_register_and_run_sources(portal, files):
    base, routes = files
    with pytest.raises(tk.NotAuthorized):
        _source(portal, f"{base}/x.ttl", "fuente-de-editor", user=portal["editor"])
    with pytest.raises(tk.NotAuthorized):  # nor through package_create, as the /harvest form does
        helpers.call_action("package_create", _as(portal["editor"]), type="harvest", name="por-la-puerta",
                            title="x", url=f"{base}/z.ttl", source_type="openlima_dcat",
                            owner_org=portal["office"]["id"])
    with pytest.raises(tk.ValidationError) as refused:
        helpers.call_action("harvest_source_create", _as(portal["admin"]), name="sin-oficina",
                            title="Sin oficina", url=f"{base}/y.ttl", source_type="openlima_dcat")
    assert "oficina" in str(refused.value.error_dict["owner_org"])
    source = _source(portal, f"{base}/x.ttl", "fuente-de-admin")
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("harvest_job_create", _as(portal["editor"]), source_id=source["id"])
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("harvest_source_update", _as(portal["editor"]), id=source["id"], name=source["name"],
                            title="Mía", url=source["url"], source_type="openlima_dcat",
                            owner_org=portal["office"]["id"])
    helpers.call_action("harvest_source_delete", _as(portal["admin"]), id=source["id"])


def test_a_dcat_file_is_harvested_updated_and_withdrawn(portal, files):
    base, routes = files
    routes["/miraflores.ttl"] = (200, "text/turtle", district_file(
        district_dataset("parques", "Parques de Miraflores"),
        district_dataset("ciclovias", "Ciclovías de Miraflores"),
        district_dataset("sin-tema", "Conjunto sin tema", theme=None)), 0, {})
    source = _source(portal, f"{base}/miraflores.ttl", "miraflores", config=DEFAULTS)

    report = _harvest(portal, source)
    harvested = _harvested(source)
    assert set(harvested) == {"Parques de Miraflores", "Ciclovías de Miraflores"}, report
    parks = helpers.call_action("package_show", id=harvested["Parques de Miraflores"]["id"])
    assert parks["organization"]["name"] == "gerencia-de-participacion-vecinal"
    assert parks["spatial_ubigeo"] == ["150122"]                 # the source's default
    assert parks["license_id"] == "cc-by" and parks["theme"] == [THEME + "ENVI"]
    assert parks["resources"][0]["format"] == "CSV"
    assert parks["uri"] == "https://datos.miraflores.gob.pe/dataset/parques"
    # the dataset the MML schema refuses is reported by name, field by field, in Spanish
    errors = _object_errors(report)
    assert len(errors) == 1
    assert "«Conjunto sin tema» no se importó" in errors[0] and "Tema:" in errors[0]
    assert "Elija al menos un tema" in errors[0]
    assert "Traceback" not in errors[0]

    app = portal["app"]
    page = app.get(f"/dataset/{parks['name']}").get_data(as_text=True)
    assert "Conjunto de datos cosechado de" in page and "Fuente miraflores" in page
    assert "https://datos.miraflores.gob.pe/conjuntos/parques.html" in page
    graph = Graph().parse(data=app.get("/catalog.ttl").get_data(as_text=True), format="turtle")
    dataset_ref = URIRef(parks["uri"])
    assert (dataset_ref, RDF.type, DCAT.Dataset) in graph
    sub_catalogues = [c for c in graph.subjects(DCAT.dataset, dataset_ref)]
    assert any((None, DCTERMS.hasPart, c) in graph for c in sub_catalogues)
    assert list(graph.objects(sub_catalogues[0], FOAF.homepage))
    if SHAPES.exists():  # harvested datasets and their sub-catalogue conform to DCAT-AP too
        import io

        from ckanext.openlima.dcat import conformance

        out = io.StringIO()
        feed = [("catalog.ttl", graph)]
        assert conformance.run(feed, conformance.load_shapes(SHAPES), out=out) == 0, out.getvalue()
    summary = helpers.call_action("openlima_compliance_summary", {"user": ""},
                                  organization="gerencia-de-participacion-vecinal")
    assert summary["totals"]["datasets"] == 2

    # re-harvest: one title changed, one dataset gone from the source
    routes["/miraflores.ttl"] = (200, "text/turtle", district_file(
        district_dataset("parques", "Parques y jardines de Miraflores")), 0, {})
    report = _harvest(portal, source)
    assert report["gather_errors"] == []
    after = {d["uri"]: d for d in _harvested(source).values()}
    assert after["https://datos.miraflores.gob.pe/dataset/parques"]["title"] == "Parques y jardines de Miraflores"
    assert after["https://datos.miraflores.gob.pe/dataset/parques"]["id"] == parks["id"]
    withdrawn = helpers.call_action("package_show", {"ignore_auth": True},
                                    id=harvested["Ciclovías de Miraflores"]["id"])
    assert withdrawn["state"] == "deleted"


@pytest.mark.parametrize("path,expected", [
    ("/no-existe.ttl", "El servidor respondió 404."),
    ("/lento.ttl", "no respondió en 2 segundos"),
    ("/roto.ttl", "no es RDF válido"),
    ("/enorme.ttl", "más de 2000 conjuntos de datos"),
    ("/metadatos", "red privada"),
    ("/a-localhost", "red privada"),
    ("/pagina.html", "es una página web, no un catálogo DCAT"),
])
def test_bad_sources_give_one_clear_job_error_and_change_nothing(portal, files, path, expected):
    base, routes = files
    name = "fuente-" + path.strip("/").replace(".", "-")
    routes["/buena.ttl"] = (200, "text/turtle", district_file(
        district_dataset(f"{name}-uno", f"Conjunto bueno de {name}")), 0, {})
    source = _source(portal, f"{base}/buena.ttl?{name}", name, config=DEFAULTS)
    assert _harvest(portal, source)["gather_errors"] == []
    before = _harvested(source)
    assert len(before) == 1

    helpers.call_action("harvest_source_update", _as(portal["admin"]), id=source["id"], name=name,
                        title=source["title"], url=f"{base}{path}", source_type="openlima_dcat",
                        frequency="WEEKLY", owner_org=portal["office"]["id"], config=DEFAULTS)
    report = _harvest(portal, source)
    messages = [e["message"] for e in report["gather_errors"]]
    assert len(messages) == 1 and expected in messages[0], messages
    assert "Traceback" not in messages[0] and "Errno" not in messages[0]
    after = _harvested(source)
    assert {t: (d["id"], d["metadata_modified"], d["state"]) for t, d in after.items()} == \
           {t: (d["id"], d["metadata_modified"], d["state"]) for t, d in before.items()}
    assert report["object_errors"] == {}


def test_a_second_ckan_is_harvested_through_its_portal_address(portal, second_portal):
    office = second_portal.action("organization_create", name="municipalidad-de-barranco",
                                  title="Municipalidad de Barranco")
    created = []
    try:
        for slug, title in (("bibliotecas", "Bibliotecas de Barranco"), ("ferias", "Ferias de Barranco")):
            created.append(second_portal.action(
                "package_create", name=slug, title=title, owner_org=office["id"],
                notes=f"{title}, publicado por el distrito.", tag_string="barranco,cultura",
                theme=[THEME + "EDUC"], contact=[{"name": "Datos Barranco", "email": "datos@barranco.gob.pe"}],
                license_id="cc-by", frequency="http://publications.europa.eu/resource/authority/frequency/ANNUAL",
                spatial_ubigeo=["150104"],
                data_dictionary=[{"column": "nombre", "type": "texto", "description": "Nombre"}],
                resources=[{"name": f"{title} (CSV)", "url": f"https://barranco.example.org/{slug}.csv",
                            "format": "CSV"}]))
        source = _source(portal, second_portal.url, "barranco")
        report = _harvest(portal, source)
        assert report["gather_errors"] == [] and _object_errors(report) == []
        harvested = _harvested(source)
        assert set(harvested) == {"Bibliotecas de Barranco", "Ferias de Barranco"}
        copy = helpers.call_action("package_show", id=harvested["Bibliotecas de Barranco"]["id"])
        assert copy["name"] == "bibliotecas"
        assert copy["spatial_ubigeo"] == ["150104"]
        assert copy["data_dictionary"] == [{"column": "nombre", "type": "texto", "description": "Nombre"}]
        assert copy["organization"]["name"] == "gerencia-de-participacion-vecinal"
        extras = {e["key"]: e["value"] for e in copy.get("extras", [])}
        assert extras["source_landing_page"] == f"{second_portal.url}/dataset/bibliotecas"

        second_portal.action("package_delete", id=created[1]["id"])
        _harvest(portal, source)
        gone = helpers.call_action("package_show", {"ignore_auth": True},
                                   id=harvested["Ferias de Barranco"]["id"])
        assert gone["state"] == "deleted"
    finally:
        for dataset in created:
            second_portal.action("dataset_purge", id=dataset["id"])
        second_portal.action("organization_purge", id=office["id"])


def test_harvest_pages_speak_spanish_and_the_catalogue_is_complete(portal):
    import io
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    import ckanext.harvest

    page = portal["app"].get("/harvest").get_data(as_text=True)
    assert "Fuentes de cosecha" in page
    pot = (Path(ckanext.harvest.__file__).parent / "i18n" / "ckanext-harvest.pot").read_text()
    pot = pot.replace("nplurals=INTEGER; plural=EXPRESSION;", "nplurals=2; plural=(n != 1);")
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(io.StringIO(pot)) if m.id}
    folder = Path(__file__).resolve().parents[3] / "ckanext-openlima/ckanext/openlima/harvest/i18n/es/LC_MESSAGES"
    with open(folder / "ckanext-harvest.mo", "rb") as compiled:
        spanish = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_mo(compiled) if m.id}
    assert wanted - set(spanish) == set()
    assert all(spanish[key] for key in wanted)
