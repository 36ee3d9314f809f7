"""Static site benchmark: 10,000 synthetic datasets from a saved dump, no CKAN in the loop.

Measures, on this machine:
* render throughput on one core (every page rendered in memory, nothing written; one in
  three descriptions is Markdown);
* a full build (render + write + Pagefind index + atomic swap + the standby build
  directory prepared as hard links for the next incremental build);
* an incremental rebuild after changing one dataset;
* peak memory of the builder and of Pagefind.

Writes ``benchmarks/results/site_render.json``. Usage: ``python benchmarks/site.py [--datasets N]``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from openlima_site.build import build_site
from openlima_site.model import SiteModel
from openlima_site.render import Renderer
from openlima_site.source import load_dump, save_dump
from openlima_site.synthetic import make_catalogue

RESULTS = Path(__file__).parent / "results" / "site_render.json"
RENDER_RUNS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None

    load_at_start = [round(x, 2) for x in os.getloadavg()]
    work = Path(tempfile.mkdtemp(prefix="openlima-site-bench-"))
    try:
        dump = work / "dump.json"
        save_dump(make_catalogue(args.datasets), dump)
        catalogue = load_dump(dump)

        if cores:
            os.sched_setaffinity(0, {min(cores)})  # render throughput on one core
        # Jinja compiles each template on first use: done once before the clock starts.
        warm = Renderer(SiteModel(load_dump(dump), "http://ckan.test"), "http://sitio.test")
        warm.dataset_page(warm.model.datasets[0])
        for _rel, _key, make in warm.other_pages():
            make()
        del warm
        # This machine's speed varies from one run to the next (a shared VM): the median
        # of three renders is reported, with each run's figure.
        runs = []
        for _ in range(RENDER_RUNS):
            clock, cpu = time.perf_counter(), time.process_time()
            renderer = Renderer(SiteModel(catalogue, "http://ckan.test"), "http://sitio.test")
            pages = sum(1 for ds in renderer.model.datasets if renderer.dataset_page(ds))
            pages += sum(1 for rel, _, make in renderer.other_pages()
                         if rel.endswith(".html") and make())
            runs.append((pages, time.perf_counter() - clock, time.process_time() - cpu))
            del renderer
        pages = runs[0][0]
        render_seconds = statistics.median(wall for _, wall, _ in runs)
        render_cpu_seconds = statistics.median(cpu for _, _, cpu in runs)
        if cores:
            os.sched_setaffinity(0, cores)  # builds use the machine (Pagefind is multi-threaded)

        out = work / "dist"
        clock = time.perf_counter()
        full = build_site(out, "http://sitio.test", catalogue=catalogue,
                          ckan_url="http://ckan.test", incremental=False)
        full_seconds = time.perf_counter() - clock

        changed = catalogue.datasets[len(catalogue.datasets) // 2]
        changed["title"] += " (corregido)"
        changed["metadata_modified"] = "2026-12-31T23:59:59.000000"
        clock = time.perf_counter()
        incremental = build_site(out, "http://sitio.test", catalogue=catalogue,
                                 ckan_url="http://ckan.test")
        incremental_seconds = time.perf_counter() - clock
        assert incremental.mode == "incremental" and incremental.dataset_pages_rendered == 1

        html_files = sum(1 for _ in out.resolve().rglob("*.html"))
        result = {
            "datasets": args.datasets,
            "html_pages": html_files,
            "render_pages_per_second_one_core": round(pages / render_seconds),
            "render_seconds": round(render_seconds, 2),
            "render_pages_per_second_each_run": [round(p / wall) for p, wall, _ in runs],
            # CPU time is what the render costs whatever else shares the machine.
            "render_pages_per_cpu_second": round(pages / render_cpu_seconds),
            "full_build_seconds": round(full_seconds, 2),
            "full_build_stages_seconds": full.seconds,
            "incremental_rebuild_seconds": round(incremental_seconds, 2),
            "incremental_stages_seconds": incremental.seconds,
            "incremental_files_written": incremental.files_written,
            "peak_rss_builder_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            # Largest child process: Pagefind, or the builder itself as forked before exec.
            "peak_rss_children_mb": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            "targets": {"render_pages_per_second": 2000, "full_build_seconds": 20,
                        "incremental_rebuild_seconds": 2},
            "load_average_at_start": load_at_start,
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "platform": platform.platform()},
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
