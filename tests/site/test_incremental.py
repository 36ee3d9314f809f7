"""Incremental rebuilds, atomic swap and CKAN failing mid-build."""
from __future__ import annotations

from pathlib import Path

import pytest
from ckan.tests.helpers import call_action
from click.testing import CliRunner

pytestmark = pytest.mark.usefixtures("with_plugins")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the site but the Pagefind bundle (rebuilt as a whole each time)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).parts[0].startswith("pagefind")
    }


def build(out: Path, url: str, **kwargs):
    from openlima_site.build import build_site
    from openlima_site.source import CkanSource

    return build_site(out, "http://sitio.test", source=CkanSource(url, **kwargs.pop("source", {})),
                      **kwargs)


def test_changing_one_dataset_rerenders_only_it_and_listings_that_show_it(built_site):
    out, url = built_site["out"], built_site["server"].url
    first_dir = out.resolve()
    before = snapshot(out)
    parks = built_site["parks"]
    call_action("package_patch", context=dict(built_site["context"]), id=parks["id"],
                title="Parques zonales renovados")

    report = build(out, url)

    assert report.mode == "incremental"
    assert report.dataset_pages_rendered == 1
    after = snapshot(out)
    changed = {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}
    parks_page = f"conjuntos/{parks['name']}.html"
    assert parks_page in changed
    for ds in (built_site["accented"], built_site["transport"]):
        assert f"conjuntos/{ds['name']}.html" not in changed
    for rel in changed:
        # Only files that show the changed dataset (its new title or its new date) may change.
        assert rel.startswith("catalog") or rel == "sitemap.xml" \
            or "Parques zonales renovados".encode() in after[rel], rel
    assert "oficinas/gerencia-de-transporte/index.html" not in changed
    # Swapped atomically: the link now points at the other build directory; the one that
    # was live was not written to during the build (it still shows the old title) and
    # stays as the standby that the next build brings up to date.
    assert out.is_symlink() and out.resolve() != first_dir
    assert sorted(p.name for p in out.parent.glob("dist.build-*")) == ["dist.build-a",
                                                                       "dist.build-b"]
    assert (first_dir / parks_page).read_bytes() == before[parks_page]
    assert "Parques zonales renovados" not in (first_dir / "conjuntos/index.html").read_text()


def test_deleted_and_privatised_datasets_lose_their_pages(built_site):
    out, url = built_site["out"], built_site["server"].url
    transport, accented = built_site["transport"], built_site["accented"]
    call_action("package_delete", context=dict(built_site["context"]), id=transport["id"])
    call_action("package_patch", context=dict(built_site["context"]), id=accented["id"],
                private=True)

    report = build(out, url)

    assert report.mode == "incremental"
    assert not (out / "conjuntos" / f"{transport['name']}.html").exists()
    assert not (out / "conjuntos" / f"{accented['name']}.html").exists()
    assert (out / "conjuntos" / f"{built_site['parks']['name']}.html").is_file()
    # The transport office has no dataset left; nothing anywhere mentions the two datasets.
    for rel, data in snapshot(out).items():
        for gone in (transport["name"], accented["name"], accented["title"]):
            assert gone.encode() not in data, f"{gone} still in {rel}"
    # every district keeps its page (the portal's DCAT URIs lead there), now without them
    assert "0 conjuntos de datos" in (out / "distritos" / "150122" / "index.html").read_text(
        encoding="utf-8")


def test_ckan_stopped_mid_build_leaves_the_previous_site_untouched(built_site):
    from openlima_site.source import CkanError

    out, server = built_site["out"], built_site["server"]
    current = out.resolve()
    before = snapshot(out)
    call_action("package_patch", context=dict(built_site["context"]),
                id=built_site["parks"]["id"], title="Cambio que no llegará")
    fetched = []

    def stop_ckan_after_first_page(stage, done, total):
        fetched.append((stage, done, total))
        if stage == "datasets" and done == 1:
            server.stop()

    with pytest.raises(CkanError, match="No se pudo conectar con CKAN"):
        build(out, server.url, source={"page_size": 1}, progress=stop_ckan_after_first_page)

    assert fetched == [("datasets", 1, 3)]  # it really stopped mid-way through the datasets
    assert out.resolve() == current
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.glob("dist.build-*")) == ["dist.build-a",
                                                                       "dist.build-b"]


def test_cli_builds_and_reports_failures_clearly(ckan_server, tmp_path):
    from openlima_site.cli import main

    out = tmp_path / "dist"
    runner = CliRunner()
    result = runner.invoke(main, ["build", "--source", ckan_server.url, "--out", str(out),
                                  "--site-url", "http://sitio.test"])
    assert result.exit_code == 0, result.output
    assert "0 conjuntos de datos" in result.output
    assert (out / "index.html").is_file()
    before = snapshot(out)
    ckan_server.stop()

    result = runner.invoke(main, ["build", "--source", ckan_server.url, "--out", str(out)])

    assert result.exit_code != 0
    assert "No se pudo conectar con CKAN" in result.output
    assert "no se modificó" in result.output
    assert snapshot(out) == before


def test_rebuild_without_changes_writes_nothing_and_reuses_the_index(built_site):
    out, url = built_site["out"], built_site["server"].url
    entry = out / "pagefind-0" / "pagefind-entry.json"
    inode = entry.stat().st_ino
    before = snapshot(out)

    report = build(out, url)

    assert report.mode == "incremental"
    assert report.dataset_pages_rendered == 0
    assert report.changed == [] and report.removed == []
    assert snapshot(out) == before
    assert (out / "catalog.ttl").is_file()
    assert (out / "pagefind-0" / "pagefind-entry.json").stat().st_ino == inode  # not re-indexed


def test_templates_or_settings_change_forces_a_full_build(built_site):
    from openlima_site.build import build_site
    from openlima_site.source import CkanSource

    report = build_site(built_site["out"], "https://datos.example.gob.pe",
                        source=CkanSource(built_site["server"].url))

    assert report.mode == "full"
    sitemap = (built_site["out"] / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://datos.example.gob.pe/conjuntos/" in sitemap and "sitio.test" not in sitemap


def test_only_the_search_bundle_of_a_changed_dataset_is_reindexed(portal, tmp_path):
    out = tmp_path / "dist"
    first = build(out, portal["server"].url, search_shard_size=1)
    assert first.search_bundles_indexed == 2  # three datasets hashed into two bundles
    inodes = {p.name: (p / "pagefind-entry.json").stat().st_ino for p in out.glob("pagefind-*")}
    call_action("package_patch", context=dict(portal["context"]), id=portal["parks"]["id"],
                title="Parques zonales renovados")

    report = build(out, portal["server"].url, search_shard_size=1)

    assert report.search_bundles_indexed == 1
    after = {p.name: (p / "pagefind-entry.json").stat().st_ino for p in out.glob("pagefind-*")}
    assert sorted(after) == sorted(inodes)
    assert sum(after[name] != inodes[name] for name in after) == 1


def test_dump_then_build_with_ckan_down(portal, tmp_path):
    from openlima_site.cli import main

    runner = CliRunner()
    dump = tmp_path / "catalogo.json"
    result = runner.invoke(main, ["dump", "--source", portal["server"].url, str(dump)])
    assert result.exit_code == 0, result.output
    assert "3 conjuntos de datos guardados" in result.output
    assert b"Zorzal" not in dump.read_bytes()
    portal["server"].stop()

    out = tmp_path / "dist"
    result = runner.invoke(main, ["build", "--dump", str(dump), "--out", str(out), "--quiet",
                                  "--ckan-url", "https://ckan.example.gob.pe"])

    assert result.exit_code == 0, result.output
    page = out / "conjuntos" / f"{portal['accented']['name']}.html"
    assert "https://ckan.example.gob.pe/dataset/" in page.read_text(encoding="utf-8")
    assert (out / "catalog.ttl").is_file()


def _without_dcat(files: dict[str, bytes]) -> dict[str, bytes]:
    """The pages the site renders (the DCAT copies are CKAN's, with fresh blank nodes)."""
    return {rel: data for rel, data in files.items() if not rel.startswith("catalog")}


def _full_build_beside(out: Path, url: str) -> dict[str, bytes]:
    """What a build from nothing gives for the same portal (in a folder of its own)."""
    reference = out.parent / "referencia" / "dist"
    report = build(reference, url, incremental=False)
    assert report.mode == "full"
    return _without_dcat(snapshot(reference))


def test_consecutive_incremental_builds_give_what_a_full_build_gives(built_site):
    out, url, context = built_site["out"], built_site["server"].url, built_site["context"]
    call_action("package_patch", context=dict(context), id=built_site["parks"]["id"],
                title="Parques zonales renovados")
    assert build(out, url).mode == "incremental"
    # The next build writes into the directory that was live two builds ago: it must
    # catch up with both changes, not only the latest one.
    call_action("package_patch", context=dict(context), id=built_site["transport"]["id"],
                notes="Paraderos **autorizados** por la Gerencia de Transporte Urbano.")

    report = build(out, url)

    assert report.mode == "incremental"
    assert report.dataset_pages_rendered == 2  # parks (from the build before) and transport
    assert f"conjuntos/{built_site['transport']['name']}.html" in report.changed
    assert f"conjuntos/{built_site['parks']['name']}.html" not in report.changed
    site = snapshot(out)
    assert "Parques zonales renovados".encode() in site["conjuntos/index.html"]
    assert "Paraderos <strong>autorizados</strong>".encode() in site[
        f"conjuntos/{built_site['transport']['name']}.html"]
    assert "Parques zonales renovados".encode() in site["catalog.ttl"]
    assert _without_dcat(snapshot(out)) == _full_build_beside(out, url)


def test_a_build_failing_while_writing_leaves_the_live_site_and_the_next_one_recovers(
        built_site):
    from openlima_site.build import BuildError

    out, url = built_site["out"], built_site["server"].url
    current, before = out.resolve(), snapshot(out)
    call_action("package_patch", context=dict(built_site["context"]),
                id=built_site["parks"]["id"], title="Parques zonales renovados")
    # The search bundles' folder replaced by a file: the build fails after it has
    # started writing the standby directory.
    store = out.parent / "dist.search"
    store.rename(out.parent / "guardado.search")
    store.write_text("no es una carpeta")

    with pytest.raises(BuildError, match="No se pudo escribir el sitio nuevo"):
        build(out, url)

    assert out.resolve() == current and snapshot(out) == before
    store.unlink()
    (out.parent / "guardado.search").rename(store)

    report = build(out, url)

    assert report.mode == "incremental"
    assert "Parques zonales renovados".encode() in (
        out / f"conjuntos/{built_site['parks']['name']}.html").read_bytes()
    assert _without_dcat(snapshot(out)) == _full_build_beside(out, url)
