"""Counting views and downloads cheaply, and reading them back.

On the request path a view or download costs one pipelined Redis ``HINCRBY`` on the
day's hash (``openlima:usage:<day>``, field ``view:<dataset>``). Nothing about the
visitor is stored: no IP, no session, no user agent. Reading the metrics first
flushes those counters into PostgreSQL (``openlima_usage_daily``), where the totals
live; the Redis hash is renamed before it is read, so concurrent counts are never
lost or counted twice.
"""
from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from openlima_common import clock

__all__ = ["record", "flush", "usage_totals", "rate", "rating_totals", "RatingLimited"]

PREFIX = "openlima:usage:"
KEEP_SECONDS = 40 * 24 * 3600
BOT_RE = re.compile(r"bot|crawl|spider|slurp|preview|monitor|curl|wget|python-requests|httpclient", re.I)

usage_table = sa.table(
    "openlima_usage_daily",
    sa.column("day", sa.Date), sa.column("package_id", sa.UnicodeText),
    sa.column("views", sa.Integer), sa.column("downloads", sa.Integer),
)
rating_table = sa.table(
    "openlima_rating_daily",
    sa.column("day", sa.Date), sa.column("package_id", sa.UnicodeText),
    sa.column("ratings", sa.Integer), sa.column("rating_sum", sa.Integer),
)


class RatingLimited(Exception):
    """Too many ratings for this dataset in the current minute."""


def is_bot(user_agent: str | None) -> bool:
    return not user_agent or bool(BOT_RE.search(user_agent))


def record(kind: str, dataset_ref: str, day: datetime.date | None = None) -> None:
    """Count one ``view`` or ``download`` of a dataset (id or name) for today."""
    day = day or clock.today()
    key = PREFIX + day.isoformat()
    pipe = connect_to_redis().pipeline(transaction=False)
    pipe.hincrby(key, f"{kind}:{dataset_ref}", 1)
    pipe.expire(key, KEEP_SECONDS)
    pipe.execute()


def flush() -> int:
    """Move the Redis counters into ``openlima_usage_daily``; returns the rows touched."""
    redis = connect_to_redis()
    touched = 0
    for key in list(redis.scan_iter(match=PREFIX + "????-??-??")):
        key = key.decode() if isinstance(key, bytes) else key
        moving = f"{key}:flushing:{uuid.uuid4().hex}"
        try:
            redis.rename(key, moving)
        except Exception:  # noqa: BLE001 - another process flushed it first
            continue
        day = datetime.date.fromisoformat(key[len(PREFIX):])
        counts: dict[str, dict[str, int]] = {}
        for field, value in redis.hgetall(moving).items():
            field = field.decode() if isinstance(field, bytes) else field
            kind, _, ref = field.partition(":")
            package = model.Package.get(ref)
            if package is None or kind not in ("view", "download"):
                continue
            row = counts.setdefault(package.id, {"views": 0, "downloads": 0})
            row["views" if kind == "view" else "downloads"] += int(value)
        for package_id, row in counts.items():
            model.Session.execute(
                sa.text(
                    "INSERT INTO openlima_usage_daily (day, package_id, views, downloads) "
                    "VALUES (:day, :package_id, :views, :downloads) "
                    "ON CONFLICT (day, package_id) DO UPDATE SET "
                    "views = openlima_usage_daily.views + EXCLUDED.views, "
                    "downloads = openlima_usage_daily.downloads + EXCLUDED.downloads"
                ),
                {"day": day, "package_id": package_id, **row},
            )
            touched += 1
        model.Session.commit()
        redis.delete(moving)
    return touched


def usage_totals(package_ids: list[str] | None = None, since: datetime.date | None = None) -> dict[str, dict[str, int]]:
    """package id -> views and downloads (all packages when ``package_ids`` is None)."""
    query = sa.select(usage_table.c.package_id, sa.func.sum(usage_table.c.views),
                      sa.func.sum(usage_table.c.downloads)).group_by(usage_table.c.package_id)
    if package_ids is not None:
        if not package_ids:
            return {}
        query = query.where(usage_table.c.package_id.in_(package_ids))
    if since:
        query = query.where(usage_table.c.day >= since)
    return {row[0]: {"views": int(row[1] or 0), "downloads": int(row[2] or 0)}
            for row in model.Session.execute(query)}


def rate(package_id: str, rating: int, day: datetime.date | None = None) -> None:
    """Add one 1–5 rating to today's aggregate, within the per-dataset rate limit."""
    day = day or clock.today()
    limit = int(tk.config.get("ckanext.openlima.rating_limit_per_minute"))
    window = f"openlima:rating-rate:{package_id}:{clock.utcnow():%Y%m%d%H%M}"
    redis = connect_to_redis()
    pipe = redis.pipeline()
    pipe.incr(window)
    pipe.expire(window, 120)
    count, _ = pipe.execute()
    if int(count) > limit:
        raise RatingLimited()
    model.Session.execute(
        sa.text(
            "INSERT INTO openlima_rating_daily (day, package_id, ratings, rating_sum) "
            "VALUES (:day, :package_id, 1, :rating) "
            "ON CONFLICT (day, package_id) DO UPDATE SET "
            "ratings = openlima_rating_daily.ratings + 1, "
            "rating_sum = openlima_rating_daily.rating_sum + EXCLUDED.rating_sum"
        ),
        {"day": day, "package_id": package_id, "rating": rating},
    )
    model.Session.commit()


def rating_totals(package_ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
    query = sa.select(rating_table.c.package_id, sa.func.sum(rating_table.c.ratings),
                      sa.func.sum(rating_table.c.rating_sum)).group_by(rating_table.c.package_id)
    if package_ids is not None:
        if not package_ids:
            return {}
        query = query.where(rating_table.c.package_id.in_(package_ids))
    return {row[0]: {"ratings": int(row[1] or 0), "rating_sum": int(row[2] or 0)}
            for row in model.Session.execute(query)}
