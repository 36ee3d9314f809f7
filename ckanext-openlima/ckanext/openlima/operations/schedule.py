"""Periodic jobs: one scheduler enqueues them, CKAN's jobs workers run them.

The scheduler is RQ's own cron scheduler (``rq.cron.CronScheduler``, RQ 2.x, already a
CKAN dependency): it keeps each job's schedule (a cron expression, UTC, or an interval
in seconds), enqueues a job onto CKAN's ``default`` queue when it is due, and registers
itself and its jobs' next run times in Redis. CKAN's workers (``ckan jobs worker``, which
start RQ's scheduler for delayed retries) run the job. So there is no loop of ours, no
second queue system, and any number of workers can share the work: one scheduler, many
workers.

Each job goes through :func:`run_periodic_job`, which records its start, end, result and
a short message in Redis (what the sysadmin page and ``/readyz`` show) and re-raises a
failure, so RQ retries it (``RETRIES`` times, ``ckanext.openlima.schedule_retry_seconds``
apart) and keeps it in the failed-jobs registry when it keeps failing.
"""
from __future__ import annotations

import contextlib
import datetime
import io
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib import jobs  # CKAN's queue names and Redis connection (no toolkit equivalent)
from ckan.lib.redis import connect_to_redis

__all__ = [
    "PERIODIC_JOBS",
    "PeriodicJob",
    "active_jobs",
    "build_scheduler",
    "run_periodic_job",
    "schedule_status",
]

log = logging.getLogger(__name__)


def N_(text: str) -> str:
    """Mark a label for extraction; it is translated where it is shown."""
    return text


RETRIES = 2
# a run record is kept this long after its last update (Redis hash per job)
RECORD_TTL_SECONDS = 90 * 24 * 3600
MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    label: str  # Spanish, marked for translation where shown
    schedule: str  # cron expression (UTC) or a number of seconds
    plugin: str  # only scheduled when this plugin is enabled
    run: Callable[[], str]
    timeout: int = 3600


def _click_command(*path: str) -> Callable[[], str]:
    """Run ``ckan <path...>`` in this process (the worker has CKAN loaded) and return what it
    printed. The command is found through the plugins' IClick commands, so this module
    imports no other extension; a ``click.ClickException`` is a failure."""

    def run() -> str:
        group = None
        for plugin in p.PluginImplementations(p.IClick):
            for command in plugin.get_commands():
                if command.name == path[0]:
                    group = command
        if group is None:
            raise RuntimeError(f"ckan {path[0]}: command not available")
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            group.main(list(path[1:]), prog_name=f"ckan {path[0]}", standalone_mode=False)
        return output.getvalue()

    run.__name__ = "ckan_" + "_".join(path)
    return run


def _enqueue_link_checks() -> str:
    """Queue the link check of every active dataset (one job each, as after a save)."""
    from ckanext.openlima.quality import linkcheck

    import ckan.model as model  # plain query of ids: no action lists every dataset cheaply

    ids = [row[0] for row in model.Session.query(model.Package.id).filter(
        model.Package.state == "active", model.Package.type == "dataset")]
    for dataset_id in ids:
        linkcheck.enqueue_dataset_check(dataset_id)
    return f"{len(ids)} comprobaciones de enlaces encoladas"


def _build_static_site() -> str:
    """``openlima-site build`` from this CKAN into ``ckanext.openlima.site_build_dir``
    (the public address of the site comes from ``OPENLIMA_SITE_URL``, as for the CLI)."""
    out = tk.config.get("ckanext.openlima.site_build_dir")
    source = tk.config.get("ckanext.openlima.site_build_source") or tk.config["ckan.site_url"]
    command = [str(Path(sys.executable).parent / "openlima-site"), "build", "--quiet",
               "--source", source, "--ckan-url", tk.config["ckan.site_url"], "--out", out]
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=int(tk.config.get("ckan.jobs.timeout") or 3600))
    if result.returncode != 0:
        raise RuntimeError("openlima-site build: " + (result.stderr or result.stdout)[-MESSAGE_LIMIT:])
    return result.stdout[-MESSAGE_LIMIT:]


# The platform's periodic jobs (schedules in UTC: Lima is UTC-5). Add new ones here.
PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("limahonesta_purge", N_("Lima Honesta: eliminar casos vencidos"),
                "0 8 * * *", "limahonesta", _click_command("limahonesta", "purge")),
    PeriodicJob("limahonesta_reminders", N_("Lima Honesta: recordatorios de plazos"),
                "0 12 * * *", "limahonesta", _click_command("limahonesta", "reminders")),
    PeriodicJob("limahonesta_publish", N_("Lima Honesta: publicar estadísticas mensuales"),
                "0 11 1 * *", "limahonesta", _click_command("limahonesta", "publish")),
    PeriodicJob("limaactiva_snapshot", N_("Lima Activa: corte diario de puntajes"),
                "30 5 * * *", "limaactiva", _click_command("limaactiva", "snapshot")),
    PeriodicJob("limaactiva_phases", N_("Lima Activa: avisar cambios de fase"),
                "5 * * * *", "limaactiva", _click_command("limaactiva", "announce-phases")),
    # hourly; each person who chose the digest gets one a Lima day, from its digest_hour
    PeriodicJob("limaactiva_digest", N_("Lima Activa: enviar resúmenes diarios de avisos"),
                "10 * * * *", "limaactiva", _click_command("limaactiva", "send-digests")),
    PeriodicJob("limaactiva_watch",
                N_("Lima Activa: avisos de conjuntos, oficinas y compromisos seguidos"),
                "*/10 * * * *", "limaactiva", _click_command("limaactiva", "watch")),
    PeriodicJob("plan_snapshot", N_("Compromisos: corte diario de indicadores"),
                "45 5 * * *", "openlima_plan", _click_command("openlima", "plan", "snapshot")),
    PeriodicJob("link_checks", N_("Catálogo: comprobar enlaces de todos los conjuntos"),
                "0 7 * * 0", "openlima", _enqueue_link_checks),
    PeriodicJob("site_build", N_("Sitio estático: reconstruir"),
                "*/30 * * * *", "openlima", _build_static_site),
    # starts the harvest sources whose frequency is due; each harvest is then a job of its own
    PeriodicJob("harvest_run", N_("Cosecha: iniciar las fuentes que corresponden"),
                "*/10 * * * *", "openlima_harvest", _click_command("harvester", "run")),
]


def schedule_overrides() -> dict[str, str]:
    """``ckanext.openlima.schedule``: ``name = cron expression | seconds | off``, one per
    line or separated by ``;`` (an environment variable has no line breaks)."""
    overrides = {}
    text = (tk.config.get("ckanext.openlima.schedule") or "").replace(";", "\n")
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip():
            overrides[name.strip()] = value.strip()
    return overrides


def active_jobs() -> list[tuple[PeriodicJob, str]]:
    """(job, effective schedule) of every job that runs on this configuration."""
    plugins = set(tk.aslist(tk.config.get("ckan.plugins")))
    overrides = schedule_overrides()
    active = []
    for job in PERIODIC_JOBS:
        schedule = overrides.get(job.name, job.schedule)
        if job.plugin not in plugins or schedule.lower() == "off":
            continue
        if job.name == "site_build" and not tk.config.get("ckanext.openlima.site_build_dir"):
            continue
        active.append((job, schedule))
    return active


# --------------------------------------------------------------------------- run records


def _record_key(name: str) -> str:
    return jobs.add_queue_name_prefix(f"openlima:schedule:{name}")


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _record(name: str, **fields: Any) -> None:
    redis = connect_to_redis()
    key = _record_key(name)
    redis.hset(key, mapping={k: ("" if v is None else str(v)) for k, v in fields.items()})
    redis.expire(key, RECORD_TTL_SECONDS)


def _failure_message(error: BaseException) -> str:
    # Database and library errors can carry SQL, parameters or paths: only their type then.
    module = type(error).__module__ or ""
    if module.startswith(("sqlalchemy", "psycopg2", "redis")):
        return type(error).__name__
    return f"{type(error).__name__}: {error}"[:MESSAGE_LIMIT]


def run_periodic_job(name: str) -> str:
    """The job RQ runs: the periodic job ``name``, recorded before and after."""
    from rq import get_current_job

    job = {job.name: job for job in PERIODIC_JOBS}.get(name)
    if job is None:
        raise KeyError(f"unknown periodic job {name!r}")
    current = get_current_job()
    retries_left = getattr(current, "retries_left", None)
    attempt = RETRIES + 1 - retries_left if retries_left is not None else 1
    _record(name, last_started=_now(), running="1", attempt=attempt)
    try:
        message = job.run() or ""
    except BaseException as error:
        log.exception("Periodic job %s failed (attempt %s)", name, attempt)
        final = not retries_left
        _record(name, running="", last_finished=_now(), last_result="error",
                last_message=_failure_message(error), last_failure=_now(),
                will_retry="" if final else "1")
        raise
    _record(name, running="", last_finished=_now(), last_result="ok",
            last_message=message.strip()[-MESSAGE_LIMIT:], last_success=_now(), will_retry="")
    log.info("Periodic job %s done: %s", name, message.strip()[-200:])
    return message


# --------------------------------------------------------------------------- the scheduler


def build_scheduler(connection=None):
    """RQ's CronScheduler with every active job registered (not started)."""
    from rq import Retry
    from rq.cron import CronJob, CronScheduler
    from rq.queue import Queue

    retry_seconds = int(tk.config.get("ckanext.openlima.schedule_retry_seconds") or 300)

    class RetryingCronJob(CronJob):
        # RQ's CronJob does not pass ``retry``; the job is otherwise enqueued as RQ does.
        def enqueue(self, connection):
            queue = Queue(self.queue_name, connection=connection)
            return queue.enqueue(self.func, *self.args, **self.kwargs, **self.job_options,
                                 retry=Retry(max=RETRIES, interval=retry_seconds))

    class OpenLimaCronScheduler(CronScheduler):
        def register(self, func, queue_name, args=None, kwargs=None, interval=None,
                     cron=None, **options):
            cron_job = RetryingCronJob(queue_name=queue_name, func=func, args=args,
                                       kwargs=kwargs, interval=interval, cron=cron, **options)
            self._cron_jobs.append(cron_job)
            return cron_job

    scheduler = OpenLimaCronScheduler(connection=connection or connect_to_redis(),
                                      name=f"openlima:{tk.config['ckan.site_id']}:{os.getpid()}")
    queue_name = jobs.add_queue_name_prefix(jobs.DEFAULT_QUEUE_NAME)
    for job, schedule in active_jobs():
        timing = {"interval": int(schedule)} if schedule.isdigit() else {"cron": schedule}
        scheduler.register(run_periodic_job, queue_name, args=(job.name,),
                           job_timeout=job.timeout, meta={"title": f"openlima periodic {job.name}"},
                           **timing)
    return scheduler


def live_schedulers(connection=None) -> list:
    """Open Lima's cron schedulers alive in Redis for this site (normally exactly one)."""
    from rq.cron import CronScheduler

    prefix = f"openlima:{tk.config['ckan.site_id']}:"
    return [s for s in CronScheduler.all(connection or connect_to_redis())
            if s.name.startswith(prefix)]


def schedule_status() -> list[dict]:
    """Every active job: schedule, last run and result, next run (from the live scheduler)."""
    redis = connect_to_redis()
    next_runs: dict[str, str] = {}
    for scheduler in live_schedulers(redis):
        for cron_job in scheduler.get_jobs():
            args = cron_job.args or ()
            if args and cron_job.next_enqueue_time:
                next_runs[args[0]] = cron_job.next_enqueue_time.replace(
                    tzinfo=datetime.timezone.utc).isoformat(timespec="seconds")
    rows = []
    for job, schedule in active_jobs():
        record = {k.decode(): v.decode() for k, v in redis.hgetall(_record_key(job.name)).items()}
        rows.append({
            "name": job.name,
            "label": job.label,
            "schedule": schedule,
            "last_started": record.get("last_started") or None,
            "last_finished": record.get("last_finished") or None,
            "last_result": record.get("last_result") or None,
            "last_message": record.get("last_message") or "",
            "last_success": record.get("last_success") or None,
            "last_failure": record.get("last_failure") or None,
            "running": bool(record.get("running")),
            "will_retry": bool(record.get("will_retry")),
            "attempt": int(record.get("attempt") or 0),
            "next_run": next_runs.get(job.name),
        })
    return rows

