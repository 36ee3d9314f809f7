"""Published statistics, isolation from CKAN's catalogue, retention and migrations
(research §4 attacks 11, 12 and 17; plan section D: the figures the dashboard reads)."""
from __future__ import annotations

import io
import os

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_command
from ckan.tests.helpers import call_action
from openlima_common import clock

from .conftest import GOOD_REPORT, case_id_by_number, open_case, solve_pow, submit_report

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")


def file_report(**overrides) -> dict:
    challenge = call_action("limahonesta_pow_challenge_show")
    data = dict(GOOD_REPORT, pow_challenge=challenge["challenge"],
                pow_counter=solve_pow(challenge["challenge"], challenge["difficulty"]))
    data.update(overrides)
    return call_action("limahonesta_report_create", **data)


def set_case(case_number: str, **values) -> None:
    # Workflow shortcut for aggregation tests (the workflow itself is tested in test_staff).
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    model.Session.execute(sa.text(
        f"update limahonesta_case set {assignments} where case_number = :n"),
        dict(values, n=case_number))
    model.Session.commit()


def test_statistics_are_aggregate_with_small_cell_suppression(app):
    import datetime
    numbers = [file_report()["case_number"] for _ in range(7)]
    received = clock.today() - datetime.timedelta(days=40)  # an earlier month
    for number in numbers[:5]:
        set_case(number, status="cerrada", outcome="fundada", received_on=received,
                 acknowledged_on=received + datetime.timedelta(days=2),
                 closed_on=received + datetime.timedelta(days=10), rating=4)
    set_case(numbers[5], status="cerrada", outcome="spam", closed_on=clock.today())
    stats = app.get("/api/3/action/limahonesta_statistics").json["result"]
    assert stats["received"] == 6  # spam is not counted
    assert stats["attended"] == 5
    assert stats["attended_ratio"] == round(5 / 6, 3)
    assert stats["by_channel"] == {"web": 6}
    assert stats["by_status"] == {"cerrada": 5, "recibida": None}  # 1 is suppressed
    assert stats["by_outcome"] == {"fundada": 5}
    assert stats["median_days_to_acknowledge"] == 2
    assert stats["median_days_to_close"] == 10
    assert stats["mean_rating"] == 4
    assert stats["min_cell"] == 5
    flat = repr(stats)
    assert not any(number in flat for number in numbers)
    assert "pidió" not in flat
    assert call_action("limahonesta_stats_show") == stats
    month = received.strftime("%Y-%m")
    assert {"month": month, "channel": "web", "received": 5, "attended": 5} in stats["monthly"]
    csv_text = app.get("/denuncias/estadisticas.csv").body
    assert csv_text.splitlines()[0] == "mes,canal,recibidas,atendidas"
    assert f"{month},web,5,5" in csv_text.splitlines()
    assert any(line.endswith(",web,,0") or line.endswith(",web,,") for line in
               csv_text.splitlines()[1:])  # the single recent report is suppressed
    # with fewer than five reports every non-zero figure is withheld
    model.Session.execute(sa.text("delete from limahonesta_case where case_number <> :n"),
                          {"n": numbers[6]})
    model.Session.commit()
    small = call_action("limahonesta_statistics")
    assert small["received"] is None and small["attended"] == 0
    assert small["mean_rating"] is None and small["median_days_to_close"] is None


def test_reports_never_reach_datasets_search_or_activity(app):
    before = (call_action("package_search", q="*:*", include_private=True)["count"],
              call_action("package_list"))
    file_report(descripcion="Palabraunica zanahoriazul en una denuncia de corrupción.")
    assert call_action("package_search", q="zanahoriazul")["count"] == 0
    assert (call_action("package_search", q="*:*", include_private=True)["count"],
            call_action("package_list")) == before
    activity = call_action("recently_changed_packages_activity_list")
    assert "zanahoriazul" not in repr(activity)
    dump = repr(model.Session.execute(sa.text(
        "select * from activity")).all())
    assert "zanahoriazul" not in dump and "limahonesta" not in dump


def test_retention_purge_deletes_rows_and_files_but_keeps_ids_in_the_audit_log(
        app, cli, honesta_config):
    import datetime
    _r, number, code = submit_report(app, files=[(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")])
    _r2, kept_number, kept_code = submit_report(app)
    storage = honesta_config["ckanext.limahonesta.storage_path"]
    assert len(os.listdir(storage)) == 1
    old = clock.today() - datetime.timedelta(days=4000)
    set_case(number, status="cerrada", outcome="infundada", closed_on=old)
    case_id = model.Session.execute(sa.text(
        "select id from limahonesta_case where case_number = :n"), {"n": number}).scalar()
    result = cli.invoke(ckan_command, ["limahonesta", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 caso" in result.output
    for table in ("limahonesta_case", "limahonesta_message", "limahonesta_status_change",
                  "limahonesta_attachment", "limahonesta_case_key", "limahonesta_identity"):
        assert model.Session.execute(sa.text(
            f"select count(*) from {table} where "
            f"{'id' if table == 'limahonesta_case' else 'case_id'} = :c"),
            {"c": case_id}).scalar() == 0, table
    assert os.listdir(storage) == []
    audit = model.Session.execute(sa.text(
        "select action, detail from limahonesta_audit where case_id = :c order by id"),
        {"c": case_id}).all()
    assert ("case_deleted", "retention") in [tuple(r) for r in audit]
    open_case(app, code, status=400)
    assert kept_number in open_case(app, kept_code).body


def test_migrations_upgrade_a_database_holding_encrypted_cases(app, migrate_db_for,
                                                               make_reviewer):
    reviewer = make_reviewer()
    _r, number, code = submit_report(app)
    model.Session.remove()
    # back to the first revision, then forward to head, with encrypted data in place
    migrate_db_for("limahonesta", "8f1c2a7d4e01", forward=False)
    columns = {r[0] for r in model.Session.execute(sa.text(
        "select column_name from information_schema.columns "
        "where table_name = 'limahonesta_reviewer'"))}
    assert "approved_by" not in columns
    model.Session.remove()
    migrate_db_for("limahonesta")
    assert model.Session.execute(sa.text(
        "select version_num from limahonesta_alembic_version")).scalar() == "a1e3c5b7d902"
    assert model.Session.execute(sa.text(
        "select approved_by from limahonesta_reviewer")).scalar() == "migration"
    assert number in open_case(app, code).body
    assert "pidió dinero" in reviewer.app.get(
        f"/integridad/caso/{case_id_by_number(number)}").body


def test_unconfigured_staff_pages_and_statistics_do_not_crash(app, monkeypatch, ckan_config):
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.pepper", "")
    assert call_action("limahonesta_statistics")["received"] == 0
    with pytest.raises(tk.ValidationError):
        call_action("limahonesta_pow_challenge_show")


def test_reminders_command_sends_a_content_free_mail_for_overdue_cases(
        app, cli, mail_server, make_reviewer, ckan_config, monkeypatch):
    import datetime
    make_reviewer()
    _r, number, _c = submit_report(app)
    sent_before = len(mail_server.get_smtp_messages())
    result = cli.invoke(ckan_command, ["limahonesta", "reminders"])
    assert result.exit_code == 0 and "0 caso" in result.output
    old = clock.today() - datetime.timedelta(days=30)
    model.Session.execute(sa.text("update limahonesta_case set received_on = :d"), {"d": old})
    model.Session.commit()
    result = cli.invoke(ckan_command, ["limahonesta", "reminders"])
    assert result.exit_code == 0 and "1 caso" in result.output
    messages = mail_server.get_smtp_messages()[sent_before:]
    assert messages
    assert all(number not in str(m) and "pidió" not in str(m) for m in messages)
