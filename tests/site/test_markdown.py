"""Descriptions written in Markdown: shown as safe HTML on dataset pages, as plain text in
listings, feeds and meta tags (as CKAN shows them)."""
from __future__ import annotations

from bs4 import BeautifulSoup

from openlima_site.source import Catalogue
from openlima_site.text import markdown_html, plain_text

HOSTILE = (
    "# Fuente\n\n"
    "Registro **anual** de [la Gerencia](https://www.munlima.gob.pe/gerencia) con datos.\n\n"
    "- Cobertura: Lima\n- Frecuencia: *mensual*\n\n"
    "<script>alert('x')</script> <img src=x onerror=alert(1)> "
    "[clic](javascript:alert(1)) ![pixel](https://rastreo.example/p.png)\n\n"
    "| Año | Total |\n|---|---|\n| 2024 | 10 |\n"
)


def test_markdown_becomes_safe_html():
    html = str(markdown_html(HOSTILE))
    soup = BeautifulSoup(html, "html.parser")

    assert soup.find("strong").text == "anual" and soup.find("em").text == "mensual"
    assert [li.text for li in soup.find_all("li")] == ["Cobertura: Lima", "Frecuencia: mensual"]
    link = soup.find("a", href="https://www.munlima.gob.pe/gerencia")
    assert link.text == "la Gerencia" and "noopener" in link["rel"]
    assert soup.find("table").find("td").text == "2024"
    # The description's heading never competes with the page's own h1/h2.
    assert soup.find("h3").text == "Fuente" and not soup.find(["h1", "h2"])
    # Nothing executable, no remote image; the hostile text is shown, not run.
    assert not soup.find(["script", "img", "iframe", "style"])
    assert all(not (a.get("href") or "").startswith("javascript:") for a in soup.find_all("a"))
    assert not any(attr.startswith("on") for tag in soup.find_all(True) for attr in tag.attrs)
    assert "alert('x')" in soup.text


def test_plain_text_keeps_the_words_and_drops_the_syntax():
    text = plain_text(HOSTILE)

    assert text.startswith("Fuente Registro anual de la Gerencia con datos. Cobertura: Lima")
    for syntax in ("**", "](", "# ", "<script", "|---", "- Cobertura"):
        assert syntax not in text
    assert plain_text("Texto sin formato,\nen dos líneas.") == "Texto sin formato, en dos líneas."
    assert str(markdown_html("Uno & dos\n\nTres")).strip() == "<p>Uno &amp; dos</p>\n<p>Tres</p>"
    assert plain_text(None) == "" and str(markdown_html("")) == ""


def test_dataset_pages_render_markdown_and_listings_show_plain_text(tmp_path):
    from openlima_site.build import build_site

    dataset = {
        "id": "ds-1", "name": "licencias-de-funcionamiento", "title": "Licencias de funcionamiento",
        "notes": HOSTILE, "metadata_modified": "2026-03-01T10:00:00",
        "organization": {"name": "gerencia-de-desarrollo-economico",
                         "title": "Gerencia de Desarrollo Económico"},
        "resources": [{"id": "r-1", "name": "Licencias 2024", "format": "CSV",
                       "url": "https://datos.example.org/licencias.csv",
                       "description": "Columnas en *minúsculas*; ver [guía](https://ejemplo.pe)."}],
    }
    catalogue = Catalogue(datasets=[dataset], organizations=[], groups=[])

    build_site(tmp_path / "dist", "http://sitio.test", catalogue=catalogue,
               ckan_url="http://ckan.test", pagefind=False)

    out = tmp_path / "dist"
    raw = (out / "conjuntos/licencias-de-funcionamiento.html").read_text()
    page = BeautifulSoup(raw, "html.parser")
    notes = page.find(class_="notes")
    assert notes.find("strong").text == "anual" and notes.find("table")
    # The hostile markup is text everywhere: in the notes and in the JSON-LD (escaped).
    assert "<script>alert" not in raw and "<img" not in raw and "&lt;img src=x" in raw
    assert [s.get("type") for s in page.find_all("script")] == ["application/ld+json"]
    assert page.find(class_="description").find("em").text == "minúsculas"
    assert page.find("meta", attrs={"name": "description"})["content"].startswith(
        "Fuente Registro anual de la Gerencia")
    listing = (out / "conjuntos/index.html").read_text()
    assert "Registro anual de la Gerencia" in listing and "**" not in listing
    feed = (out / "feed.atom").read_text()
    assert "Registro anual de la Gerencia" in feed and "**" not in feed
