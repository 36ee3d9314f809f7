"""Compliance through CKAN: the actions, the link checker as a background job against a
local HTTP server, the public pages, the published dataset, and privacy."""
from __future__ import annotations

import copy
import datetime
import http.server
import socket
import threading

import pytest
from ckan.lib import jobs
from ckan.tests import factories, helpers
from openlima_common import clock

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"

pytestmark = [
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]


class _Files(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_response(200 if self.path.startswith("/ok") else 404)
        self.end_headers()

    def do_GET(self):
        self.do_HEAD()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def local_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sysadmin_context():
    return {"user": factories.Sysadmin()["name"]}


def _create(valid_dataset, **changes):
    data = copy.deepcopy(valid_dataset)
    data.update(changes)
    return helpers.call_action("package_create", context=_sysadmin_context(), **data)


def _run_jobs():
    worker = jobs.Worker()
    worker.execute_job = lambda job, queue: worker.perform_job(job, queue)  # no fork: same DB
    worker.work(burst=True)


LOCAL_LINKS = pytest.mark.ckan_config("ckanext.openlima.linkcheck_allow_private_addresses", "true")


@LOCAL_LINKS
def test_link_checker_job_against_local_server(valid_dataset, local_server):
    from rq import Queue

    from ckan.lib.redis import connect_to_redis

    for queue in Queue.all(connection=connect_to_redis()):
        queue.empty()
    dataset = _create(valid_dataset, resources=[
        {"name": "Bueno", "url": f"{local_server}/ok/paraderos.csv", "format": "CSV"},
        {"name": "Roto", "url": f"{local_server}/no-existe.csv", "format": "CSV"},
        {"name": "Caído", "url": f"http://127.0.0.1:{_closed_port()}/x.csv", "format": "CSV"},
    ])
    queued = helpers.call_action("job_list", context={"ignore_auth": True})
    assert any(dataset["id"] in job["title"] for job in queued)

    before = helpers.call_action("openlima_compliance_show", id=dataset["name"])
    assert "Pendiente" in {c["id"]: c for c in before["checks"]}["links_reachable"]["explanation"]

    _run_jobs()

    after = helpers.call_action("openlima_compliance_show", id=dataset["name"])
    links = {c["resource_id"]: c for c in after["link_checks"]}
    by_name = {r["name"]: links[r["id"]] for r in dataset["resources"]}
    assert by_name["Bueno"]["ok"] is True and by_name["Bueno"]["status_code"] == 200
    assert by_name["Roto"]["ok"] is False and by_name["Roto"]["status_code"] == 404
    assert by_name["Caído"]["ok"] is False and "No se pudo conectar" in by_name["Caído"]["error"]
    check = {c["id"]: c for c in after["checks"]}["links_reachable"]
    assert check["passed"] is False and "Roto" in check["explanation"] and "Caído" in check["explanation"]


@LOCAL_LINKS
def test_links_check_inline_passes_when_every_link_answers(valid_dataset, local_server):
    dataset = _create(valid_dataset, issued="2024-01-01", modified=clock.today().isoformat(),
                      resources=[{"name": "Bueno", "url": f"{local_server}/ok/a.csv", "format": "CSV", "size": 10}])
    result = helpers.call_action("openlima_links_check", context=_sysadmin_context(),
                                 id=dataset["id"], background=False)
    assert [r["ok"] for r in result["results"]] == [True]
    compliance = helpers.call_action("openlima_compliance_show", id=dataset["id"])
    # everything passes but the DataStore check: no worker loads the CSV in this test
    failed = [c["id"] for c in compliance["checks"] if not c["passed"]]
    assert failed == ["datastore_loaded"]
    assert compliance["score"] == 95 and compliance["compliant"] is True


def test_link_checker_refuses_private_addresses(valid_dataset, local_server):
    dataset = _create(valid_dataset, resources=[
        {"name": "Interno", "url": f"{local_server}/ok/a.csv", "format": "CSV"}])
    result = helpers.call_action("openlima_links_check", context=_sysadmin_context(),
                                 id=dataset["id"], background=False)
    assert result["results"][0]["ok"] is False
    assert "red privada" in result["results"][0]["error"]


def test_links_check_needs_edit_rights(valid_dataset):
    dataset = _create(valid_dataset)
    with pytest.raises(helpers.logic.NotAuthorized):
        helpers.call_action("openlima_links_check", context={"user": factories.User()["name"],
                            "ignore_auth": False}, id=dataset["id"])


def test_overdue_dataset_via_action(valid_dataset):
    old = (clock.today() - datetime.timedelta(days=45)).isoformat()
    data = copy.deepcopy(valid_dataset)
    data["resources"][0]["modified"] = old
    dataset = _create(valid_dataset, modified=old, resources=data["resources"])
    result = helpers.call_action("openlima_compliance_show", id=dataset["id"])
    assert result["overdue"] is True and result["compliant"] is False
    assert result["freshness"]["days_since_update"] == 45


def test_summary_ranks_offices_and_never_counts_private_datasets(app, valid_dataset, office):
    other = factories.Organization(name="gerencia-de-desarrollo-economico", title="Gerencia de Desarrollo Económico")
    old = (clock.today() - datetime.timedelta(days=400)).isoformat()
    _create(valid_dataset)  # movilidad: fresh
    _create(valid_dataset, name="licencias", title="Licencias de funcionamiento", owner_org=other["id"],
            modified=old, frequency="http://publications.europa.eu/resource/authority/frequency/MONTHLY",
            resources=[{"name": "Licencias", "url": "http://example.org/l.pdf", "format": "PDF",
                        "modified": old}])
    _create(valid_dataset, name="patrullaje-interno", title="Patrullaje interno", private=True)

    summary = helpers.call_action("openlima_compliance_summary", context={"user": ""})
    assert summary["totals"]["datasets"] == 2
    assert [o["name"] for o in summary["offices"]] == [office["name"], other["name"]]
    assert [o["rank"] for o in summary["offices"]] == [1, 2]
    economic = summary["offices"][1]
    assert [d["name"] for d in economic["overdue"]] == ["licencias"]
    failed = {f["id"] for f in economic["most_failed"]}
    assert {"machine_readable", "freshness"} <= failed

    detail = helpers.call_action("openlima_compliance_summary", context={"user": ""},
                                 organization=office["name"])
    assert [d["name"] for d in detail["datasets"]] == ["paraderos-metropolitano"]

    # a member of the office sees the private one when asking for it; the public never does
    member = factories.User()
    helpers.call_action("organization_member_create", context={"ignore_auth": True},
                        id=office["id"], username=member["name"], role="editor")
    own = helpers.call_action("openlima_compliance_summary", context={"user": member["name"]},
                              organization=office["name"], include_private=True)
    assert {d["name"] for d in own["datasets"]} == {"paraderos-metropolitano", "patrullaje-interno"}
    sneaky = helpers.call_action("openlima_compliance_summary", context={"user": ""},
                                 organization=office["name"], include_private=True)
    assert {d["name"] for d in sneaky["datasets"]} == {"paraderos-metropolitano"}

    for url in ("/cumplimiento", f"/cumplimiento/oficina/{office['name']}",
                "/cumplimiento/cumplimiento.csv", "/cumplimiento/cumplimiento.json"):
        body = app.get(url, status=200).get_data(as_text=True)
        assert "patrullaje" not in body.lower(), url
    page = app.get("/cumplimiento").get_data(as_text=True)
    assert "Gerencia de Movilidad Urbana" in page and "Licencias de funcionamiento" in page
    csv_text = app.get("/cumplimiento/cumplimiento.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "oficina,conjunto_de_datos,puntaje,cumple,atrasado,verificaciones_incumplidas"
    assert app.get("/dataset/patrullaje-interno/cumplimiento").status_code == 404
    with pytest.raises(helpers.logic.NotFound):  # as a dataset that does not exist
        helpers.call_action("openlima_compliance_show", context={"user": "", "ignore_auth": False},
                            id="patrullaje-interno")


def test_office_page_shows_compliance_to_its_data_officers_only(app, valid_dataset, office):
    _create(valid_dataset)
    officer = factories.UserWithToken()
    helpers.call_action("organization_member_create", context={"ignore_auth": True},
                        id=office["id"], username=officer["name"], role="editor")
    own = app.get(f"/organization/{office['name']}", headers={"Authorization": officer["token"]})
    assert "Cumplimiento de los lineamientos de su oficina" in own.get_data(as_text=True)
    public = app.get(f"/organization/{office['name']}")
    assert "Cumplimiento de los lineamientos de su oficina" not in public.get_data(as_text=True)


def test_dataset_compliance_page_explains_each_check(app, valid_dataset):
    dataset = _create(valid_dataset)
    page = app.get(f"/dataset/{dataset['name']}/cumplimiento", status=200).get_data(as_text=True)
    assert "Encontrabilidad" in page and "Mantenimiento" in page
    assert "Enlaces accesibles" in page and "Pendiente de verificación" in page


def test_compliance_is_published_as_a_dataset_and_refreshed(valid_dataset):
    factories.Organization(name="subgerencia-de-gobierno-digital-e-innovacion",
                           title="Subgerencia de Gobierno Digital e Innovación")
    _create(valid_dataset)
    context = _sysadmin_context()
    first = helpers.call_action("openlima_compliance_publish", context=dict(context))
    second = helpers.call_action("openlima_compliance_publish", context=dict(context))
    assert first["id"] == second["id"]
    assert [r["id"] for r in first["resources"]] == [r["id"] for r in second["resources"]]
    assert {r["format"] for r in second["resources"]} == {"CSV", "JSON"}
    assert second["resources"][0]["url"].endswith("/cumplimiento/cumplimiento.csv")
    with pytest.raises(helpers.logic.NotAuthorized):
        helpers.call_action("openlima_compliance_publish",
                            context={"user": factories.User()["name"], "ignore_auth": False})
