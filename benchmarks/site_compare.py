"""The static site side by side with Hugo and Jekyll, from the same synthetic dump (#20).

One run builds the same N-dataset catalogue (``openlima_site.synthetic``, 10,000 by
default) three ways, each followed by Pagefind over its dataset pages:

* ours: ``build_site`` (render, write, Pagefind per bundle of ~1,000 datasets, swap);
* Hugo (Debian's ``hugo``) with the templates in ``benchmarks/site_compare/hugo/``;
* Jekyll (Debian's ``jekyll``) with the templates in ``benchmarks/site_compare/jekyll/``
  (listings paginated by a small generator plugin, as jekyll-paginate-v2 does).

For Hugo and Jekyll the dump is first exported as one Markdown file per dataset (JSON
front matter, the description as the body), the way such sites keep their content; that
export is not timed. Then a full build and, after one dataset changes (its file rewritten),
a rebuild: ``hugo`` renders everything again, ``jekyll build --incremental`` is given its
best chance, and Pagefind (which has no incremental mode) indexes the whole site again.
The tools run one after the other, and the whole comparison ``--rounds`` times
(interleaved, since the machine's speed drifts); medians are reported with each run's
figures. Ours is also profiled: render-only time in memory vs. the build's stages.

Hugo and Jekyll are installed with apt-get when missing (as the Makefile does for nginx).
Writes ``benchmarks/results/site.json`` (the record issue 20 asks for; benchmarks/site.py writes site_render.json).

Usage: ``python benchmarks/site_compare.py [--datasets N[,N...]] [--rounds R]
[--tools ours,hugo,jekyll] [--jekyll-up-to N]``. ``--datasets 10000,100000`` measures both
sizes in one run (``make bench`` does: Jekyll at 10,000 only, as ``--jekyll-up-to``
says by default).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openlima_site.build import run_pagefind
from openlima_site.model import SiteModel
from openlima_site.render import Renderer
from openlima_site.source import Catalogue, load_dump, save_dump
from openlima_site.synthetic import make_catalogue

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "site_compare"
RESULTS = HERE / "results" / "site.json"
SITE_URL, CKAN_URL = "http://sitio.test", "http://ckan.test"
TOOLS = ("ours", "hugo", "jekyll")


# ---- tools -------------------------------------------------------------------------

def ensure_tools(tools: list[str]) -> dict[str, str]:
    """Debian's hugo and jekyll, installed when missing; their versions."""
    wanted = {"hugo": "hugo", "jekyll": "jekyll"}
    missing = [pkg for tool, pkg in wanted.items() if tool in tools and not shutil.which(tool)]
    if missing:
        if shutil.which("apt-get") and os.geteuid() == 0:
            print(f"==> Instalando de Debian para la comparación: {' '.join(missing)}", flush=True)
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True,
                           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                           stdout=subprocess.DEVNULL)
        else:
            sys.exit(f"!!  Faltan {' '.join(missing)} (apt-get install {' '.join(missing)})")
    versions = {}
    if "hugo" in tools:
        versions["hugo"] = _output(["hugo", "version"]).split()[1]
    if "jekyll" in tools:
        versions["jekyll"] = _output(["jekyll", "--version"]).split()[-1]
    return versions


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()




# ---- the same catalogue as content files (Hugo and Jekyll) --------------------------

def front_matter(ds) -> dict:
    """One dataset's fields as a Hugo/Jekyll site would keep them in its content file.

    Labels (office title, theme and district names) are resolved here, outside the timed
    build, where ours resolves them while building: a head start for Hugo and Jekyll.
    """
    data = ds.data
    return {
        "title": ds.title, "name": ds.name, "url": f"/{ds.path}", "identifier": ds.id,
        "office": ds.organization, "oficinas": [ds.organization["name"]],
        "themes": [{"slug": s, "label": label} for s, label in ds.themes],
        "temas": [s for s, _ in ds.themes],
        "districts": [{"code": c, "label": label} for c, label in ds.districts],
        "distritos": [c for c, _ in ds.districts],
        "palabras": ds.tags, "formats": ds.formats,
        "resources": [{"id": r["id"], "name": r["name"], "format": r["format"],
                       "description": r["description"]} for r in ds.resources],
        "license_title": ds.license_title, "license_url": ds.license_url,
        "created": ds.created, "modified": ds.modified,
        "contact": data.get("contact") or [], "frequency": data.get("frequency") or "",
        "spatial_coverage": data.get("spatial_coverage") or [],
    }


def dataset_file(ds) -> str:
    # JSON is YAML: the same file serves Hugo and Jekyll.
    return f"---\n{json.dumps(front_matter(ds), ensure_ascii=False)}\n---\n{ds.notes}\n"


def export(model: SiteModel, root: Path, tool: str) -> None:
    """Copy the tool's templates into ``root`` and write its content files."""
    shutil.copytree(TEMPLATES / tool, root)
    if tool == "hugo":
        content = root / "content"
        _write(content / "conjuntos" / "_index.md", _index("Conjuntos de datos"))
        for kind, heading, facets in _facets(model):
            _write(content / kind / "_index.md", _index(heading))
            for facet in facets:
                _write(content / kind / facet.slug / "_index.md",
                       _index(facet.label, facet.description))
        folder = content / "conjuntos"
    else:
        intros = {f.slug: f.description for _, _, facets in _facets(model) for f in facets
                  if f.description}
        _write(root / "_data" / "intros.json", json.dumps(intros, ensure_ascii=False))
        folder = root / "_conjuntos"
    folder.mkdir(parents=True, exist_ok=True)
    for ds in model.datasets:
        (folder / f"{ds.name}.md").write_text(dataset_file(ds), encoding="utf-8")


def _facets(model: SiteModel):
    return [("oficinas", "Oficinas", model.offices.values()),
            ("temas", "Temas", model.themes.values()),
            ("distritos", "Distritos", model.districts.values())]


def _index(title: str, description: str = "") -> str:
    matter = {"title": title, "description": description}
    return f"---\n{json.dumps(matter, ensure_ascii=False)}\n---\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# ---- builds --------------------------------------------------------------------------

def _measured(command: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process; fails loudly."""
    clock = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - clock
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} falló:\n{output.decode()[-3000:]}")
    _measured.output = output.decode()
    return seconds, usage.ru_utime + usage.ru_stime, round(usage.ru_maxrss / 1024)


class _Cpu:
    """CPU seconds (user + system) of this process and of the children it waited for:
    on a shared machine wall time depends on the neighbours, CPU time much less."""

    def __enter__(self):
        self.start = self._now()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = self._now() - self.start

    @staticmethod
    def _now() -> float:
        own, children = (resource.getrusage(who) for who in
                         (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _pagefind(site: Path) -> tuple[float, float]:
    clock = time.perf_counter()
    shutil.rmtree(site / "pagefind", ignore_errors=True)
    with _Cpu() as cpu:
        run_pagefind(site)
    return time.perf_counter() - clock, cpu.seconds


def _other_figures(build: tuple[float, float, int], index: tuple[float, float]) -> dict:
    (seconds, cpu, rss), (index_seconds, index_cpu) = build, index
    return {"build_seconds": round(seconds, 2), "pagefind_seconds": round(index_seconds, 2),
            "total_seconds": round(seconds + index_seconds, 2),
            "build_cpu_seconds": round(cpu, 2), "pagefind_cpu_seconds": round(index_cpu, 2),
            "total_cpu_seconds": round(cpu + index_cpu, 2), "peak_rss_mb": rss}


TOOL_COMMANDS = {
    "hugo": ["hugo", "--quiet", "--destination", "public"],
    # --incremental from the first build: it writes the metadata the rebuild relies on.
    "jekyll": ["jekyll", "build", "--quiet", "--incremental", "--destination", "public"],
}


def build_other(tool: str, root: Path) -> dict:
    """Full build of a Hugo/Jekyll site from nothing, then Pagefind over it."""
    for leftover in ("public", "resources", ".jekyll-cache", ".jekyll-metadata"):
        path = root / leftover
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    build = _measured(TOOL_COMMANDS[tool], root)
    return _other_figures(build, _pagefind(root / "public"))


def rebuild_other(tool: str, root: Path, ds) -> dict:
    """One dataset changed (its content file rewritten): the tool's rebuild, then Pagefind."""
    (root / ("content/conjuntos" if tool == "hugo" else "_conjuntos") / f"{ds.name}.md") \
        .write_text(dataset_file(ds), encoding="utf-8")
    build = _measured(TOOL_COMMANDS[tool], root)
    return _other_figures(build, _pagefind(root / "public"))


def build_ours(out: Path, dump: Path, full: bool) -> dict:
    """``openlima-site build --dump`` as a user runs it (reading the dump is timed too)."""
    command = [str(Path(sys.executable).with_name("openlima-site")), "build", "--dump",
               str(dump), "--out", str(out), "--site-url", SITE_URL, "--ckan-url", CKAN_URL,
               "--quiet", *(["--full"] if full else [])]
    seconds, cpu, rss = _measured(command, out.parent)
    summary = _measured.output
    stages = json.loads(re.search(r"\((\{.*\}) s\)", summary).group(1))
    rendered = int(re.search(r"(\d+) páginas de conjuntos regeneradas", summary).group(1))
    if not full:
        assert "incremental" in summary and rendered == 1, summary
    return {"total_seconds": round(seconds, 2), "total_cpu_seconds": round(cpu, 2),
            "peak_rss_mb": rss, "stages_seconds": stages, "dataset_pages_rendered": rendered}


def change_one(catalogue: Catalogue, round_number: int) -> dict:
    """The same change for every tool: one dataset's title and modification date."""
    changed = catalogue.datasets[len(catalogue.datasets) // 2]
    changed["title"] += f" (corregido {round_number})"
    changed["metadata_modified"] = f"2026-12-{10 + round_number:02d}T23:59:59.000000"
    return changed


def html_pages(site: Path) -> int:
    return sum(1 for _ in site.resolve().rglob("*.html"))


def render_profile(catalogue: Catalogue) -> dict:
    """Ours without the disk: every page rendered in memory (CPU seconds), and which
    functions take the time when rendering dataset pages (cProfile, top by own time)."""
    import cProfile
    import pstats

    renderer = Renderer(SiteModel(catalogue, CKAN_URL), SITE_URL)
    renderer.dataset_page(renderer.model.datasets[0])  # Jinja compiles on first use
    cpu = time.process_time()
    for ds in renderer.model.datasets:
        renderer.dataset_page(ds)
    dataset_cpu = time.process_time() - cpu
    cpu = time.process_time()
    for _rel, _key, make in renderer.other_pages():
        make()
    renderer.sitemap([ds.path for ds in renderer.model.datasets])
    other_cpu = time.process_time() - cpu

    fresh = Renderer(SiteModel(catalogue, CKAN_URL), SITE_URL)
    sample = fresh.model.datasets[:2000]
    profiler = cProfile.Profile()
    profiler.enable()
    for ds in sample:
        fresh.dataset_page(ds)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values()) or 1.0
    by_area: dict[str, float] = {}
    for (filename, _line, _name), row in stats.stats.items():
        area = ("markdown (markdown-it, nh3)" if "markdown_it" in filename or "nh3" in filename
                or filename.endswith("text.py") else
                "jinja2 templates" if "jinja2" in filename or filename.startswith("<template") or
                "templates" in filename else
                "dataset view (model.py)" if filename.endswith("model.py") else
                "json, hashing and other")
        by_area[area] = by_area.get(area, 0.0) + row[2]
    return {
        "dataset_pages_cpu_seconds": round(dataset_cpu, 2),
        "other_pages_cpu_seconds": round(other_cpu, 2),
        "dataset_page_cpu_share_by_area": {k: round(v / total, 2) for k, v in
                                           sorted(by_area.items(), key=lambda kv: -kv[1])},
    }


# ---- what a visitor downloads ---------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
SEARCH_QUERY = "parques"  # one dataset in twelve (a topic of the synthetic catalogue)


def bundle_sizes(site: Path) -> dict:
    """Bytes of every Pagefind bundle of the live site, by kind of file."""
    sizes: dict[str, dict[str, int]] = {}
    for bundle in sorted(site.resolve().glob("pagefind-*")):
        kinds: dict[str, int] = {}
        for path in bundle.resolve().rglob("*"):
            if path.is_file():
                kind = _kind(path.relative_to(bundle.resolve()).as_posix())
                kinds[kind] = kinds.get(kind, 0) + path.stat().st_size
        sizes[bundle.name] = kinds
    totals = [sum(k.values()) for k in sizes.values()]
    return {
        "bundles": len(sizes),
        "bundle_bytes_min_median_max": [min(totals), round(statistics.median(totals)),
                                        max(totals)] if totals else [],
        "all_bundles_bytes": sum(totals),
        "all_bundles_bytes_by_kind": {
            kind: sum(k.get(kind, 0) for k in sizes.values())
            for kind in sorted({kind for k in sizes.values() for kind in k})},
    }


def _kind(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    if name.endswith(".pf_meta"):
        return "meta"
    for prefix, kind in (("index/", "index"), ("filter/", "filter"), ("fragment/", "fragment"),
                         ("wasm.", "wasm"), ("pagefind-entry", "entry"), ("pagefind.", "js"),
                         ("pagefind-worker", "js"),
                         ("pagefind-", "ui")):
        if rel.startswith(prefix) or name.startswith(prefix):
            return kind
    return "other"


def first_search(site: Path, query: str = SEARCH_QUERY) -> dict:
    """Bytes a first-time visitor of /buscar/?q=... downloads until the first result shows
    (headless Debian Chromium, no cache, the site served from this machine)."""
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    transfers: list[tuple[str, int]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            # What had arrived when the first result was put on the page (measured in
            # the page itself: Playwright's polling would see it a little later).
            page.add_init_script("""
                new MutationObserver((changes, observer) => {
                  const list = document.getElementById("resultados");
                  if (!list || !list.firstChild) return;
                  window.firstResultAt = performance.timeOrigin + performance.now();
                  observer.disconnect();
                }).observe(document, { childList: true, subtree: true });
            """)
            def finished(request) -> None:
                timing = request.timing
                transfers.append((request.url, request.sizes()["responseBodySize"],
                                  timing["startTime"] + timing["responseEnd"]))

            page.on("requestfinished", finished)
            url = f"http://127.0.0.1:{server.server_port}"
            clock = time.perf_counter()
            page.goto(f"{url}/buscar/?q={query}")
            page.wait_for_selector("#resultados li", timeout=600_000)
            seconds = time.perf_counter() - clock
            first_at = page.evaluate("window.firstResultAt")
            # Then every bundle merged: the complete answer.
            page.wait_for_function("/encontrado|No se encontraron/.test("
                                   "document.getElementById('estado').textContent)",
                                   timeout=600_000)
            complete_seconds = time.perf_counter() - clock
            page.wait_for_load_state("networkidle")
            status = page.inner_text("#estado")
            listed = page.locator("#resultados li").count()
            everything = [(url, size) for url, size, _ in transfers]
            before_result = [(url, size) for url, size, end in transfers if end <= first_at]
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    by_kind: dict[str, int] = {}
    for address, size in before_result:
        path = address.split("://", 1)[1].split("/", 1)[1].split("?")[0]
        kind = (_kind(path.split("/", 1)[1]) if path.startswith("pagefind-") and "/" in path
                else "page, css and js")
        by_kind[kind] = by_kind.get(kind, 0) + size
    return {
        "query": query,
        "bytes_before_first_result": sum(size for _, size in before_result),
        "requests_before_first_result": len(before_result),
        "bytes_before_first_result_by_kind": by_kind,
        "seconds_to_first_result_local": round(seconds, 2),
        "bytes_until_complete_answer": sum(size for _, size in everything),
        "requests_until_complete_answer": len(everything),
        "seconds_to_complete_answer_local": round(complete_seconds, 2),
        "complete_answer_status": status,
        "complete_answer_results_listed": listed,
    }


# ---- the run -----------------------------------------------------------------------

def ratios(ours: dict, hugo: dict | None, jekyll: dict | None, unit: str) -> dict:
    """The goals' ratios, on wall time (``seconds``) or on CPU time (``cpu_seconds``)."""
    total = f"total_{unit}"
    result = {}
    if hugo:
        result["ours_full_over_hugo_pagefind_full"] = round(
            ours["full"][total] / hugo["full"][total], 2)
        result["ours_incremental_over_hugo_rebuild"] = round(
            ours["incremental"][total] / hugo["incremental"][f"build_{unit}"], 2)
        result["ours_incremental_over_hugo_pagefind_rebuild"] = round(
            ours["incremental"][total] / hugo["incremental"][total], 2)
    if jekyll:
        result["jekyll_pagefind_full_over_ours_full"] = round(
            jekyll["full"][total] / ours["full"][total], 2)
        result["jekyll_pagefind_incremental_over_ours_incremental"] = round(
            jekyll["incremental"][total] / ours["incremental"][total], 2)
    return result


def _median_runs(runs: list[dict]) -> dict:
    """Median of each figure over the rounds, with every round's figures kept."""
    def median(key: str, stage: str) -> float:
        return round(statistics.median(r[stage][key] for r in runs), 2)

    summary: dict = {}
    for stage in ("full", "incremental"):
        first = runs[0][stage]
        summary[stage] = {k: median(k, stage) for k, v in first.items()
                          if isinstance(v, (int, float)) and not isinstance(v, bool)}
        summary[stage]["each_round"] = [r[stage] for r in runs]
    return summary


GOALS = {"ours_full_over_hugo_pagefind_full": "<= 2",
         "jekyll_pagefind_full_over_ours_full": ">= 10",
         "ours_incremental_over_hugo_rebuild": "<= 1.5",
         "ours_peak_rss_mb": "<= 1024",
         "first_search_bytes_before_first_result": "<= 300000"}


def goals_met(result: dict) -> dict:
    """Each goal this size measured: met or not (wall-time ratios)."""
    ratios_ = result["ratios_wall_time"]
    ours = result["tools"].get("ours", {})
    first = (ours.get("search") or {}).get("first_search")
    measured = {
        "ours_full_over_hugo_pagefind_full": ratios_.get("ours_full_over_hugo_pagefind_full"),
        "jekyll_pagefind_full_over_ours_full": ratios_.get(
            "jekyll_pagefind_full_over_ours_full"),
        "ours_incremental_over_hugo_rebuild": ratios_.get("ours_incremental_over_hugo_rebuild"),
        "ours_peak_rss_mb": max((ours[stage]["peak_rss_mb"] for stage in ("full", "incremental")
                                 if stage in ours), default=None),
        "first_search_bytes_before_first_result":
            first.get("bytes_before_first_result") if isinstance(first, dict) else None,
    }
    met = {}
    for goal, value in measured.items():
        if value is None:
            continue
        operator, limit = GOALS[goal].split()
        met[goal] = value <= float(limit) if operator == "<=" else value >= float(limit)
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", default="10000",
                        help="catalogue sizes, comma-separated (10000,100000: one run, "
                             "the sizes one after the other, one entry each in the results)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--jekyll-up-to", type=int, default=10_000,
                        help="build with Jekyll only at sizes up to this many datasets "
                             "(at 100,000 it takes hours)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", type=Path, help="build here and keep the sites")
    args = parser.parse_args()
    try:
        sizes = [int(size) for size in args.datasets.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--datasets: números separados por comas, no {args.datasets!r}")
    tools = [t for t in args.tools.split(",") if t]
    if not sizes or any(size < 1 for size in sizes) or not set(tools) <= set(TOOLS):
        parser.error(f"--datasets > 0 y --tools entre {','.join(TOOLS)}")
    per_size = {size: [t for t in tools if t != "jekyll" or size <= args.jekyll_up_to]
                for size in sizes}
    versions = ensure_tools(sorted({t for chosen in per_size.values() for t in chosen}))
    run = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "sizes": sizes,
           "command": " ".join(["python", "benchmarks/site_compare.py", *sys.argv[1:]])}
    for size in sizes:
        keep = args.keep / str(size) if args.keep and len(sizes) > 1 else args.keep
        result = compare(size, per_size[size], args.rounds, keep, args.out, versions, run)
        if "jekyll" in tools and "jekyll" not in per_size[size]:
            result["skipped"] = {"jekyll": f"más de {args.jekyll_up_to} conjuntos "
                                           "(--jekyll-up-to)"}
        save(args.out, str(size), result)
        print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)


def compare(datasets: int, tools: list[str], rounds: int, keep: Path | None, out_json: Path,
            versions: dict, run: dict) -> dict:
    """One catalogue size: every tool's full build and rebuild, ``rounds`` times."""
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    work = keep or Path(tempfile.mkdtemp(prefix="openlima-site-compare-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"==> {datasets} conjuntos: {', '.join(tools)}", flush=True)

    def progress(runs: dict) -> None:
        """Figures measured so far, saved as the run goes (a run cut short keeps them)."""
        save(out_json, str(datasets), {
            "datasets": datasets, "incomplete": True, "run": run, "runs_so_far": runs,
            "load_average_at_start": load_at_start,
            "load_average_now": [round(x, 2) for x in os.getloadavg()],
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    try:
        dump = work / "dump.json"
        save_dump(make_catalogue(datasets), dump)
        catalogue = load_dump(dump)
        model = SiteModel(catalogue, CKAN_URL)
        export_seconds = {}
        for tool in tools:
            if tool != "ours":
                clock = time.perf_counter()
                shutil.rmtree(work / tool, ignore_errors=True)
                export(model, work / tool, tool)
                export_seconds[tool] = round(time.perf_counter() - clock, 2)
        del model

        runs: dict[str, list[dict]] = {tool: [] for tool in tools}
        pages: dict[str, int] = {}
        search: dict = {}
        for round_number in range(rounds):
            # Rounds interleave the tools: the machine's speed drifts during a run.
            for tool in tools:
                progress(runs)
                print(f"==> ronda {round_number + 1}: {tool} completo", flush=True)
                if tool == "ours":
                    out = work / f"ours-{round_number}" / "dist"
                    out.parent.mkdir()
                    runs[tool].append({"full": build_ours(out, dump, full=True)})
                else:
                    runs[tool].append({"full": build_other(tool, work / tool)})
            changed = change_one(catalogue, round_number)
            save_dump(catalogue, dump)  # not timed: CKAN's answer after the change
            changed_view = SiteModel(
                type(catalogue)(datasets=[changed], organizations=catalogue.organizations,
                                groups=catalogue.groups), CKAN_URL).datasets[0]
            for tool in tools:
                progress(runs)
                print(f"==> ronda {round_number + 1}: {tool} tras un cambio", flush=True)
                if tool == "ours":
                    out = work / f"ours-{round_number}" / "dist"
                    runs[tool][-1]["incremental"] = build_ours(out, dump, full=False)
                    pages[tool] = html_pages(out)
                    if round_number == rounds - 1:
                        print("==> búsqueda: paquetes y primera búsqueda en Chromium",
                              flush=True)
                        search = {"bundle_sizes": bundle_sizes(out), "first_search": (
                            first_search(out) if Path(CHROMIUM).exists() else
                            "sin medir: falta Chromium (make browser-tools)")}
                    elif not keep:
                        shutil.rmtree(out.parent, ignore_errors=True)
                else:
                    runs[tool][-1]["incremental"] = rebuild_other(tool, work / tool,
                                                                 changed_view)
                    pages[tool] = html_pages(work / tool / "public")

        figures = {tool: _median_runs(tool_runs) for tool, tool_runs in runs.items()}
        if "ours" in tools:
            print("==> perfil del render", flush=True)
            figures["ours"]["render_profile"] = render_profile(catalogue)
            figures["ours"]["search"] = search
        result = {
            "datasets": datasets,
            "rounds": rounds,
            "run": run,
            "html_pages": pages,
            "export_seconds_not_timed": export_seconds,
            "tools": figures,
            "ratios_wall_time": ratios(figures.get("ours"), figures.get("hugo"),
                                       figures.get("jekyll"), "seconds")
            if "ours" in figures else {},
            "ratios_cpu_time": ratios(figures.get("ours"), figures.get("hugo"),
                                      figures.get("jekyll"), "cpu_seconds")
            if "ours" in figures else {},
            "goals": GOALS,
            "versions": {**{t: v for t, v in versions.items() if t in tools},
                         "pagefind": _pagefind_version(), "python": platform.python_version()},
            "load_average_at_start": load_at_start,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "measured_at": started,
        }
        result["goals_met"] = goals_met(result)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return result


def _pagefind_version() -> str:
    from openlima_site.build import _pagefind_command

    return _output([*_pagefind_command(), "--version"]).split()[-1]


def save(path: Path, key: str, result: dict) -> None:
    """Results per catalogue size in one file: a run at one size keeps the others."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    saved[key] = result
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
