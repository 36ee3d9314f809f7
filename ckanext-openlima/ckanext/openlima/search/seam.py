"""The one place that reaches into CKAN internals: its Solr connection seam.

CKAN 2.12 has no search-backend interface. Every index read and write goes through
``make_connection()``, bound by name in four modules, and start-up fetches Solr's
schema through ``check_solr_schema_version()``. Rebinding those names sends CKAN's
whole search layer to the PostgreSQL engine without patching CKAN's files.
``tests/openlima/search/test_seam.py`` fails loudly if an upgrade moves them.
"""
from __future__ import annotations

import importlib

from . import engine

# module -> names rebound in it
SEAM = {
    "ckan.lib.search.common": ("make_connection",),
    "ckan.lib.search.index": ("make_connection",),
    "ckan.lib.search.query": ("make_connection",),
    "ckan.lib.search": ("make_connection", "check_solr_schema_version"),
}


_original_schema_check = importlib.import_module("ckan.lib.search").check_solr_schema_version


def _schema_version_ok(schema_file=None) -> bool:
    """Our index follows CKAN's own schema.xml, so the live version always matches.

    Given a schema file, CKAN's own check still reads it (it needs no Solr for that).
    """
    if schema_file is not None:
        return _original_schema_check(schema_file)
    return True


REPLACEMENTS = {
    "make_connection": engine.make_connection,
    "check_solr_schema_version": _schema_version_ok,
}


def install() -> None:
    for module_name, names in SEAM.items():
        module = importlib.import_module(module_name)
        for name in names:
            if not hasattr(module, name):
                raise RuntimeError(
                    f"openlima_search: {module_name}.{name} no longer exists; "
                    "CKAN's search seam moved, update ckanext/openlima/search/seam.py"
                )
            setattr(module, name, REPLACEMENTS[name])


def installed() -> bool:
    return all(
        getattr(importlib.import_module(module_name), name) is REPLACEMENTS[name]
        for module_name, names in SEAM.items()
        for name in names
    )
