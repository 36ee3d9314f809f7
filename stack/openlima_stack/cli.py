"""``openlima-stack``: the commands behind ``make run`` and ``make test``.

    openlima-stack run                 # serve the portal (PORT, default 5000)
    openlima-stack prod                # the production topology (gunicorn, worker,
                                       # scheduler, nginx) on this machine (PORT, PORT+1)
    openlima-stack test [pytest args]  # run the test suite on the test database
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Optional

from . import ckan_tasks, config, datastore
from .processes import ProcessGroup
from .services import (
    LOCALHOST,
    Services,
    StackError,
    database_name,
    ensure_database,
    free_port,
    port_answers,
    redact,
    say,
    with_database,
    with_redis_db,
)


class Interrupted(Exception):
    """Ctrl-C, SIGTERM or SIGHUP: stop what we started and leave."""


def raise_interrupted(signum, frame):
    # Only the first signal interrupts; a second Ctrl-C must not cut the cleanup short.
    for other in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signal.Signals(signum).name)


def install_signal_handlers() -> None:
    # Explicit, because a background job may inherit SIGINT as ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, raise_interrupted)


class Steps:
    """Numbered progress lines, so the user sees which long step is running."""

    def __init__(self, total: int):
        self.total, self.done, self.started = total, 0, time.monotonic()

    def __call__(self, title: str) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.started
        say(f"[{self.done}/{self.total}] {title}  (+{elapsed:.1f}s)")


def dev_database_url(postgres_url: str, environ=os.environ) -> str:
    """The development database: CKAN_SQLALCHEMY_URL as given, else ``openlima`` on the
    resolved server."""
    if environ.get("CKAN_SQLALCHEMY_URL"):
        return environ["CKAN_SQLALCHEMY_URL"]
    return with_database(postgres_url, config.dev_database(environ))


def test_urls(postgres_url: str, redis_url: str, environ=os.environ) -> tuple[str, str]:
    """The test database and Redis db on the same servers; never the development ones."""
    database = config.test_database(environ)
    test_db_url = with_database(postgres_url, database)
    test_redis_url = with_redis_db(redis_url, config.test_redis_db(environ))
    if database == database_name(dev_database_url(postgres_url, environ)):
        raise StackError(
            f"La base de datos de pruebas '{database}' es la de desarrollo; "
            "elija otra con OPENLIMA_TEST_DB"
        )
    if test_redis_url.rstrip("/") == redis_url.rstrip("/") and environ.get("CKAN_REDIS_URL"):
        raise StackError(
            "La base Redis de pruebas es la de desarrollo; elija otra con OPENLIMA_TEST_REDIS_DB"
        )
    return test_db_url, test_redis_url


def prepare_datastore(database_url: str, state: Path, quiet: bool = False,
                      environ=os.environ) -> tuple[str, str]:
    """The DataStore of ``database_url``: its database, read-only role and permissions
    (see openlima_stack/datastore.py). Returns (write URL, read URL)."""
    password = config.load_or_create_secrets(state)["DATASTORE_READER_PASSWORD"]
    if database_url != environ.get("CKAN_SQLALCHEMY_URL"):
        # a database of ours (dev or test): its DataStore is derived from it, whatever
        # CKAN_DATASTORE_* say (they describe the development portal's)
        urls = datastore.derived_urls(database_url, password)
    else:
        urls = datastore.urls_for(database_url, environ, password)
    created = datastore.ensure_datastore(database_url, *urls)
    if not quiet:
        say(f"    DataStore: base '{database_name(urls[0])}', solo lectura como "
            f"'{datastore.user_of(urls[1])}'")
    for what in created:
        say(f"    creado: {what}")
    return urls


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 180.0) -> bool:
    # no proxy: an http_proxy in the environment must not intercept 127.0.0.1
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with opener.open(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def banner(url: str, password: str, admin_file: Path) -> str:
    line = "=" * 64
    return (
        f"\n{line}\n"
        f"  Open Lima está en marcha:  {url}\n"
        f"  Administrador:  usuario  {ckan_tasks.ADMIN_NAME}\n"
        f"                  clave    {password}\n"
        f"  (la clave se guarda en {admin_file})\n"
        f"  Ctrl-C detiene CKAN, el trabajador de tareas y los servicios que este\n"
        f"  comando inició.\n"
        f"{line}\n"
    )


# --------------------------------------------------------------------------- commands


def command_run(args: argparse.Namespace) -> int:
    port = int(os.environ.get("PORT") or 5000)
    if port_answers(port):
        raise StackError(f"El puerto {port} ya está en uso; pruebe con `PORT={port + 1} make run`")
    state = config.state_dir()
    steps = Steps(7)
    group = ProcessGroup()
    services = Services(state)
    try:
        steps("Servicios: PostgreSQL y Redis")
        services.start()
        assert services.postgres and services.redis
        for endpoint in (services.postgres, services.redis):
            say(f"    {endpoint.describe()}")
        database_url = dev_database_url(services.postgres.url)
        if ensure_database(database_url):
            say(f"    base de datos '{database_name(database_url)}' creada")
        datastore_urls = prepare_datastore(database_url, state)

        steps("Configuración: .openlima/development.ini")
        outbox_port = free_port(8025)
        ini = config.write_development_ini(
            state, database_url=database_url, redis_url=services.redis.url, port=port,
            datastore_urls=datastore_urls, outbox_port=outbox_port,
        )
        plugins = config.enabled_plugins(ini)
        if os.environ.get("CKAN_SOLR_URL"):
            solr = redact(os.environ["CKAN_SOLR_URL"])
            say(f"    CKAN_SOLR_URL definido: búsqueda con Solr ({solr}), "
                f"sin {config.SEARCH_PLUGIN}")

        steps("Migraciones")
        ckan_tasks.migrate(ini, database_url, plugins)

        steps("Administrador")
        password = ckan_tasks.ensure_admin(ini, database_url, state)

        steps("Datos de demostración")
        ckan_tasks.load_seed_content(ini, database_url, plugins)

        # Before the web server, so that jobs queued while it starts (link checks, loads)
        # are taken at once. Stopped with everything else on Ctrl-C.
        steps("Tareas en segundo plano: ckan jobs worker y ckan openlima scheduler")
        # Mail of the portal (notices, digests, password resets) goes to files: nothing is sent
        outbox = state / "outbox"
        group.start("correo", [sys.executable, "-m", "openlima_stack.outbox",
                               "--port", str(outbox_port), "--directory", str(outbox)],
                    prefix="    [correo] ")
        say(f"    correo: nada sale de esta máquina; cada mensaje queda en {outbox}/*.eml")
        worker = group.start("tareas", ckan_tasks.worker_command(ini), prefix="    [tareas] ")
        say(f"    cola de tareas en {redact(services.redis.url)} (pid {worker.pid})")
        # The one scheduler of periodic jobs (they run in the worker above).
        group.start("programador", ckan_tasks.scheduler_command(ini),
                    prefix="    [programador] ")

        steps(f"Sirviendo CKAN en http://{LOCALHOST}:{port}")
        # Its own session: Ctrl-C reaches us, and we stop CKAN before the services.
        web = group.start("web", ckan_tasks.web_command(ini, port))
        if wait_for_http(f"http://{LOCALHOST}:{port}/api/3/action/status_show", web.popen):
            site_url = os.environ.get("CKAN_SITE_URL") or f"http://{LOCALHOST}:{port}"
            print(banner(site_url, password, state / "admin-password"), flush=True)
            if config.DATASTORE_PLUGIN in plugins:
                # While the portal serves: queue the tabular files that are not loaded yet
                # and print the progress as the worker loads them.
                say("DataStore: cargando los archivos tabulares (la vista previa de cada uno "
                    "aparece al terminar su carga)")
                group.start("carga", ckan_tasks.datastore_load_command(ini),
                            prefix="    [datastore] ", oneshot=True)
        ended = group.wait_any()
        assert ended is not None
        name, code = ended
        if name != "web":
            say(f"El proceso '{name}' terminó (código {code}); deteniendo el portal")
        return code if name == "web" else (code or 1)
    except Interrupted as reason:
        say(f"Deteniendo ({reason})")
        return 130
    finally:
        group.stop_all()
        services.stop()


def command_prod(args: argparse.Namespace) -> int:
    from . import prod

    prod.check_nginx()
    ports = prod.Ports.from_environ(os.environ)
    state = config.state_dir() / "prod"
    steps = Steps(6)
    group = ProcessGroup()
    services = Services(config.state_dir())
    entrypoint = ["sh", str(prod.DEPLOY / "entrypoint.sh")]
    try:
        steps("Servicios: PostgreSQL y Redis")
        services.start()
        assert services.postgres and services.redis
        for endpoint in (services.postgres, services.redis):
            say(f"    {endpoint.describe()}")
        env = prod.production_environment(
            postgres_url=services.postgres.url, redis_url=services.redis.url, ports=ports,
            state=state, environ=os.environ)
        if ensure_database(env["CKAN_SQLALCHEMY_URL"]):
            say(f"    base de datos '{database_name(env['CKAN_SQLALCHEMY_URL'])}' creada")

        steps(f"CKAN: deploy/entrypoint.sh web (gunicorn en {LOCALHOST}:{ports.app})")
        web = group.start("ckan", [*entrypoint, "web"], prefix="    [ckan] ", env=env,
                          cwd=str(config.ROOT))
        # first start: migrations (and the demo catalogue) take a few minutes
        if not wait_for_http(f"http://{LOCALHOST}:{ports.app}/healthz", web.popen, 900):
            raise StackError("CKAN no arrancó (véase la salida [ckan])")

        # As compose starts them: once the web service is healthy.
        steps("Trabajador de tareas y programador: ckan jobs worker, ckan openlima scheduler")
        group.start("tareas", [*entrypoint, "ckan", "jobs", "worker"], prefix="    [tareas] ",
                    env=env, cwd=str(config.ROOT))
        group.start("programador", [*entrypoint, "ckan", "openlima", "scheduler"],
                    prefix="    [programador] ", env=env, cwd=str(config.ROOT))

        steps("Sitio estático")
        dist = Path(env["CKAN___CKANEXT__OPENLIMA__SITE_BUILD_DIR"])
        if dist.exists():
            say("    ya construido; el programador lo reconstruye (tarea site_build)")
        else:
            build = subprocess.run(
                [str(Path(sys.executable).parent / "openlima-site"), "build", "--quiet",
                 "--source", env["CKAN___CKANEXT__OPENLIMA__SITE_BUILD_SOURCE"],
                 "--ckan-url", env["CKAN_SITE_URL"], "--out", str(dist)],
                env=env, cwd=config.ROOT)
            if build.returncode != 0:
                raise StackError("No se pudo construir el sitio estático")

        steps("nginx: deploy/nginx.conf")
        nginx_dir = state / "nginx"
        nginx_conf = prod.render_nginx(env, nginx_dir)
        nginx_args = [prod.NGINX_BINARY, "-p", str(nginx_dir), "-c", str(nginx_conf)]
        check = subprocess.run([*nginx_args, "-t", "-q"], capture_output=True, text=True)
        if check.returncode != 0:
            raise StackError("La configuración de nginx no es válida:\n" + check.stderr)
        nginx = group.start("nginx", [*nginx_args, "-g", "daemon off;"], prefix="    [nginx] ")
        if not wait_for_http(f"http://{LOCALHOST}:{ports.ckan}/readyz", nginx.popen, 60):
            raise StackError("nginx no responde (véase la salida [nginx])")

        steps("En marcha")
        line = "=" * 64
        print(f"\n{line}\n"
              f"  Sitio estático:  http://{LOCALHOST}:{ports.site}\n"
              f"  CKAN (nginx):    {env['CKAN_SITE_URL']}\n"
              f"  Administrador:   usuario {env['CKAN_SYSADMIN_NAME']}, clave "
              f"{env['CKAN_SYSADMIN_PASSWORD']}  (en {state / 'admin-password'})\n"
              f"  Ctrl-C detiene nginx, el programador, el trabajador y gunicorn.\n"
              f"{line}\n", flush=True)
        ended = group.wait_any()
        assert ended is not None
        say(f"El proceso '{ended[0]}' terminó (código {ended[1]}); deteniendo todo")
        return ended[1] or 1
    except Interrupted as reason:
        say(f"Deteniendo ({reason})")
        return 130
    finally:
        group.stop_all()
        services.stop()


def command_test(args: argparse.Namespace) -> int:
    state = config.state_dir()
    process: Optional[subprocess.Popen] = None
    services = Services(state)
    try:
        services.start()
        assert services.postgres and services.redis
        for endpoint in (services.postgres, services.redis):
            say(f"{endpoint.describe()}")
        database_url, redis_url = test_urls(services.postgres.url, services.redis.url)
        if ensure_database(database_url):
            say(f"Base de datos de pruebas '{database_name(database_url)}' creada")
        write_url, read_url = prepare_datastore(database_url, state, quiet=True)
        say(f"Pruebas con {redact(database_url)} (DataStore {database_name(write_url)}) "
            f"y {redis_url}")
        env = dict(os.environ, CKAN_SQLALCHEMY_URL=database_url, CKAN_REDIS_URL=redis_url,
                   CKAN_DATASTORE_WRITE_URL=write_url, CKAN_DATASTORE_READ_URL=read_url)
        pytest_args = list(args.pytest_args) or ["tests/"]
        if not any(arg.startswith("--import-mode") for arg in pytest_args):
            # Test folders are not packages and share basenames (tests/site/test_browser.py,
            # tests/limaactiva/test_browser.py, ...): the default "prepend" mode refuses that.
            pytest_args.insert(0, "--import-mode=importlib")
        if not any(arg.startswith("--durations") for arg in pytest_args):
            # where the suite's time goes, printed at the end of every run (CI included)
            pytest_args.insert(0, "--durations=25")
        command = [sys.executable, "-m", "pytest", f"--ckan-ini={config.CONFIG_DIR / 'test.ini'}",
                   *pytest_args]
        say("pytest " + " ".join(command[3:]))
        process = subprocess.Popen(command, env=env, cwd=config.ROOT)
        return process.wait()
    except Interrupted as reason:
        say(f"Deteniendo ({reason})")
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        return 130
    finally:
        services.stop()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="openlima-stack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="servir el portal con datos de demostración")
    commands.add_parser("prod", help="la topología de producción en esta máquina")
    test = commands.add_parser("test", help="ejecutar las pruebas (argumentos para pytest)")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["test"]:
        # everything after `test` belongs to pytest, options included
        rest = argv[1:]
        pytest_args = rest[1:] if rest[:1] == ["--"] else rest
        args = argparse.Namespace(command="test", pytest_args=pytest_args)
    else:
        args = parser.parse_args(argv)
    install_signal_handlers()
    handler = {"run": command_run, "prod": command_prod, "test": command_test}[args.command]
    try:
        return handler(args)
    except StackError as error:
        print(f"\n!!  {error}\n", file=sys.stderr, flush=True)
        return 1
    except Interrupted:
        return 130


if __name__ == "__main__":
    sys.exit(main())
