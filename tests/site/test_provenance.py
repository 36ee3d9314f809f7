"""A harvested dataset's page on the static site says where it comes from, and its
harvest bookkeeping is not listed as metadata."""
from __future__ import annotations

from bs4 import BeautifulSoup

from openlima_site.build import build_site
from openlima_site.source import Catalogue

HARVESTED = {
    "id": "6f0c1d9e-0000-4000-8000-000000000001", "name": "bibliotecas-de-barranco",
    "title": "Bibliotecas de Barranco", "notes": "Bibliotecas municipales.",
    "metadata_created": "2026-11-30T10:00:00", "metadata_modified": "2026-12-01T10:00:00",
    "organization": {"name": "gerencia-de-participacion-vecinal", "title": "Gerencia de Participación Vecinal"},
    "tags": [], "resources": [], "spatial_ubigeo": ["150104"],
    "extras": [{"key": "source_landing_page", "value": "https://datos.barranco.gob.pe/dataset/bibliotecas"},
               {"key": "harvest_source_title", "value": "Portal de datos de Barranco"},
               {"key": "harvest_source_id", "value": "a1"}, {"key": "guid", "value": "https://x/1"}],
}


def test_harvested_dataset_page_shows_its_source(tmp_path):
    build_site(tmp_path / "dist", "https://datos.example.org", catalogue=Catalogue(datasets=[HARVESTED]),
               ckan_url="https://ckan.example.org", state_path=tmp_path / "state", pagefind=False)
    page = (tmp_path / "dist" / "conjuntos" / "bibliotecas-de-barranco.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    label = soup.find("dt", string="Procedencia")
    assert label is not None
    link = label.find_next_sibling("dd").find("a")
    assert link["href"] == "https://datos.barranco.gob.pe/dataset/bibliotecas"
    assert link.get_text() == "Portal de datos de Barranco"
    labels = {dt.get_text() for dt in soup.find_all("dt")}
    assert not labels & {"source_landing_page", "harvest_source_id", "guid", "harvest_source_title"}
