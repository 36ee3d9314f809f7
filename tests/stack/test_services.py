"""Services fallback: environment variable, then a local server that answers, then the
embedded ones; with real servers, never mocks."""
from __future__ import annotations

import socket

import psycopg2
import pytest

from openlima_stack.services import (
    LOCALHOST,
    EmbeddedPostgres,
    EmbeddedValkey,
    Services,
    StackError,
    ensure_database,
    pid_alive,
    port_answers,
    postgres_accepts,
    redis_answers_ping,
    resolve_postgres,
    resolve_redis,
    services_mode,
    with_database,
)

pytestmark = pytest.mark.stack


def test_a_port_nobody_listens_on_is_absent(free_tcp_port):
    port = free_tcp_port()
    assert not port_answers(port)
    assert not redis_answers_ping(port)
    assert not postgres_accepts(f"postgresql://postgres@{LOCALHOST}:{port}/postgres", timeout=1)


def test_environment_variables_win_and_nothing_is_started(
        scratch, clean_environ, running_servers):
    environ = dict(clean_environ,
                   CKAN_SQLALCHEMY_URL="postgresql://ckan:s3cret@db.example.org:6543/portal",
                   CKAN_REDIS_URL="redis://cache.example.org:6380/3",
                   OPENLIMA_SERVICES="embedded")
    # even with local servers answering and embedded forced, the given URLs are used as is
    postgres = resolve_postgres(scratch, environ, local_port=running_servers["postgres_port"])
    redis = resolve_redis(scratch, environ, local_port=running_servers["valkey_port"])
    assert (postgres.origin, postgres.url) == (
        "env", "postgresql://ckan:s3cret@db.example.org:6543/portal")
    assert (redis.origin, redis.url) == ("env", "redis://cache.example.org:6380/3")
    assert not postgres.started_here and not redis.started_here
    assert list(scratch.iterdir()) == []
    assert "s3cret" not in postgres.describe()


def test_local_servers_are_used_when_they_answer(
        scratch, clean_environ, running_servers, free_tcp_port):
    postgres = resolve_postgres(scratch, clean_environ,
                                local_port=running_servers["postgres_port"],
                                embedded_port=free_tcp_port())
    redis = resolve_redis(scratch, clean_environ, local_port=running_servers["valkey_port"],
                          embedded_port=free_tcp_port())
    assert postgres.origin == "local"
    assert postgres.url.endswith(f":{running_servers['postgres_port']}/postgres")
    assert redis.origin == "local"
    assert redis.url == f"redis://{LOCALHOST}:{running_servers['valkey_port']}/0"
    assert not postgres.started_here and not redis.started_here
    assert not (scratch / "pgdata").exists() and not (scratch / "valkey").exists()


def test_forced_embedded_servers_start_accept_connections_and_stop(
        scratch, clean_environ, running_servers, free_tcp_port):
    environ = dict(clean_environ, OPENLIMA_SERVICES="embedded")
    services = Services(scratch, environ,
                        postgres_local_port=running_servers["postgres_port"],
                        redis_local_port=running_servers["valkey_port"],
                        postgres_embedded_port=free_tcp_port(),
                        redis_embedded_port=free_tcp_port())
    services.start()
    try:
        postgres, redis = services.postgres, services.redis
        assert postgres.origin == "embedded" and postgres.started_here
        assert redis.origin == "embedded" and redis.started_here
        assert f":{running_servers['postgres_port']}/" not in postgres.url
        assert (scratch / "pgdata" / "PG_VERSION").read_text().strip() == "18"

        database_url = with_database(postgres.url, "openlima_stack_probe")
        assert ensure_database(database_url) is True
        assert ensure_database(database_url) is False
        connection = psycopg2.connect(database_url)
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            cursor.execute("SELECT unaccent('Magdalena del Mar, Jesús María'), version()")
            folded, version = cursor.fetchone()
        connection.close()
        assert folded == "Magdalena del Mar, Jesus Maria"
        assert version.startswith("PostgreSQL 18")

        redis_port = int(redis.url.rsplit(":", 1)[1].split("/")[0])
        assert redis_answers_ping(redis_port)
        with socket.create_connection((LOCALHOST, redis_port), timeout=2) as sock:
            sock.sendall(b"SET clave valor\r\nGET clave\r\n")
            reply = b""
            while b"valor" not in reply:
                chunk = sock.recv(64)
                assert chunk, reply
                reply += chunk
        postgres_pid = int((scratch / "pgdata" / "postmaster.pid").read_text().split()[0])
        valkey_pid = int((scratch / "valkey" / "valkey.pid").read_text().strip())
    finally:
        services.stop()
    assert not postgres_accepts(postgres.url, timeout=1)
    assert not redis_answers_ping(redis_port)
    assert not pid_alive(postgres_pid) and not pid_alive(valkey_pid)
    assert not (scratch / "pgdata" / "postmaster.pid").exists()


def test_absent_local_servers_fall_back_to_embedded_which_are_reused_and_left_running(
        scratch, clean_environ, free_tcp_port):
    ports = dict(postgres_local_port=free_tcp_port(), redis_local_port=free_tcp_port(),
                 postgres_embedded_port=free_tcp_port(), redis_embedded_port=free_tcp_port())
    first = Services(scratch, clean_environ, **ports).start()
    try:
        assert first.postgres.origin == "embedded" and first.postgres.started_here
        assert first.redis.origin == "embedded" and first.redis.started_here
        assert postgres_accepts(first.postgres.url)
        second = Services(scratch, clean_environ, **ports).start()
        assert second.postgres.url == first.postgres.url
        assert second.redis.url == first.redis.url
        assert not second.postgres.started_here and not second.redis.started_here
        second.stop()  # must not stop what the first one started
        assert postgres_accepts(first.postgres.url)
        assert redis_answers_ping(int(first.redis.url.rsplit(":", 1)[1].split("/")[0]))
    finally:
        first.stop()
    assert not postgres_accepts(first.postgres.url, timeout=1)


def test_a_preferred_port_taken_by_something_else_is_avoided(scratch):
    squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    squatter.bind((LOCALHOST, 0))
    squatter.listen()
    taken = squatter.getsockname()[1]
    valkey = EmbeddedValkey(scratch / "valkey", preferred_port=taken)
    try:
        port = valkey.start()
        assert port != taken
        assert redis_answers_ping(port)
        assert valkey.running_port() == port
    finally:
        valkey.stop()
        squatter.close()
    assert valkey.running_port() is None


def test_a_foreign_data_directory_is_refused_with_a_clear_message(scratch, free_tcp_port):
    (scratch / "pgdata").mkdir()
    (scratch / "pgdata" / "notas.txt").write_text("no es PostgreSQL")
    with pytest.raises(StackError, match="no es un directorio de datos de PostgreSQL"):
        EmbeddedPostgres(scratch / "pgdata", free_tcp_port()).start()


def test_unknown_services_mode_is_refused():
    assert services_mode({}) == "auto"
    assert services_mode({"OPENLIMA_SERVICES": "Embedded"}) == "embedded"
    with pytest.raises(StackError, match="OPENLIMA_SERVICES"):
        services_mode({"OPENLIMA_SERVICES": "docker"})
