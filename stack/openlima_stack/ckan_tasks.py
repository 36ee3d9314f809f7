"""What ``make run`` does to CKAN before serving: migrate, create the administrator, load
the demo catalogue. Each step first checks the database directly (cheap), and only runs
the ``ckan`` command (a few seconds each) when there is something to do, so a second
``make run`` goes straight to serving.
"""
from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Optional

from .config import ROOT
from .services import StackError, say

OUR_EXTENSIONS = ("ckanext.openlima", "ckanext.limahonesta", "ckanext.limaactiva")
ADMIN_NAME = "admin"
ADMIN_EMAIL = "admin@openlima.localhost"


def ckan_executable() -> str:
    return str(Path(sys.executable).parent / "ckan")


def worker_command(ini: Path) -> list[str]:
    """CKAN's jobs worker on the default queue (the one CKAN, the link checker and
    ckanext-xloader enqueue to), as the worker container runs it."""
    return [ckan_executable(), "-c", str(ini), "jobs", "worker"]


def scheduler_command(ini: Path) -> list[str]:
    """The one scheduler of periodic jobs (``ckan openlima scheduler``), as the
    ckan-scheduler container runs it; the worker runs the jobs it enqueues."""
    return [ckan_executable(), "-c", str(ini), "openlima", "scheduler"]


def datastore_load_command(ini: Path) -> list[str]:
    """Views for existing resources, then every tabular resource not yet in the DataStore
    queued for the worker, with the progress printed until they are loaded."""
    return [ckan_executable(), "-c", str(ini), "openlima", "datastore", "load-all"]


def web_command(ini: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    """CKAN's development server; ``OPENLIMA_RELOAD=1`` turns its reloader on."""
    command = [ckan_executable(), "-c", str(ini), "run", "-H", host, "-p", str(port)]
    if os.environ.get("OPENLIMA_RELOAD", "") not in ("1", "true", "yes"):
        command.append("--disable-reloader")
    return command


def run_ckan(ini: Path, *args: str, check: bool = True,
             capture: bool = False) -> subprocess.CompletedProcess:
    command = [ckan_executable(), "-c", str(ini), *args]
    result = subprocess.run(command, text=True, capture_output=capture)
    if check and result.returncode != 0:
        detail = f"\n{result.stdout}\n{result.stderr}" if capture else ""
        raise StackError(f"Falló `ckan {' '.join(args)}` (código {result.returncode}){detail}")
    return result


# --------------------------------------------------------------------------- migrations


@dataclass
class MigrationSource:
    plugin: Optional[str]  # None: CKAN core
    alembic_ini: Path
    version_table: str
    ours: bool

    @property
    def label(self) -> str:
        return self.plugin or "ckan"


def plugin_migration_ini(plugin: str) -> tuple[Optional[Path], bool]:
    """(``migration/<plugin>/alembic.ini`` of an installed plugin or None, is it ours),
    located the way ``ckan db upgrade -p`` locates it, without importing the plugin."""
    for entry_point in entry_points(group="ckan.plugins"):
        if entry_point.name != plugin:
            continue
        spec = importlib.util.find_spec(entry_point.module)
        if spec is None or spec.origin is None:
            return None, False
        source = Path(spec.origin).resolve().parent
        parts = source.parts
        if "ckanext" not in parts:
            return None, False
        index = len(parts) - 1 - parts[::-1].index("ckanext")
        extension_root = Path(*parts[: index + 2])
        ini = extension_root / "migration" / plugin / "alembic.ini"
        ours = entry_point.module.startswith(OUR_EXTENSIONS)
        return (ini if ini.exists() else None), ours
    return None, False


def migration_sources(plugins: list[str]) -> list[MigrationSource]:
    spec = importlib.util.find_spec("ckan")
    assert spec is not None and spec.submodule_search_locations
    core = Path(list(spec.submodule_search_locations)[0]) / "migration" / "alembic.ini"
    sources = [MigrationSource(None, core, "alembic_version", False)]
    for plugin in plugins:
        ini, ours = plugin_migration_ini(plugin)
        if ini is not None:
            sources.append(MigrationSource(plugin, ini, f"{plugin}_alembic_version", ours))
    return sources


def heads(source: MigrationSource) -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(Config(str(source.alembic_ini))).get_heads())


def applied(database_url: str, source: MigrationSource) -> set[str]:
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(database_url, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", (source.version_table,))
            if cursor.fetchone()[0] is None:
                return set()
            cursor.execute(
                sql.SQL("SELECT version_num FROM {}").format(sql.Identifier(source.version_table))
            )
            return {row[0] for row in cursor.fetchall()}
    finally:
        connection.close()


def pending_migrations(database_url: str, plugins: list[str]) -> list[MigrationSource]:
    return [source for source in migration_sources(plugins)
            if applied(database_url, source) != heads(source)]


def migrate(ini: Path, database_url: str, plugins: list[str]) -> None:
    """``ckan db upgrade``, then ``ckan db upgrade -p <plugin>`` for each of our plugins
    with migrations still pending; nothing at all when everything is at head."""
    pending = pending_migrations(database_url, plugins)
    if not pending:
        say("Base de datos al día (sin migraciones pendientes)")
        return
    say("Migrando la base de datos: ckan db upgrade ("
        + ", ".join(source.label for source in pending) + ")")
    run_ckan(ini, "db", "upgrade")
    for source in pending_migrations(database_url, plugins):
        if source.ours:
            say(f"Migrando {source.plugin}: ckan db upgrade -p {source.plugin}")
            run_ckan(ini, "db", "upgrade", "-p", source.plugin or "")
    still = pending_migrations(database_url, plugins)
    if still:
        raise StackError("Quedan migraciones pendientes: "
                         + ", ".join(source.label for source in still))


# --------------------------------------------------------------------------- administrator


def admin_row(database_url: str) -> Optional[tuple[Optional[str], bool]]:
    """(password hash, is sysadmin) of the user ``admin``, or None when there is none."""
    import psycopg2

    connection = psycopg2.connect(database_url, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT password, sysadmin FROM "user" WHERE name = %s', (ADMIN_NAME,))
            row = cursor.fetchone()
    finally:
        connection.close()
    return None if row is None else (row[0], bool(row[1]))


def password_matches(password: Optional[str], password_hash: Optional[str]) -> bool:
    from passlib.hash import pbkdf2_sha512

    if not password or not password_hash:
        return False
    try:
        return pbkdf2_sha512.verify(password, password_hash)
    except ValueError:
        return False


def ensure_admin(ini: Path, database_url: str, state: Path) -> str:
    """Create the sysadmin ``admin`` on first run; keep its password in
    ``<state>/admin-password`` and return it. Later runs only check it (no ckan call)."""
    from .config import write_private

    password_file = state / "admin-password"
    password = password_file.read_text().strip() if password_file.exists() else None
    row = admin_row(database_url)
    if row is not None and row[1] and password_matches(password, row[0]):
        return password or ""
    if not password:
        password = secrets.token_urlsafe(12)
        write_private(password_file, password + "\n")
    if row is None:
        say(f"Creando el administrador '{ADMIN_NAME}'")
        run_ckan(ini, "user", "add", ADMIN_NAME, f"email={ADMIN_EMAIL}",
                 f"password={password}", capture=True)
    elif not password_matches(password, row[0]):
        say(f"Restableciendo la contraseña de '{ADMIN_NAME}' (no coincidía con la guardada)")
        run_ckan(ini, "user", "setpass", ADMIN_NAME, "-p", password, capture=True)
    if row is None or not row[1]:
        run_ckan(ini, "sysadmin", "add", ADMIN_NAME, capture=True)
    row = admin_row(database_url)
    if row is None or not row[1] or not password_matches(password, row[0]):
        raise StackError(f"No se pudo preparar el administrador '{ADMIN_NAME}'")
    return password


# --------------------------------------------------------------------------- demo data


def row_count(database_url: str, sql: str) -> int:
    """``sql``'s count, or 0 when its table does not exist (plugin not migrated)."""
    import psycopg2

    connection = psycopg2.connect(database_url, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            try:
                cursor.execute(sql)
            except psycopg2.errors.UndefinedTable:
                return 0
            return int(cursor.fetchone()[0])
    finally:
        connection.close()


def dataset_count(database_url: str) -> int:
    return row_count(database_url, "SELECT count(*) FROM package WHERE state = 'active'")


# What `make run` loads into an empty portal, in order: (plugin, what, count query, command).
# The plan is published under an office the demo catalogue creates, so it comes after it.
SEED_CONTENT = [
    ("openlima", "los datos de demostración del catálogo",
     "SELECT count(*) FROM package WHERE state = 'active'", ["openlima", "demo", "load"]),
    ("openlima_plan", "el Plan de Acción de Gobierno Abierto 2022",
     "SELECT count(*) FROM openlima_plan_action_plan",
     ["openlima", "plan", "load", str(ROOT / "config" / "plan" / "plan-2022.yaml")]),
    ("limaactiva", "los espacios de participación de demostración",
     "SELECT count(*) FROM limaactiva_space", ["limaactiva", "demo", "load"]),
    # Lima Honesta: the Integrity Unit's organisation (admin as member, to enrol at
    # /integridad) and its key pair, so reports sent before anybody enrols are readable
    ("limahonesta", "la Unidad de Integridad de Lima Honesta (organización y llave)",
     "SELECT count(*) FROM limahonesta_unit",
     ["limahonesta", "setup", "--member", ADMIN_NAME]),
]


def load_seed_content(ini: Path, database_url: str, plugins: list[str]) -> None:
    """Load each piece of demo content whose plugin is enabled and whose table is empty."""
    for plugin, what, count_sql, command in SEED_CONTENT:
        if plugin not in plugins:
            continue
        count = row_count(database_url, count_sql)
        if count:
            say(f"Omitido: {what} ya está en la base de datos ({count})")
            continue
        say(f"Cargando {what} (ckan {' '.join(command[:3])})")
        run_loader(ini, command)


def run_loader(ini: Path, command: list[str]) -> None:
    process = subprocess.Popen(
        [ckan_executable(), "-c", str(ini), *command],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = []
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        print(f"    {line}", end="", flush=True)
    code = process.wait()
    if code != 0:
        raise StackError(f"Falló `ckan {' '.join(command)}` (código {code})")
