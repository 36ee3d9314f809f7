"""Renders the production CKAN ini from the environment (run by deploy/entrypoint.sh).

The ini ``use``s the repository's ``config/production.ini`` (itself on top of
``config/base.ini``) and adds what only the environment knows:
secrets, the site URL (and the static site's, ``OPENLIMA_SITE_URL``, as
``ckanext.openlima.site_url``), storage, the plugin list (without ``openlima_search`` when
``CKAN_SOLR_URL`` points at a Solr) and logging. URLs CKAN already reads from the
environment itself (``ckan.config.environment.CONFIG_FROM_ENV_VARS``: CKAN_SQLALCHEMY_URL,
CKAN_REDIS_URL, CKAN_SOLR_URL, CKAN_SITE_URL, ...) are checked here but left to CKAN.

A secret missing from the environment is generated once and kept in
``OPENLIMA_SECRETS_DIR`` (a volume shared by the web and worker containers), so a first
start works and later starts keep the same keys. Any ``CKAN___SOME__OPTION=value``
variable becomes ``some.option = value`` (double underscore = dot, lower case).

Standard library only: it runs before CKAN is configured. Exit status 2 and a Spanish
message on stderr when a required variable is missing or malformed.
"""

from __future__ import annotations

import argparse
import configparser
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlparse

# Variables the stack cannot start without (CKAN reads them itself; we check them early).
REQUIRED = ("CKAN_SQLALCHEMY_URL", "CKAN_REDIS_URL", "CKAN_SITE_URL",
            "CKAN_DATASTORE_WRITE_URL", "CKAN_DATASTORE_READ_URL")

# ini option -> environment variable; generated and persisted when the variable is empty.
SECRETS = {
    "SECRET_KEY": "CKAN_SECRET_KEY",
    "ckanext.limahonesta.pepper": "LIMAHONESTA_PEPPER",
    "ckanext.limaactiva.dni_hmac_key": "LIMAACTIVA_DNI_HMAC_KEY",
}

# Other variables this script reads (documented in deploy/openlima.env.example).
OPTIONAL = (
    "CKAN_SOLR_URL",
    "CKAN_STORAGE_PATH",
    "OPENLIMA_SECRETS_DIR",
    "OPENLIMA_CONFIG_DIR",
)

PASSTHROUGH_PREFIX = "CKAN___"
SEARCH_PLUGIN = "openlima_search"
DEFAULT_STORAGE = "/var/lib/ckan/storage"
DEFAULT_SECRETS_DIR = "/var/lib/ckan/secrets"
DEFAULT_CONFIG_DIR = "/srv/app/config"

LOGGING = """
[loggers]
keys = root, ckan, ckanext

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[logger_ckan]
level = INFO
handlers = console
qualname = ckan
propagate = 0

[logger_ckanext]
level = INFO
handlers = console
qualname = ckanext
propagate = 0

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s] %(message)s
"""


class ConfigError(Exception):
    pass


def _ini_value(value: str) -> str:
    # CKAN reads the ini with ConfigParser interpolation: a literal % must be doubled.
    if "\n" in value:
        raise ConfigError(
            "los valores de configuración no pueden tener saltos de línea"
        )
    return value.replace("%", "%%")


def check_required(env: dict[str, str]) -> None:
    missing = [name for name in REQUIRED if not env.get(name, "").strip()]
    if missing:
        raise ConfigError(
            "faltan variables de entorno obligatorias: "
            + ", ".join(missing)
            + " (véase deploy/openlima.env.example)"
        )
    if urlparse(env["CKAN_SQLALCHEMY_URL"]).scheme not in ("postgresql", "postgres"):
        raise ConfigError("CKAN_SQLALCHEMY_URL debe ser una URL postgresql://")
    for name in ("CKAN_DATASTORE_WRITE_URL", "CKAN_DATASTORE_READ_URL"):
        if urlparse(env[name]).scheme not in ("postgresql", "postgres"):
            raise ConfigError(f"{name} debe ser una URL postgresql://")
    if urlparse(env["CKAN_DATASTORE_WRITE_URL"]).path != urlparse(
        env["CKAN_DATASTORE_READ_URL"]
    ).path:
        raise ConfigError(
            "CKAN_DATASTORE_WRITE_URL y CKAN_DATASTORE_READ_URL deben nombrar la misma base"
        )
    if urlparse(env["CKAN_REDIS_URL"]).scheme not in ("redis", "rediss"):
        raise ConfigError("CKAN_REDIS_URL debe ser una URL redis://")
    site = urlparse(env["CKAN_SITE_URL"])
    if site.scheme not in ("http", "https") or not site.netloc:
        raise ConfigError("CKAN_SITE_URL debe ser una URL http(s):// completa")
    static_site = urlparse(env.get("OPENLIMA_SITE_URL", "").strip())
    if static_site.geturl() and (static_site.scheme not in ("http", "https") or not static_site.netloc):
        raise ConfigError("OPENLIMA_SITE_URL debe ser una URL http(s):// completa o quedar vacía")
    solr = env.get("CKAN_SOLR_URL", "").strip()
    if solr and urlparse(solr).scheme not in ("http", "https"):
        raise ConfigError("CKAN_SOLR_URL debe ser una URL http(s):// o quedar vacía")


def secret(env: dict[str, str], variable: str, secrets_dir: Path) -> str:
    given = env.get(variable, "").strip()
    if given:
        return given
    path = secrets_dir / variable.lower()
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def configured_plugins(config_dir: Path) -> list[str]:
    """``ckan.plugins`` of production.ini, or of base.ini when production.ini has none."""
    for name in ("production.ini", "base.ini"):
        parser = configparser.RawConfigParser()
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        if not parser.read(config_dir / name, encoding="utf-8"):
            raise ConfigError(f"no se encuentra {config_dir / name}")
        if parser.has_option("app:main", "ckan.plugins"):
            return parser.get("app:main", "ckan.plugins").split()
    raise ConfigError(f"ni production.ini ni base.ini de {config_dir} definen ckan.plugins")


def passthrough(env: dict[str, str]) -> dict[str, str]:
    options = {}
    for name, value in sorted(env.items()):
        if name.startswith(PASSTHROUGH_PREFIX) and len(name) > len(PASSTHROUGH_PREFIX):
            option = name[len(PASSTHROUGH_PREFIX) :].lower().replace("__", ".")
            options[option] = value
    return options


def render(env: dict[str, str]) -> str:
    check_required(env)
    config_dir = Path(env.get("OPENLIMA_CONFIG_DIR") or DEFAULT_CONFIG_DIR)
    secrets_dir = Path(env.get("OPENLIMA_SECRETS_DIR") or DEFAULT_SECRETS_DIR)
    plugins = configured_plugins(config_dir)
    if env.get("CKAN_SOLR_URL", "").strip():
        plugins = [name for name in plugins if name != SEARCH_PLUGIN]
    site_url = env["CKAN_SITE_URL"].rstrip("/")
    options: dict[str, str] = {
        "use": f"config:{config_dir / 'production.ini'}",
        "debug": "false",
        "ckan.plugins": " ".join(plugins),
        "ckan.site_url": site_url,
        "ckanext.dcat.base_uri": site_url,
        "ckan.storage_path": env.get("CKAN_STORAGE_PATH") or DEFAULT_STORAGE,
        "ckanext.openlima.vocabularies_dir": str(config_dir / "vocabularies"),
    }
    # the static site nginx serves: DCAT landing pages and district URIs lead there
    static_site = env.get("OPENLIMA_SITE_URL", "").strip().rstrip("/")
    if static_site:
        options["ckanext.openlima.site_url"] = static_site
    for option, variable in SECRETS.items():
        options[option] = secret(env, variable, secrets_dir)
    options.update(passthrough(env))
    lines = [
        "# Rendered by deploy/render_config.py at container start: do not edit, do not commit.",
        "[app:main]",
    ]
    lines += [f"{option} = {_ini_value(value)}" for option, value in options.items()]
    return "\n".join(lines) + "\n" + LOGGING


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", default=os.environ.get("CKAN_INI", "/srv/app/run/ckan.ini")
    )
    args = parser.parse_args(argv)
    try:
        text = render(dict(os.environ))
    except ConfigError as error:
        print(f"openlima: configuración inválida: {error}", file=sys.stderr)
        return 2
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    temporary.replace(output)
    print(f"openlima: configuración escrita en {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
