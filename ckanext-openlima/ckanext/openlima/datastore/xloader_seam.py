"""The places where Open Lima changes how ckanext-xloader 2.6.0 works (nothing else
touches its internals; ``tests/openlima/datastore/test_xloader_seam.py`` fails if an
upgrade moves them):

* ``ckanext.xloader.utils.get_xloader_user_apitoken``: xloader wants an API token in the
  ini (``ckanext.xloader.api_token``), which an administrator would have to create by hand
  after the first start. Ours makes (once) and reuses a token of CKAN's site user, in
  process, so web, worker, tests and containers need no manual step. A token in the ini
  still wins.
* ``ckanext.xloader.loader.load_csv``: after xloader's ``COPY`` into text columns, each
  column gets its type (``datastore/types.py``: Spanish decimal commas, ``dd/mm/aaaa``,
  the data dictionary's overrides). While it runs, the table is always created with text
  columns (``text_columns_only()``, read by the plugin's ``datastore_before_update``), so
  an override never makes ``COPY`` fail on ``1,5`` or ``03/01/2025``. xloader's
  ``_populate_fulltext`` (an ``UPDATE`` of every row, a second copy of the table) waits
  meanwhile: the full text is computed in the same ``ALTER TABLE`` as the types, so the
  table is rewritten once.
* ``ckanext.xloader.loader.split_copy_by_size``: xloader copies the file line by line
  (in Python) into 1 GB chunk files before each ``COPY``; a file under the chunk size
  goes to ``COPY`` as it is.
* ``ckanext.xloader.loader.create_column_indexes`` and ``calculate_record_count``:
  xloader's run on connections that are never committed (SQLAlchemy 2 rolls them back):
  loaded tables had no index, no statistics and the full-text trigger off (rows added
  later were not found by ``q``). Ours (``datastore/indexes.py``) commit, and add a
  B-tree index per column and ``VACUUM (ANALYZE)``.
* ``ckanext.xloader.plugin.xloaderPlugin.notify``: xloader queues a load from inside
  CKAN's ``before_commit`` when a resource's URL changes; queuing reads the dataset, and
  the search engine's savepoints fire ``before_commit`` again (SQLAlchemy does for
  nested transactions), so xloader queued again, and again: a ``RecursionError`` and a
  500 on every change of a resource's file. The wrapper lets one call run at a time.
* ``ckanext.xloader.loader.delete_datastore_resource``: when a new file's columns differ
  in type from the table's, xloader drops the table as an anonymous user; CKAN 2.12 then
  refuses the resource update that follows ("User not found" from the activity stream)
  and the reload fails. Ours drops it as the site user.
* ``ckanext.xloader.jobs.get_response``: xloader downloads any URL, following redirects.
  Ours refuses loopback and private addresses at every hop, with the link checker's rule
  and allow-list (``ckanext.openlima.linkcheck_allow_private_addresses``,
  ``ckanext.openlima.linkcheck_allowed_hosts``), except the portal's own address (xloader
  downloads uploaded files from the portal itself).
"""
from __future__ import annotations

import contextvars
import logging
import os
from urllib.parse import urljoin, urlsplit

import requests

import ckan.plugins.toolkit as tk

__all__ = ["install", "site_user_api_token", "guarded_get_response", "PrivateAddressError",
           "delete_datastore_resource_as_site_user",
           "load_csv_with_types", "text_columns_only", "create_column_indexes",
           "calculate_record_count"]

log = logging.getLogger(__name__)
TOKEN_NAME = "openlima-xloader"
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


class PrivateAddressError(requests.exceptions.InvalidURL):
    """The URL (or a redirect) points at a private or loopback address.

    A ``RequestException``: xloader turns it into a failed load with this message."""


def site_user_api_token() -> str:
    """``ckanext.xloader.api_token`` if set, else a token of the site user named
    ``openlima-xloader`` (created the first time).

    Rows are read and written in a session of their own: xloader asks for the token in
    the middle of ``resource_create``, whose transaction must not be committed early.
    """
    # The token row is read and written with CKAN's model, as api_token_create does.
    import ckan.model as model
    from ckan.lib import api_token
    from sqlalchemy import orm

    configured = tk.config.get("ckanext.xloader.api_token")
    if configured and configured != "NOT_SET":
        return configured
    site_name = tk.config.get("ckan.site_id")
    with orm.Session(bind=model.meta.engine) as session:
        user_id = session.query(model.User.id).filter(model.User.name == site_name).scalar()
    if user_id is None:
        user_id = tk.get_action("get_site_user")({"ignore_auth": True}, {})["id"]
    with orm.Session(bind=model.meta.engine) as session:
        token = (session.query(model.ApiToken)
                 .filter(model.ApiToken.user_id == user_id,
                         model.ApiToken.name == TOKEN_NAME)
                 .first())
        if token is None:
            token = model.ApiToken(user_id, TOKEN_NAME)
            session.add(token)
            session.commit()
        data = {"jti": token.id, "iat": api_token.into_seconds(token.created_at)}
        token_id = token.id
    return api_token.encode(api_token.postprocess(data, token_id, {}))


def _own_origin(url: str) -> bool:
    """True for the portal's own address (as xloader rewrites it)."""
    own = {tk.config.get("ckan.site_url"), tk.config.get("ckanext.xloader.site_url")}
    target = urlsplit(url)
    for base in filter(None, own):
        parts = urlsplit(base)
        if (parts.scheme, parts.hostname, parts.port) == (target.scheme, target.hostname,
                                                          target.port):
            return True
    return False


def guarded_get_response(url: str, headers: dict):
    """xloader's ``get_response`` with every hop checked; see the module docstring."""
    from ckanext.openlima.quality.linkcheck import refusal_reason
    from ckanext.xloader import jobs

    timeout = jobs.DOWNLOAD_TIMEOUT
    send_headers = dict(headers)
    for _hop in range(MAX_REDIRECTS + 1):
        own = _own_origin(url)
        if not own:
            reason = refusal_reason(url)
            if reason:
                raise PrivateAddressError(reason)
            # the portal's token is for the portal only
            send_headers.pop(jobs.apitoken_header_name, None)
        kwargs = {"headers": send_headers, "timeout": timeout, "verify": jobs.ssl_verify,
                  "stream": True, "allow_redirects": False}
        if "ckan.download_proxy" in tk.config:
            proxy = tk.config.get("ckan.download_proxy")
            kwargs["proxies"] = {"http": proxy, "https": proxy}
        response = requests.get(url, **kwargs)
        location = response.headers.get("Location")
        if response.status_code in _REDIRECTS and location:
            response.close()
            url = urljoin(url, location)
            continue
        response.raise_for_status()
        return response
    raise requests.exceptions.TooManyRedirects("Demasiadas redirecciones.")


_LOADING_CSV = contextvars.ContextVar("openlima_loading_csv", default=False)
_original_load_csv = None
_original_populate_fulltext = None
_original_split_copy_by_size = None


def text_columns_only() -> bool:
    """True while xloader's CSV load (the ``COPY`` path) is creating the table."""
    return _LOADING_CSV.get()


def _reset_typed_override_columns(resource_id: str, logger) -> None:
    """Before a reload: columns the data dictionary gives a type go back to text, so that
    xloader recreates the table (its ``COPY`` needs text columns; see the docstring)."""
    from ckanext.datastore.backend.postgres import get_write_engine

    try:
        info = tk.get_action("datastore_info")({"ignore_auth": True}, {"id": resource_id})
    except tk.ObjectNotFound:
        return
    typed = [field["id"] for field in info.get("fields", [])
             if field["id"] != "_id" and field.get("type") != "text"
             and (field.get("info") or {}).get("type_override")]
    if not typed:
        return
    table = '"' + resource_id.replace('"', '""') + '"'
    with get_write_engine().begin() as connection:
        for column in typed:
            quoted = '"' + column.replace('"', '""') + '"'
            connection.exec_driver_sql(
                f"ALTER TABLE {table} ALTER COLUMN {quoted} TYPE text USING {quoted}::text")
    logger.info("Columns back to text before the reload: %s", typed)


def load_csv_with_types(csv_filepath, resource_id, mimetype="text/csv",
                        allow_type_guessing=False, logger=None):
    """xloader's ``load_csv``, then the Spanish-aware column types."""
    from ckanext.datastore.backend.postgres import get_write_engine

    from ckanext.openlima.datastore import types

    logger = logger or log
    _reset_typed_override_columns(resource_id, logger)
    token = _LOADING_CSV.set(True)
    try:
        fields = _original_load_csv(csv_filepath, resource_id, mimetype=mimetype,
                                    allow_type_guessing=allow_type_guessing, logger=logger)
    finally:
        _LOADING_CSV.reset(token)
    return types.convert_columns(get_write_engine(), resource_id, fields, logger,
                                 full_text=True)


def _populate_fulltext_unless_loading(connection, resource_id, fields, logger):
    """xloader's full-text ``UPDATE``, except inside our CSV load (``convert_columns``
    computes it in its rewrite)."""
    if text_columns_only():
        return None
    return _original_populate_fulltext(connection, resource_id, fields=fields, logger=logger)


def _copy_whole_file_when_small(input_file, engine, logger, resource_id, headers,
                                delimiter=",", max_size=1024**3, encoding="utf-8"):
    """xloader's chunked copy, straight to ``COPY`` for a file under one chunk."""
    from ckanext.xloader import loader

    if os.path.getsize(input_file) <= max_size:
        logger.info("Copying the whole file (%s bytes) in one COPY",
                    os.path.getsize(input_file))
        return loader.copy_file(input_file, engine, logger, resource_id, headers, delimiter)
    return _original_split_copy_by_size(input_file, engine, logger, resource_id, headers,
                                        delimiter, max_size, encoding)


def create_column_indexes(fields, resource_id, logger):
    """xloader's ``create_column_indexes``, committed (see the module docstring)."""
    from ckanext.datastore.backend.postgres import get_write_engine

    from ckanext.openlima.datastore import indexes

    logger.info("Creating column indexes (a speed optimization for queries)...")
    indexes.create_indexes(get_write_engine(), resource_id, fields, logger)
    logger.info("...column indexes created.")


def calculate_record_count(resource_id, logger):
    """xloader's ``calculate_record_count`` (``ANALYZE``), committed, with ``VACUUM``."""
    from ckanext.datastore.backend.postgres import get_write_engine

    from ckanext.openlima.datastore import indexes

    logger.info("Calculating record count (running VACUUM ANALYZE on the table)")
    indexes.vacuum_analyze(get_write_engine(), resource_id, logger)


_IN_NOTIFY = contextvars.ContextVar("openlima_xloader_notify", default=False)


def _once_at_a_time(notify):
    def guarded_notify(self, entity, operation):
        if _IN_NOTIFY.get():
            return None
        token = _IN_NOTIFY.set(True)
        try:
            return notify(self, entity, operation)
        finally:
            _IN_NOTIFY.reset(token)

    guarded_notify.__wrapped__ = notify
    guarded_notify.__module__ = __name__
    return guarded_notify


def delete_datastore_resource_as_site_user(resource_id: str) -> None:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    try:
        tk.get_action("datastore_delete")(
            {"user": site_user["name"], "ignore_auth": True},
            {"id": resource_id, "force": True})
    except tk.ObjectNotFound:
        return


def install() -> None:
    global _original_load_csv, _original_populate_fulltext, _original_split_copy_by_size
    from ckanext.xloader import jobs, loader, utils
    from ckanext.xloader.plugin import xloaderPlugin

    if not hasattr(xloaderPlugin.notify, "__wrapped__"):
        xloaderPlugin.notify = _once_at_a_time(xloaderPlugin.notify)

    utils.get_xloader_user_apitoken = site_user_api_token
    jobs.get_response = guarded_get_response
    loader.delete_datastore_resource = delete_datastore_resource_as_site_user
    if _original_load_csv is None:
        _original_load_csv = loader.load_csv
        loader.load_csv = load_csv_with_types
    if _original_populate_fulltext is None:
        _original_populate_fulltext = loader._populate_fulltext
        loader._populate_fulltext = _populate_fulltext_unless_loading
    if _original_split_copy_by_size is None:
        _original_split_copy_by_size = loader.split_copy_by_size
        loader.split_copy_by_size = _copy_whole_file_when_small
    loader.create_column_indexes = create_column_indexes
    loader.calculate_record_count = calculate_record_count
