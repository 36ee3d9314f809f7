"""``/healthz`` (the process answers) and ``/readyz`` (it can serve, and what backs it).

Both answer JSON with no secrets: no URLs, host names, versions or error texts, only
whether each part answered. ``/readyz`` costs one ``SELECT 1``, a few Redis reads and no
search or rendering; it answers 503 when the database or Redis fail (this process cannot
serve), and 200 with ``"status": "degraded"`` when only the background side is missing
(no live worker, no scheduler, a periodic job whose last run failed), so a load balancer
keeps the web process while monitoring sees the problem.
"""
from __future__ import annotations

import datetime
import logging
import time

import sqlalchemy as sa

import ckan.model as model  # a plain SELECT 1 on CKAN's engine (no toolkit equivalent)
from ckan.lib import jobs
from ckan.lib.redis import connect_to_redis

from ckanext.openlima.operations import schedule

__all__ = ["liveness", "readiness"]

log = logging.getLogger(__name__)
# an RQ worker writes its heartbeat at least every worker_ttl (420 s by default)
WORKER_STALE_SECONDS = 600


def liveness() -> dict:
    return {"status": "ok"}


def _database_ok() -> bool:
    try:
        model.Session.execute(sa.text("SELECT 1")).scalar()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"; the log has details
        log.warning("readyz: database check failed", exc_info=True)
        model.Session.rollback()
        return False


def readiness() -> tuple[dict, int]:
    started = time.monotonic()
    checks: dict = {"database": {"ok": _database_ok()}}
    try:
        redis = connect_to_redis()
        redis.ping()
        checks["redis"] = {"ok": True}
    except Exception:  # noqa: BLE001
        log.warning("readyz: Redis check failed", exc_info=True)
        checks["redis"] = {"ok": False}
        redis = None

    if redis is not None:
        from rq import Worker

        queue = jobs.get_queue()
        now = datetime.datetime.now(datetime.timezone.utc)
        ages = []
        for worker in Worker.all(queue=queue):
            beat = worker.last_heartbeat
            if beat is not None:
                beat = beat if beat.tzinfo else beat.replace(tzinfo=datetime.timezone.utc)
                ages.append((now - beat).total_seconds())
        alive = [age for age in ages if age < WORKER_STALE_SECONDS]
        checks["worker"] = {"ok": bool(alive), "alive": len(alive),
                            "last_heartbeat_seconds": round(min(ages), 1) if ages else None}
        checks["queue"] = {"ok": True, "depth": queue.count}
        schedulers = schedule.live_schedulers(redis)
        checks["scheduler"] = {"ok": len(schedulers) == 1, "alive": len(schedulers)}
        runs = [{"name": row["name"], "last_finished": row["last_finished"],
                 "last_result": row["last_result"], "next_run": row["next_run"]}
                for row in schedule.schedule_status()]
        checks["scheduled_jobs"] = {
            "ok": all(run["last_result"] != "error" for run in runs), "jobs": runs}

    serving = checks["database"]["ok"] and checks["redis"]["ok"]
    status = "fail" if not serving else (
        "ok" if all(check["ok"] for check in checks.values()) else "degraded")
    body = {"status": status, "checks": checks,
            "took_ms": round((time.monotonic() - started) * 1000, 1)}
    return body, 200 if serving else 503
