"""``make prod``: the production topology of docker-compose.yml, run on this machine.

The same processes the containers run, started the way the containers start them and
configured from the same source:

* the environment is ``deploy/openlima.env.example`` (what compose reads, as
  ``deploy/openlima.env``) with only what differs on one machine replaced: the resolved
  PostgreSQL and Redis, local folders instead of volumes, and local ports instead of
  service names (:func:`production_environment`);
* ``deploy/entrypoint.sh web`` renders the ini with ``deploy/render_config.py``, migrates,
  creates the sysadmin, loads the demo catalogue when empty and execs gunicorn with
  ``deploy/wsgi.py`` (service ``ckan``);
* ``deploy/entrypoint.sh ckan jobs worker`` (service ``ckan-worker``) and
  ``deploy/entrypoint.sh ckan openlima scheduler`` (service ``ckan-scheduler``), started
  once the web process answers, as compose's ``depends_on: service_healthy`` does;
* Debian's nginx with ``deploy/nginx.conf``, its ``${VARIABLES}`` substituted as the
  official nginx image substitutes them (only variables that are defined).

Ctrl-C stops all of them, then the embedded services this command started.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from . import config, datastore
from .services import (
    LOCALHOST,
    StackError,
    free_port,
    port_is_free,
    with_database,
    with_redis_db,
)

DEPLOY = config.ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "openlima.env.example"
NGINX_TEMPLATE = DEPLOY / "nginx.conf"
NGINX_BINARY = "/usr/sbin/nginx"
NGINX_MIME_TYPES = "/etc/nginx/mime.types"
PROD_DATABASE = "openlima_prod"


def read_env_file(path: Path) -> dict[str, str]:
    """``VAR=value`` lines as docker compose reads an ``env_file`` (no quotes, # comments)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def substitute(template: str, env: Mapping[str, str]) -> str:
    """What the nginx image's ``20-envsubst-on-templates.sh`` does: ``${NAME}`` replaced for
    every defined variable; nginx's own ``$variables`` are left alone."""
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                  lambda m: env.get(m.group(1), m.group(0)), template)


@dataclass
class Ports:
    site: int  # nginx: the static site (the public front)
    ckan: int  # nginx: CKAN, micro-cached
    app: int  # gunicorn, 127.0.0.1 only

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "Ports":
        """From ``PORT`` (default 5000): the site on PORT, CKAN on PORT+1, gunicorn on the
        first free port from PORT+2."""
        base = int(environ.get("PORT") or 5000)
        for port in (base, base + 1):
            if not port_is_free(port):
                raise StackError(f"El puerto {port} ya está en uso; pruebe con PORT={base + 10}")
        return cls(site=base, ckan=base + 1, app=free_port(base + 2))


def prod_database(environ: Mapping[str, str]) -> str:
    """``OPENLIMA_PROD_DB``, else ``<OPENLIMA_DB>_prod``, else ``openlima_prod``: never the
    database of ``make run`` or of the tests."""
    if environ.get("OPENLIMA_PROD_DB"):
        return environ["OPENLIMA_PROD_DB"]
    return f"{environ['OPENLIMA_DB']}_prod" if environ.get("OPENLIMA_DB") else PROD_DATABASE


def production_environment(*, postgres_url: str, redis_url: str, ports: Ports, state: Path,
                           environ: Mapping[str, str]) -> dict[str, str]:
    """The environment every production process gets: compose's env file, then this
    machine's differences. ``CKAN___*`` variables and any variable the env file names,
    set in the caller's environment, override the file (as editing it would)."""
    env = read_env_file(ENV_EXAMPLE)
    for name, value in environ.items():
        if name in env or name.startswith("CKAN___"):
            env[name] = value
    database_url = with_database(postgres_url, prod_database(environ))
    if environ.get("OPENLIMA_PROD_REDIS_DB"):
        redis_url = with_redis_db(redis_url, int(environ["OPENLIMA_PROD_REDIS_DB"]))
    site_dir = state / "site"
    ckan_url = f"http://{LOCALHOST}:{ports.ckan}"
    app_url = f"http://{LOCALHOST}:{ports.app}"
    admin_password = load_admin_password(state)
    if not environ.get("CKAN_SITE_ID"):
        # `make run` may share this Redis: its own queue and scheduler names, not make run's
        env["CKAN_SITE_ID"] = env.get("CKAN_SITE_ID", "openlima") + "_prod"
    if environ.get("CKAN_DATASTORE_WRITE_URL") and environ.get("CKAN_DATASTORE_READ_URL"):
        datastore_urls = (environ["CKAN_DATASTORE_WRITE_URL"],
                          environ["CKAN_DATASTORE_READ_URL"])
    else:
        datastore_urls = datastore.derived_urls(database_url)
    env.update({
        # service names of compose -> this machine
        "CKAN_SQLALCHEMY_URL": database_url,
        "CKAN_DATASTORE_WRITE_URL": datastore_urls[0],
        "CKAN_DATASTORE_READ_URL": datastore_urls[1],
        "CKAN___CKANEXT__XLOADER__SITE_URL": app_url + "/",
        "CKAN_REDIS_URL": redis_url,
        "CKAN_SITE_URL": ckan_url,
        "GUNICORN_BIND": f"{LOCALHOST}:{ports.app}",
        "OPENLIMA_CKAN_UPSTREAM": f"{LOCALHOST}:{ports.app}",
        "OPENLIMA_SITE_HOST": LOCALHOST,
        "OPENLIMA_CKAN_HOST": LOCALHOST,
        "OPENLIMA_SITE_LISTEN": f"{LOCALHOST}:{ports.site}",
        "OPENLIMA_CKAN_LISTEN": f"{LOCALHOST}:{ports.ckan}",
        "OPENLIMA_SITE_URL": f"http://{LOCALHOST}:{ports.site}",
        "CKAN___CKANEXT__OPENLIMA__SITE_BUILD_SOURCE": app_url,
        # volumes -> folders under .openlima/prod
        "CKAN_STORAGE_PATH": str(state / "storage"),
        "OPENLIMA_SECRETS_DIR": str(state / "secrets"),
        "OPENLIMA_SITE_DIR": str(site_dir),
        "CKAN___CKANEXT__OPENLIMA__SITE_BUILD_DIR": str(site_dir / "dist"),
        "OPENLIMA_NGINX_CACHE_DIR": str(state / "nginx" / "cache"),
        # the image's layout -> this checkout
        "OPENLIMA_APP_DIR": str(config.ROOT),
        "OPENLIMA_CONFIG_DIR": str(config.ROOT / "config"),
        "CKAN_INI": str(state / "ckan.ini"),
        # a portal to look at: the sysadmin and the demo catalogue
        "CKAN_SYSADMIN_NAME": environ.get("CKAN_SYSADMIN_NAME") or "admin",
        "CKAN_SYSADMIN_EMAIL": environ.get("CKAN_SYSADMIN_EMAIL") or "admin@openlima.localhost",
        "CKAN_SYSADMIN_PASSWORD": admin_password,
        "OPENLIMA_LOAD_DEMO": environ.get("OPENLIMA_LOAD_DEMO") or "true",
    })
    # The processes find python, ckan and gunicorn of this venv first, as in the image.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environ.get("PATH", "")])
    for name in ("HOME", "LANG", "LC_ALL", "TMPDIR", "OPENLIMA_STATE_DIR"):
        if environ.get(name):
            env.setdefault(name, environ[name])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def load_admin_password(state: Path) -> str:
    import secrets

    path = state / "admin-password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    config.write_private(path, password + "\n")
    return password


# --------------------------------------------------------------------------- nginx


def nginx_user() -> Optional[str]:
    """The account nginx's workers run as when we are root (Debian's www-data)."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("www-data", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


def render_nginx(env: Mapping[str, str], directory: Path) -> Path:
    """``nginx.conf`` for Debian's nginx: a main file like the nginx image's, with every
    path inside ``directory``, including deploy/nginx.conf rendered as the image renders it."""
    directory.mkdir(parents=True, exist_ok=True)
    for sub in ("cache", "temp", "logs"):
        (directory / sub).mkdir(exist_ok=True)
    user = nginx_user()
    if user is not None:
        import pwd

        entry = pwd.getpwnam(user)
        for sub in ("cache", "temp"):
            for root, dirs, files in os.walk(directory / sub):
                os.chown(root, entry.pw_uid, entry.pw_gid)
                for name in dirs + files:
                    os.lchown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
    site = directory / "default.conf"
    site.write_text(substitute(NGINX_TEMPLATE.read_text(encoding="utf-8"), env))
    temp = directory / "temp"
    main = f"""# Written by `make prod` (stack/openlima_stack/prod.py): do not edit.
{f"user {user};" if user else ""}
worker_processes 2;
pid {directory / "nginx.pid"};
error_log {directory / "logs" / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include {NGINX_MIME_TYPES};
    default_type application/octet-stream;
    access_log {directory / "logs" / "access.log"};
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {temp / "body"};
    proxy_temp_path {temp / "proxy"};
    fastcgi_temp_path {temp / "fastcgi"};
    uwsgi_temp_path {temp / "uwsgi"};
    scgi_temp_path {temp / "scgi"};
    include {site};
}}
"""
    path = directory / "nginx.conf"
    path.write_text(main)
    return path


def check_nginx() -> None:
    if not Path(NGINX_BINARY).exists():
        raise StackError(
            f"Falta nginx ({NGINX_BINARY}): `make prod` lo instala con apt-get (como root), "
            "o instálelo con `apt-get install nginx`")
