"""One build of the static site: render, index, swap in atomically, remember state.

Layout beside the output path ``OUT`` (``site/dist`` by default):

* ``OUT`` is a symbolic link to the current build directory ``OUT.build-<stamp>``;
  a new build is written to a fresh ``OUT.build-<stamp>`` and the link is replaced
  with one ``rename``, so visitors (nginx) see either the old site or the new one.
* ``OUT.state.json`` records, per dataset, its ``metadata_modified``, a hash of what
  its page shows and its page path; the next build starts from hard links of the
  current one and re-renders only datasets whose hash changed. Any file a build did
  not produce (pages of datasets deleted or made private, stale pagination) is removed.
* ``OUT.lock`` keeps two builds from running at once.

Everything is fetched from CKAN before anything is written, so a CKAN failure leaves
the current site untouched.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .model import SiteModel
from .render import Renderer, generator_fingerprint
from .source import Catalogue, CkanSource

__all__ = ["BuildError", "BuildReport", "SEARCH_SHARD_SIZE", "build_site", "run_pagefind"]

STATE_VERSION = 2
# Datasets per Pagefind bundle. The search page merges the bundles in the browser, and an
# incremental build re-indexes only the bundles whose datasets changed.
SEARCH_SHARD_SIZE = 1000
Progress = Callable[[str, int, int], None]


class BuildError(Exception):
    """The build could not complete; the current site was left as it was."""


@dataclass
class BuildReport:
    mode: str = "full"
    datasets: int = 0
    dataset_pages_rendered: int = 0
    files_written: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    build_dir: str = ""
    search_bundles_indexed: int = 0
    warnings: list[str] = field(default_factory=list)


def _silent(stage: str, done: int, total: int) -> None:
    return None


def run_pagefind(site_dir: Path, output: Path | None = None) -> None:
    """Index the dataset pages with Pagefind's binary from the ``pagefind-bin`` wheel."""
    command = [
        sys.executable, "-m", "pagefind", "--site", str(site_dir),
        "--glob", "conjuntos/**/*.html", "--force-language", "es", "--silent",
    ]
    if output is not None:
        command += ["--output-path", str(output)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"Pagefind no pudo indexar el sitio: {result.stderr.strip()[:500]}")


def _search_shards(datasets: list, shard_size: int) -> dict[str, list]:
    """Datasets per search bundle (``pagefind-<k>``), by a stable hash of their name."""
    count = max(1, math.ceil(len(datasets) / max(1, shard_size)))
    shards: dict[str, list] = {f"pagefind-{k}": [] for k in range(count)}
    for ds in datasets:
        shards[f"pagefind-{zlib.crc32(ds.name.encode()) % count}"].append(ds)
    return {bundle: group for bundle, group in shards.items() if group}


def _shard_key(datasets: list) -> str:
    digest = hashlib.sha1()
    for ds in sorted(datasets, key=lambda d: d.name):
        digest.update(f"{ds.name}:{ds.fingerprint};".encode())
    return digest.hexdigest()


def _index_shard(site: Path, bundle: str, datasets: list, scratch: Path) -> None:
    """Index one bundle: its dataset pages, hard-linked into a scratch site, into site/bundle."""
    try:
        for ds in datasets:
            rel = ds.path + "index.html"
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(site / rel, scratch / rel)
        run_pagefind(scratch, output=site / bundle)
    finally:
        if scratch.exists():
            _discard(scratch)


class _Writer:
    """Writes files into the new build; never modifies a file shared with the old one."""

    def __init__(self, root: Path, incremental: bool):
        self.root = root
        self.incremental = incremental
        self.expected: set[str] = set()
        self.report_written: list[str] = []
        self.unchanged = 0

    def keep(self, rel: str) -> None:
        self.expected.add(rel)

    def write(self, rel: str, data: bytes) -> None:
        self.expected.add(rel)
        target = self.root / rel
        if self.incremental:
            try:
                if target.read_bytes() == data:
                    self.unchanged += 1
                    return
            except FileNotFoundError:
                pass
            # The file may be a hard link shared with the live site: replace, never rewrite.
            target.unlink(missing_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.report_written.append(rel)

    def sweep(self) -> list[str]:
        """Delete every file this build did not produce (outside the Pagefind bundle)."""
        removed = []
        for dirpath, dirnames, filenames in os.walk(self.root, topdown=False):
            rel_dir = os.path.relpath(dirpath, self.root)
            if rel_dir.split(os.sep)[0].startswith("pagefind"):
                continue  # search bundles: managed by the indexing step
            for name in filenames:
                rel = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
                if rel not in self.expected:
                    os.unlink(os.path.join(dirpath, name))
                    removed.append(rel)
            if rel_dir != "." and not os.listdir(dirpath):
                os.rmdir(dirpath)
        return removed


def _load_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if state.get("version") == STATE_VERSION else {}


def _swap(out: Path, new_dir: Path) -> Path | None:
    """Point ``out`` at ``new_dir`` with one rename; return the directory it replaced."""
    previous = out.resolve() if out.is_symlink() else None
    if out.exists() and not out.is_symlink():
        # A plain directory from elsewhere: move it aside, then link.
        previous = out.with_name(f"{out.name}.old-{os.getpid()}")
        os.rename(out, previous)
    link = out.with_name(f"{out.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    os.symlink(new_dir.name, link)
    os.replace(link, out)
    return previous


def _link_tree(source: Path, target: Path, skip: Callable[[str], bool]) -> None:
    """Hard-link copy of a build (fast: no file content is copied)."""
    target.mkdir()
    entries = [e for e in sorted(os.listdir(source)) if not skip(e)]
    if not entries:
        return
    if shutil.which("cp"):
        result = subprocess.run(["cp", "-al", *[str(source / e) for e in entries], str(target)],
                                capture_output=True, text=True)
        if result.returncode == 0:
            return
        for entry in os.listdir(target):
            shutil.rmtree(target / entry, ignore_errors=True)
    for entry in entries:
        if (source / entry).is_dir():
            shutil.copytree(source / entry, target / entry, copy_function=os.link)
        else:
            os.link(source / entry, target / entry)


def _discard(directory: Path) -> None:
    """Remove an old build in the background: it is no longer served, and deleting tens of
    thousands of files can take seconds on slow disks."""
    trash = directory.with_name(directory.name.replace(".build-", ".trash-", 1)
                                if ".build-" in directory.name else directory.name + ".trash")
    try:
        os.rename(directory, trash)
    except OSError:
        trash = directory
    subprocess.Popen(["rm", "-rf", "--", str(trash)], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def build_site(
    out: Path | str,
    site_url: str,
    source: CkanSource | None = None,
    catalogue: Catalogue | None = None,
    ckan_url: str | None = None,
    base: str = "/",
    state_path: Path | str | None = None,
    incremental: bool = True,
    pagefind: bool = True,
    progress: Progress = _silent,
    search_shard_size: int = SEARCH_SHARD_SIZE,
) -> BuildReport:
    """Build the site from ``source`` (a live CKAN) or ``catalogue`` (e.g. a saved dump)."""
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    state_path = Path(state_path) if state_path else out.with_name(out.name + ".state.json")
    report = BuildReport()
    clock = time.perf_counter()

    with open(out.with_name(out.name + ".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise BuildError(f"Ya hay otra construcción del sitio en curso en {out}") from error

        if catalogue is None:
            if source is None:
                raise BuildError("Falta el origen de los datos (CKAN o un volcado)")
            catalogue = source.fetch(progress, include_dcat=False)  # CkanError: nothing written
            report.warnings += source.warnings
            ckan_url = ckan_url or source.url
        report.seconds["fetch"] = round(time.perf_counter() - clock, 3)

        model = SiteModel(catalogue, ckan_url or "")
        renderer = Renderer(model, site_url, base)
        generator = {
            "code": generator_fingerprint(),
            "site_url": renderer.site_url, "base": renderer.base, "ckan_url": model.ckan_url,
            "commitments": renderer.env.globals["has_commitments"],
            "compliance": renderer.env.globals["has_compliance"],
        }
        state = _load_state(state_path) if incremental else {}
        current = out.resolve() if out.is_symlink() else None
        can_reuse = bool(
            state and current and current.is_dir()
            and state.get("generator") == generator and state.get("build") == current.name
        )
        report.mode = "incremental" if can_reuse else "full"
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        new_dir = out.with_name(f"{out.name}.build-{stamp}")

        old = state.get("datasets", {}) if can_reuse else {}
        old_pages = state.get("pages", {}) if can_reuse else {}
        live_ids = {ds.id for ds in model.datasets}
        datasets_changed = not can_reuse or any(
            old.get(ds.id, {}).get("hash") != ds.fingerprint for ds in model.datasets
        ) or any(old_id not in live_ids for old_id in old)
        # Search bundles depend on their dataset pages only: reuse those that did not change.
        shards = _search_shards(model.datasets, search_shard_size) \
            if pagefind and model.datasets else {}
        shard_keys = {bundle: _shard_key(group) for bundle, group in shards.items()}
        old_keys = state.get("search", {}) if can_reuse else {}
        reused = {b for b, key in shard_keys.items()
                  if old_keys.get(b) == key and current and (current / b).is_dir()}
        renderer.search_bundles = sorted(shard_keys, key=lambda b: int(b.rsplit("-", 1)[1]))

        # DCAT copies: fetched (before anything is written) unless no dataset changed.
        kept_dcat: list[str] = []
        if source is not None:
            previous_dcat = state.get("dcat", []) if can_reuse else []
            if not datasets_changed and previous_dcat and all(
                    (current / name).is_file() for name in previous_dcat):
                kept_dcat = previous_dcat
            else:
                catalogue.dcat = source.fetch_dcat()
                progress("dcat", 1, 1)

        try:
            clock = time.perf_counter()
            if can_reuse:
                _link_tree(current, new_dir,
                           skip=lambda name: name.startswith("pagefind") and name not in reused)
            else:
                new_dir.mkdir()
            writer = _Writer(new_dir, incremental=can_reuse)
            datasets_state, pages_state = {}, {}
            total = len(model.datasets)
            for index, ds in enumerate(model.datasets, 1):
                rel = ds.path + "index.html"
                before = old.get(ds.id)
                if before and before["hash"] == ds.fingerprint and before["path"] == rel \
                        and (new_dir / rel).is_file():
                    writer.keep(rel)
                else:
                    writer.write(*renderer.dataset_page(ds))
                    report.dataset_pages_rendered += 1
                datasets_state[ds.id] = {
                    "name": ds.name, "metadata_modified": ds.modified,
                    "hash": ds.fingerprint, "path": rel,
                }
                if index % 200 == 0 or index == total:
                    progress("render", index, total)
            for rel in kept_dcat:
                writer.keep(rel)
            for rel, key, make in renderer.other_pages():
                if key is not None:
                    pages_state[rel] = key
                    if old_pages.get(rel) == key and (new_dir / rel).is_file():
                        writer.keep(rel)
                        continue
                writer.write(rel, make())
            writer.write(*renderer.sitemap(sorted(writer.expected)))
            report.removed = writer.sweep()
            report.seconds["render"] = round(time.perf_counter() - clock, 3)

            clock = time.perf_counter()
            stale = [b for b in renderer.search_bundles if b not in reused]
            if stale:
                with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
                    jobs = [pool.submit(_index_shard, new_dir, bundle, shards[bundle],
                                        out.with_name(f"{out.name}.scratch-{stamp}-{bundle}"))
                            for bundle in stale]
                    for job in jobs:
                        job.result()
                progress("index", 1, 1)
            report.seconds["pagefind"] = round(time.perf_counter() - clock, 3)
            report.search_bundles_indexed = len(stale)

            previous = _swap(out, new_dir)
        except BaseException:
            shutil.rmtree(new_dir, ignore_errors=True)
            raise

        new_state = {
            "version": STATE_VERSION, "build": new_dir.name, "generator": generator,
            "built_at": stamp, "datasets": datasets_state, "pages": pages_state,
            "dcat": kept_dcat or sorted(catalogue.dcat), "search": shard_keys,
        }
        tmp_state = state_path.with_name(state_path.name + ".tmp")
        tmp_state.write_text(json.dumps(new_state, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp_state, state_path)

        # Old builds are no longer served: remove them (and leftovers of killed builds).
        for pattern in (f"{out.name}.build-*", f"{out.name}.scratch-*"):
            for stale in out.parent.glob(pattern):
                if stale != new_dir and stale.is_dir():
                    _discard(stale)
        if previous and previous != new_dir and previous.exists():
            _discard(previous)

    report.datasets = len(model.datasets)
    report.files_written = len(writer.report_written)
    report.files_unchanged = writer.unchanged
    report.files_removed = len(report.removed)
    report.changed = sorted(writer.report_written)
    report.build_dir = str(new_dir)
    return report
