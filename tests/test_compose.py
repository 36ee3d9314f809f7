"""The production stack agrees with the code: docker-compose.yml, Dockerfile, deploy/.

No Docker engine here, so nothing is started: the files are parsed and cross-checked
(service names in URLs, ports, environment variables, health checks, pinned images), the
ini renderer is run as the entrypoint runs it, and deploy/wsgi.py builds CKAN's WSGI app
from a rendered ini in a subprocess.
"""

from __future__ import annotations

import configparser
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import yaml

from ckan.config.environment import CONFIG_FROM_ENV_VARS

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
NGINX_CONF = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
ENTRYPOINT = (DEPLOY / "entrypoint.sh").read_text(encoding="utf-8")
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
RENDERER = runpy.run_path(
    str(DEPLOY / "render_config.py")
)  # a script, not a plugin module
POSTGRES_IMAGE_VARS = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}


def env_example() -> dict[str, str]:
    values = {}
    for line in (
        (DEPLOY / "openlima.env.example").read_text(encoding="utf-8").splitlines()
    ):
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            assert name == name.strip() and name.isupper(), line
            values[name] = value
    return values


def container_port(service: dict) -> set[int]:
    return {int(str(port).split("/")[0]) for port in service.get("expose", [])}


def env_files(service: dict) -> list[str]:
    files = service.get("env_file", [])
    return [files] if isinstance(files, str) else list(files)


def variables_read_by_entrypoint() -> set[str]:
    from_shell = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", ENTRYPOINT))
    from_shell |= set(
        re.findall(r'os\.environ(?:\.get)?[\[(]"([A-Z][A-Z0-9_]*)"', ENTRYPOINT)
    )
    from_renderer = (
        set(RENDERER["REQUIRED"])
        | set(RENDERER["SECRETS"].values())
        | set(RENDERER["OPTIONAL"])
    )
    return from_shell | from_renderer


# read by the static site generator, openlima-site (click envvar)
SITE_GENERATOR_VARS = {"OPENLIMA_SITE_URL"}


def variables_read_by_nginx() -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", NGINX_CONF))


# --- services, images, health ----------------------------------------------------------------


def test_the_stack_has_its_seven_services():
    assert set(SERVICES) == {"ckan", "ckan-worker", "ckan-scheduler", "db", "solr", "redis",
                             "nginx"}


def test_images_are_pinned_to_tags():
    for name, service in SERVICES.items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and "/" not in tag, (name, image)
    assert SERVICES["solr"]["image"].startswith("ckan/ckan-solr:2.12-solr9")
    assert SERVICES["db"]["image"].split(":")[1].split(".")[0] in ("15", "16")
    assert SERVICES["redis"]["image"].startswith("redis:7")
    assert SERVICES["nginx"]["image"].startswith("nginx:1.27")


def test_every_service_has_a_healthcheck():
    for name, service in SERVICES.items():
        check = service.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), name


def test_web_and_worker_share_the_image_built_here():
    web, worker = SERVICES["ckan"], SERVICES["ckan-worker"]
    scheduler = SERVICES["ckan-scheduler"]
    assert web["build"]["context"] == "." and web["build"]["dockerfile"] == "Dockerfile"
    for other in (worker, scheduler):
        assert web["image"] == other["image"] and other["build"] == web["build"]
    assert worker["command"] == ["ckan", "jobs", "worker"]
    assert scheduler["command"] == ["ckan", "openlima", "scheduler"]
    assert web["command"] == ["web"]
    # uploads and generated secrets live on one volume that every container mounts
    for service in (web, worker, scheduler):
        assert "ckan_storage:/var/lib/ckan" in service["volumes"]
    # the worker runs site_build into the volume nginx serves
    assert "static_site:/srv/site" in worker["volumes"]
    assert "static_site:/srv/site:ro" in SERVICES["nginx"]["volumes"]


def test_named_volumes_are_declared():
    declared = set(COMPOSE["volumes"])
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, (name, volume)
    assert any(
        v.endswith(":/var/lib/postgresql/data") for v in SERVICES["db"]["volumes"]
    )


def test_solr_is_optional_behind_a_profile():
    assert SERVICES["solr"]["profiles"] == ["solr"]
    for name, service in SERVICES.items():
        needs = service.get("depends_on", {})
        if "solr" in needs:
            assert needs["solr"].get("required") is False, name
    assert "openlima_search" in RENDERER["SEARCH_PLUGIN"]


def test_startup_order_follows_health():
    assert SERVICES["ckan"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert SERVICES["ckan"]["depends_on"]["redis"]["condition"] == "service_healthy"
    for name in ("ckan-worker", "ckan-scheduler"):
        assert SERVICES[name]["depends_on"]["ckan"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(SERVICES["ckan"]["healthcheck"]["test"])
    assert SERVICES["nginx"]["depends_on"]["ckan"]["condition"] == "service_healthy"


# --- names and ports ---------------------------------------------------------------------


def test_service_urls_point_at_services_and_their_ports():
    env = env_example()
    database = urlparse(env["CKAN_SQLALCHEMY_URL"])
    assert (
        database.scheme == "postgresql"
        and database.hostname == "db"
        and database.port == 5432
    )
    assert database.username == env["POSTGRES_USER"]
    assert database.password == env["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == env["POSTGRES_DB"]
    assert 5432 in container_port(SERVICES["db"])
    assert "-p 5432" in " ".join(SERVICES["db"]["healthcheck"]["test"])

    redis = urlparse(env["CKAN_REDIS_URL"])
    assert redis.hostname == "redis" and redis.port == 6379
    assert 6379 in container_port(SERVICES["redis"])
    assert (
        SERVICES["redis"]["command"][SERVICES["redis"]["command"].index("--port") + 1]
        == "6379"
    )

    # the documented Solr switch points at the solr service and CKAN's core
    documented = set(
        re.findall(
            r"CKAN_SOLR_URL=(http://[\w:./-]+)",
            (DEPLOY / "openlima.env.example").read_text(encoding="utf-8"),
        )
    )
    documented |= set(
        re.findall(
            r"CKAN_SOLR_URL=(http://[\w:./-]+)",
            (REPO / "docker-compose.yml").read_text(),
        )
    )
    assert documented
    for url in documented:
        solr = urlparse(url)
        assert (
            solr.hostname == "solr" and solr.port == 8983 and solr.path == "/solr/ckan"
        )
    assert 8983 in container_port(SERVICES["solr"])
    assert "8983/solr/ckan" in " ".join(SERVICES["solr"]["healthcheck"]["test"])
    assert env["CKAN_SOLR_URL"] == "", "PostgreSQL search is the default"


def test_nginx_publishes_80_and_proxies_to_ckan_on_its_port():
    assert SERVICES["nginx"]["ports"] == ["80:80"]
    assert [name for name, s in SERVICES.items() if s.get("ports")] == ["nginx"]
    env = env_example()
    upstream = re.search(r"upstream\s+(\w+)\s*\{[^}]*server\s+\$\{(\w+)\};", NGINX_CONF)
    name = upstream.group(1)
    host, _, port = env[upstream.group(2)].partition(":")
    port = int(port)
    assert host == "ckan" and host in SERVICES
    assert port in container_port(SERVICES["ckan"])
    assert set(re.findall(r"proxy_pass\s+http://(\w+)", NGINX_CONF)) == {name}
    assert '--bind "${GUNICORN_BIND:-0.0.0.0:5000}"' in ENTRYPOINT
    assert env["GUNICORN_BIND"] == f"0.0.0.0:{port}"
    assert f"127.0.0.1:{port}/" in " ".join(SERVICES["ckan"]["healthcheck"]["test"])
    assert f"EXPOSE {port}" in DOCKERFILE
    assert re.search(r"listen\s+\$\{OPENLIMA_SITE_LISTEN\}\s+default_server", NGINX_CONF)
    assert env["OPENLIMA_SITE_LISTEN"] == env["OPENLIMA_CKAN_LISTEN"] == "80"
    assert "http://127.0.0.1:80/healthz" in " ".join(
        SERVICES["nginx"]["healthcheck"]["test"]
    )
    assert "location = /healthz" in NGINX_CONF


def test_nginx_serves_the_static_site_from_site_dist():
    mounts = SERVICES["nginx"]["volumes"]
    env = env_example()
    root = re.search(r"root\s+([^;]+);", NGINX_CONF).group(1)
    # dist is a symlink swapped by each build: mount its folder, resolve dist per request
    site_mount = next(m for m in mounts if m.startswith("static_site:"))
    assert site_mount.endswith(":ro")
    assert root == "${OPENLIMA_SITE_DIR}/dist"
    assert env["OPENLIMA_SITE_DIR"] == site_mount.split(":")[1]
    assert env["CKAN___CKANEXT__OPENLIMA__SITE_BUILD_DIR"] == env["OPENLIMA_SITE_DIR"] + "/dist"
    assert "chown -R ckan:ckan /var/lib/ckan /srv/app/run /srv/site" in DOCKERFILE
    assert (
        "open_file_cache" not in NGINX_CONF and "disable_symlinks on" not in NGINX_CONF
    )
    assert "./deploy/nginx.conf:/etc/nginx/templates/default.conf.template:ro" in mounts
    for header in (
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Content-Security-Policy",
    ):
        assert header in NGINX_CONF
    assert "proxy_cache ckan_static" in NGINX_CONF and "expires" in NGINX_CONF
    client_max = int(re.search(r"client_max_body_size\s+(\d+)m", NGINX_CONF).group(1))
    assert client_max > int(env_example()["CKAN_MAX_UPLOAD_SIZE_MB"])


# --- environment variables ---------------------------------------------------------------


def test_every_variable_passed_is_read_by_someone():
    readers = (
        set(CONFIG_FROM_ENV_VARS.values())
        | variables_read_by_entrypoint()
        | variables_read_by_nginx()
        | POSTGRES_IMAGE_VARS
        | SITE_GENERATOR_VARS
    )
    passed = set(env_example())
    for service in SERVICES.values():
        passed |= set(service.get("environment", {}) or {})
        for path in env_files(service):
            assert path == "deploy/openlima.env", path
    unread = {
        name
        for name in passed
        if name not in readers and not name.startswith(RENDERER["PASSTHROUGH_PREFIX"])
    }
    assert not unread, f"nobody reads {sorted(unread)}"


def test_every_variable_the_code_needs_is_provided():
    env = env_example()
    for name in RENDERER["REQUIRED"]:
        assert env.get(name), name
    for name in (
        set(RENDERER["SECRETS"].values())
        | variables_read_by_nginx()
        | POSTGRES_IMAGE_VARS
    ):
        assert name in env, name
    for name in variables_read_by_nginx() | POSTGRES_IMAGE_VARS:
        assert env[name], name
    # variables the entrypoint insists on (${VAR:?...}) are documented too
    for name in re.findall(r"\$\{([A-Z_]+):\?", ENTRYPOINT):
        assert name in env, name
    # the services that need the file get it
    for name in ("ckan", "ckan-worker", "db", "nginx"):
        assert env_files(SERVICES[name]) == ["deploy/openlima.env"], name


def test_the_real_env_file_is_never_committed_or_copied_into_the_image():
    assert "openlima.env" in (DEPLOY / ".gitignore").read_text().split()
    assert "deploy/openlima.env" in (REPO / ".dockerignore").read_text().split()


# --- Dockerfile and entrypoint -----------------------------------------------------------


def test_dockerfile_builds_from_setup_and_pinned_requirements():
    assert re.search(r"^FROM python:3\.11-slim$", DOCKERFILE, re.M)
    assert re.search(r"^COPY setup\.py .*\./$", DOCKERFILE, re.M)
    assert re.search(r"^COPY requirements/ requirements/$", DOCKERFILE, re.M)
    assert "pip install -r requirements/ckan.txt -r requirements/base.txt" in DOCKERFILE
    assert "pip install --no-deps -e ." in DOCKERFILE
    assert re.search(
        r"^COPY \. \.$", DOCKERFILE, re.M
    )  # the repository, incl. config/, in /srv/app
    assert 'ENTRYPOINT ["/srv/app/deploy/entrypoint.sh"]' in DOCKERFILE
    assert re.search(r"^USER ckan$", DOCKERFILE, re.M)
    # gunicorn is pinned with the rest of the runtime: `make prod` runs it too
    pins = (REPO / "requirements" / "base.txt").read_text().splitlines()
    assert any(re.fullmatch(r"gunicorn==[\d.]+", pin) for pin in pins)
    assert os.access(DEPLOY / "entrypoint.sh", os.X_OK)


def test_entrypoint_migrates_then_serves_ckan_wsgi_app():
    assert ENTRYPOINT.startswith("#!/bin/sh") and "set -eu" in ENTRYPOINT
    render = ENTRYPOINT.index("render_config.py")
    upgrade = ENTRYPOINT.index('ckan -c "$CKAN_INI" db upgrade')
    serve = ENTRYPOINT.index("\n    exec gunicorn")
    datastore = ENTRYPOINT.index("python -m openlima_stack.datastore")
    assert render < datastore < upgrade < serve
    assert (
        "wsgi:application" in ENTRYPOINT
        and '--chdir "$OPENLIMA_APP_DIR/deploy"' in ENTRYPOINT
    )
    assert "openlima demo load --if-empty" in ENTRYPOINT
    wsgi = (DEPLOY / "wsgi.py").read_text()
    assert (
        "from ckan.config.middleware import make_app" in wsgi
        and "application = make_app(" in wsgi
    )
    syntax = subprocess.run(
        ["sh", "-n", str(DEPLOY / "entrypoint.sh")], capture_output=True, text=True
    )
    assert syntax.returncode == 0, syntax.stderr


# --- the ini renderer, run as the entrypoint runs it ----------------------------------------


def render(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {
        "PATH": os.environ["PATH"],
        "OPENLIMA_CONFIG_DIR": str(REPO / "config"),
        "OPENLIMA_SECRETS_DIR": str(tmp_path / "secrets"),
        "CKAN_SQLALCHEMY_URL": "postgresql://ckan:clave@db:5432/ckan",
        "CKAN_REDIS_URL": "redis://redis:6379/0",
        "CKAN_SITE_URL": "https://datos.openlima.example/",
        "CKAN_DATASTORE_WRITE_URL": "postgresql://ckan:clave@db:5432/openlima_datastore",
        "CKAN_DATASTORE_READ_URL": "postgresql://lector:otra@db:5432/openlima_datastore",
    }
    base.update(env)
    return subprocess.run(
        [
            sys.executable,
            str(DEPLOY / "render_config.py"),
            "--output",
            str(tmp_path / "ckan.ini"),
        ],
        env={k: v for k, v in base.items() if v is not None},
        capture_output=True,
        text=True,
    )


def rendered(tmp_path: Path) -> dict[str, str]:
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    parser.read(tmp_path / "ckan.ini", encoding="utf-8")
    return dict(parser.items("app:main"))


def test_renderer_refuses_missing_or_malformed_urls(tmp_path):
    result = render(tmp_path, CKAN_REDIS_URL=None)
    assert result.returncode == 2
    assert "faltan variables de entorno obligatorias: CKAN_REDIS_URL" in result.stderr
    assert not (tmp_path / "ckan.ini").exists()
    result = render(tmp_path, CKAN_SQLALCHEMY_URL="mysql://db/ckan")
    assert result.returncode == 2 and "CKAN_SQLALCHEMY_URL" in result.stderr
    result = render(tmp_path, CKAN_DATASTORE_READ_URL="postgresql://lector@db/otra_base")
    assert result.returncode == 2 and "misma base" in result.stderr
    result = render(tmp_path, OPENLIMA_SITE_URL="datos.openlima.example")
    assert result.returncode == 2 and "OPENLIMA_SITE_URL" in result.stderr


def test_renderer_writes_secrets_plugins_and_paths(tmp_path):
    result = render(
        tmp_path,
        CKAN_SECRET_KEY="clave-de-sesion-100%",
        CKAN___CKANEXT__LIMAHONESTA__SUBMISSIONS_PER_HOUR="60",
        OPENLIMA_SITE_URL="https://openlima.example/",
    )
    assert result.returncode == 0, result.stderr
    ini = rendered(tmp_path)
    # the static site's address, for DCAT landing pages and district URIs
    assert ini["ckanext.openlima.site_url"] == "https://openlima.example"
    assert (
        ini["SECRET_KEY"] == "clave-de-sesion-100%%"
    )  # ConfigParser escape of a literal %
    assert ini["use"] == f"config:{REPO / 'config' / 'production.ini'}"
    assert (
        ini["ckan.site_url"]
        == ini["ckanext.dcat.base_uri"]
        == "https://datos.openlima.example"
    )
    assert ini["ckan.plugins"].split()[0] == "openlima_search"
    assert ini["ckanext.openlima.vocabularies_dir"] == str(
        REPO / "config" / "vocabularies"
    )
    assert ini["ckanext.limahonesta.submissions_per_hour"] == "60"
    assert oct((tmp_path / "ckan.ini").stat().st_mode & 0o777) == "0o600"
    # logging.config.fileConfig reads the format raw: single % signs
    logging_sections = configparser.RawConfigParser()
    logging_sections.read(tmp_path / "ckan.ini", encoding="utf-8")
    assert logging_sections.get("formatter_generic", "format").startswith(
        "%(asctime)s "
    )
    # secrets not given are generated once and reused on the next start
    pepper = ini["ckanext.limahonesta.pepper"]
    assert len(pepper) >= 40 and ini["ckanext.limaactiva.dni_hmac_key"] != pepper
    assert render(tmp_path).returncode == 0
    again = rendered(tmp_path)
    assert again["ckanext.limahonesta.pepper"] == pepper
    assert (
        again["SECRET_KEY"]
        == (tmp_path / "secrets" / "ckan_secret_key").read_text().strip()
    )


def test_renderer_turns_postgresql_search_off_when_solr_is_set(tmp_path):
    assert render(tmp_path, CKAN_SOLR_URL="http://solr:8983/solr/ckan").returncode == 0
    plugins = rendered(tmp_path)["ckan.plugins"].split()
    assert (
        "openlima_search" not in plugins and "openlima" in plugins and "dcat" in plugins
    )


def test_wsgi_builds_ckan_from_a_rendered_ini(tmp_path):
    """deploy/wsgi.py + a rendered ini = CKAN's Flask app (in a subprocess, against the
    test database, so this session's CKAN is untouched)."""
    from ckan.plugins.toolkit import config

    assert (
        render(
            tmp_path,
            CKAN_SQLALCHEMY_URL=config["sqlalchemy.url"],
            CKAN_REDIS_URL=config["ckan.redis.url"],
            CKAN_DATASTORE_WRITE_URL=config["ckan.datastore.write_url"],
            CKAN_DATASTORE_READ_URL=config["ckan.datastore.read_url"],
            CKAN_STORAGE_PATH=str(tmp_path / "storage"),
        ).returncode
        == 0
    )
    probe = (
        "import runpy; app = runpy.run_path('deploy/wsgi.py')['application'];"
        "client = app._wsgi_app.test_client();"
        "r = client.get('/api/3/action/status_show');"
        "print(r.status_code, r.get_json()['result']['ckan_version']);"
        # config/production.ini is in the chain (rendered ini -> production.ini -> base.ini)
        "from ckan.plugins.toolkit import config;"
        "print(config.get('ckan.cache_expires'), config.get('ckan.locale_default'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CKAN_")}
    env.update(
        CKAN_INI=str(tmp_path / "ckan.ini"),
        CKAN_SQLALCHEMY_URL=config["sqlalchemy.url"],
        CKAN_REDIS_URL=config["ckan.redis.url"],
        CKAN_DATASTORE_WRITE_URL=config["ckan.datastore.write_url"],
        CKAN_DATASTORE_READ_URL=config["ckan.datastore.read_url"],
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-2:] == ["200 2.12.0", "30 es"]


# --- make prod: the same configuration, run here -------------------------------------------


def test_make_prod_runs_the_processes_of_the_containers():
    """The commands `make prod` starts are the containers' commands, through the same
    entrypoint; `make run` starts the same worker and scheduler."""
    from openlima_stack import ckan_tasks
    from openlima_stack import cli as stack_cli

    source = (REPO / "stack" / "openlima_stack" / "cli.py").read_text()
    prod_source = source[source.index("def command_prod"):source.index("def command_test")]
    assert '[*entrypoint, "web"]' in prod_source and SERVICES["ckan"]["command"] == ["web"]
    for service in ("ckan-worker", "ckan-scheduler"):
        command = ", ".join(f'"{part}"' for part in SERVICES[service]["command"])
        assert f"[*entrypoint, {command}]" in prod_source, service
    assert "deploy/entrypoint.sh" in prod_source or 'DEPLOY / "entrypoint.sh"' in prod_source
    assert ckan_tasks.scheduler_command(Path("x.ini"))[-2:] == ["openlima", "scheduler"]
    assert ckan_tasks.worker_command(Path("x.ini"))[-2:] == ["jobs", "worker"]
    assert stack_cli.command_prod


def test_make_prod_environment_is_the_env_file_with_local_addresses(tmp_path):
    from openlima_stack import prod

    env = prod.production_environment(
        postgres_url="postgresql://postgres@127.0.0.1:5432/postgres",
        redis_url="redis://127.0.0.1:6379/5", ports=prod.Ports(site=18080, ckan=18081, app=18082),
        state=tmp_path, environ={"PATH": "/usr/bin", "GUNICORN_WORKERS": "2",
                                 "CKAN___CKANEXT__OPENLIMA__SCHEDULE": "site_build = 60",
                                 "UNRELATED": "x"})
    example = env_example()
    # every variable of the env file is there; what differs is this machine's only
    assert set(example) <= set(env)
    local = {"CKAN_SQLALCHEMY_URL", "CKAN_REDIS_URL", "CKAN_SITE_URL", "GUNICORN_BIND",
             "OPENLIMA_CKAN_UPSTREAM", "OPENLIMA_SITE_HOST", "OPENLIMA_CKAN_HOST",
             "OPENLIMA_SITE_LISTEN", "OPENLIMA_CKAN_LISTEN", "OPENLIMA_SITE_URL",
             "CKAN_STORAGE_PATH", "OPENLIMA_SECRETS_DIR", "OPENLIMA_SITE_DIR",
             "OPENLIMA_NGINX_CACHE_DIR", "CKAN___CKANEXT__OPENLIMA__SITE_BUILD_DIR",
             "CKAN___CKANEXT__OPENLIMA__SITE_BUILD_SOURCE", "CKAN_SYSADMIN_NAME",
             "CKAN_SYSADMIN_EMAIL", "CKAN_SYSADMIN_PASSWORD", "OPENLIMA_LOAD_DEMO",
             "GUNICORN_WORKERS", "CKAN___CKANEXT__OPENLIMA__SCHEDULE", "CKAN_SITE_ID",
             "CKAN_DATASTORE_WRITE_URL", "CKAN_DATASTORE_READ_URL",
             "CKAN___CKANEXT__XLOADER__SITE_URL"}
    changed = {name for name in example if env[name] != example[name]}
    assert changed <= local, changed - local
    assert env["CKAN_SQLALCHEMY_URL"].endswith("/openlima_prod")
    # not make run's queues and scheduler, which may share this Redis
    assert env["CKAN_SITE_ID"] == example["CKAN_SITE_ID"] + "_prod"
    assert env["GUNICORN_WORKERS"] == "2" and "UNRELATED" not in env
    assert env["OPENLIMA_CKAN_UPSTREAM"] == env["GUNICORN_BIND"] == "127.0.0.1:18082"
    assert env["CKAN_SITE_URL"] == "http://127.0.0.1:18081"
    assert env["CKAN_DATASTORE_WRITE_URL"].endswith("/openlima_prod_datastore")
    assert "openlima_prod_datastore_reader@" in env["CKAN_DATASTORE_READ_URL"]
    assert env["CKAN___CKANEXT__XLOADER__SITE_URL"] == "http://127.0.0.1:18082/"


def test_make_prod_renders_nginx_conf_as_the_nginx_image_does():
    """Every ${VARIABLE} of deploy/nginx.conf is given, and Debian's nginx accepts the result."""
    import shutil
    import tempfile

    from openlima_stack import prod

    # not pytest's tmp_path (0700): nginx's workers (www-data when root) must reach it
    tmp_path = Path(tempfile.mkdtemp(prefix="openlima-nginx-"))
    tmp_path.chmod(0o755)

    env = prod.production_environment(
        postgres_url="postgresql://postgres@127.0.0.1:5432/postgres",
        redis_url="redis://127.0.0.1:6379/5", ports=prod.Ports(site=18080, ckan=18081, app=18082),
        state=tmp_path, environ={"PATH": "/usr/bin"})
    conf = prod.render_nginx(env, tmp_path / "nginx")
    rendered = (tmp_path / "nginx" / "default.conf").read_text()
    assert "${" not in rendered
    assert "$upstream_cache_status" in rendered and "$http_cookie" in rendered
    assert prod.substitute("${A} $host ${B}", {"A": "1"}) == "1 $host ${B}"
    check = subprocess.run([prod.NGINX_BINARY, "-t", "-p", str(tmp_path / "nginx"), "-c",
                            str(conf)], capture_output=True, text=True)
    shutil.rmtree(tmp_path, ignore_errors=True)
    assert check.returncode == 0, check.stderr
