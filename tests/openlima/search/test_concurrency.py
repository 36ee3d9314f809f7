"""Two CKAN processes writing at once leave the index and the database identical."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

WRITER = Path(__file__).with_name("concurrent_writer.py")
PER_PROCESS = 12


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
def test_two_processes_leave_index_and_database_identical():
    office = factories.Organization()
    admin = factories.Sysadmin()
    model.Session.commit()
    ini = tk.config["__file__"]
    # fills the result cache: the writers' commits must invalidate it
    assert helpers.call_action("package_search", q="procesos", rows=100)["count"] == 0
    writers = [
        subprocess.Popen([sys.executable, str(WRITER), ini, prefix, office["id"], admin["name"],
                          str(PER_PROCESS)], env=dict(os.environ), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
        for prefix in ("proceso-a", "proceso-b")
    ]
    for writer in writers:
        output, _ = writer.communicate(timeout=600)
        assert writer.returncode == 0, output[-3000:]

    model.Session.remove()
    in_database = {
        row[0] for row in model.Session.execute(sa.text(
            "SELECT id FROM package WHERE state = 'active' AND name LIKE 'proceso-%'"))
    }
    in_index = {
        row[0] for row in model.Session.execute(sa.text(
            "SELECT entity_id FROM openlima_search_index WHERE doc->>'name' LIKE 'proceso-%'"))
    }
    deleted_each = len(range(0, PER_PROCESS, 3))
    assert len(in_database) == 2 * (PER_PROCESS - deleted_each)
    assert in_index == in_database
    found = helpers.call_action("package_search", q="procesos", rows=100)
    assert {d["id"] for d in found["results"]} == in_database
    edited = helpers.call_action("package_search", q="editado", rows=100)
    assert edited["count"] == sum(1 for i in range(PER_PROCESS) if i % 2 == 0 and i % 3) * 2
