# Open Lima: the CKAN image of the production stack (services ckan and ckan-worker in
# docker-compose.yml). CKAN 2.12 + ckanext-scheming + ckanext-dcat + our three
# extensions, installed from this repository with pip, served by gunicorn (deploy/wsgi.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CKAN_INI=/srv/app/run/ckan.ini \
    CKAN_STORAGE_PATH=/var/lib/ckan/storage \
    OPENLIMA_CONFIG_DIR=/srv/app/config \
    OPENLIMA_SECRETS_DIR=/var/lib/ckan/secrets

# libmagic: python-magic (upload type detection); psycopg2-binary bundles its own libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/app

# Dependencies first (pinned), so code changes do not reinstall them.
COPY setup.py README.md MANIFEST.in ./
COPY requirements/ requirements/
RUN pip install -r requirements/ckan.txt -r requirements/base.txt

# The code, then the package itself (its dependencies are already there). Editable, so
# the package runs from /srv/app like in development: code that finds repository files
# relative to itself (config/vocabularies, config/schemas/mml_dataset.yaml through
# "ckanext.openlima:../../../config/...") works unchanged; a copy into site-packages
# would lose config/, which is not a Python package.
COPY . .
RUN pip install --no-deps -e . \
    && useradd --system --uid 900 --user-group --home-dir /srv/app --no-create-home ckan \
    && mkdir -p /var/lib/ckan/storage /var/lib/ckan/secrets /srv/app/run /srv/site \
    && chown -R ckan:ckan /var/lib/ckan /srv/app/run /srv/site \
    && chmod 0755 /srv/app/deploy/entrypoint.sh

USER ckan
VOLUME ["/var/lib/ckan"]
EXPOSE 5000
ENTRYPOINT ["/srv/app/deploy/entrypoint.sh"]
CMD ["web"]
