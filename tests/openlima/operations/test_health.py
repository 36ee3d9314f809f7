"""``/healthz`` and ``/readyz``: JSON, no secrets, and honest about what is missing."""
from __future__ import annotations

import json

import ckan.plugins.toolkit as tk


def test_healthz_is_alive_and_never_cached(app):
    response = app.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "no-store" in response.headers["Cache-Control"]


def test_readyz_checks_each_part_without_telling_secrets(app):
    response = app.get("/readyz")
    assert response.status_code == 200
    body = response.json
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True}
    assert isinstance(body["checks"]["queue"]["depth"], int)
    assert {job["name"] for job in body["checks"]["scheduled_jobs"]["jobs"]} >= {
        "limahonesta_purge", "limaactiva_snapshot", "plan_snapshot", "link_checks"}
    # no worker and no scheduler in this test process: degraded, still serving
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["scheduler"] == {"ok": False, "alive": 0}
    assert body["status"] == "degraded"
    text = json.dumps(body)
    for secret in (tk.config["sqlalchemy.url"], tk.config["ckan.redis.url"], "postgres",
                   "127.0.0.1", tk.config["SECRET_KEY"]):
        assert secret not in text
    assert "no-store" in response.headers["Cache-Control"]

