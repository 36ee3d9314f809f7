"""Views of the catalogue shaped for the templates: datasets, offices, themes, districts."""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import msgspec
from markupsafe import Markup
from openlima_common import clock

from .text import markdown_html, plain_text
from .vocab import (DISTRICTS, district_codes, district_of_uri, licence_label, schema_fields,
                    theme_label, uri_label)

__all__ = ["DatasetView", "District", "Facet", "SiteModel", "fold", "format_date"]

# Keys of harvested datasets shown as their provenance, or internal to the harvest
_PROVENANCE_KEYS = {"source_landing_page", "harvest_source_title", "harvest_source_id",
                    "harvest_object_id", "guid"}
# Top-level dataset keys shown in their own place on the page, or internal to CKAN.
_SHOWN_ELSEWHERE = _PROVENANCE_KEYS | {
    "id", "name", "title", "notes", "organization", "owner_org", "groups", "tags",
    "resources", "license_id", "license_title", "license_url", "metadata_created",
    "metadata_modified", "private", "state", "type", "num_resources", "num_tags",
    "creator_user_id", "relationships_as_object", "relationships_as_subject",
    "isopen", "extras", "theme", "url",
    # shown as "Distritos" (links to the district pages) and as the data dictionary table
    "spatial_ubigeo", "data_dictionary",
}

FIELD_LABELS = {
    "access_rights": "Derechos de acceso",
    "alternate_identifier": "Identificador alternativo",
    "applicable_legislation": "Legislación aplicable",
    "author": "Autor",
    "author_email": "Correo del autor",
    "conforms_to": "Conforme a",
    "contact": "Punto de contacto",
    "creator": "Creador",
    "dcat_type": "Tipo",
    "documentation": "Documentación",
    "frequency": "Frecuencia de actualización",
    "has_version": "Tiene versión",
    "identifier": "Identificador",
    "is_version_of": "Es versión de",
    "issued": "Fecha de publicación",
    "landing_page": "Página de inicio",
    "language": "Idioma",
    "maintainer": "Responsable",
    "maintainer_email": "Correo del responsable",
    "modified": "Fecha de modificación",
    "provenance": "Procedencia",
    "publisher": "Editor",
    "qualified_attribution": "Atribución",
    "qualified_relation": "Relación",
    "sample": "Muestra",
    "source": "Fuente",
    "spatial_coverage": "Cobertura espacial",
    "spatial_resolution_in_meters": "Resolución espacial (m)",
    "temporal_coverage": "Cobertura temporal",
    "temporal_resolution": "Resolución temporal",
    "version": "Versión",
    "version_notes": "Notas de la versión",
    "was_generated_by": "Generado por",
    "email": "Correo electrónico",
    "name": "Nombre",
    "uri": "URI",
    "url": "URL",
    "type": "Tipo",
    "start": "Inicio",
    "end": "Fin",
    "text": "Texto",
    "identifier_": "Identificador",
    "column": "Columna",
    "description": "Descripción",
    "label": "Etiqueta",
    "data_dictionary": "Diccionario de datos",
    "spatial_ubigeo": "Cobertura geográfica",
}
# Subfields shown first, in this order (a period reads start, then end)
_SUBFIELD_ORDER = ("name", "column", "type", "start", "end", "text", "description",
                   "email", "url", "uri")

# Keys sorted, so equal dicts hash equally whatever order CKAN sent them in.
_CANONICAL_JSON = msgspec.json.Encoder(enc_hook=str, order="sorted").encode
_DISTRICT_KEYS = ("spatial", "district", "distrito", "ubigeo")


def fold(text: str) -> str:
    """Lower-case text without accents, for sorting Spanish names (ñ sorts as n)."""
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().casefold()


@lru_cache(maxsize=4096)
def _fold_label(label: str) -> str:
    return fold(label)


@lru_cache(maxsize=4096)
def _is_spatial_key(key: str) -> bool:
    return any(part in key for part in _DISTRICT_KEYS)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text[:200] + "…" if len(text) > 200 else text


def _preview(preview: Any) -> dict[str, Any] | None:
    """The first-rows table of a resource loaded into the DataStore, ready to print."""
    if not isinstance(preview, dict) or not preview.get("fields"):
        return None
    return {
        "columns": [{"name": f.get("label") or f["id"], "id": f["id"],
                     "description": f.get("description") or ""}
                    for f in preview["fields"]],
        "rows": [[_cell(value) for value in row] for row in preview.get("records") or []],
        "total": preview.get("total"),
    }


def format_date(value: Any) -> str:
    """ISO date or datetime → dd/mm/yyyy, as Spanish pages show dates.

    A date is shown as it is; an instant (CKAN's naive UTC timestamps) as its day in
    Lima, as the portal's pages show it."""
    text = str(value or "")
    try:
        day = clock.local_date(text)
    except (TypeError, ValueError):
        return text
    return day.strftime("%d/%m/%Y") if day else text


def _as_list(value: Any) -> list:
    if value in (None, "", [], {}):
        return []
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return value if isinstance(value, list) else [value]


def _field_label(key: str, field: Any = None) -> str:
    """Spanish label of a field or subfield: the schema's, else ours, else the key."""
    if field is not None and field.label.get("es"):
        # the form's hint for data officers is not for readers: "Tipo (URI ADMS)" -> "Tipo"
        return re.sub(r"\s*\((?:URI|DCAT)[^)]*\)$", "", field.label["es"])
    return FIELD_LABELS.get(key, key.replace("_", " ").capitalize())


def _ordered(items: dict[str, Any], field: Any) -> list[tuple[str, Any]]:
    order = list(field.subfields) if field is not None and field.subfields else []
    order += [k for k in _SUBFIELD_ORDER if k not in order]
    rank = {key: index for index, key in enumerate(order)}
    return sorted(items.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def _metadata_value(value: Any, field: Any = None) -> Any:
    """Scalars as text, lists and dicts kept (the template nests them); empty → None.

    Keys become the schema's Spanish labels (subfields in the schema's order, so a period
    reads start then end), controlled values given as URIs their labels, choice values
    (a column's type) their labels, and the portal's district URIs :class:`District`
    links to the district pages."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        items = []
        for key, item in _ordered(value, field):
            sub = field.subfields.get(key) if field is not None else None
            shown = _metadata_value(item, sub)
            if shown is not None:
                items.append((_field_label(key, sub), shown))
        return dict(items) or None
    if isinstance(value, list):
        items = [v for v in (_metadata_value(v, field) for v in value) if v is not None]
        return items or None
    if not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if field is not None and value in field.choices:
        return field.choices[value]["es"]
    if value.startswith(("http://", "https://")):
        code = district_of_uri(value)
        if code:
            return District(code, DISTRICTS[code])
        return uri_label(value) or value
    return value


class District(str):
    """A district (or the whole city) shown as a link to its page on the site."""

    def __new__(cls, code: str, label: str):
        self = super().__new__(cls, label)
        self.code = code
        return self


def _spatial_coverage(value: Any) -> Any:
    """Spatial coverage without the districts (they are listed as "Distritos")."""
    kept = [place for place in _as_list(value) if not (
        isinstance(place, dict) and district_of_uri(str(place.get("uri") or "")))]
    return kept or None


@dataclass
class Facet:
    """An office, theme, district or format with its datasets."""

    slug: str
    label: str
    kind: str
    description: str = ""
    image_url: str = ""
    datasets: list["DatasetView"] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"{self.kind}/{self.slug}/"


class DatasetView:
    """One public dataset as the templates see it."""

    def __init__(self, data: dict[str, Any], ckan_url: str,
                 theme_aliases: dict[str, tuple[str, str]] | None = None):
        self.data = data
        self.id = data["id"]
        self.name = data["name"]
        self.title = data.get("title") or data["name"]
        self.sort_key = fold(self.title)
        self.notes = data.get("notes") or ""
        # One file per dataset, no folder: creating 10,000 folders is most of the disk
        # time of a full build (and of preparing its standby copy).
        self.path = f"conjuntos/{self.name}.html"
        self.ckan_page = f"{ckan_url}/dataset/{self.name}"
        self.modified = data.get("metadata_modified") or ""
        self.created = data.get("metadata_created") or ""
        org = data.get("organization") or {}
        self.organization = {"name": org.get("name", ""),
                             "title": org.get("title") or org.get("name", "")}
        self.tags = [t.get("display_name") or t.get("name") for t in data.get("tags") or []]
        self.license_title = (licence_label(data.get("license_id"))
                              or data.get("license_title") or data.get("license_id") or "")
        self.license_url = data.get("license_url") or ""
        themes: dict[str, str] = {}
        for group in data.get("groups") or []:
            themes[group["name"]] = group.get("display_name") or group.get("title") or group["name"]
        for uri in _as_list(data.get("theme")):
            slug, label = theme_label(str(uri))
            # An EU theme named like one of the portal's groups is that group ("Medio
            # ambiente" is one theme, counted once, not a group and an EU theme).
            slug, label = (theme_aliases or {}).get(_fold_label(label), (slug, label))
            themes.setdefault(slug, label)
        self.themes = sorted(themes.items(), key=lambda kv: _fold_label(kv[1]))
        spatial = {k: v for k, v in data.items() if _is_spatial_key(k)}
        for extra in data.get("extras") or []:
            if _is_spatial_key(str(extra.get("key", ""))):
                spatial[extra["key"]] = extra.get("value")
        self.districts = [(code, DISTRICTS[code]) for code in district_codes(spatial)]
        self.formats = sorted({(r.get("format") or "").upper()
                               for r in data.get("resources") or [] if r.get("format")})
        # A harvested dataset: the harvest source and the dataset's page at its source
        extras = {str(e.get("key")): e.get("value") for e in data.get("extras") or []}
        source_page = data.get("source_landing_page") or extras.get("source_landing_page")
        source_title = data.get("harvest_source_title") or extras.get("harvest_source_title")
        self.provenance = ({"source": source_title or source_page, "page": source_page}
                           if source_title or source_page else None)

    def forget_page(self) -> None:
        """Drop what only the dataset's own page shows once it is rendered: kept for
        every dataset, it was a third of the builder's memory at 100,000 datasets."""
        for name in ("notes_html", "resources", "metadata"):
            self.__dict__.pop(name, None)

    @cached_property
    def summary(self) -> str:
        """The description as plain text, for listings, feeds and meta tags."""
        return plain_text(self.notes)

    @cached_property
    def notes_html(self) -> Markup:
        """The description (Markdown, as CKAN shows it) as safe HTML."""
        return markdown_html(self.notes)

    @cached_property
    def fingerprint(self) -> str:
        """Hash of everything the dataset's pages show (its dict embeds office and groups)."""
        return hashlib.sha1(_CANONICAL_JSON(self.data)).hexdigest()

    @cached_property
    def resources(self) -> list[dict[str, Any]]:
        resources = []
        for res in self.data.get("resources") or []:
            rid = res.get("id", "")
            resources.append({
                "id": rid,
                "name": res.get("name") or res.get("url", "").rsplit("/", 1)[-1] or "Recurso",
                "description": res.get("description") or "",
                "format": (res.get("format") or "").upper(),
                "url": res.get("url") or "",
                "download": f"{self.ckan_page}/resource/{rid}/download",
                "page": f"{self.ckan_page}/resource/{rid}",
                "size": res.get("size"),
                "modified": res.get("last_modified") or res.get("metadata_modified") or "",
                "mimetype": res.get("mimetype") or res.get("media_type") or "",
                "preview": _preview(res.get("datastore_preview")),
            })
        return resources

    @cached_property
    def metadata(self) -> list[tuple[str, Any]]:
        """Every other metadata field, labelled in Spanish, nested values kept."""
        data, metadata = self.data, []
        fields = schema_fields()
        for key in sorted(data):
            if key in _SHOWN_ELSEWHERE:
                continue
            raw = _spatial_coverage(data[key]) if key == "spatial_coverage" else data[key]
            value = _metadata_value(raw, fields.get(key))
            if value is not None:
                metadata.append((_field_label(key, fields.get(key)), value))
        for extra in data.get("extras") or []:
            key = str(extra.get("key"))
            if key in _PROVENANCE_KEYS or key in _SHOWN_ELSEWHERE:
                continue
            raw = extra.get("value")
            value = _metadata_value(_spatial_coverage(raw) if key == "spatial_coverage" else raw,
                                    fields.get(key))
            if value is not None:
                metadata.append((_field_label(key, fields.get(key)), value))
        return metadata

    @cached_property
    def data_dictionary(self) -> list[dict[str, str]]:
        """The columns the publisher described: name, type (its label) and meaning."""
        field = schema_fields().get("data_dictionary")
        types = field.subfields["type"].choices if field and "type" in field.subfields else {}
        columns = []
        for column in _as_list(self.data.get("data_dictionary")):
            if not isinstance(column, dict) or not column.get("column"):
                continue
            kind = str(column.get("type") or "")
            columns.append({"column": str(column["column"]),
                            "type": types.get(kind, {}).get("es", kind),
                            "description": str(column.get("description") or "")})
        return columns

    def json_ld(self, site_url: str) -> str:
        """schema.org Dataset description (Google Dataset Search), safe inside <script>."""
        doc: dict[str, Any] = {
            "@context": "https://schema.org/",
            "@type": "Dataset",
            "name": self.title,
            "description": self.summary or self.title,
            "url": f"{site_url}/{self.path}",
            "identifier": self.data.get("identifier") or self.id,
            "sameAs": self.ckan_page,
            "isAccessibleForFree": True,
            "inLanguage": "es",
            "dateCreated": self.created,
            "dateModified": self.modified,
        }
        if self.tags:
            doc["keywords"] = self.tags
        if self.license_url or self.license_title:
            doc["license"] = self.license_url or self.license_title
        if self.organization["title"]:
            doc["creator"] = doc["publisher"] = {
                "@type": "Organization",
                "name": self.organization["title"],
                "parentOrganization": "Municipalidad Metropolitana de Lima",
            }
        if self.districts:
            doc["spatialCoverage"] = [
                {"@type": "Place", "name": f"{label}, Lima, Perú", "identifier": code}
                for code, label in self.districts
            ]
        if self.resources:
            doc["distribution"] = [
                {"@type": "DataDownload", "name": r["name"], "contentUrl": r["download"],
                 "encodingFormat": r["mimetype"] or r["format"]}
                for r in self.resources
            ]
        text = json.dumps(doc, ensure_ascii=False)  # no indent: keeps json's C encoder
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class SiteModel:
    """The whole public catalogue indexed the way the pages need it."""

    def __init__(self, catalogue, ckan_url: str):
        self.catalogue = catalogue
        self.ckan_url = ckan_url.rstrip("/")
        aliases = {fold(group.get("title") or group["name"]):
                   (group["name"], group.get("title") or group["name"])
                   for group in catalogue.groups}
        self.datasets = sorted(
            (DatasetView(d, self.ckan_url, aliases)
             for d in catalogue.datasets if not d.get("private")),
            key=lambda d: (d.sort_key, d.name),
        )
        self.latest = sorted(self.datasets, key=lambda d: d.modified, reverse=True)
        self.offices: dict[str, Facet] = {}
        for org in catalogue.organizations:
            self.offices[org["name"]] = Facet(
                org["name"], org.get("title") or org["name"], "oficinas",
                org.get("description") or "", org.get("image_display_url") or "", raw=org,
            )
        self.themes: dict[str, Facet] = {}
        for group in catalogue.groups:
            self.themes[group["name"]] = Facet(
                group["name"], group.get("title") or group["name"], "temas",
                group.get("description") or "", raw=group,
            )
        # Every district (and the whole city) has its page, with or without datasets: they
        # are where the district URIs of the portal's DCAT lead (<ckan>/ubigeo/<code>).
        self.districts: dict[str, Facet] = {
            code: Facet(code, label, "distritos") for code, label in DISTRICTS.items()}
        self.formats: dict[str, int] = {}
        for ds in self.datasets:
            org = ds.organization["name"]
            if org:
                if org not in self.offices:
                    self.offices[org] = Facet(org, ds.organization["title"], "oficinas")
                self.offices[org].datasets.append(ds)
            for slug, label in ds.themes:
                self.themes.setdefault(slug, Facet(slug, label, "temas")).datasets.append(ds)
            for code, label in ds.districts:
                self.districts.setdefault(code, Facet(code, label, "distritos")).datasets.append(ds)
            for fmt in ds.formats:
                self.formats[fmt] = self.formats.get(fmt, 0) + 1

    def sorted_facets(self, facets: dict[str, Facet]) -> list[Facet]:
        return sorted(facets.values(), key=lambda f: (fold(f.label), f.slug))
