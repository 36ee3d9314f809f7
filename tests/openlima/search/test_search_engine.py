"""The PostgreSQL search engine seen through CKAN: actions, API and pages."""
import pytest
import sqlalchemy as sa

import ckan.model as model
from ckan.lib.search import SearchIndexError
from ckan.tests import factories, helpers

INDEX = "openlima_search_index"


def search(**kwargs):
    return helpers.call_action("package_search", **kwargs)


def names(result):
    return sorted(d["name"] for d in result["results"])


def indexed_ids():
    rows = model.Session.execute(sa.text(f"SELECT entity_id FROM {INDEX}"))
    return {row[0] for row in rows}


@pytest.fixture
def office(clean_db, clean_index, with_plugins):
    return factories.Organization(
        name="gerencia-de-transporte-urbano", title="Gerencia de Transporte Urbano"
    )


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
class TestIndexFollowsTheDatabase:
    def test_create_update_delete_are_searchable_at_once(self, office):
        dataset = factories.Dataset(
            owner_org=office["id"], name="paraderos", title="Paraderos del Metropolitano"
        )
        assert names(search(q="metropolitano")) == ["paraderos"]

        admin = {"user": factories.Sysadmin()["name"]}
        helpers.call_action("package_patch", context=admin, id=dataset["id"],
                            title="Paraderos de buses")
        assert names(search(q="metropolitano")) == []
        assert names(search(q="buses")) == ["paraderos"]

        helpers.call_action("package_delete", context=admin, id=dataset["id"])
        assert names(search(q="buses")) == []
        assert dataset["id"] not in indexed_ids()

    def test_purge_removes_the_document(self, office):
        dataset = factories.Dataset(owner_org=office["id"], title="Licencias de edificación")
        helpers.call_action("dataset_purge", id=dataset["id"])
        assert dataset["id"] not in indexed_ids()

    def test_failed_commit_leaves_nothing_in_the_index(self, office):
        """The index row is written in the action's transaction: if the commit fails,
        neither the dataset nor its index row survive."""
        connection = model.Session.connection()
        connection.execute(sa.text("""
            CREATE OR REPLACE FUNCTION openlima_test_refuse() RETURNS trigger AS $$
            BEGIN
                IF NEW.name = 'no-debe-guardarse' THEN
                    RAISE EXCEPTION 'refused at commit';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql"""))
        connection.execute(sa.text("""
            CREATE CONSTRAINT TRIGGER openlima_test_refuse AFTER INSERT ON package
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION openlima_test_refuse()"""))
        model.Session.commit()
        try:
            # the commit fails inside the index write or in the action's own commit
            with pytest.raises((sa.exc.DBAPIError, SearchIndexError)):
                factories.Dataset(owner_org=office["id"], name="no-debe-guardarse",
                                  title="Conjunto que falla al confirmar")
            model.Session.rollback()
            assert model.Package.get("no-debe-guardarse") is None
            found = model.Session.execute(
                sa.text(f"SELECT count(*) FROM {INDEX} WHERE doc->>'name' = 'no-debe-guardarse'")
            ).scalar()
            assert found == 0
            assert search(q="falla")["count"] == 0
        finally:
            model.Session.rollback()
            model.Session.execute(sa.text("DROP TRIGGER IF EXISTS openlima_test_refuse ON package"))
            model.Session.commit()

    def test_failed_index_write_leaves_no_dataset(self, office):
        """If PostgreSQL refuses the index row, the dataset is not saved either."""
        model.Session.execute(sa.text(
            f"ALTER TABLE {INDEX} ADD CONSTRAINT openlima_test_refuse "
            "CHECK (doc->>'name' <> 'rechazado')"))
        model.Session.commit()
        try:
            with pytest.raises(SearchIndexError):
                factories.Dataset(owner_org=office["id"], name="rechazado")
            model.Session.rollback()
            assert model.Package.get("rechazado") is None
        finally:
            model.Session.rollback()
            model.Session.execute(sa.text(
                f"ALTER TABLE {INDEX} DROP CONSTRAINT IF EXISTS openlima_test_refuse"))
            model.Session.commit()

    def test_a_very_long_description_can_still_be_saved(self, office):
        notes = " ".join(f"palabra{i}" for i in range(200_000))
        dataset = factories.Dataset(owner_org=office["id"], title="Registro extenso", notes=notes)
        assert [d["id"] for d in search(q="extenso")["results"]] == [dataset["id"]]

    def test_rebuild_restores_a_cleared_index(self, office):
        factories.Dataset(owner_org=office["id"], name="areas-verdes", title="Áreas verdes")
        model.Session.execute(sa.text(f"DELETE FROM {INDEX}"))
        model.Session.commit()
        assert search(q="verdes")["count"] == 0
        from ckan.lib.search import rebuild
        rebuild()
        assert names(search(q="verdes")) == ["areas-verdes"]


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
class TestDeferredIndexing:
    """``search-index rebuild`` defers its writes: they go in batches, one statement each
    (#18), and the transaction still holds exactly what it indexed."""

    @pytest.fixture
    def statements(self):
        seen = []

        def record(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        engine = model.Session.get_bind()
        sa.event.listen(engine, "before_cursor_execute", record)
        yield seen
        sa.event.remove(engine, "before_cursor_execute", record)

    def test_rebuild_writes_many_datasets_with_one_statement(self, office, statements):
        for number in range(12):
            factories.Dataset(owner_org=office["id"], name=f"registro-{number}",
                              title=f"Registro municipal {number}")
        private = factories.Dataset(owner_org=office["id"], name="registro-reservado",
                                    title="Registro reservado", private=True)
        model.Session.execute(sa.text(f"DELETE FROM {INDEX}"))
        model.Session.commit()
        statements.clear()
        from ckan.lib.search import rebuild
        rebuild(defer_commit=True)
        upserts = [s for s in statements if s.lstrip().startswith(f"INSERT INTO {INDEX}")]
        assert len(upserts) == 1
        assert search(q="registro", rows=20)["count"] == 12
        assert len(indexed_ids()) == 13 and private["id"] in indexed_ids()
        rows = model.Session.execute(sa.text(
            f"SELECT name, state, permission_labels, search_vector::text LIKE '%''registr''%' "
            f"FROM {INDEX} WHERE name IN ('registro-3', 'registro-reservado') ORDER BY name"))
        labels = {name: (state, list(permission), text) for name, state, permission, text in rows}
        assert labels["registro-3"] == ("active", ["public"], True)
        assert labels["registro-reservado"][0] == "active"
        assert "public" not in labels["registro-reservado"][1]

    def test_deferred_rows_are_seen_by_the_transaction_and_gone_with_its_rollback(self, office):
        from ckan import logic
        dataset = factories.Dataset(owner_org=office["id"], name="ferias", title="Ferias")
        model.Session.execute(sa.text(f"DELETE FROM {INDEX}"))
        model.Session.commit()
        # what search.rebuild does for each dataset, before its own final commit
        logic.index_update_package({"ignore_auth": True}, dataset["id"], defer_commit=True)
        assert indexed_ids() == set()  # waiting in the session, not written yet
        assert names(search(q="ferias")) == ["ferias"]  # a search of the transaction sees it
        model.Session.rollback()
        assert search(q="ferias")["count"] == 0 and indexed_ids() == set()
        logic.index_update_package({"ignore_auth": True}, dataset["id"], defer_commit=True)
        model.Session.rollback()  # never written: nothing waits for the next commit
        model.Session.commit()
        assert indexed_ids() == set()
        logic.index_update_package({"ignore_auth": True}, dataset["id"], defer_commit=True)
        model.Session.commit()  # written just before the commit
        assert indexed_ids() == {dataset["id"]}


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
class TestSpanishSearch:
    @pytest.fixture(autouse=True)
    def catalogue(self, clean_db, clean_index, with_plugins, office):
        factories.Dataset(owner_org=office["id"], name="educacion-vial",
                          title="Educación vial en colegios", tags=[{"name": "educación"}])
        factories.Dataset(owner_org=office["id"], name="paraderos",
                          title="Paraderos del transporte público")
        factories.Dataset(owner_org=office["id"], name="parque-zonal",
                          title="Parque zonal Huáscar", notes="Horarios del parque")

    @pytest.mark.parametrize("query", ["educacion", "Educación", "EDUCACIÓN", "educación"])
    def test_accents_and_case_do_not_matter(self, query):
        assert names(search(q=query)) == ["educacion-vial"]

    def test_plural_finds_singular(self):
        assert names(search(q="parques")) == ["parque-zonal"]

    def test_two_words_without_accents(self):
        assert names(search(q="transporte publico")) == ["paraderos"]

    def test_prefix_wildcard(self):
        assert names(search(q="title:educa*")) == ["educacion-vial"]


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
def test_facet_counts(office):
    other = factories.Organization(name="gerencia-de-desarrollo-urbano")
    factories.Dataset(owner_org=office["id"], tags=[{"name": "buses"}, {"name": "rutas"}])
    factories.Dataset(owner_org=office["id"], tags=[{"name": "buses"}])
    factories.Dataset(owner_org=other["id"], tags=[{"name": "rutas"}])
    result = search(q="*:*", **{"facet.field": '["organization", "tags"]'})
    facets = {
        name: {item["name"]: item["count"] for item in facet["items"]}
        for name, facet in result["search_facets"].items()
    }
    assert facets["organization"] == {"gerencia-de-transporte-urbano": 2,
                                      "gerencia-de-desarrollo-urbano": 1}
    assert facets["tags"] == {"buses": 2, "rutas": 2}
    filtered = search(fq="tags:rutas", **{"facet.field": '["organization"]'})
    assert filtered["count"] == 2
    assert {i["name"]: i["count"] for i in filtered["search_facets"]["organization"]["items"]} == {
        "gerencia-de-transporte-urbano": 1, "gerencia-de-desarrollo-urbano": 1}


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
class TestPrivacy:
    def test_private_dataset_invisible_to_anonymous_search(self, app, office):
        member = factories.User()
        helpers.call_action("organization_member_create", id=office["id"],
                            username=member["name"], role="editor")
        factories.Dataset(owner_org=office["id"], name="presupuesto-reservado",
                          title="Presupuesto reservado", private=True)
        factories.Dataset(owner_org=office["id"], name="presupuesto-publico",
                          title="Presupuesto público")

        anonymous = app.get("/api/3/action/package_search",
                            query_string={"q": "presupuesto", "include_private": "true"}).json
        assert [d["name"] for d in anonymous["result"]["results"]] == ["presupuesto-publico"]
        page = app.get("/dataset/", query_string={"q": "presupuesto"})
        assert "presupuesto-reservado" not in page.body
        assert "presupuesto-publico" in page.body

        as_member = search(context={"user": member["name"], "ignore_auth": False},
                           q="presupuesto", include_private=True)
        assert names(as_member) == ["presupuesto-publico", "presupuesto-reservado"]


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
class TestBadInput:
    @pytest.mark.parametrize("params", [
        {"q": "title:(educación"},
        {"q": 'title:"sin cerrar'},
        {"q": "title:"},
        {"q": "title:a AND"},
        {"fq": "tags:[a TO"},
        {"q": "metadata_modified:[NOW-1PARSEC TO *]"},
        {"q": "metadata_modified:abc"},
    ])
    def test_malformed_syntax_is_a_409_not_a_500(self, app, params):
        response = app.get("/api/3/action/package_search", query_string=params, status=409)
        assert response.json["success"] is False
        assert response.json["error"]["__type"] == "Search Error"

    def test_unknown_sort_order_is_a_400(self, app):
        response = app.get("/api/3/action/package_search",
                           query_string={"sort": "title_string sideways"}, status=400)
        assert response.json["error"]["__type"] == "Search Query Error"

    def test_free_text_with_stray_symbols_still_answers(self, app, office):
        factories.Dataset(owner_org=office["id"], name="educacion-vial", title="Educación vial")
        response = app.get("/api/3/action/package_search",
                           query_string={"q": 'educación ( "'}).json
        assert [d["name"] for d in response["result"]["results"]] == ["educacion-vial"]

    def test_dataset_page_shows_an_error_not_a_500(self, app):
        page = app.get("/dataset/", query_string={"q": "title:(roto"}, status=200)
        assert "error" in page.body.lower()

    def test_injection_attempt_is_only_data(self, office):
        factories.Dataset(owner_org=office["id"], name="seguro", title="Seguro")
        result = search(fq="name:\"x'; DROP TABLE package; --\"")
        assert result["count"] == 0
        assert model.Session.execute(sa.text("SELECT count(*) FROM package")).scalar() == 1
