"""Jinja2 rendering of every page, feed and machine-readable file of the site."""
from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

import jinja2
from markupsafe import Markup, escape
from openlima_common import clock

from ckanext.openlima import ubigeo

from .model import DatasetView, District, Facet, SiteModel, fold, format_date
from .text import markdown_html, plain_text
from .vocab import vocabulary_files

__all__ = ["PER_PAGE", "Renderer", "generator_fingerprint"]

PER_PAGE = 50
HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

_METRIC_LABELS = {
    "consulted": "consultas de conjuntos de datos",
    "views": "consultas de conjuntos de datos",
    "page_views": "consultas de conjuntos de datos",
    "downloads": "descargas de recursos",
    "rating": "valoración media (1 a 5)",
    "rating_average": "valoración media (1 a 5)",
}


def generator_fingerprint() -> str:
    """Changes whenever templates, assets or rendering code change: forces a full build."""
    digest = hashlib.sha256()
    for folder in (TEMPLATES, STATIC):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    for module in ("model.py", "render.py", "text.py", "vocab.py"):
        digest.update((HERE / module).read_bytes())
    digest.update(Path(ubigeo.__file__).read_bytes())  # district names the pages show
    for path in vocabulary_files():  # labels of controlled values and fields
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _rfc3339(value: Any) -> str:
    text = str(value or "")
    if not text:
        return clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    if len(text) == 10:
        return text + "T00:00:00Z"
    text = text.split(".")[0]
    return text if text.endswith("Z") or "+" in text[10:] else text + "Z"


def _pct(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "sin datos"
    text = f"{number:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " %"


def _num(value: Any) -> str:
    """A number the Spanish way: decimal comma, no trailing zeros."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "sin datos" if value is None else str(value)
    text = f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return text.replace(".", ",")


def value_html(value: Any, base: str = "/") -> Markup:
    """Any metadata value as HTML: nested lists and dicts, links, Spanish dates.

    Plain Python rather than a recursive Jinja macro: every dataset page shows a dozen.
    """
    return Markup(_value_html(value, base))


def _value_html(value: Any, base: str = "/") -> str:
    if isinstance(value, District):
        return f'<a href="{escape(base)}distritos/{escape(value.code)}/">{escape(value)}</a>'
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            link = escape(value)
            return f'<a href="{link}">{link}</a>'
        if len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-" and value[:4].isdigit():
            return str(escape(format_date(value)))
        return str(escape(value))
    if isinstance(value, Mapping):
        items = "".join(f"<dt>{escape(k)}</dt><dd>{_value_html(v, base)}</dd>"
                        for k, v in value.items())
        return f'<dl class="nested">{items}</dl>'
    if isinstance(value, Iterable):
        return '<ul class="plain">' + "".join(f"<li>{_value_html(v, base)}</li>" for v in value) \
            + "</ul>"
    return str(escape(value))


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _first(data: dict, *keys: str, default: Any = "") -> Any:
    for key in keys:
        if data.get(key) not in (None, ""):
            return data[key]
    return default


class Renderer:
    """Turns a :class:`SiteModel` into ``(relative path, bytes)`` pairs."""

    def __init__(self, model: SiteModel, site_url: str, base: str = "/",
                 site_title: str = "Open Lima",
                 site_description: str = (
                     "Datos abiertos de la Municipalidad Metropolitana de Lima.")):
        self.model = model
        self.site_url = site_url.rstrip("/")
        self.base = base if base.endswith("/") else base + "/"
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=jinja2.select_autoescape(["html", "xml", "atom"]),
            trim_blocks=False,
            lstrip_blocks=False,
        )
        self.env.filters.update(
            date=format_date, rfc3339=_rfc3339, pct=_pct, num=_num,
            markdown=markdown_html, plain=plain_text)
        extras = model.catalogue.extras
        self.plan, self.commitments = self._commitments(extras)
        self.compliance = extras.get("openlima_compliance_summary")
        metrics = extras.get("openlima_metrics_show")
        self.metrics = self._metrics(metrics)
        public = {ds.name for ds in model.datasets}
        self.most_viewed = [
            d for d in (metrics or {}).get("most_viewed", []) if isinstance(metrics, dict)
            and isinstance(d, dict) and d.get("name") in public and d.get("views")
        ][:5]
        self.env.globals.update(
            value=functools.partial(value_html, base=self.base), base=self.base, site_url=self.site_url, ckan_url=model.ckan_url,
            site_title=site_title, site_description=site_description,
            has_commitments=self.plan is not None or bool(self.commitments),
            has_compliance=self.compliance is not None,
        )
        self.env.globals["portal"] = self.portal_links()
        self._dataset_template = self.env.get_template("dataset.html")
        # Pagefind bundles the search page merges (set by the builder).
        self.search_bundles: list[str] = ["pagefind-0"]

    def portal_links(self) -> list[dict[str, str]]:
        """The parts of the Open Lima portal, linked from every page and the home.

        Addresses are built from the configured CKAN URL; the commitments dashboard is
        the site's own page when the build has the plan, else the portal's."""
        ckan = self.model.ckan_url
        has_plan = self.env.globals["has_commitments"]
        return [
            {"key": "catalogo", "short": "Catálogo", "title": "Catálogo de datos", "href": f"{ckan}/dataset/",
             "text": "Buscar, descargar y consultar por API los datos abiertos de la "
                     "Municipalidad, con su oficina, licencia y distritos."},
            {"key": "compromisos", "short": "Compromisos", "title": "Compromisos de gobierno abierto",
             "href": f"{self.base}compromisos/" if has_plan else f"{ckan}/compromisos/",
             "text": "Seguir el avance del Plan de Acción de Gobierno Abierto: hitos, "
                     "responsables e indicadores."},
            {"key": "denuncias", "short": "Lima Honesta", "title": "Lima Honesta", "href": f"{ckan}/denuncias",
             "text": "Denunciar un acto de corrupción sin dar su nombre y seguir el caso "
                     "con un código."},
            {"key": "participa", "short": "Lima Activa", "title": "Lima Activa", "href": f"{ckan}/participa",
             "text": "Participar en los espacios de la Municipalidad: aportes, sesiones, "
                     "propuestas y priorización."},
            {"key": "servicios", "short": "Servicios", "title": "Servicios municipales", "href": f"{ckan}/servicios",
             "text": "Directorio de servicios: qué ofrece cada oficina, dónde y cómo "
                     "acceder."},
        ]

    # ---- data from the optional actions, whatever their exact shape ----

    @staticmethod
    def _commitments(extras: dict) -> tuple[dict | None, list[dict]]:
        plan = extras.get("openlima_plan_show")
        listed = extras.get("openlima_commitment_list")
        if plan is None and listed is None:
            return None, []
        if isinstance(listed, dict):
            listed = listed.get("results") or listed.get("commitments") or []
        if isinstance(plan, dict) and plan.get("commitments"):
            listed = plan["commitments"]  # the richer form: with indicators
        plan_view = None
        if isinstance(plan, dict):
            period = plan.get("period") or " – ".join(
                format_date(plan[k]) for k in ("period_start", "start", "period_end", "end")
                if plan.get(k)
            )
            plan_view = {
                "title": _first(plan, "title", "name",
                                default="Plan de Acción de Gobierno Abierto"),
                "description": _first(plan, "description", "summary"),
                "progress": _number(_first(plan, "progress", "progress_percent", default=None)),
                "period": period,
                "unreported": plan.get("unreported_milestones") or 0,
                "last_update": _first(plan, "last_update"),
            }
        commitments = []
        for item in listed or []:
            if not isinstance(item, dict):
                continue
            offices = item.get("responsible_offices") or item.get("offices") or []
            if isinstance(offices, str):
                offices = [offices]
            milestones = []
            for m in item.get("milestones") or []:
                if not isinstance(m, dict):
                    continue
                milestones.append({
                    "title": _first(m, "title", "deliverable", "name", "code", default="Hito"),
                    "planned_start": _first(m, "planned_start", "start_planned"),
                    "planned_end": _first(m, "planned_end", "end_planned"),
                    "actual_end": _first(m, "actual_end", "end_actual"),
                    "status": _first(m, "status_label", "status"),
                    "progress": _number(m.get("progress")),
                    "delayed": bool(m.get("delayed")),
                    # late by the plan's rule but nobody has reported on it yet: the
                    # portal says "sin avance registrado", not "retrasado" (issue 13)
                    "unreported": bool(m.get("delayed")) and m.get("progress_recorded") is False,
                    "last_update": _first(m, "last_update"),
                })
            indicators = []
            for ind in item.get("indicators") or []:
                if not isinstance(ind, dict):
                    continue
                current = ind.get("current") if isinstance(ind.get("current"), dict) else {}
                available = current.get("available", current.get("value") is not None)
                indicators.append({
                    "name": _first(ind, "name", "code", default="Indicador"),
                    "unit": _first(ind, "unit"),
                    "baseline": ind.get("baseline"),
                    "target": ind.get("target"),
                    "value": current.get("value") if available else None,
                    "date": current.get("date") if available else None,
                    "source": _first(ind, "source"),
                    # not stated by the plan: labelled as the portal's rule on the page
                    "portal_rule": ind.get("origin") == "portal",
                    "measure": _first(ind, "measure"),
                })
            commitments.append({
                "code": _first(item, "code"),
                "stage": _first(item, "stage"),
                "stage_label": _first(item, "stage_label") if item.get("stage") not in
                (None, "", "approved") else "",
                "indicators": indicators,
                "title": _first(item, "title", "name", default="Compromiso"),
                "status": _first(item, "status_label", "status"),
                "progress": _number(item.get("progress")),
                "objective": _first(item, "objective", "description"),
                "offices": [o.get("title", o.get("name", "")) if isinstance(o, dict) else str(o)
                            for o in offices],
                "milestones": milestones,
            })
        return plan_view or ({"title": "Plan de Acción de Gobierno Abierto", "progress": None}
                             if commitments else None), commitments

    @staticmethod
    def _metrics(result: Any) -> list[tuple[str, Any]]:
        if not isinstance(result, dict):
            return []
        scope = result.get("city") or result.get("totals") or result
        shown, seen = [], set()
        for key, label in _METRIC_LABELS.items():
            value = scope.get(key) if isinstance(scope, dict) else None
            if isinstance(value, (int, float)) and label not in seen:
                seen.add(label)
                shown.append((label, value))
        return shown

    def compliance_view(self) -> dict[str, Any] | None:
        """The summary of ``openlima_compliance_summary`` in the shape the page shows."""
        summary = self.compliance
        if not isinstance(summary, dict) or not isinstance(summary.get("offices"), list):
            return None
        public = {ds.name for ds in self.model.datasets}
        totals = summary.get("totals") if isinstance(summary.get("totals"), dict) else {}
        return {
            "threshold": summary.get("threshold"),
            "generated": summary.get("generated"),
            "totals": totals,
            "most_failed": [c for c in summary.get("most_failed") or [] if isinstance(c, dict)],
            "overdue": [d for d in summary.get("overdue") or []
                        if isinstance(d, dict) and d.get("name") in public],
            "offices": [o for o in summary["offices"] if isinstance(o, dict)],
        }

    def office_compliance(self, office: Facet) -> Any:
        """The compliance summary's entry for one office, if the summary lists offices."""
        if not isinstance(self.compliance, dict):
            return None
        offices = self.compliance.get("offices")
        if isinstance(offices, list):  # openlima_compliance_summary's own shape
            public = {ds.name for ds in self.model.datasets}
            for entry in offices:
                if isinstance(entry, dict) and entry.get("name") == office.slug:
                    overdue = entry.get("overdue")
                    return {**entry, "overdue": [
                        d for d in overdue if isinstance(d, dict) and d.get("name") in public
                    ] if isinstance(overdue, list) else overdue}
            return None
        for value in self.compliance.values():
            entries = list(value.values()) if isinstance(value, dict) else value
            if not isinstance(entries, list):
                continue
            for entry in entries:
                if not isinstance(entry, dict):
                    continue
                keys = (entry.get("name"), entry.get("organization"), entry.get("owner_org"),
                        entry.get("id"))
                if office.slug in keys or office.raw.get("id") in keys:
                    return entry
        return None

    # ---- pages ----

    def page(self, template: str, **context: Any) -> bytes:
        return self.env.get_template(template).render(**context).encode("utf-8")

    def dataset_page(self, ds: DatasetView) -> tuple[str, bytes]:
        html = self._dataset_template.render(ds=ds, canonical=ds.path, compliance=None)
        ds.forget_page()
        return ds.path, html.encode("utf-8")

    def listing(self, prefix: str, heading: str, datasets: list[DatasetView],
                **context: Any) -> Iterator[tuple[str, str, Callable[[], bytes]]]:
        """Paginated list pages, each with a key that changes only when what it shows changes."""
        pages = max(1, math.ceil(len(datasets) / PER_PAGE))
        shared = json.dumps([heading, context.get("intro"), context.get("crumbs"),
                             context.get("compliance"), context.get("participation"),
                             len(datasets)],
                            sort_keys=True, ensure_ascii=False, default=str)
        for page in range(1, pages + 1):
            path = prefix if page == 1 else f"{prefix}pagina/{page}/"
            chunk = datasets[(page - 1) * PER_PAGE: page * PER_PAGE]
            digest = hashlib.sha1(shared.encode("utf-8"))
            digest.update(f"{page}/{pages}".encode())
            for ds in chunk:
                digest.update(ds.fingerprint.encode())

            def make(chunk=chunk, page=page, path=path) -> bytes:
                return self.page(
                    "listing.html", heading=heading, datasets=chunk, total=len(datasets),
                    page=page, pages=pages, prefix=prefix, canonical=path, **context,
                )

            yield path + "index.html", digest.hexdigest(), make

    def participation_by_district(self) -> dict[str, list[dict[str, Any]]]:
        """Lima Activa's spaces with sessions in each district (UBIGEO -> spaces)."""
        extras = self.model.catalogue.extras
        spaces = {s.get("name"): s for s in extras.get("limaactiva_space_list") or []
                  if isinstance(s, dict)}
        by_district: dict[str, dict[str, dict[str, Any]]] = {}
        for session in extras.get("limaactiva_session_list") or []:
            if not isinstance(session, dict) or session.get("space") not in spaces:
                continue
            space = spaces[session["space"]]
            entry = by_district.setdefault(str(session.get("district")), {}).setdefault(
                space["name"], {"title": space.get("title") or space["name"],
                                "href": f"{self.model.ckan_url}/participa/espacio/{space['name']}",
                                "sessions": []})
            entry["sessions"].append({
                "title": session.get("title") or "", "place": session.get("place") or "",
                "date": session.get("starts_at") or "", "closed": bool(session.get("closed")),
                "href": f"{self.model.ckan_url}/participa/sesion/{session.get('id')}"})
        return {code: sorted(spaces_.values(), key=lambda e: fold(e["title"]))
                for code, spaces_ in by_district.items()}

    def facet_pages(self, kind: str, heading: str, intro: str,
                    facets: list[Facet]) -> Iterator[tuple[str, str | None, Callable[[], bytes]]]:
        shown = [f for f in facets if f.datasets or kind in ("oficinas", "distritos")]
        participation = self.participation_by_district() if kind == "distritos" else {}
        yield f"{kind}/index.html", None, lambda: self.page(
            "facets.html", heading=heading, intro=intro, facets=shown, canonical=f"{kind}/")
        for facet in shown:
            datasets = sorted(facet.datasets, key=lambda d: (d.sort_key, d.name))
            compliance = self.office_compliance(facet) if kind == "oficinas" else None
            yield from self.listing(
                facet.path, facet.label, datasets, intro=facet.description,
                crumbs=[(f"{kind}/", heading)], compliance=compliance,
                participation=participation.get(facet.slug),
            )

    def search_filters(self) -> list[tuple[str, str, list[str]]]:
        m = self.model
        return [
            ("oficina", "Oficina",
             sorted({f.label for f in m.offices.values() if f.datasets}, key=fold)),
            ("tema", "Tema", sorted({f.label for f in m.themes.values() if f.datasets}, key=fold)),
            ("formato", "Formato", sorted(m.formats)),
            ("distrito", "Distrito",
             sorted({f.label for f in m.districts.values() if f.datasets}, key=fold)),
        ]

    def other_kinds(self) -> list[dict[str, str]]:
        """What the search page finds beside datasets (Pagefind indexes those): services,
        participation spaces and commitments, each ``kind``, ``title``, ``text`` (the
        words searched) and ``url``; only what the portal shows anybody."""
        extras, ckan = self.model.catalogue.extras, self.model.ckan_url
        records = []
        for service in extras.get("limaactiva_service_list") or []:
            if isinstance(service, dict) and service.get("title"):
                records.append({
                    "kind": "servicio", "title": service["title"],
                    "text": " ".join(str(service.get(k) or "") for k in (
                        "description", "requirements")),
                    "url": f"{ckan}/servicios/?q={quote(service['title'])}"})
        for space in extras.get("limaactiva_space_list") or []:
            if isinstance(space, dict) and space.get("name"):
                records.append({
                    "kind": "espacio", "title": space.get("title") or space["name"],
                    "text": str(space.get("description") or ""),
                    "url": f"{ckan}/participa/espacio/{quote(space['name'])}"})
        for index, commitment in enumerate(self.commitments, start=1):
            records.append({
                "kind": "compromiso",
                "title": " ".join(p for p in (commitment["code"], commitment["title"]) if p),
                "text": str(commitment.get("objective") or ""),
                "url": f"{self.base}compromisos/#c-{index}"})
        return records

    def other_kinds_json(self) -> bytes:
        return json.dumps(self.other_kinds(), ensure_ascii=False).encode("utf-8")

    def other_pages(self) -> Iterator[tuple[str, str | None, Callable[[], bytes]]]:
        """Everything but the dataset pages, as ``(path, key, make)``.

        ``key`` identifies what a listing page shows, so an incremental build can keep
        the previous file when the key is unchanged; ``None`` means always render.
        """
        m = self.model
        themes = [t for t in m.sorted_facets(m.themes) if t.datasets]
        yield "index.html", None, lambda: self.page(
            "home.html", model=m, themes=themes, plan=self.plan, metrics=self.metrics,
            most_viewed=self.most_viewed,
            offices_with_data=sum(1 for f in m.offices.values() if f.datasets), canonical="",
        )
        yield from self.listing("conjuntos/", "Conjuntos de datos", m.datasets)
        yield from self.facet_pages(
            "oficinas", "Oficinas",
            "Gerencias y subgerencias de la Municipalidad que publican datos abiertos.",
            m.sorted_facets(m.offices))
        yield from self.facet_pages(
            "temas", "Temas", "Conjuntos de datos agrupados por tema.", m.sorted_facets(m.themes))
        yield from self.facet_pages(
            "distritos", "Distritos",
            "Conjuntos de datos según los distritos de Lima Metropolitana que cubren.",
            m.sorted_facets(m.districts))
        yield "buscar/otros.json", None, self.other_kinds_json
        yield "buscar/index.html", None, lambda: self.page(
            "search.html", filters=self.search_filters(), bundles=self.search_bundles,
            canonical="buscar/")
        if self.env.globals["has_commitments"]:
            yield "compromisos/index.html", None, lambda: self.page(
                "commitments.html", plan=self.plan, commitments=self.commitments,
                canonical="compromisos/")
        if self.compliance is not None:
            yield "cumplimiento/index.html", None, lambda: self.page(
                "compliance.html", summary=self.compliance, view=self.compliance_view(),
                offices=[f for f in m.sorted_facets(m.offices) if f.datasets],
                canonical="cumplimiento/")
        yield "404.html", None, lambda: self.page("404.html")
        yield "feed.atom", None, lambda: self.page(
            "feed.atom", datasets=m.latest[:50],
            updated=_rfc3339(m.latest[0].modified if m.latest else ""))
        yield "robots.txt", None, lambda: (
            f"User-agent: *\nAllow: /\nSitemap: {self.site_url}/sitemap.xml\n").encode()
        for name, text in sorted(m.catalogue.dcat.items()):
            yield name, None, lambda text=text: text.encode("utf-8")
        for path in sorted(STATIC.iterdir()):
            yield f"assets/{path.name}", None, path.read_bytes

    def sitemap(self, paths: list[str]) -> tuple[str, bytes]:
        """sitemap.xml of every HTML page written, with dataset modification dates.

        Built as plain text: with one line per dataset it is the largest file of the site.
        """
        lastmod = {ds.path: ds.modified[:10] for ds in self.model.datasets}
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for path in sorted(paths):
            if not path.endswith(".html") or path == "404.html":
                continue
            if path.endswith("index.html"):
                path = path[: -len("index.html")]
            loc = xml_escape(f"{self.site_url}/{path}")
            date = lastmod.get(path)  # only dataset pages have a date
            lines.append(f"  <url><loc>{loc}</loc><lastmod>{xml_escape(date)}</lastmod></url>"
                         if date else f"  <url><loc>{loc}</loc></url>")
        lines.append("</urlset>")
        return "sitemap.xml", "\n".join(lines).encode("utf-8")
