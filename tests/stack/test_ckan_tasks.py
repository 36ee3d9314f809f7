"""The cheap checks that let a second `make run` skip straight to serving."""
from __future__ import annotations

import psycopg2
import pytest
from passlib.hash import pbkdf2_sha512

from openlima_stack import ckan_tasks
from openlima_stack.services import ensure_database, with_database

pytestmark = pytest.mark.stack


def test_a_fresh_database_has_core_and_plugin_migrations_pending(running_servers):
    server = running_servers["postgres"].url(running_servers["postgres_port"])
    database_url = with_database(server, "openlima_stack_migrations")
    ensure_database(database_url)
    plugins = ["openlima_search", "scheming_datasets", "activity"]
    pending = {source.label for source in ckan_tasks.pending_migrations(database_url, plugins)}
    assert pending == {"ckan", "openlima_search", "activity"}

    # once a source's version table holds its head, it is no longer pending
    search = next(source for source in ckan_tasks.migration_sources(plugins)
                  if source.plugin == "openlima_search")
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE openlima_search_alembic_version (version_num text)")
        for head in ckan_tasks.heads(search):
            cursor.execute("INSERT INTO openlima_search_alembic_version VALUES (%s)", (head,))
    connection.close()
    pending = {source.label for source in ckan_tasks.pending_migrations(database_url, plugins)}
    assert pending == {"ckan", "activity"}


def test_the_stored_admin_password_is_checked_against_ckans_hash():
    stored = pbkdf2_sha512.hash("clave-del-admin")
    assert ckan_tasks.password_matches("clave-del-admin", stored)
    assert not ckan_tasks.password_matches("otra-clave", stored)
    assert not ckan_tasks.password_matches(None, stored)
    assert not ckan_tasks.password_matches("clave-del-admin", None)
    assert not ckan_tasks.password_matches("clave-del-admin", "no-es-un-hash")
