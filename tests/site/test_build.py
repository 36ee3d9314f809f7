"""Building the site from a real CKAN: pages, privacy, links, sitemap, feed, DCAT copies."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan
from ckan.tests import helpers

pytestmark = pytest.mark.usefixtures("with_plugins")


def html_files(root: Path):
    return sorted(p for p in root.rglob("*.html") if not p.relative_to(root).parts[0].startswith("pagefind"))


def broken_links(out: Path) -> int:
    """Check every internal link, asset and fragment of the site; return how many."""
    out = out.resolve()
    checked = 0
    for page in html_files(out):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        ids = {tag["id"] for tag in soup.find_all(id=True)}
        for tag in soup.find_all(["a", "link", "script", "img"]):
            ref = tag.get("href") or tag.get("src")
            if not ref or ref.startswith(("http://", "https://", "mailto:")):
                continue
            parts = urlsplit(ref)
            if not parts.path:
                assert parts.fragment in ids, f"{page}: #{parts.fragment} has no target"
                continue
            target = out / unquote(parts.path).lstrip("/") if parts.path.startswith("/") \
                else (page.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/"):
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(out)} links to missing {ref}"
            checked += 1
    return checked


SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"


def test_dataset_page_shows_metadata_resources_and_json_ld(built_site):
    out = built_site["out"]
    for path in out.rglob("*"):
        if path.is_file():
            assert b"Zorzal" not in path.read_bytes(), f"the private dataset leaked into {path}"
    ds = built_site["accented"]
    page = built_site["out"] / "conjuntos" / f"{ds['name']}.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    assert soup.html["lang"] == "es"
    assert soup.h1.get_text(strip=True) == ds["title"]
    assert "Gerencia de Educación y Deportes" in soup.get_text()
    assert "Miraflores" in soup.get_text() and "San Juan de Lurigancho" in soup.get_text()
    download = soup.select_one("a.download")
    resource = ds["resources"][0]
    ckan = built_site["server"].url
    assert download["href"] == f"{ckan}/dataset/{ds['name']}/resource/{resource['id']}/download"
    # The link really goes through CKAN to the file.
    response = requests.get(download["href"], allow_redirects=False, timeout=10)
    assert response.status_code in (301, 302, 303, 307)
    assert response.headers["Location"] == resource["url"]
    ld = json.loads(soup.find("script", type="application/ld+json").string)
    assert ld["@type"] == "Dataset" and ld["name"] == ds["title"]
    assert ld["distribution"][0]["contentUrl"] == download["href"]
    assert ld["url"] == f"http://sitio.test/conjuntos/{ds['name']}.html"


def test_listing_pages_and_no_broken_internal_links(built_site):
    out = built_site["out"]
    office = (out / "oficinas/gerencia-de-educacion/index.html").read_text(encoding="utf-8")
    assert built_site["accented"]["title"] in office and built_site["parks"]["title"] in office
    assert built_site["transport"]["title"] not in office
    theme = (out / "temas/participacion/index.html").read_text(encoding="utf-8")
    assert built_site["accented"]["title"] in theme
    soci = (out / "temas/soci/index.html").read_text(encoding="utf-8")
    assert built_site["accented"]["title"] in soci
    miraflores = (out / "distritos/150122/index.html").read_text(encoding="utf-8")
    assert "Miraflores" in miraflores and built_site["accented"]["title"] in miraflores
    assert built_site["transport"]["title"] not in miraflores
    assert (out / "404.html").exists() and (out / "buscar/index.html").exists()

    # A crawler over every page: no internal link, asset or fragment points nowhere.
    assert broken_links(out) > 100

    # Compliance pages, when openlima_compliance_summary answers anonymous visitors.
    if (out / "cumplimiento" / "index.html").exists():
        page = BeautifulSoup((out / "cumplimiento/index.html").read_text(encoding="utf-8"),
                             "html.parser")
        ranking = [row.th.get_text(strip=True) for row in page.select("table tbody tr")]
        assert sorted(ranking) == ["Gerencia de Educación y Deportes", "Gerencia de Transporte Urbano"]
        assert "3 conjuntos de datos evaluados" in page.get_text(" ", strip=True)  # not the private one
        office = (out / "oficinas/gerencia-de-educacion/index.html").read_text(encoding="utf-8")
        assert "Conjuntos de datos que cumplen" in office and 'href="/cumplimiento/"' in office


def test_sitemap_feed_and_dcat_copies(built_site):
    out = built_site["out"]
    root = ET.parse(out / "sitemap.xml").getroot()
    assert root.tag == f"{SITEMAP_NS}urlset"
    locs = {}
    for url in root.findall(f"{SITEMAP_NS}url"):
        loc = url.find(f"{SITEMAP_NS}loc").text
        lastmod = url.find(f"{SITEMAP_NS}lastmod")
        locs[loc] = lastmod.text if lastmod is not None else None
    assert len(locs) == len(root.findall(f"{SITEMAP_NS}url"))  # no duplicates
    for loc, lastmod in locs.items():
        assert loc.startswith("http://sitio.test/")
        rel = loc[len("http://sitio.test/"):]
        assert (out / (rel + "index.html" if rel.endswith("/") or not rel else rel)).is_file(), loc
        if lastmod:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", lastmod)
    ds = built_site["accented"]
    assert locs[f"http://sitio.test/conjuntos/{ds['name']}.html"] == ds["metadata_modified"][:10]
    assert "http://sitio.test/" in locs
    assert (out / "robots.txt").read_text().endswith("Sitemap: http://sitio.test/sitemap.xml\n")

    # The Atom feed parses and lists the new and updated datasets.
    feed = ET.parse(built_site["out"] / "feed.atom").getroot()
    assert feed.tag == f"{ATOM_NS}feed"
    entries = feed.findall(f"{ATOM_NS}entry")
    titles = [e.find(f"{ATOM_NS}title").text for e in entries]
    assert sorted(titles) == sorted([built_site["accented"]["title"],
                                     built_site["transport"]["title"],
                                     built_site["parks"]["title"]])
    for entry in entries:
        assert entry.find(f"{ATOM_NS}id").text.startswith("http://sitio.test/conjuntos/")
        updated = entry.find(f"{ATOM_NS}updated").text
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", updated)

    # Copies of CKAN's DCAT catalogue, without the private dataset.
    ttl = (out / "catalog.ttl").read_text(encoding="utf-8")
    assert "dcat:Catalog" in ttl or "Catalog" in ttl
    assert built_site["accented"]["title"] in ttl
    assert "Zorzal" not in ttl
    json.loads((out / "catalog.jsonld").read_text(encoding="utf-8"))



def test_demo_catalogue_builds_one_page_per_public_dataset(ckan_server, tmp_path):
    """The demo catalogue of ``make run`` (36 public datasets, one private, real files)."""
    from openlima_site.build import build_site
    from openlima_site.source import CkanSource

    runner = helpers.CKANCliRunner(env={"CKAN_INI": tk.config["__file__"]})
    loaded = runner.invoke(ckan, ["openlima", "demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    public = helpers.call_action("package_search", {"user": "", "ignore_auth": False},
                                 rows=1000)["results"]
    private = helpers.call_action(
        "package_search", {"ignore_auth": True, "user": helpers.call_action(
            "get_site_user", {"ignore_auth": True})["name"]},
        include_private=True, fq="capacity:private", rows=1000)["results"]
    assert len(public) >= 30 and private

    out = tmp_path / "dist"
    report = build_site(out, "http://sitio.test", source=CkanSource(ckan_server.url))

    pages = {p.stem for p in (out / "conjuntos").glob("*.html") if p.name != "index.html"}
    assert pages == {d["name"] for d in public}
    assert report.datasets == len(public)
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for ds in private:
                assert ds["name"].encode() not in data and ds["id"].encode() not in data, path
    assert broken_links(out) > 30 * len(public)
    # An uploaded file downloads through CKAN from the link on its dataset page.
    dataset, resource = next((d, r) for d in public for r in d["resources"]
                             if r.get("url_type") == "upload")
    soup = BeautifulSoup((out / "conjuntos" / f"{dataset['name']}.html")
                         .read_text(encoding="utf-8"), "html.parser")
    link = soup.select_one(f'a.download[href$="/resource/{resource["id"]}/download"]')
    assert link["href"].startswith(ckan_server.url + "/dataset/")
    response = requests.get(link["href"], timeout=30)
    assert response.status_code == 200 and response.content
