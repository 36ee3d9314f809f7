"""The monthly statistics published as a public CKAN dataset (issue 7, "Statistics"):
small-cell suppression in the published CSV, idempotence, no personal data, access."""
from __future__ import annotations

import csv
import datetime
import io
import os
import re

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_command
from ckan.lib.uploader import get_resource_uploader
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock

from .conftest import GOOD_REPORT, solve_pow, submit_report

# the portal's schema (config/base.ini), not test.ini's generic dcat_ap_full
MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
pytestmark = [pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
              pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis",
                                      "no_statistics_dataset")]

DATASET = "denuncias-lima-honesta-estadisticas"


@pytest.fixture
def no_statistics_dataset(honesta_db, integrity_org):
    """``honesta_db`` keeps CKAN's rows between tests: start without our dataset."""
    try:
        call_action("dataset_purge", {"ignore_auth": True}, id=DATASET)
    except tk.ObjectNotFound:
        pass
    yield


def file_report(**overrides) -> dict:
    challenge = call_action("limahonesta_pow_challenge_show")
    data = dict(GOOD_REPORT, pow_challenge=challenge["challenge"],
                pow_counter=solve_pow(challenge["challenge"], challenge["difficulty"]))
    data.update(overrides)
    return call_action("limahonesta_report_create", **data)


def set_received(case_numbers: list[str], received: datetime.date, **values) -> None:
    # Aggregation shortcut (the workflow itself is tested in test_staff).
    values = dict(values, received_on=received)
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    model.Session.execute(sa.text(
        f"update limahonesta_case set {assignments} where case_number = any(:numbers)"),
        dict(values, numbers=case_numbers))
    model.Session.commit()


def sysadmin_publish() -> dict:
    admin = factories.Sysadmin()
    return call_action("limahonesta_statistics_publish", {"user": admin["name"], "ignore_auth": False})


def snapshot_text(dataset: dict) -> str:
    uploads = [r for r in dataset["resources"] if r.get("url_type") == "upload"]
    assert len(uploads) == 1
    path = get_resource_uploader(uploads[0]).get_path(uploads[0]["id"])
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.fixture
def two_months():
    """3 web reports in an earlier month (suppressed) and 6 in the current one (shown),
    5 of those closed with a decision; one spam report (never counted)."""
    numbers = [file_report()["case_number"] for _ in range(10)]
    today = clock.today()
    earlier = today.replace(day=1) - datetime.timedelta(days=40)
    set_received(numbers[:3], earlier)
    set_received(numbers[3:8], today, status="cerrada", outcome="fundada", closed_on=today)
    set_received(numbers[8:9], today)
    set_received(numbers[9:], today, status="cerrada", outcome="spam", closed_on=today)
    return {"numbers": numbers, "earlier": earlier.strftime("%Y-%m"),
            "current": today.strftime("%Y-%m")}


def test_publish_creates_public_dataset_with_suppressed_csv(app, two_months, integrity_org):
    dataset = sysadmin_publish()
    assert dataset["name"] == DATASET
    assert dataset["private"] is False
    assert dataset["owner_org"] == integrity_org["id"]
    assert dataset["title"].startswith("Denuncias de Lima Honesta")
    assert "frequency/MONTHLY" in dataset["frequency"]
    assert dataset["language"] == ["http://publications.europa.eu/resource/authority/language/SPA"]
    assert dataset["temporal_coverage"][0]["start"] == two_months["earlier"] + "-01"
    assert "1 y 4" in dataset["notes"]  # the suppression rule is stated
    assert dataset["spatial_ubigeo"] == ["1501"]
    # the MML schema is the one in force here: it refuses a bare dataset that lacks them
    with pytest.raises(tk.ValidationError) as refused:
        call_action("package_create", name="denuncias-sin-metadatos", title="Sin metadatos",
                    notes="x", owner_org=integrity_org["id"])
    assert {"spatial_ubigeo", "contact", "theme"} <= set(refused.value.error_dict)
    assert dataset["contact"][0]["email"] == "integridad@munlima.gob.pe"
    names = {r["name"]: r for r in dataset["resources"]}
    assert len(dataset["resources"]) == 2
    live = [r for r in dataset["resources"] if r["url"].endswith("/denuncias/estadisticas.csv")]
    assert len(live) == 1 and live[0]["format"] == "CSV"
    text = snapshot_text(dataset)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["mes", "canal", "recibidas", "atendidas"]
    by_month = {(r[0], r[1]): (r[2], r[3]) for r in rows[1:]}
    # 3 in the earlier month: suppressed, 0 attended stays 0; 6 this month: shown, 5 attended
    assert by_month == {(two_months["earlier"], "web"): ("", "0"),
                        (two_months["current"], "web"): ("6", "5")}
    # no cell anywhere from 1 to 4
    for row in rows[1:]:
        for cell in row[2:]:
            assert cell == "" or int(cell) == 0 or int(cell) >= 5, row
    # the snapshot equals the live CSV (same figures, same code)
    assert app.get("/denuncias/estadisticas.csv").body == text
    assert [r for r in names if "corte" in r]


def test_publishing_twice_keeps_one_dataset_and_updates_it(app, two_months):
    first = sysadmin_publish()
    before = snapshot_text(first)
    # three more reports this month change the figures
    for _ in range(3):
        file_report()
    result = app.get("/api/3/action/limahonesta_statistics").json["result"]
    assert {"month": two_months["current"], "channel": "web", "received": 9,
            "attended": 5} in result["monthly"]
    admin = factories.Sysadmin()
    second = call_action("limahonesta_statistics_publish", {"user": admin["name"]})
    assert second["id"] == first["id"]
    assert len(second["resources"]) == 2
    assert sorted(r["id"] for r in second["resources"]) == sorted(r["id"] for r in first["resources"])
    after = snapshot_text(second)
    assert after != before and f"{two_months['current']},web,9,5" in after.splitlines()
    count = model.Session.execute(sa.text(
        "select count(*) from package where name = :n or title = :t"),
        {"n": DATASET, "t": first["title"]}).scalar()
    assert count == 1
    found = call_action("package_search", q=f"name:{DATASET}")
    assert found["count"] == 1


def test_cli_publish_is_idempotent(cli, two_months):
    first = cli.invoke(ckan_command, ["limahonesta", "publish"])
    assert first.exit_code == 0, first.output
    assert DATASET in first.output
    second = cli.invoke(ckan_command, ["limahonesta", "publish"])
    assert second.exit_code == 0, second.output
    dataset = call_action("package_show", id=DATASET)
    assert len(dataset["resources"]) == 2
    assert model.Session.execute(sa.text(
        "select count(*) from package where name = :n"), {"n": DATASET}).scalar() == 1
    # a dataset deleted by hand comes back (same record) at the next publication
    call_action("package_delete", {"user": factories.Sysadmin()["name"]}, id=DATASET)
    third = cli.invoke(ckan_command, ["limahonesta", "publish"])
    assert third.exit_code == 0, third.output
    again = call_action("package_show", id=DATASET)
    assert again["id"] == dataset["id"] and again["state"] == "active"
    assert len(again["resources"]) == 2


def test_dataset_holds_nothing_personal(app, two_months):
    marker = "Texto-secreto-de-la-denuncia-7781"
    number = file_report(descripcion=marker + " " + GOOD_REPORT["descripcion"],
                         involucrados="Funcionario Marcador 5521")["case_number"]
    # one report through the web form too (the test client's address is 127.0.0.1)
    _, web_number, _ = submit_report(app, descripcion=marker + " por la web, "
                                     + GOOD_REPORT["descripcion"])
    dataset = sysadmin_publish()
    shown = app.get(f"/api/3/action/package_show?id={DATASET}").json["result"]
    text = snapshot_text(dataset)
    everything = repr(dataset) + repr(shown) + text + app.get(f"/dataset/{DATASET}").body
    for secret in [marker, "Marcador 5521", "pidió dinero", "Subgerencia de Licencias",
                   "0.0.0.0", number, web_number, *two_months["numbers"]]:
        assert secret not in everything, secret
    # no IP address except the host of the site's own URLs
    addresses = re.findall(r"(?<![/\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])", everything)
    assert addresses == [], addresses
    # only aggregates: the header and one line per month and channel
    assert all(len(row) == 4 for row in csv.reader(io.StringIO(text)))


def test_anonymous_users_can_read_the_dataset_and_download_the_csv(app, two_months):
    dataset = sysadmin_publish()
    shown = app.get(f"/api/3/action/package_show?id={DATASET}").json["result"]
    assert shown["id"] == dataset["id"]
    assert app.get(f"/dataset/{DATASET}").status_code == 200
    upload = [r for r in dataset["resources"] if r.get("url_type") == "upload"][0]
    response = app.get(f"/dataset/{dataset['id']}/resource/{upload['id']}/download/"
                       + os.path.basename(upload["url"]))
    assert response.status_code == 200
    assert response.body.startswith("mes,canal,recibidas,atendidas")
    assert f"{two_months['current']},web,6,5" in response.body.splitlines()


def test_only_sysadmins_may_publish(app, integrity_org):
    user = factories.User()
    org_admin = factories.User()
    call_action("organization_member_create", {"ignore_auth": True}, id=integrity_org["id"],
                username=org_admin["name"], role="admin")
    for who in (user, org_admin):
        with pytest.raises(tk.NotAuthorized):
            call_action("limahonesta_statistics_publish",
                        {"user": who["name"], "ignore_auth": False})
        response = app.post("/api/3/action/limahonesta_statistics_publish", json={},
                            headers={"Authorization": factories.APIToken(user=who["name"])["token"]},
                            status=403)
        assert "administrador" in response.json["error"]["message"]
    app.post("/api/3/action/limahonesta_statistics_publish", json={}, status=403)
    with pytest.raises(tk.ObjectNotFound):
        call_action("package_show", id=DATASET)


def test_missing_organisation_is_created(app, ckan_config, monkeypatch):
    name = "integridad-nueva-publicacion"
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.integrity_org", name)
    try:
        call_action("group_purge", {"ignore_auth": True}, id=name)
    except tk.ObjectNotFound:
        pass
    dataset = sysadmin_publish()
    org = call_action("organization_show", id=name)
    assert dataset["owner_org"] == org["id"]
    assert org["title"] == "Unidad de Integridad Institucional"
