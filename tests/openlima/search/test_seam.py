"""Fails loudly if a CKAN upgrade moves the search seam that openlima_search rebinds."""
import importlib

import pytest

from ckanext.openlima.search import engine, seam


@pytest.mark.parametrize("module_name,names", sorted(seam.SEAM.items()))
def test_seam_names_exist_in_ckan(module_name, names):
    module = importlib.import_module(module_name)
    for name in names:
        assert hasattr(module, name), f"{module_name}.{name} moved: update search/seam.py"


def test_ckan_calls_go_to_postgres_when_the_plugin_is_enabled():
    seam.install()
    assert seam.installed()
    from ckan.lib.search import common, index, query
    for module in (common, index, query):
        assert isinstance(module.make_connection(), engine.PostgresSearchConnection)
