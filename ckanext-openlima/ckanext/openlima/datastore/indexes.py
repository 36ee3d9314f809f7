"""Indexes and statistics of a freshly loaded DataStore table (what makes
``datastore_search`` fast on a million rows).

After the rows are in (``COPY``, types and full text in one rewrite: ``types.py``):

* CKAN's full-text indexes (``create_indexes`` of the DataStore: a GIN index on
  ``_full_text`` for ``q``, and one per text column for ``q`` given per column), built as
  CKAN builds them, and the ``zfulltext`` trigger switched back on, so rows added later
  with ``datastore_upsert`` are found by ``q`` too;
* a B-tree index on every column, so that ``filters`` (equality) and ``sort`` read an
  index instead of the whole table; a column whose values are too long for a B-tree
  (over ~2.7 kB) just goes without one;
* ``VACUUM (ANALYZE)``: the planner's statistics, and the visibility map that lets
  ``total`` be counted from an index.

ckanext-xloader 2.6.0 does the first and the statistics with connections it never
commits (SQLAlchemy 2 rolls them back), so its tables had no index, no statistics and the
trigger off; ``xloader_seam`` puts these functions in its place.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any, Optional

import sqlalchemy as sa

__all__ = ["create_indexes", "vacuum_analyze", "column_index_name"]

log = logging.getLogger(__name__)

# memory for sorting while an index is built (PostgreSQL's default is 64 MB); per session
MAINTENANCE_WORK_MEM = "256MB"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _execute(connection, statement: str) -> None:
    """A statement with no parameters (names may hold ``%`` or ``:``, as CSV headers do)."""
    connection.exec_driver_sql(statement.replace("%", "%%"))


def column_index_name(resource_id: str, column: str) -> str:
    """The name CKAN's ``datastore_create`` gives an index on that one column (so that
    asking it for the same index later finds this one)."""
    return hashlib.sha1((resource_id + _quote(column)).encode("utf-8")).hexdigest()


def create_indexes(engine, resource_id: str, fields: list[dict[str, Any]],
                   logger: Optional[logging.Logger] = None) -> None:
    """CKAN's full-text indexes and trigger, then a B-tree index on each column."""
    from ckanext.datastore.backend import postgres as backend

    logger = logger or log
    table = _quote(resource_id)
    with engine.begin() as connection:
        _execute(connection, f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        backend.create_indexes({"connection": connection}, {"resource_id": resource_id})
        _execute(connection, f"ALTER TABLE {table} ENABLE TRIGGER zfulltext")
    logger.info("Full-text indexes created")
    for field in fields:
        column = field["id"]
        if column.startswith("_"):
            continue
        name = _quote(column_index_name(resource_id, column))
        try:
            with engine.begin() as connection:
                _execute(connection,
                         f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
                _execute(connection,
                         f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({_quote(column)})")
        except sa.exc.DBAPIError as error:
            logger.info("Column %r has no index: %s", column,
                        str(getattr(error, "orig", error)).strip())
    logger.info("Column indexes created")


def vacuum_analyze(engine, resource_id: str,
                   logger: Optional[logging.Logger] = None) -> None:
    """Statistics for the planner (and the row count estimate CKAN shows), and the
    visibility map for index-only counts; outside a transaction, as VACUUM needs."""
    logger = logger or log
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        _execute(connection, f"VACUUM (ANALYZE) {_quote(resource_id)}")
    logger.info("Table vacuumed and analysed")
