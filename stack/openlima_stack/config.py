"""Where things live, the generated secrets, and the runtime ini ``make run`` serves with.

The committed ini files (``config/base.ini``, ``development.ini``, ``production.ini``,
``test.ini``) hold no secrets. On first run the stack generates them into
``.openlima/secrets.json`` (gitignored, mode 0600) and writes ``.openlima/development.ini``,
which chains to ``config/development.ini`` and adds what belongs to this machine:
secrets, database and Redis URLs, site URL and storage path.
"""
from __future__ import annotations

import json
import os
import secrets
from configparser import NoOptionError, NoSectionError, RawConfigParser
from pathlib import Path
from typing import Mapping, Optional

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "config"
SEARCH_PLUGIN = "openlima_search"
DATASTORE_PLUGIN = "openlima_datastore"
# name in secrets.json -> how to generate it. token_urlsafe/token_hex have no '%', which
# ini interpolation would read as a reference.
SECRET_GENERATORS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(32),
    "JWT_SECRET": lambda: secrets.token_urlsafe(32),
    "LIMAHONESTA_PEPPER": lambda: secrets.token_urlsafe(48),
    "LIMAACTIVA_DNI_HMAC_KEY": lambda: secrets.token_hex(32),
    # the DataStore's read-only role (only needed where PostgreSQL asks for passwords)
    "DATASTORE_READER_PASSWORD": lambda: secrets.token_hex(24),
}
# plugin -> (ini option, secret) for the secrets only one plugin reads
PLUGIN_SECRETS = {
    "limahonesta": ("ckanext.limahonesta.pepper", "LIMAHONESTA_PEPPER"),
    "limaactiva": ("ckanext.limaactiva.dni_hmac_key", "LIMAACTIVA_DNI_HMAC_KEY"),
}
DEV_DATABASE = "openlima"
TEST_DATABASE = "openlima_test"
TEST_REDIS_DB = 1


def state_dir(environ: Optional[Mapping[str, str]] = None) -> Path:
    """``.openlima/`` at the repository root (``OPENLIMA_STATE_DIR`` overrides)."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("OPENLIMA_STATE_DIR") or ROOT / ".openlima").resolve()


def dev_database(environ: Optional[Mapping[str, str]] = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get("OPENLIMA_DB") or DEV_DATABASE


def test_database(environ: Optional[Mapping[str, str]] = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get("OPENLIMA_TEST_DB") or TEST_DATABASE


def test_redis_db(environ: Optional[Mapping[str, str]] = None) -> int:
    environ = os.environ if environ is None else environ
    value = environ.get("OPENLIMA_TEST_REDIS_DB") or str(TEST_REDIS_DB)
    if not value.isdigit():
        raise ValueError(f"OPENLIMA_TEST_REDIS_DB debe ser un número, no '{value}'")
    return int(value)


# --------------------------------------------------------------------------- secrets


def load_or_create_secrets(directory: Path) -> dict[str, str]:
    """The secrets of this checkout: generated once, then read back on every run."""
    path = Path(directory) / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = [name for name in SECRET_GENERATORS if not stored.get(name)]
    if missing:
        for name in missing:
            stored[name] = SECRET_GENERATORS[name]()
        write_private(path, json.dumps(stored, indent=2) + "\n")
    return stored


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


# --------------------------------------------------------------------------- ini files


def ini_chain(path: Path) -> list[Path]:
    """The file and every file it pulls in with ``use = config:...``, top first."""
    chain: list[Path] = []
    current = Path(path).resolve()
    while current not in chain:
        chain.append(current)
        parser = RawConfigParser(strict=False)
        parser.read(current)
        try:
            use = parser.get("app:main", "use")
        except (NoOptionError, NoSectionError):
            break
        schema, _, target = use.partition(":")
        if schema != "config":
            break
        current = (current.parent / target).resolve()
    return chain


def read_option(path: Path, option: str) -> Optional[str]:
    """The value of ``[app:main] option`` as CKAN resolves it: the top-most file wins."""
    for file in ini_chain(path):
        parser = RawConfigParser(strict=False)
        parser.optionxform = str  # type: ignore[assignment]
        parser.read(file)
        if parser.has_option("app:main", option):
            return parser.get("app:main", option)
    return None


def enabled_plugins(path: Path, environ: Optional[Mapping[str, str]] = None) -> list[str]:
    """``ckan.plugins`` of an ini, without ``openlima_search`` when ``CKAN_SOLR_URL`` is set
    (CKAN then talks to that Solr)."""
    environ = os.environ if environ is None else environ
    plugins = (read_option(path, "ckan.plugins") or "").split()
    if environ.get("CKAN_SOLR_URL"):
        plugins = [plugin for plugin in plugins if plugin != SEARCH_PLUGIN]
    return plugins


def ini_value(value: str) -> str:
    """Escape a value for CKAN's ini parser, which interpolates ``%(name)s``."""
    return value.replace("%", "%%")


def render_ini(base_ini: Path, settings: Mapping[str, str], header: str) -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += ["", "[app:main]", f"use = config:{Path(base_ini).resolve()}"]
    lines += [f"{key} = {ini_value(str(value))}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def development_settings(*, secrets_: Mapping[str, str], database_url: str, redis_url: str,
                         port: int, storage_path: Path,
                         environ: Optional[Mapping[str, str]] = None,
                         datastore_urls: Optional[tuple[str, str]] = None,
                         outbox_port: Optional[int] = None) -> dict[str, str]:
    environ = os.environ if environ is None else environ
    site_url = environ.get("CKAN_SITE_URL") or f"http://127.0.0.1:{port}"
    settings = {
        "SECRET_KEY": secrets_["SECRET_KEY"],
        "api_token.jwt.encode.secret": f"string:{secrets_['JWT_SECRET']}",
        "api_token.jwt.decode.secret": f"string:{secrets_['JWT_SECRET']}",
        "sqlalchemy.url": database_url,
        "ckan.redis.url": redis_url,
        "ckan.site_url": site_url,
        "ckanext.dcat.base_uri": site_url,
        "ckan.storage_path": str(storage_path),
        # the scheduler's site_build job rebuilds what `make site` builds
        "ckanext.openlima.site_build_dir": str(ROOT / "site" / "dist"),
        "ckanext.openlima.site_build_source": f"http://127.0.0.1:{port}",
    }
    # `make run` serves no static site (`make site` only builds site/dist): its links stay
    # on CKAN's pages unless the address where site/dist is served is given
    if environ.get("OPENLIMA_SITE_URL"):
        settings["ckanext.openlima.site_url"] = environ["OPENLIMA_SITE_URL"].rstrip("/")
    if datastore_urls is not None:
        settings["ckan.datastore.write_url"], settings["ckan.datastore.read_url"] = datastore_urls
    if outbox_port is not None:
        # mail goes to the outbox (outbox.py): files in <state>/outbox, nothing sent
        settings["smtp.server"] = f"127.0.0.1:{outbox_port}"
        settings["smtp.mail_from"] = "no-responder@localhost"  # CKAN adds the site title
    dev_ini = CONFIG_DIR / "development.ini"
    plugins = enabled_plugins(dev_ini, environ)
    for plugin, (option, name) in PLUGIN_SECRETS.items():
        if plugin in plugins:
            settings[option] = secrets_[name]
    if environ.get("CKAN_SOLR_URL"):
        settings["ckan.plugins"] = " ".join(plugins)
    return settings


def write_development_ini(directory: Path, *, database_url: str, redis_url: str, port: int,
                          environ: Optional[Mapping[str, str]] = None,
                          datastore_urls: Optional[tuple[str, str]] = None,
                          outbox_port: Optional[int] = None) -> Path:
    """Write ``<state>/development.ini`` for ``make run`` and return its path."""
    directory = Path(directory)
    storage = directory / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    settings = development_settings(
        secrets_=load_or_create_secrets(directory), database_url=database_url,
        redis_url=redis_url, port=port, storage_path=storage, environ=environ,
        datastore_urls=datastore_urls, outbox_port=outbox_port,
    )
    path = directory / "development.ini"
    write_private(path, render_ini(
        CONFIG_DIR / "development.ini", settings,
        "Written by `make run` (openlima-stack) on every run: do not edit, never commit.\n"
        "Secrets come from secrets.json next to this file; services from the stack.",
    ))
    return path
