"""The DataStore's database, its read-only role and their permissions, made ready.

CKAN's ``datastore`` plugin needs a database of its own (``ckan.datastore.write_url``), a
role that can only read it (``ckan.datastore.read_url``) and the grants, view and
functions that ``ckan datastore set-permissions`` prints for an administrator to run by
hand. This module does all of it, idempotently, so nobody has to:

* ``make run``: database ``<dev db>_datastore`` (``openlima_datastore`` by default) on the
  resolved PostgreSQL, written by CKAN's own user, read by the role ``<that db>_reader``;
* ``make test``: the same for the test database (``openlima_test_datastore``);
* your own URLs: ``CKAN_DATASTORE_WRITE_URL`` / ``CKAN_DATASTORE_READ_URL`` are used as
  given (their database and reader role are created when missing, if the main user may);
* the production containers: ``python -m openlima_stack.datastore`` in the entrypoint,
  with the two URLs from ``deploy/openlima.env``.

The permissions are CKAN's own template (``ckanext/datastore/set_permissions.sql``) with
the same substitutions ``ckan datastore set-permissions`` makes, run as the main user
(a superuser in local, embedded and container setups).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Mapping, Optional
from urllib.parse import quote, unquote, urlsplit

from .services import StackError, database_name, ensure_database, redact, with_database

WRITE_URL_VARIABLE = "CKAN_DATASTORE_WRITE_URL"
READ_URL_VARIABLE = "CKAN_DATASTORE_READ_URL"
READER_SUFFIX = "_reader"
DATASTORE_SUFFIX = "_datastore"


def datastore_database(main_database: str) -> str:
    return f"{main_database}{DATASTORE_SUFFIX}"


def reader_role(datastore_db: str) -> str:
    return f"{datastore_db}{READER_SUFFIX}"


def derived_urls(main_url: str, reader_password: Optional[str] = None) -> tuple[str, str]:
    """(write URL, read URL) of the DataStore that belongs to the database of ``main_url``:
    same server, database ``<main>_datastore``; written by the main user, read by the role
    ``<main>_datastore_reader`` (with ``reader_password`` when given)."""
    datastore_db = datastore_database(database_name(main_url))
    write_url = with_database(main_url, datastore_db)
    parts = urlsplit(write_url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = quote(reader_role(datastore_db), safe="")
    if reader_password:
        netloc += ":" + quote(reader_password, safe="")
    netloc += "@" + host + (f":{parts.port}" if parts.port else "")
    read_url = parts._replace(netloc=netloc).geturl()
    return write_url, read_url


def urls_for(main_url: str, environ: Optional[Mapping[str, str]] = None,
             reader_password: Optional[str] = None) -> tuple[str, str]:
    """The DataStore URLs: both variables when set (used as given), else derived."""
    environ = os.environ if environ is None else environ
    write_url = environ.get(WRITE_URL_VARIABLE)
    read_url = environ.get(READ_URL_VARIABLE)
    if write_url and read_url:
        return write_url, read_url
    if write_url or read_url:
        raise StackError(
            f"Defina {WRITE_URL_VARIABLE} y {READ_URL_VARIABLE} juntas (o ninguna, y el "
            "DataStore irá junto a la base principal)"
        )
    return derived_urls(main_url, reader_password)


def user_of(url: str) -> str:
    user = urlsplit(url).username
    if not user:
        raise StackError(f"La URL no nombra un usuario de PostgreSQL: {redact(url)}")
    return unquote(user)


def permissions_template() -> str:
    spec = importlib.util.find_spec("ckanext.datastore")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("No se encuentra el plugin datastore de CKAN (pip install -e .)")
    path = Path(list(spec.submodule_search_locations)[0]) / "set_permissions.sql"
    return path.read_text(encoding="utf-8")


def permissions_sql(main_url: str, write_url: str, read_url: str) -> str:
    """What ``ckan datastore set-permissions`` prints for these URLs, minus psql's
    ``\\connect`` (we connect to the DataStore database ourselves)."""
    def identifier(name: str) -> str:  # as ckanext.datastore.backend.postgres.identifier
        return '"' + name.replace('"', '""').replace("\0", "") + '"'

    template = re.sub(r"^\\connect .*$", "", permissions_template(), flags=re.MULTILINE)
    # CKAN's script revokes CONNECT on CKAN's database from the reader, which does nothing
    # while PUBLIC keeps it (PostgreSQL's default): take it from PUBLIC too, and give it
    # back to CKAN's user.
    template += (
        "\nREVOKE CONNECT ON DATABASE {maindb} FROM PUBLIC;"
        "\nGRANT CONNECT ON DATABASE {maindb} TO {mainuser};\n"
    )
    return template.format(
        maindb=identifier(database_name(main_url)),
        datastoredb=identifier(database_name(write_url)),
        mainuser=identifier(user_of(main_url)),
        writeuser=identifier(user_of(write_url)),
        readuser=identifier(user_of(read_url)),
    )


SEARCH_CONFIGURATION = "openlima_es"


def spanish_search_sql(datastore_db: str) -> str:
    """Full-text search in Spanish with accents folded (``sí`` finds ``si``): the text
    search configuration ``openlima_es`` (``base.ini``: ``ckan.datastore.default_fts_lang``)
    and the database's default, which CKAN's full-text trigger and xloader's indexer use."""
    quoted_db = '"' + datastore_db.replace('"', '""') + '"'
    return f"""
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
DO $body$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{SEARCH_CONFIGURATION}') THEN
        CREATE TEXT SEARCH CONFIGURATION public.{SEARCH_CONFIGURATION} (COPY = pg_catalog.spanish);
        ALTER TEXT SEARCH CONFIGURATION public.{SEARCH_CONFIGURATION}
            ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, spanish_stem;
    END IF;
END
$body$;
ALTER DATABASE {quoted_db} SET default_text_search_config = 'public.{SEARCH_CONFIGURATION}';
"""


def ensure_reader_role(admin_url: str, read_url: str) -> bool:
    """Create the read-only role of ``read_url`` (LOGIN, nothing else) when missing, and
    keep its password the one in the URL. True if it was created."""
    import psycopg2
    from psycopg2 import sql

    role = user_of(read_url)
    password = urlsplit(read_url).password
    password = unquote(password) if password else None
    connection = psycopg2.connect(admin_url, connect_timeout=5)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (role,))
            row = cursor.fetchone()
            if row is not None and row[0]:
                raise StackError(
                    f"El rol de lectura del DataStore '{role}' es superusuario: use un rol "
                    "que solo pueda leer"
                )
            verb = "ALTER" if row is not None else "CREATE"
            statement = sql.SQL(
                verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
            ).format(sql.Identifier(role))
            if password:
                statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
            try:
                cursor.execute(statement)
            except psycopg2.Error as error:
                if row is not None:
                    return False  # exists; we may not alter it, which is fine
                raise StackError(
                    f"No se pudo crear el rol de lectura del DataStore '{role}' "
                    f"({error.pgcode}); créelo o dé CREATEROLE al usuario principal"
                ) from error
            return row is None
    finally:
        connection.close()


def ensure_datastore(main_url: str, write_url: str, read_url: str,
                     admin_url: Optional[str] = None) -> list[str]:
    """Database, reader role and permissions; returns what was created (for messages)."""
    import psycopg2

    admin_url = admin_url or main_url
    if database_name(write_url) != database_name(read_url):
        raise StackError(
            f"{WRITE_URL_VARIABLE} y {READ_URL_VARIABLE} deben nombrar la misma base de datos"
        )
    if database_name(write_url) == database_name(main_url):
        raise StackError("El DataStore necesita su propia base de datos, no la de CKAN")
    if user_of(read_url) in (user_of(main_url), user_of(write_url)):
        raise StackError("El DataStore necesita un rol de lectura distinto del de escritura")
    created = []
    if ensure_database(with_database(admin_url, database_name(write_url))):
        created.append(f"base de datos '{database_name(write_url)}'")
    if ensure_reader_role(admin_url, read_url):
        created.append(f"rol de solo lectura '{user_of(read_url)}'")
    connection = psycopg2.connect(with_database(admin_url, database_name(write_url)),
                                  connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            # two commands starting at once (make test in two terminals) would otherwise
            # collide on the same grants ("tuple concurrently updated")
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('openlima_datastore_setup'))")
            cursor.execute(permissions_sql(main_url, write_url, read_url))
            cursor.execute(spanish_search_sql(database_name(write_url)))
        connection.commit()
    except psycopg2.Error as error:
        raise StackError(
            "No se pudieron fijar los permisos del DataStore (ckan datastore "
            f"set-permissions) con {redact(admin_url)}: {error.pgerror or error}"
        ) from error
    finally:
        connection.close()
    return created


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m openlima_stack.datastore``: what the production entrypoint runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--main-url", default=os.environ.get("CKAN_SQLALCHEMY_URL"))
    parser.add_argument("--admin-url", default=os.environ.get("OPENLIMA_DATASTORE_ADMIN_URL"),
                        help="superuser URL when the main user may not create roles")
    args = parser.parse_args(argv)
    if not args.main_url:
        print("openlima: falta CKAN_SQLALCHEMY_URL", file=sys.stderr)
        return 2
    try:
        write_url, read_url = urls_for(args.main_url)
        created = ensure_datastore(args.main_url, write_url, read_url, args.admin_url)
    except StackError as error:
        print(f"openlima: DataStore: {error}", file=sys.stderr)
        return 1
    print("openlima: DataStore listo"
          + (" (creado: " + ", ".join(created) + ")" if created else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
