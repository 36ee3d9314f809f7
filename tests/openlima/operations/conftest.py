"""Background processes of a test portal: a CKAN ini on the test database with its own
site id (so its queue and records are its own), and the worker and scheduler started
with exactly the commands ``make run`` uses."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ckan.plugins.toolkit as tk

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def subprocess_env() -> dict:
    """The test database and Redis, as `make test` exported them to this process."""
    env = dict(os.environ)
    env["CKAN_SQLALCHEMY_URL"] = tk.config["sqlalchemy.url"]
    env["CKAN_REDIS_URL"] = tk.config["ckan.redis.url"]
    env.pop("CKAN_SITE_ID", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Background:
    """Processes started in their own session; stopped (group-wide) at the end."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.processes: list[subprocess.Popen] = []

    def ini(self, settings: dict) -> Path:
        """An ini on top of config/test.ini with ``settings``."""
        lines = ["[app:main]", f"use = config:{REPO / 'config' / 'test.ini'}"]
        lines += [f"{key} = {value}" for key, value in settings.items()]
        path = self.directory / "portal.ini"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.directory / f"{name}.log", "wb")
        process = subprocess.Popen(command, env=subprocess_env(), cwd=REPO, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        from openlima_stack.processes import stop_process_group

        for process in reversed(self.processes):
            stop_process_group(process, grace=15)


@pytest.fixture
def background(tmp_path):
    jobs = Background(tmp_path)
    yield jobs
    jobs.stop()
