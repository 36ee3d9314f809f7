"""DCAT-AP 3.0.1 conformance of the catalogue feeds (``make conformance``).

Validates the catalogue (``/catalog.ttl``, every page) and each public dataset's own
RDF against the official SHACL shapes in ``$DCAT_AP_SHACL_DIR`` (default
``../shared/standards``) with pyshacl, and prints one line per graph plus the total
number of violations. Exit status 0 only when there are none.

Two sources for the RDF:

* ``--url http://127.0.0.1:5000`` fetches the feeds from a running portal;
* ``--config config/development.ini`` (or ``$CKAN_INI``) builds them in-process with
  the portal's configured profiles, without a web server.

The shapes files reference a few property shapes they never define; pyshacl aborts on
those, so they are pruned before validating (research/feasibility-deps.md §5.5).
"""
from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import SH

DEFAULT_SHAPES_DIR = "../shared/standards"


@dataclass
class Result:
    name: str
    triples: int
    violations: list[str] = field(default_factory=list)


def shapes_dir() -> Path:
    return Path(os.environ.get("DCAT_AP_SHACL_DIR") or DEFAULT_SHAPES_DIR)


def load_shapes(directory: Path | None = None) -> Graph:
    """Every ``*.ttl`` of the shapes folder merged into one graph, dangling references pruned."""
    directory = directory or shapes_dir()
    files = sorted(Path(directory).glob("*.ttl"))
    if not files:
        raise SystemExit(f"No SHACL shapes (*.ttl) in {directory}: set DCAT_AP_SHACL_DIR")
    shapes = Graph()
    for path in files:
        shapes.parse(path, format="turtle")
    defined = set(shapes.subjects(SH.path, None))
    for subject, target in list(shapes.subject_objects(SH.property)):
        if target not in defined:
            shapes.remove((subject, SH.property, target))
    return shapes


def validate(data: Graph, shapes: Graph, name: str = "graph") -> Result:
    from pyshacl import validate as shacl_validate

    conforms, report, _text = shacl_validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=False
    )
    result = Result(name=name, triples=len(data))
    if not conforms:
        for node in report.subjects(SH.resultSeverity, SH.Violation):
            focus = report.value(node, SH.focusNode)
            path = report.value(node, SH.resultPath)
            message = report.value(node, SH.resultMessage)
            result.violations.append(f"{focus} {path}: {message}")
    return result


def _parse(text: str, fmt: str = "turtle") -> Graph:
    graph = Graph()
    graph.parse(data=text, format=fmt)
    return graph


# -- sources -------------------------------------------------------------------------


def graphs_from_portal(base_url: str):
    """(name, graph) for every catalogue page and every dataset of a running portal."""
    import json

    base_url = base_url.rstrip("/")

    def get(path: str) -> str:
        with urllib.request.urlopen(base_url + path, timeout=60) as response:  # noqa: S310
            return response.read().decode("utf-8")

    page = 1
    while True:
        graph = _parse(get(f"/catalog.ttl?page={page}"))
        yield f"catalog.ttl?page={page}", graph
        names = json.loads(get(f"/api/3/action/package_search?rows=100&start={(page - 1) * 100}&fl=name"))
        rows = names["result"]["results"]
        for row in rows:
            yield f"dataset/{row['name']}.ttl", _parse(get(f"/dataset/{row['name']}.ttl"))
        if len(rows) < 100:
            break
        page += 1


def graphs_in_process(ini: str):
    """The same graphs built by ckanext-dcat inside CKAN, from the configured database."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    with app._wsgi_app.test_request_context():
        yield from graphs_from_ckan()


def graphs_from_ckan(rows: int = 100):
    """(name, graph) from inside a CKAN application context (also used by the tests)."""
    import ckan.plugins.toolkit as tk
    from ckanext.dcat.processors import RDFSerializer

    context = {"ignore_auth": True}
    start = 0
    page = 1
    while True:
        search = tk.get_action("package_search")(
            dict(context), {"q": "*:*", "rows": rows, "start": start, "include_private": False,
                            "sort": "name asc"}
        )
        datasets = search["results"]
        serializer = RDFSerializer()
        serializer.graph_from_catalog({})
        for dataset in datasets:
            serializer.graph_from_dataset(dataset)
        yield f"catalog page {page}", serializer.g
        for dataset in datasets:
            single = RDFSerializer()
            single.graph_from_dataset(dataset)
            yield f"dataset {dataset['name']}", single.g
        start += rows
        page += 1
        if start >= search["count"]:
            break


def run(graphs, shapes: Graph, out=None) -> int:
    out = out or sys.stdout  # looked up now: tests and callers may have replaced it
    total = 0
    count = 0
    for name, graph in graphs:
        result = validate(graph, shapes, name)
        count += 1
        total += len(result.violations)
        print(f"{name}: {len(result.violations)} violations ({result.triples} triples)", file=out)
        for violation in result.violations:
            print(f"    {violation}", file=out)
    print(f"DCAT-AP 3.0.1 SHACL: {count} graphs, {total} violations", file=out)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ckanext.openlima.dcat.conformance",
                                     description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--url", help="base URL of a running portal")
    source.add_argument("--config", help="CKAN ini (default: $CKAN_INI)")
    args = parser.parse_args(argv)

    shapes = load_shapes()
    if args.url:
        graphs = graphs_from_portal(args.url)
    else:
        ini = args.config or os.environ.get("CKAN_INI")
        if not ini:
            parser.error("give --url or --config (or set CKAN_INI)")
        graphs = graphs_in_process(ini)
    try:
        return 1 if run(graphs, shapes) else 0
    except urllib.error.URLError as error:
        print(f"Cannot read the portal at {args.url}: {error.reason} (is it running? `make run`)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
