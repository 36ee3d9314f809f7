"""The generated runtime ini: secrets generated once and never committed, services wired
in, the Solr switch, and test settings that never point at the development database."""
from __future__ import annotations

import stat
import subprocess
from configparser import RawConfigParser

import pytest

from openlima_stack import cli, config
from openlima_stack.services import StackError, database_name

pytestmark = pytest.mark.stack

DATABASE = "postgresql://postgres@127.0.0.1:54329/openlima"
REDIS = "redis://127.0.0.1:63790/0"


def tracked_files() -> list[str]:
    result = subprocess.run(["git", "ls-files", "-z"], cwd=config.ROOT,
                            capture_output=True, check=True)
    return [name for name in result.stdout.decode().split("\0") if name]


def read_app_main(path) -> dict[str, str]:
    parser = RawConfigParser(strict=False)
    parser.optionxform = str
    parser.read(path)
    return dict(parser.items("app:main"))


def test_generated_ini_wires_services_and_keeps_secrets_out_of_git(scratch, clean_environ):
    path = config.write_development_ini(scratch, database_url=DATABASE, redis_url=REDIS,
                                        port=5055, environ=clean_environ)
    settings = read_app_main(path)
    assert settings["use"] == f"config:{config.CONFIG_DIR / 'development.ini'}"
    assert settings["sqlalchemy.url"] == DATABASE
    assert settings["ckan.redis.url"] == REDIS
    assert settings["ckan.site_url"] == "http://127.0.0.1:5055"
    assert settings["ckan.storage_path"] == str(scratch / "storage")
    assert "ckan.plugins" not in settings  # the search plugin stays on without Solr
    # `make run` serves no static site: links stay on CKAN unless its address is given
    assert "ckanext.openlima.site_url" not in settings
    served = read_app_main(config.write_development_ini(
        scratch, database_url=DATABASE, redis_url=REDIS, port=5055,
        environ={**clean_environ, "OPENLIMA_SITE_URL": "http://127.0.0.1:8080/"}))
    assert served["ckanext.openlima.site_url"] == "http://127.0.0.1:8080"

    secret_key = settings["SECRET_KEY"]
    jwt = settings["api_token.jwt.encode.secret"]
    assert len(secret_key) >= 40 and jwt.startswith("string:") and len(jwt) >= 47
    assert settings["api_token.jwt.decode.secret"] == jwt
    pepper = settings["ckanext.limahonesta.pepper"]
    assert len(pepper) >= 32
    assert len(settings["ckanext.limaactiva.dni_hmac_key"]) == 64
    for private in (path, scratch / "secrets.json"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600

    # the same secrets on the next run, so sessions and API tokens survive a restart
    again = read_app_main(config.write_development_ini(
        scratch, database_url=DATABASE, redis_url=REDIS, port=5000, environ=clean_environ))
    assert again["SECRET_KEY"] == secret_key
    assert again["ckan.site_url"] == "http://127.0.0.1:5000"

    # no tracked file holds them, and the committed dev/production ini hold no secret at all
    for name in tracked_files():
        file = config.ROOT / name
        if file.is_file() and file.stat().st_size < 2_000_000:
            text = file.read_bytes()
            assert secret_key.encode() not in text, name
            assert jwt[len("string:"):].encode() not in text, name
            assert pepper.encode() not in text, name
    for name in ("development.ini", "production.ini", "base.ini"):
        committed = read_app_main(config.CONFIG_DIR / name)
        assert not {"SECRET_KEY", "api_token.jwt.encode.secret", "api_token.jwt.decode.secret",
                    "ckanext.limahonesta.pepper", "ckanext.limaactiva.dni_hmac_key",
                    "sqlalchemy.url"} & set(committed), name
    ignored = subprocess.run(["git", "check-ignore", "-q", ".openlima/development.ini"],
                             cwd=config.ROOT)
    assert ignored.returncode == 0, ".openlima/ must be gitignored"


def test_percent_signs_in_urls_survive_ini_interpolation(scratch, clean_environ):
    url = "postgresql://ckan:p%40ss@db.example.org/openlima"
    path = config.write_development_ini(scratch, database_url=url, redis_url=REDIS,
                                        port=5000, environ=clean_environ)
    from configparser import ConfigParser

    parser = ConfigParser()
    parser.read(path)
    assert parser.get("app:main", "sqlalchemy.url") == url


def test_with_solr_the_search_plugin_is_left_out(scratch, clean_environ):
    environ = dict(clean_environ, CKAN_SOLR_URL="http://solr.example.org:8983/solr/ckan")
    path = config.write_development_ini(scratch, database_url=DATABASE, redis_url=REDIS,
                                        port=5000, environ=environ)
    plugins = read_app_main(path)["ckan.plugins"].split()
    committed = config.read_option(config.CONFIG_DIR / "development.ini", "ckan.plugins").split()
    assert config.SEARCH_PLUGIN in committed
    assert config.SEARCH_PLUGIN not in plugins
    assert plugins == [plugin for plugin in committed if plugin != config.SEARCH_PLUGIN]


def test_development_and_test_databases_differ(clean_environ):
    server = "postgresql://postgres@127.0.0.1:5432/postgres"
    dev = cli.dev_database_url(server, clean_environ)
    test_db, test_redis = cli.test_urls(server, "redis://127.0.0.1:6379/0", clean_environ)
    assert database_name(dev) == "openlima"
    assert database_name(test_db) == "openlima_test"
    assert test_redis == "redis://127.0.0.1:6379/1"

    given = dict(clean_environ, CKAN_SQLALCHEMY_URL="postgresql://ckan:pw@db:5433/portal",
                 CKAN_REDIS_URL="redis://cache:6380/0",
                 OPENLIMA_TEST_DB="portal_pruebas", OPENLIMA_TEST_REDIS_DB="4")
    test_db, test_redis = cli.test_urls(
        given["CKAN_SQLALCHEMY_URL"], given["CKAN_REDIS_URL"], given)
    assert test_db == "postgresql://ckan:pw@db:5433/portal_pruebas"  # same server, own database
    assert test_redis == "redis://cache:6380/4"

    same = dict(given, OPENLIMA_TEST_DB="portal")
    with pytest.raises(StackError, match="OPENLIMA_TEST_DB"):
        cli.test_urls(given["CKAN_SQLALCHEMY_URL"], given["CKAN_REDIS_URL"], same)
    same_redis = dict(given, OPENLIMA_TEST_REDIS_DB="0")
    with pytest.raises(StackError, match="OPENLIMA_TEST_REDIS_DB"):
        cli.test_urls(given["CKAN_SQLALCHEMY_URL"], given["CKAN_REDIS_URL"], same_redis)


def test_our_plugin_migrations_are_discovered():
    from openlima_stack.ckan_tasks import migration_sources

    sources = {source.label: source for source in migration_sources(
        ["openlima_search", "activity", "scheming_datasets"])}
    assert sources["ckan"].version_table == "alembic_version"
    assert sources["openlima_search"].ours
    assert sources["openlima_search"].alembic_ini.name == "alembic.ini"
    assert sources["openlima_search"].version_table == "openlima_search_alembic_version"
    assert not sources["activity"].ours  # CKAN's own; `ckan db upgrade` handles it
    assert "scheming_datasets" not in sources  # no migrations
