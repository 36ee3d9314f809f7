"""Spanish relevance, stated as concrete queries against a known catalogue."""
import pytest

from ckan.tests import factories, helpers


def ranked(q, **kwargs):
    result = helpers.call_action("package_search", q=q, **kwargs)
    return [d["name"] for d in result["results"]]


@pytest.fixture
def catalogue(clean_db, clean_index, with_plugins):
    office = factories.Organization(name="gerencia-de-servicios-a-la-ciudad")
    make = lambda name, **kw: factories.Dataset(owner_org=office["id"], name=name, **kw)  # noqa: E731
    # "residuos" only in the description, several times
    make("limpieza-publica", title="Limpieza pública",
         notes="Rutas de recojo de residuos. Residuos sólidos, residuos de mercados y residuos de parques.")
    # "residuos" in the title
    make("residuos-solidos", title="Residuos sólidos por distrito", notes="Toneladas recogidas.")
    # "reciclaje" as a tag only
    make("puntos-limpios", title="Puntos limpios", tags=[{"name": "reciclaje"}],
         notes="Ubicación de contenedores.")
    # "reciclaje" only in a resource name
    make("campanas-ambientales", title="Campañas ambientales", notes="Calendario anual.",
         resources=[{"url": "http://example.com/r.csv", "name": "Reciclaje en colegios"}])
    make("educacion-vial", title="Educación vial", notes="Charlas en colegios.")
    make("parque-zonal", title="Parque zonal Huáscar", notes="Horarios del parque.")
    make("paraderos", title="Paraderos del transporte público", notes="Ubicación de paraderos.")
    return office


@pytest.mark.usefixtures("catalogue")
class TestSpanishRelevance:
    def test_title_match_ranks_above_description_only_match(self):
        assert ranked("residuos") == ["residuos-solidos", "limpieza-publica"]

    def test_tag_match_ranks_above_resource_name_match(self):
        assert ranked("reciclaje") == ["puntos-limpios", "campanas-ambientales"]

    @pytest.mark.parametrize("q", ["educacion", "Educación", "EDUCACIÓN", "educación"])
    def test_accent_and_case_insensitive(self, q):
        assert ranked(q) == ["educacion-vial"]

    def test_stemming_plural_to_singular(self):
        assert ranked("parques") == ["parque-zonal", "limpieza-publica"]

    def test_phrase_without_accents(self):
        assert ranked("transporte publico") == ["paraderos"]
        assert ranked('"transporte publico"') == ["paraderos"]

    def test_two_words_need_both_under_mm(self):
        # CKAN's mm '2<-1 5<80%': with two terms both must match
        assert ranked("colegios ambientales") == ["campanas-ambientales"]

    def test_fielded_query_uses_the_same_analysis(self):
        assert ranked("title:educacion") == ["educacion-vial"]
        assert ranked("notes:colegios") == ["educacion-vial"]
