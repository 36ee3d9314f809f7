#!/bin/sh
# Entrypoint of the Open Lima image (web and worker containers).
#   web (default): render the ini, wait for PostgreSQL, prepare the DataStore database,
#                  `ckan db upgrade` (core + plugin migrations), optional first sysadmin
#                  and demo (its tabular files queued for the worker), then exec gunicorn.
#   anything else: render the ini and exec it (the worker runs `ckan jobs worker`, the
#                  scheduler `ckan openlima scheduler`).
# Variables: see deploy/openlima.env.example.
set -eu

: "${OPENLIMA_APP_DIR:=/srv/app}"   # where the image keeps the repository (config/, deploy/)
: "${CKAN_INI:=$OPENLIMA_APP_DIR/run/ckan.ini}"
: "${OPENLIMA_CONFIG_DIR:=$OPENLIMA_APP_DIR/config}"
export CKAN_INI OPENLIMA_CONFIG_DIR

python "$OPENLIMA_APP_DIR/deploy/render_config.py" --output "$CKAN_INI"

wait_for_database() {
    python - <<'PY'
import os, sys, time
import psycopg2
deadline = time.monotonic() + int(os.environ.get("OPENLIMA_DB_WAIT_SECONDS", "90"))
while True:
    try:
        psycopg2.connect(os.environ["CKAN_SQLALCHEMY_URL"], connect_timeout=5).close()
        break
    except psycopg2.OperationalError as error:
        if time.monotonic() > deadline:
            sys.exit(f"openlima: PostgreSQL no responde: {error}")
        time.sleep(2)
PY
}

ensure_sysadmin() {
    # Creates the first sysadmin when missing, or just confirms the role: idempotent.
    [ -n "${CKAN_SYSADMIN_NAME:-}" ] || return 0
    : "${CKAN_SYSADMIN_PASSWORD:?CKAN_SYSADMIN_PASSWORD es obligatoria si se define CKAN_SYSADMIN_NAME}"
    : "${CKAN_SYSADMIN_EMAIL:?CKAN_SYSADMIN_EMAIL es obligatoria si se define CKAN_SYSADMIN_NAME}"
    ckan -c "$CKAN_INI" sysadmin add "$CKAN_SYSADMIN_NAME" --create \
        "email=$CKAN_SYSADMIN_EMAIL" "password=$CKAN_SYSADMIN_PASSWORD"
}

if [ "$#" -eq 0 ] || [ "$1" = "web" ]; then
    wait_for_database
    # The DataStore's database, read-only role and permissions (idempotent), from
    # CKAN_DATASTORE_WRITE_URL / CKAN_DATASTORE_READ_URL; see stack/openlima_stack/datastore.py
    python -m openlima_stack.datastore
    ckan -c "$CKAN_INI" db upgrade
    ensure_sysadmin
    if [ "${OPENLIMA_LOAD_DEMO:-false}" = "true" ]; then
        # what `make run` loads: the catalogue (when empty), the 2022 plan, Lima Activa's
        # demo spaces (both idempotent)
        ckan -c "$CKAN_INI" openlima demo load --if-empty
        ckan -c "$CKAN_INI" openlima plan load "$OPENLIMA_APP_DIR/config/plan/plan-2022.yaml"
        ckan -c "$CKAN_INI" limaactiva demo load
        ckan -c "$CKAN_INI" openlima datastore load-all --no-wait
    fi
    # Lima Honesta: the Integrity Unit's organisation and key pair (idempotent), so that
    # reports received before anybody enrols are readable by the unit's first reviewer.
    ckan -c "$CKAN_INI" limahonesta setup \
        || echo "openlima: Lima Honesta sin preparar (¿falta el pepper?): ckan limahonesta setup" >&2
    # The access log leaves out Lima Honesta's reporter routes (deploy/gunicorn_logging.py).
    exec gunicorn \
        --chdir "$OPENLIMA_APP_DIR/deploy" \
        --bind "${GUNICORN_BIND:-0.0.0.0:5000}" \
        --workers "${GUNICORN_WORKERS:-4}" \
        --timeout "${GUNICORN_TIMEOUT:-120}" \
        --forwarded-allow-ips "*" \
        --logger-class gunicorn_logging.LimaHonestaLogger \
        --access-logfile - \
        wsgi:application
fi

exec "$@"
