"""The DataStore's database, read-only role and permissions, as the stack makes them:
created once, idempotent, and the reader really can only read."""
from __future__ import annotations

import psycopg2
import pytest

from openlima_stack import datastore
from openlima_stack.services import StackError, ensure_database, with_database

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def main_url(running_servers):
    server = running_servers["postgres"].url(running_servers["postgres_port"])
    url = with_database(server, "openlima_stack_ds")
    ensure_database(url)
    return url


def test_urls_are_derived_from_the_main_database_unless_both_are_given(main_url):
    write_url, read_url = datastore.derived_urls(main_url, "s3cr3t/:@")
    assert write_url.endswith("/openlima_stack_ds_datastore")
    assert read_url.startswith("postgresql://openlima_stack_ds_datastore_reader:s3cr3t%2F%3A%40@")
    assert datastore.urls_for(main_url, {}) == datastore.derived_urls(main_url)
    given = {"CKAN_DATASTORE_WRITE_URL": "postgresql://w@h/ds",
             "CKAN_DATASTORE_READ_URL": "postgresql://r@h/ds"}
    assert datastore.urls_for(main_url, given) == ("postgresql://w@h/ds", "postgresql://r@h/ds")
    with pytest.raises(StackError, match="juntas"):
        datastore.urls_for(main_url, {"CKAN_DATASTORE_WRITE_URL": "postgresql://w@h/ds"})


def test_database_role_and_permissions_are_created_once_and_the_reader_only_reads(main_url):
    write_url, read_url = datastore.derived_urls(main_url, "clave-lectura")
    created = datastore.ensure_datastore(main_url, write_url, read_url)
    assert created == ["base de datos 'openlima_stack_ds_datastore'",
                       "rol de solo lectura 'openlima_stack_ds_datastore_reader'"]
    assert datastore.ensure_datastore(main_url, write_url, read_url) == []

    writer = psycopg2.connect(write_url)
    writer.autocommit = True
    with writer.cursor() as cursor:
        cursor.execute('CREATE TABLE "filas" (a text)')
        cursor.execute("INSERT INTO filas VALUES ('hola')")
        # CKAN's view listing DataStore tables exists, with its owner being the writer
        cursor.execute("SELECT name FROM _table_metadata")
        assert ("filas",) in cursor.fetchall()
    writer.close()

    reader = psycopg2.connect(read_url)
    reader.autocommit = True
    with reader.cursor() as cursor:
        cursor.execute("SELECT a FROM filas")  # new tables are readable by default
        assert cursor.fetchall() == [("hola",)]
        for statement in ("INSERT INTO filas VALUES ('x')", 'CREATE TABLE "otra" (a text)',
                          "DELETE FROM filas"):
            with pytest.raises(psycopg2.Error):
                cursor.execute(statement)
    reader.close()
    # and it may not even connect to CKAN's own database
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(with_database(read_url, "openlima_stack_ds"))


def test_a_superuser_reader_or_a_shared_database_is_refused(main_url):
    write_url, _read = datastore.derived_urls(main_url)
    with pytest.raises(StackError, match="rol de lectura distinto"):
        datastore.ensure_datastore(main_url, write_url, write_url)
    with pytest.raises(StackError, match="propia base"):
        datastore.ensure_datastore(main_url, main_url, with_database(_read, "openlima_stack_ds"))
    admin = psycopg2.connect(main_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("CREATE ROLE openlima_stack_ds_super LOGIN SUPERUSER")
    admin.close()
    reader_is_superuser = with_database(
        "postgresql://openlima_stack_ds_super@" + main_url.split("@", 1)[1],
        "openlima_stack_ds_datastore")
    with pytest.raises(StackError, match="superusuario"):
        datastore.ensure_datastore(main_url, write_url, reader_is_superuser)
