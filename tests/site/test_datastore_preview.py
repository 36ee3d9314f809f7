"""Each resource loaded into the DataStore shows its first rows, its row count and its
column descriptions on the static dataset page, as plain HTML (no JavaScript); rows of a
private dataset never reach the site."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from ckan.tests.helpers import call_action



@pytest.fixture
def empty_datastore():
    """The DataStore database without tables (the main one is clean_db's)."""
    import ckan.plugins.toolkit as tk
    import sqlalchemy as sa
    from ckanext.datastore.tests.helpers import clear_db
    from sqlalchemy import orm

    engine = sa.create_engine(tk.config["ckan.datastore.write_url"])
    clear_db(orm.scoped_session(orm.sessionmaker(bind=engine)))
    engine.dispose()


pytestmark = pytest.mark.usefixtures("empty_datastore")


def _load(context, resource_id, rows):
    import ckan.model as model

    # a fresh session, as each API request has: objects this test process created keep
    # their "url changed" mark, which would make xloader queue them again mid-commit
    model.Session.remove()
    call_action("datastore_create", context=dict(context), resource_id=resource_id, force=True,
                fields=[{"id": "distrito", "type": "text",
                         "info": {"notes": "Nombre del distrito (INEI)"}},
                        {"id": "raciones", "type": "int",
                         "info": {"label": "Raciones diarias", "notes": "Raciones servidas al día"}}],
                records=rows)


def test_loaded_resources_show_first_rows_count_and_column_descriptions(portal, tmp_path):
    from openlima_site.build import build_site
    from openlima_site.source import CkanSource

    context = portal["context"]
    public = portal["accented"]["resources"][0]["id"]
    _load(context, public, [{"distrito": f"Distrito {i}", "raciones": i} for i in range(25)])
    hidden = call_action("resource_create", context=dict(context),
                         package_id=portal["private"]["id"], name="Filas privadas",
                         url="https://datos.example.org/privado.csv", format="CSV")
    _load(context, hidden["id"], [{"distrito": "Fila secreta Zorzal", "raciones": 1}])

    out = tmp_path / "dist"
    build_site(out, "http://sitio.test", source=CkanSource(portal["server"].url))

    page = out / "conjuntos" / f"{portal['accented']['name']}.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    table = soup.select_one(".datastore-preview table")
    assert table is not None
    assert table.caption.get_text(" ", strip=True).endswith("10 primeras filas de 25")
    assert [th.get_text(strip=True) for th in table.select("thead th")] == [
        "distrito", "Raciones diarias"]
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert rows[0] == ["Distrito 0", "0"] and len(rows) == 10
    columns = soup.select_one("dl.columns").get_text(" ", strip=True)
    assert "Nombre del distrito (INEI)" in columns and "Raciones servidas al día" in columns
    assert not table.find_parent().find_all("script")
    # the other dataset's page has no table (its resource is not loaded)
    other = out / "conjuntos" / f"{portal['transport']['name']}.html"
    assert "datastore-preview" not in other.read_text(encoding="utf-8")
    for path in out.rglob("*"):
        if path.is_file():
            assert b"Fila secreta" not in path.read_bytes(), path
