"""Periodic jobs run by themselves: the scheduler and worker of ``make run`` (the same
commands as the ckan-scheduler and ckan-worker containers), a short schedule, a job that
succeeds and one that fails, is retried and is shown as failed, to sysadmins only."""
from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories

import ckan.plugins.toolkit as tk
from openlima_stack import ckan_tasks

SITE_ID = "openlima_schedule_test"
# limaactiva_snapshot works on an empty portal and runs every 15 s; plan_snapshot fails
# without a loaded plan: an interval job runs when the scheduler starts, then is retried
SCHEDULE = ("limaactiva_snapshot = 15; plan_snapshot = 3600; limahonesta_purge = off; "
            "limahonesta_reminders = off; limahonesta_publish = off; link_checks = off; "
            "site_build = off; harvest_run = off; limaactiva_phases = off; "
            "limaactiva_digest = off; limaactiva_watch = off")


def wait_for(condition, timeout: float, what: str, processes=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for process in processes:
            assert process.poll() is None, f"{what}: a background process ended"
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def jobs_by_name() -> dict:
    return {job["name"]: job for job in tk.get_action("openlima_schedule_show")(
        {"ignore_auth": True}, {})["jobs"]}


@pytest.mark.ckan_config("ckanext.openlima.schedule", SCHEDULE)
@pytest.mark.ckan_config("ckanext.openlima.schedule_retry_seconds", "1")
@pytest.mark.ckan_config("ckan.site_id", SITE_ID)
def test_periodic_jobs_run_retry_and_show_their_results(clean_db, reset_redis, background, app):
    import ckan.model as model
    import sqlalchemy as sa
    from ckanext.openlima.operations import schedule

    reset_redis()  # no queued job or record of an earlier run

    assert not model.Session.execute(sa.text(
        "select 1 from openlima_plan_action_plan limit 1")).first(), "plan_snapshot must fail"
    ini = background.ini({"ckan.site_id": SITE_ID, "ckanext.openlima.schedule": SCHEDULE,
                          "ckanext.openlima.schedule_retry_seconds": "1"})
    worker = background.start("worker", ckan_tasks.worker_command(ini))
    scheduler = background.start("scheduler", ckan_tasks.scheduler_command(ini))
    processes = (worker, scheduler)
    wait_for(lambda: schedule.live_schedulers(), 240, "the scheduler to start", processes)

    # nothing has run yet, and only the two jobs left on are scheduled
    assert set(jobs_by_name()) == {"limaactiva_snapshot", "plan_snapshot"}

    def succeeded_twice():
        job = jobs_by_name()["limaactiva_snapshot"]
        return job["last_result"] == "ok" and job["last_success"] and job
    first = wait_for(succeeded_twice, 240, "limaactiva_snapshot to run", processes)
    assert "cortes registrados" in first["last_message"]
    assert first["next_run"], "the live scheduler publishes the next run"
    # it keeps running on its own: a later run finishes after the first one
    wait_for(lambda: jobs_by_name()["limaactiva_snapshot"]["last_finished"]
             > first["last_finished"], 60, "a second run", processes)

    # the failing job is retried twice (three attempts), then shown as failed for good
    def given_up():
        job = jobs_by_name()["plan_snapshot"]
        return job["last_result"] == "error" and job["attempt"] == 3 and job
    failed = wait_for(given_up, 120, "plan_snapshot to fail three times", processes)
    assert failed["last_failure"] and failed["last_message"]
    assert "postgresql://" not in failed["last_message"]

    from rq.registry import FailedJobRegistry
    from ckan.lib import jobs
    # kept by RQ among the failed jobs once the worker has handled the last attempt
    wait_for(lambda: FailedJobRegistry(queue=jobs.get_queue()).count, 60,
             "the failed job in RQ's registry", processes)

    # the sysadmin page shows both; /readyz sees the worker, the scheduler and the failure
    admin = factories.Sysadmin()
    page = app.get("/ckan-admin/tareas-programadas",
                   headers={"Authorization": factories.APIToken(user=admin["name"])["token"]})
    assert page.status_code == 200
    rows = {row["data-job"]: row for row in
            BeautifulSoup(page.body, "html.parser").select("#scheduled-jobs tr[data-job]")}
    assert set(rows) == {"limaactiva_snapshot", "plan_snapshot"}
    assert rows["plan_snapshot"]["data-result"] == "error"
    assert rows["limaactiva_snapshot"]["data-result"] == "ok"

    ready = app.get("/readyz").json
    assert ready["checks"]["worker"]["ok"] and ready["checks"]["scheduler"]["alive"] == 1
    assert ready["checks"]["scheduled_jobs"]["ok"] is False
    assert ready["status"] == "degraded"

    # a second scheduler for the same site refuses to start
    second = background.start("second-scheduler", ckan_tasks.scheduler_command(ini))
    assert second.wait(120) != 0
    assert "solo debe haber uno" in background.log("second-scheduler")


def test_the_jobs_page_is_for_sysadmins_only(app):
    for headers in ({}, {"Authorization": factories.APIToken(
            user=factories.User()["name"])["token"]}):
        response = app.get("/ckan-admin/tareas-programadas", headers=headers)
        assert response.status_code == 403
        assert "data-job" not in response.body
    with pytest.raises(tk.NotAuthorized):
        tk.get_action("openlima_schedule_show")({"user": factories.User()["name"],
                                                 "ignore_auth": False}, {})
