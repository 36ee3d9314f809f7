"""One build of the static site: render, index, swap in atomically, remember state.

Layout beside the output path ``OUT`` (``site/dist`` by default):

* ``OUT`` is a symbolic link to one of two build directories, ``OUT.build-a`` and
  ``OUT.build-b`` (double buffering). The live one is never written to: a build brings
  the *other* one up to date and then replaces the link with one ``rename``, so
  visitors (nginx) see either the old site or the new one. The directory that was live
  becomes the standby for the next build.
* ``OUT.state.json`` records, per build directory, each dataset's ``metadata_modified``,
  a hash of what its page shows and its page path, the key of every listing page and
  the list of other files. A build re-renders only what differs from what the directory
  it writes to already holds (the changes of the last two builds, at most), and deletes
  what that directory holds but the new site does not (datasets deleted or made private).
  No file of the live site is copied, so a rebuild costs what changed, not the site's size.
* ``OUT.search/`` holds the Pagefind bundles, each in a directory named after a hash of
  the dataset pages it indexes; a build directory links ``pagefind-<k>`` to its bundle,
  so both build directories share unchanged bundles and only bundles holding a changed
  dataset are indexed again.
* ``OUT.lock`` keeps two builds from running at once.

Everything is fetched from CKAN before anything is written, so a CKAN failure leaves
the current site untouched. A build that fails half-way leaves the live site as it was
and marks the directory it was writing as unknown, to be rebuilt from scratch next time.
"""
from __future__ import annotations

import fcntl
import hashlib
import math
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import msgspec
from openlima_common import clock as lima_clock

from .model import SiteModel
from .render import Renderer, generator_fingerprint
from .source import Catalogue, CkanSource

__all__ = ["BuildError", "BuildReport", "SEARCH_SHARD_SIZE", "build_site", "run_pagefind"]

STATE_VERSION = 4
SLOTS = ("a", "b")
TRASH = ".trash-"  # prefix of directories being deleted in the background
# Datasets per Pagefind bundle. The search page merges the bundles in the browser (each
# one costs the visitor a request and Pagefind's WebAssembly), and an incremental build
# re-indexes only the bundles whose datasets changed.
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
    # Compared with the site that was live before this build.
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    build_dir: str = ""
    search_bundles_indexed: int = 0
    warnings: list[str] = field(default_factory=list)


def _silent(stage: str, done: int, total: int) -> None:
    return None


def _pagefind_command() -> list[str]:
    """Pagefind's binary itself (no Python start-up per bundle), else through its wrapper."""
    try:
        import pagefind_bin

        return [str(pagefind_bin.get_executable())]
    except (ImportError, OSError, RuntimeError):
        return [sys.executable, "-m", "pagefind"]


def run_pagefind(site_dir: Path, output: Path | None = None) -> None:
    """Index the dataset pages with Pagefind's binary from the ``pagefind-bin`` wheel."""
    command = [
        *_pagefind_command(), "--site", str(site_dir),
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


def _shard_key(bundle: str, datasets: list, generator: str) -> str:
    # The generator too: new templates change the pages (and what Pagefind indexes of
    # them) while every dataset stays the same.
    digest = hashlib.sha1(f"{bundle}:{generator}".encode())
    for ds in sorted(datasets, key=lambda d: d.name):
        digest.update(f"{ds.name}:{ds.fingerprint};".encode())
    return f"{bundle}-{digest.hexdigest()[:20]}"


def _index_bundle(pages: Path, datasets: list, store: Path, key: str) -> None:
    """Index one bundle's dataset pages (hard-linked into a scratch site) into ``store/key``."""
    scratch = store / f".scratch-{key}-{os.getpid()}"
    output = store / f".tmp-{key}-{os.getpid()}"
    try:
        for ds in datasets:
            rel = ds.path
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(pages / rel, scratch / rel)
        run_pagefind(scratch, output=output)
        os.replace(output, store / key)
    finally:
        for leftover in (scratch, output):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


class _Writer:
    """Writes files into the build directory being prepared (never the live one).

    Files may be hard links shared with the other build directory (after a full build),
    so a file is replaced, never rewritten in place.
    """

    def __init__(self, root: Path, compare: bool):
        self.root = root
        self.compare = compare
        self.expected: set[str] = set()
        self.written: list[str] = []
        self.unchanged = 0
        # A build from nothing writes thousands of files: a thread writes them (the disk
        # works while the next page renders; file I/O releases the GIL).
        self._queue: queue.Queue | None = None
        self._error: BaseException | None = None
        if not compare:
            self._queue = queue.Queue(maxsize=256)
            self._thread = threading.Thread(target=self._drain, name="site-writer", daemon=True)
            self._thread.start()

    def keep(self, rel: str) -> None:
        self.expected.add(rel)

    def write(self, rel: str, data: bytes) -> None:
        self.expected.add(rel)
        target = self.root / rel
        if self._queue is not None:
            if self._error is not None:
                raise self._error
            self._queue.put((target, data))
        else:
            try:
                if target.read_bytes() == data:
                    self.unchanged += 1
                    return
            except (FileNotFoundError, NotADirectoryError):
                pass
            target.unlink(missing_ok=True)
            _store(target, data)
        self.written.append(rel)

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:
                    _store(*item)
            except BaseException as error:  # reported by flush() in the building thread
                self._error = error
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every file handed over is on disk; raise what writing raised."""
        if self._queue is not None:
            self._queue.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        if self._queue is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def link(self, rel: str, source: Path) -> None:
        """The same file as ``source`` (a file of the live site that did not change)."""
        self.expected.add(rel)
        target = self.root / rel
        try:
            if os.path.samefile(source, target):
                self.unchanged += 1
                return
        except FileNotFoundError:
            pass
        target.unlink(missing_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)
        self.written.append(rel)

    def remove(self, rels: set[str]) -> list[str]:
        """Delete files this build does not produce, and the folders they leave empty."""
        removed = []
        for rel in sorted(rels - self.expected):
            path = self.root / rel
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(rel)
            parent = path.parent
            while parent != self.root:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent
        return removed


def _store(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _load_state(path: Path) -> dict:
    try:
        state = msgspec.json.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError):
        return {}
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        return {}
    # The two build directories list mostly the same datasets: one copy of each equal
    # entry (at 100,000 datasets a slot's entries are a tenth of the builder's memory).
    slots = [slot for slot in (state.get("slots") or {}).values() if isinstance(slot, dict)]
    if len(slots) == 2:
        first, second = (slot.get("datasets") or {} for slot in slots)
        for key, entry in second.items():
            if first.get(key) == entry:
                second[key] = first[key]
    return state


def _save_state(path: Path, state: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(msgspec.json.encode(state))
    os.replace(tmp, path)


def _swap(out: Path, new_dir: Path) -> Path | None:
    """Point ``out`` at ``new_dir`` with one rename; return a plain directory it replaced."""
    moved = None
    if out.exists() and not out.is_symlink():
        # A plain directory from elsewhere: move it aside, then link.
        moved = out.with_name(f"{out.name}.old-{os.getpid()}")
        os.rename(out, moved)
    link = out.with_name(f"{out.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    os.symlink(new_dir.name, link)
    os.replace(link, out)
    return moved


def _clone(source: Path, target: Path) -> bool:
    """Hard-link copy of a build directory (no file content is copied); symlinks kept."""
    if shutil.which("cp"):
        result = subprocess.run(["cp", "-a", "-l", str(source), str(target)],
                                capture_output=True, text=True)
        if result.returncode == 0:
            return True
        shutil.rmtree(target, ignore_errors=True)
    try:
        shutil.copytree(source, target, symlinks=True, copy_function=os.link)
        return True
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        return False


def _discard(directory: Path) -> None:
    """Remove a directory in the background: deleting tens of thousands of files can take
    seconds on slow disks, and nothing serves it any more."""
    trash = directory.with_name(f"{TRASH}{directory.name}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.rename(directory, trash)
    except OSError:
        shutil.rmtree(directory, ignore_errors=True)  # not renamable: delete it now
        return
    subprocess.Popen(["rm", "-rf", "--", str(trash)], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _link_bundles(directory: Path, store: Path, keys: dict[str, str], previous: set[str]) -> None:
    """Point ``directory/pagefind-<k>`` at each bundle's folder in the store."""
    for bundle in previous - set(keys):
        (directory / bundle).unlink(missing_ok=True)
    for bundle, key in keys.items():
        link = directory / bundle
        wanted = os.path.relpath(store / key, directory)
        if link.is_symlink() and os.readlink(link) == wanted:
            continue
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)
        link.unlink(missing_ok=True)
        os.symlink(wanted, link)


def _slot_files(slot: dict) -> set[str]:
    """Every file (not search bundle) a build directory holds, according to the state."""
    files = set(slot.get("files", []))
    files.update(d["path"] for d in slot.get("datasets", {}).values())
    return files


# C901 (39): to become named steps (issue #19 item 2).
def build_site(  # noqa: C901
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
    store = out.with_name(out.name + ".search")
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
            "pagefind": pagefind,
        }

        # Which build directory is live (the link says), which one this build writes.
        slot_dirs = {name: out.with_name(f"{out.name}.build-{name}") for name in SLOTS}
        current = out.resolve() if out.is_symlink() else None
        live_name = next((n for n, d in slot_dirs.items() if current == d), None)
        target_name = "b" if live_name == "a" else "a"
        live_dir, new_dir = slot_dirs.get(live_name or ""), slot_dirs[target_name]
        state = _load_state(state_path) if incremental else {}
        if state.get("live") != live_name:
            state = {}
        slots = state.get("slots", {})

        def usable(name: str | None) -> dict:
            slot = slots.get(name or "", {})
            return slot if (slot.get("complete") and slot.get("generator") == generator
                            and slot_dirs[name].is_dir()) else {}

        live, target = usable(live_name), usable(target_name)
        report.mode = "incremental" if live else "full"

        # DCAT copies: fetched (before anything is written) unless no dataset changed.
        live_datasets = live.get("datasets", {})
        datasets_changed = not live or len(live_datasets) != len(model.datasets) or any(
            live_datasets.get(ds.id, {}).get("hash") != ds.fingerprint for ds in model.datasets)
        kept_dcat: list[str] = []
        if source is not None:
            if not datasets_changed and live.get("dcat") and all(
                    (live_dir / name).is_file() for name in live["dcat"]):
                kept_dcat = live["dcat"]
            else:
                catalogue.dcat = source.fetch_dcat()
                progress("dcat", 1, 1)

        indexing: list[Future] = []
        pool = ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1))
        helper = ThreadPoolExecutor(max_workers=1)
        writer: _Writer | None = None
        cloning: Future | None = None
        next_standby = out.with_name(f"{out.name}.standby-{os.getpid()}")
        try:
            # From here on the target directory is being changed: not trusted until complete.
            slots = {n: s for n, s in slots.items() if n == live_name and live}
            _save_state(state_path, {"version": STATE_VERSION, "live": live_name, "slots": slots})
            if not target:
                if new_dir.exists():
                    _discard(new_dir)
                # Start from hard links of the live site when there is one (after a failed or
                # interrupted build), else from nothing.
                target = dict(live) if live and _clone(live_dir, new_dir) else {}
            new_dir.mkdir(exist_ok=True)

            shards = _search_shards(model.datasets, search_shard_size) \
                if pagefind and model.datasets else {}
            shard_keys = {bundle: _shard_key(bundle, group, generator["code"])
                          for bundle, group in shards.items()}
            renderer.search_bundles = sorted(shard_keys, key=lambda b: int(b.rsplit("-", 1)[1]))

            clock = time.perf_counter()
            writer = _Writer(new_dir, compare=bool(target))
            changed: list[str] = []
            old_datasets = target.get("datasets", {})
            datasets_state, pages_state = {}, {}
            total = len(model.datasets)
            for index, ds in enumerate(model.datasets, 1):
                rel = ds.path
                before = old_datasets.get(ds.id)
                if before and before["hash"] == ds.fingerprint and before["path"] == rel:
                    writer.keep(rel)
                else:
                    writer.write(*renderer.dataset_page(ds))
                    report.dataset_pages_rendered += 1
                if live_datasets.get(ds.id, {}).get("hash") != ds.fingerprint:
                    changed.append(rel)
                datasets_state[ds.id] = {
                    "name": ds.name, "metadata_modified": ds.modified,
                    "hash": ds.fingerprint, "path": rel,
                }
                if index % 200 == 0 or index == total:
                    progress("render", index, total)

            writer.flush()
            # Search bundles are indexed by Pagefind (other processes) while the listings
            # are rendered: they need only the dataset pages. (Starting them during the
            # dataset pages was slower: Pagefind uses both cores and the disk.)
            store.mkdir(exist_ok=True)
            stale = [b for b in renderer.search_bundles
                     if not (store / shard_keys[b] / "pagefind-entry.json").is_file()]
            indexing = [pool.submit(_index_bundle, new_dir, shards[b], store, shard_keys[b])
                        for b in stale]

            old_pages, live_pages = target.get("pages", {}), live.get("pages", {})
            for rel in kept_dcat:
                writer.link(rel, live_dir / rel)
            for rel, key, make in renderer.other_pages():
                if key is not None:
                    pages_state[rel] = key
                    if live_pages.get(rel) != key:
                        changed.append(rel)
                    if old_pages.get(rel) == key:
                        writer.keep(rel)
                        continue
                    writer.write(rel, make())
                    continue
                data = make()
                if not live or _differs(live_dir / rel, data):
                    changed.append(rel)
                writer.write(rel, data)
            sitemap_rel, sitemap = renderer.sitemap(sorted(writer.expected))
            if not live or _differs(live_dir / sitemap_rel, sitemap):
                changed.append(sitemap_rel)
            writer.write(sitemap_rel, sitemap)
            writer.flush()
            writer.remove(_slot_files(target))
            live_files = _slot_files(live)
            report.removed = sorted(live_files - writer.expected)
            report.seconds["render"] = round(time.perf_counter() - clock, 3)

            if report.mode == "full":
                # Prepare the next standby directory as hard links of this build (while
                # Pagefind indexes), so the next build is incremental from the start.
                if next_standby.exists():  # left by a killed build with the same pid
                    shutil.rmtree(next_standby)
                cloning = helper.submit(_clone, new_dir, next_standby)

            clock = time.perf_counter()
            for job in indexing:
                job.result()
            if stale:
                progress("index", 1, 1)
            report.seconds["pagefind"] = round(time.perf_counter() - clock, 3)
            report.search_bundles_indexed = len(stale)
            _link_bundles(new_dir, store, shard_keys, set(target.get("search", {})))
            if cloning is not None:
                clock = time.perf_counter()
                if cloning.result():
                    _link_bundles(next_standby, store, shard_keys, set())
                else:
                    cloning = None
                report.seconds["standby"] = round(time.perf_counter() - clock, 3)

            clock = time.perf_counter()
            moved = _swap(out, new_dir)
        except BaseException as error:
            if writer is not None:
                writer.close()
            for job in indexing:
                job.cancel()
            pool.shutdown(wait=True)
            helper.shutdown(wait=True)
            if next_standby.exists():
                shutil.rmtree(next_standby, ignore_errors=True)
            if isinstance(error, OSError):  # disk full, permissions, a path in the way
                raise BuildError(f"No se pudo escribir el sitio nuevo en {new_dir}: "
                                 f"{error.strerror or error}") from error
            raise
        writer.close()
        pool.shutdown(wait=True)
        helper.shutdown(wait=True)

        slots[target_name] = {
            "complete": True, "generator": generator, "built_at": lima_clock.utcnow().strftime(
                "%Y-%m-%dT%H:%M:%SZ"),
            "datasets": datasets_state, "pages": pages_state,
            "files": sorted(writer.expected - {d["path"] for d in datasets_state.values()}),
            "dcat": kept_dcat or sorted(catalogue.dcat), "search": shard_keys,
        }
        _save_state(state_path, {"version": STATE_VERSION, "live": target_name, "slots": slots})

        if cloning is not None:
            # The directory that was live until the swap is replaced by the prepared one.
            standby = slot_dirs["b" if target_name == "a" else "a"]
            if standby.exists():
                _discard(standby)
            os.rename(next_standby, standby)
            slots[standby.name[-1]] = dict(slots[target_name])
            _save_state(state_path,
                        {"version": STATE_VERSION, "live": target_name, "slots": slots})

        report.seconds["swap"] = round(time.perf_counter() - clock, 3)

        # Leftovers: a plain directory the link replaced, builds of the old layout,
        # interrupted indexing, bundles no build directory uses any more.
        if moved is not None:
            _discard(moved)
        for stale_dir in [*out.parent.glob(f"{out.name}.build-*"),
                          *out.parent.glob(f"{out.name}.standby-*")]:
            if stale_dir not in slot_dirs.values() and stale_dir.is_dir():
                _discard(stale_dir)
        used = {key for slot in slots.values() for key in slot.get("search", {}).values()}
        for bundle_dir in store.iterdir():
            if bundle_dir.name not in used and not bundle_dir.name.startswith(TRASH) \
                    and bundle_dir.is_dir():
                _discard(bundle_dir)

    report.datasets = len(model.datasets)
    report.files_written = len(writer.written)
    report.files_unchanged = writer.unchanged
    report.files_removed = len(report.removed)
    report.changed = sorted(changed)
    report.build_dir = str(new_dir)
    return report


def _differs(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() != data
    except OSError:
        return True
