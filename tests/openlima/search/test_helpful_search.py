"""Search that helps people (#18): "did you mean", English labels of controlled values."""
import pytest
import sqlalchemy as sa

import ckan.model as model
from ckan.tests import factories, helpers

VOCABULARY = "openlima_search_vocabulary"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"


def search(**kwargs):
    return helpers.call_action("package_search", **kwargs)


def vocabulary():
    return {row[0] for row in model.Session.execute(sa.text(f"SELECT word FROM {VOCABULARY}"))}


@pytest.fixture
def office(clean_db, clean_index, with_plugins):
    return factories.Organization(name="gerencia-de-educacion-y-deportes",
                                  title="Gerencia de Educación y Deportes")


@pytest.fixture
def catalogue(office):
    factories.Dataset(owner_org=office["id"], name="educacion-vial", title="Educación vial",
                      notes="Charlas en colegios sobre seguridad.")
    factories.Dataset(owner_org=office["id"], name="paraderos",
                      title="Paraderos del transporte público", notes="Ubicación de paraderos.")
    # a private dataset's words must never be offered
    factories.Dataset(owner_org=office["id"], name="huertos-reservados", private=True,
                      title="Zanahorias orgánicas", notes="Cosecha de alcachofas.")
    return office


@pytest.mark.usefixtures("catalogue")
class TestDidYouMean:
    def test_a_misspelt_word_gets_the_catalogues_spelling(self):
        result = search(q="educasion")
        assert result["count"] == 0
        assert result["suggestion"] == "educación"
        assert "educacion-vial" in [d["name"] for d in search(q=result["suggestion"])["results"]]

    def test_only_the_unknown_word_changes(self):
        result = search(q="trasporte público")
        assert result["count"] == 0
        assert result["suggestion"] == "transporte público"

    def test_no_suggestion_when_something_is_found_or_nothing_is_close(self):
        assert "suggestion" not in search(q="educación")
        assert "suggestion" not in search(q="xqzwv")
        assert "suggestion" not in search(q="title:educasion")  # fielded: not typed words

    def test_the_suggestion_keeps_the_filters(self, office):
        other = factories.Organization(name="gerencia-de-transporte")
        factories.Dataset(owner_org=other["id"], name="rutas", title="Rutas de buses")
        assert search(q="educasion", fq=f'organization:"{office["name"]}"')["suggestion"] \
            == "educación"
        # a correction that finds nothing under the same filters is not offered
        assert "suggestion" not in search(q="educasion", fq='organization:"gerencia-de-transporte"')

    def test_a_private_datasets_words_are_never_suggested(self, office, app):
        assert {"educación", "paraderos", "transporte"} <= vocabulary()
        assert not {"zanahorias", "alcachofas", "orgánicas"} & vocabulary()
        assert "suggestion" not in search(q="zanahoria")
        api = app.get("/api/3/action/package_search", query_string={"q": "alcachofa"}).json
        assert api["result"]["count"] == 0 and "suggestion" not in api["result"]
        # not even to a member who can read the dataset: the vocabulary is public words
        member = factories.User()
        helpers.call_action("organization_member_create", id=office["id"],
                            username=member["name"], role="editor")
        as_member = search(context={"user": member["name"], "ignore_auth": False},
                           q="zanahoria", include_private=True)
        assert "suggestion" not in as_member

    def test_a_dataset_made_private_or_deleted_takes_its_words_away(self, office):
        factories.Dataset(owner_org=office["id"], name="murales", title="Murales históricos")
        dataset = factories.Dataset(owner_org=office["id"], name="bibliotecas",
                                    title="Bibliotecas municipales")
        assert search(q="biblioteka").get("suggestion") == "bibliotecas"
        sysadmin = {"user": factories.Sysadmin()["name"]}
        helpers.call_action("package_patch", context=dict(sysadmin), id=dataset["id"],
                            private=True)
        assert "bibliotecas" not in vocabulary()
        assert "suggestion" not in search(q="biblioteka")
        helpers.call_action("package_delete", context=dict(sysadmin), id="murales")
        assert "murales" not in vocabulary() and "históricos" not in vocabulary()
        assert "educación" in vocabulary()  # the other public datasets' words stay


@pytest.mark.usefixtures("catalogue")
class TestDidYouMeanOnThePage:
    def test_spanish_page_offers_the_corrected_search(self, app):
        page = app.get("/dataset/", query_string={"q": "educasion"})
        assert "¿Quiso decir" in page.body
        assert "q=educaci%C3%B3n" in page.body
        assert app.get("/dataset/", query_string={"q": "educación"}).body.count("¿Quiso decir") == 0

    def test_english_page_offers_it_in_english_with_the_filters(self, app, office):
        page = app.get("/en/dataset/", query_string={
            "q": "educasion", "organization": office["name"]})
        assert "Did you mean" in page.body
        assert f"organization={office['name']}" in page.body
        assert "/en/dataset/" in page.body

    def test_the_typed_text_is_escaped(self, app):
        page = app.get("/dataset/", query_string={"q": "educasion <b>vial</b>"})
        assert "<b>vial</b>" not in page.body


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
class TestControlledLabelsInEnglish:
    def test_english_theme_label_finds_the_spanish_dataset(self, office, app):
        factories.Dataset(owner_org=office["id"], name="rutas-de-buses",
                          title="Rutas de buses", notes="Recorridos.",
                          theme=[THEME + "TRAN"])
        factories.Dataset(owner_org=office["id"], name="colegios",
                          title="Colegios", notes="Locales escolares.",
                          theme=[THEME + "EDUC"])
        for q, expected in (("transport", "rutas-de-buses"), ("education", "colegios"),
                            ("Transporte", "rutas-de-buses"), ("sport", "colegios")):
            found = app.get("/api/3/action/package_search", query_string={"q": q}).json
            assert [d["name"] for d in found["result"]["results"]] == [expected], q
        page = app.get("/en/dataset/", query_string={"q": "transport"})
        assert "rutas-de-buses" in page.body and "colegios" not in page.body


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
class TestBooleanOperatorsInFreeText:
    """CKAN asks for dismax, which reads OR as a word and requires every term: people
    mean either (#18). Operators are the uppercase ones of Lucene and search engines."""

    @pytest.fixture(autouse=True)
    def budget(self, office):
        make = lambda name, title: factories.Dataset(  # noqa: E731
            owner_org=office["id"], name=name, title=title, notes="Datos municipales.")
        make("presupuesto-anual", "Presupuesto anual")
        make("ingresos-propios", "Ingresos propios")
        make("presupuesto-e-ingresos", "Presupuesto e ingresos del año")
        make("parques", "Parques zonales")

    def names(self, q):
        return [d["name"] for d in search(q=q)["results"]]

    def test_or_finds_either_and_both_rank_first(self):
        found = self.names("presupuesto OR ingresos")
        assert sorted(found) == ["ingresos-propios", "presupuesto-anual",
                                 "presupuesto-e-ingresos"]
        assert found[0] == "presupuesto-e-ingresos"
        assert sorted(self.names("presupuesto || parques")) == [
            "parques", "presupuesto-anual", "presupuesto-e-ingresos"]

    def test_and_adjacency_not_and_minus_stay_right(self):
        assert self.names("presupuesto ingresos") == ["presupuesto-e-ingresos"]
        assert self.names("presupuesto AND ingresos") == ["presupuesto-e-ingresos"]
        assert self.names("presupuesto NOT ingresos") == ["presupuesto-anual"]
        assert self.names("presupuesto -ingresos") == ["presupuesto-anual"]
        assert self.names("presupuesto AND NOT ingresos") == ["presupuesto-anual"]

    def test_or_binds_tighter_than_the_implicit_and_and_groups_work(self):
        assert self.names("anual presupuesto OR ingresos") == ["presupuesto-anual"]
        assert sorted(self.names("(propios OR anual) AND datos")) == [
            "ingresos-propios", "presupuesto-anual"]

    def test_quoted_phrases_with_operators(self):
        assert sorted(self.names('"ingresos propios" OR parques')) == [
            "ingresos-propios", "parques"]
        assert self.names('"presupuesto anual" OR "parques anuales"') == ["presupuesto-anual"]

    def test_lower_case_or_is_a_word_and_odd_input_still_answers(self, app):
        # "or" in lower case is a word, not an operator: dismax and its mm as before
        assert "presupuesto-anual" not in self.names("presupuesto or ingresos")
        for q in ("presupuesto OR", "OR", "(presupuesto OR ingresos", "presupuesto OR ingr*s",
                  "AND NOT", "presupuesto OR [ingresos", 'presupuesto OR "ingresos'):
            response = app.get("/api/3/action/package_search", query_string={"q": q})
            assert response.status_code == 200, q
        assert sorted(self.names("(presupuesto OR ingresos")) == [
            "ingresos-propios", "presupuesto-anual", "presupuesto-e-ingresos"]
        assert sorted(self.names("presupuesto OR")) == ["presupuesto-anual",
                                                        "presupuesto-e-ingresos"]
