"""The stack's tests start real servers in throw-away directories on free ports.

They need no CKAN plugin (no ``with_plugins``): they are marked ``stack``.
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from openlima_stack.services import LOCALHOST, EmbeddedPostgres, EmbeddedValkey


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "stack: dev/test stack tests; real servers, no CKAN plugins needed"
    )


def os_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


@pytest.fixture
def free_tcp_port():
    """A function returning a port nobody listens on right now."""
    return os_free_port


@pytest.fixture
def scratch():
    """A directory the unprivileged ``embedded_postgres`` user can traverse when we are
    root (pytest's own tmp dirs are 0700), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="openlima-stack-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def running_servers():
    """One embedded PostgreSQL and one Valkey for the module, playing "the local servers"."""
    path = Path(tempfile.mkdtemp(prefix="openlima-stack-local-"))
    path.chmod(0o755)
    postgres = EmbeddedPostgres(path / "pgdata", os_free_port())
    valkey = EmbeddedValkey(path / "valkey", os_free_port())
    postgres_port = postgres.start()
    try:
        valkey_port = valkey.start()
    except BaseException:
        postgres.stop()
        raise
    yield {"postgres_port": postgres_port, "valkey_port": valkey_port,
           "postgres": postgres, "valkey": valkey}
    valkey.stop()
    postgres.stop()
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def clean_environ():
    """An environment without the service variables `make test` itself exports."""
    drop = ("CKAN_SQLALCHEMY_URL", "CKAN_REDIS_URL", "CKAN_SOLR_URL", "CKAN_SITE_URL",
            "OPENLIMA_SERVICES", "OPENLIMA_TEST_DB", "OPENLIMA_TEST_REDIS_DB", "OPENLIMA_DB")
    return {key: value for key, value in os.environ.items() if key not in drop}
