"""The search index in bundles, the way a 100,000-dataset catalogue is built (#20).

A small synthetic catalogue (no CKAN) with two datasets per bundle stands in for the
large one with a thousand: the same code decides the bundles at any size.
"""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

DATASETS, PER_BUNDLE = 24, 2


def indexed_pages(bundle: Path) -> list[str]:
    """URLs of the pages a Pagefind bundle indexes (read from its fragments)."""
    urls = []
    for fragment in (bundle / "fragment").iterdir():
        data = gzip.decompress(fragment.read_bytes())
        urls.append(json.loads(data[data.index(b"{"):])["url"])
    return urls


def test_every_dataset_is_searchable_in_exactly_one_bundle_and_a_change_reindexes_one(
        tmp_path, monkeypatch):
    from openlima_site.build import build_site
    from openlima_site.synthetic import make_catalogue

    catalogue = make_catalogue(DATASETS)
    out = tmp_path / "dist"
    full = build_site(out, "http://sitio.test", catalogue=catalogue,
                      ckan_url="http://ckan.test", search_shard_size=PER_BUNDLE)

    bundles = sorted(out.glob("pagefind-*"), key=lambda p: int(p.name.rsplit("-", 1)[1]))
    # By a hash of the name: about PER_BUNDLE each (a bundle left empty is not written).
    assert len(bundles) == full.search_bundles_indexed
    assert DATASETS // PER_BUNDLE - 3 <= len(bundles) <= DATASETS // PER_BUNDLE
    assert bundles[-1].name in ("pagefind-10", "pagefind-11")
    pages = {bundle.name: indexed_pages(bundle) for bundle in bundles}
    everywhere = [url for urls in pages.values() for url in urls]
    assert sorted(everywhere) == sorted(f"/conjuntos/{d['name']}.html"
                                        for d in catalogue.datasets)  # each once, none lost
    for bundle in bundles:
        entry = json.loads((bundle / "pagefind-entry.json").read_text())
        assert entry["languages"]["es"]["page_count"] == len(pages[bundle.name])
    # The search page merges them all, the first one first and in numeric order
    # (pagefind-10 after pagefind-9): the first search answers from pagefind-0.
    search_page = (out / "buscar" / "index.html").read_text()
    listed = re.search(r'data-bundles="([^"]*)"', search_page).group(1).split()
    assert listed == [bundle.name for bundle in bundles]

    changed = catalogue.datasets[DATASETS // 2]
    changed["title"] = "Parques zonales renovados"
    changed["metadata_modified"] = "2026-12-31T23:59:59.000000"
    targets = {bundle.name: bundle.resolve() for bundle in bundles}
    report = build_site(out, "http://sitio.test", catalogue=catalogue,
                        ckan_url="http://ckan.test", search_shard_size=PER_BUNDLE)

    assert report.mode == "incremental" and report.search_bundles_indexed == 1
    moved = [b.name for b in out.glob("pagefind-*") if b.resolve() != targets[b.name]]
    holder = next(name for name, urls in pages.items()
                  if f"/conjuntos/{changed['name']}.html" in urls)
    assert moved == [holder]  # only the changed dataset's bundle is a new index

    # The state read back: the two build directories' entries are one object each when
    # equal (the builder's memory at 100,000 datasets), the changed dataset's apart.
    from openlima_site.build import _load_state

    slots = list(_load_state(out.with_name("dist.state.json"))["slots"].values())
    assert len(slots) == 2
    first, second = (slot["datasets"] for slot in slots)
    assert first.keys() == second.keys() and len(first) == DATASETS
    assert [key for key in first if first[key] is not second[key]] == [changed["id"]]

    # New templates (or generator code): every page changes, so every bundle is indexed
    # again, though no dataset changed.
    monkeypatch.setattr("openlima_site.build.generator_fingerprint", lambda: "plantillas-nuevas")
    report = build_site(out, "http://sitio.test", catalogue=catalogue,
                        ckan_url="http://ckan.test", search_shard_size=PER_BUNDLE)
    assert report.mode == "full" and report.search_bundles_indexed == len(bundles)


def test_a_dump_read_back_shares_repeated_values_and_is_what_was_saved(tmp_path):
    from openlima_site.source import load_dump, save_dump
    from openlima_site.synthetic import make_catalogue

    catalogue = make_catalogue(DATASETS)
    save_dump(catalogue, tmp_path / "dump.json")
    loaded = load_dump(tmp_path / "dump.json")

    assert loaded.datasets == json.loads(json.dumps(catalogue.datasets))
    # One string per repeated value (a third of the catalogue's memory at 100,000).
    licences = [d["license_url"] for d in loaded.datasets]
    assert len(set(licences)) < len(licences)
    assert len({id(value) for value in licences}) == len(set(licences))
    formats = [r["format"] for d in loaded.datasets for r in d["resources"]]
    assert len({id(value) for value in formats}) == len(set(formats))
