"""The catalogue feeds (``/catalog.{ttl,rdf,xml,n3,jsonld}``, ``/data.json``): parameters
checked before anything is searched, and a clear 400 in the feed's own format otherwise.

ckanext-dcat's catalogue view passes ``modified_since`` to the search as
``<dateutil isoformat>Z`` (``…+00:00Z`` for the ``Z`` form harvesters send most: a 500),
answers a bad date with an HTML 409 page, lets search errors through as 500s and writes
the query string unencoded into the paging URIs. The view installed here over the
endpoint ``dcat.read_catalog`` (see :func:`install`) reads every parameter first:

* ``page``: a whole number from 1 to :data:`MAX_PAGE` (past the last page: an empty page);
* ``modified_since``: any ISO 8601 date or date-time (:mod:`.isodate`);
* ``q`` and ``fq``: CKAN search syntax; a query the search engine refuses is a 400;
* ``profiles``: registered DCAT profiles only;
* the format: from the URL (``.ttl``…) or the ``Accept`` header, as ckanext-dcat does.

Feeds are public catalogues: they are searched as an anonymous visitor, whoever asks, so
private, draft and deleted datasets never appear in them.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable
from urllib.parse import urlencode

import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SearchError, SearchQueryError
from flask import Response, request
from rdflib import BNode, Graph, Literal, Namespace
from rdflib.namespace import DCAT, FOAF, RDF

from ckanext.dcat import utils as dcat_utils
from ckanext.dcat.exceptions import RDFProfileException
from ckanext.dcat.processors import RDFSerializer

from ckanext.openlima.dcat.isodate import parse_iso8601, solr_datetime

__all__ = [
    "FeedParameterError", "FeedQuery", "FeedSerializer", "MAX_PAGE", "install", "read_feed_parameters",
    "search_public_datasets", "read_catalog",
]

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
CATALOG_ENDPOINT = "dcat.read_catalog"
DATASET_ENDPOINTS = ("dcat.read_dataset", "dcat.read_dataset_series")
# page × rows stays far below PostgreSQL's bigint offsets and any real catalogue
MAX_PAGE = 1_000_000
MAX_QUERY_LENGTH = 2000
_PAGE = re.compile(r"[0-9]{1,16}")
_DEFAULT_PER_PAGE = 100


class FeedSerializer(RDFSerializer):
    """ckanext-dcat's serializer, with every harvested dataset of a source inside its
    sub-catalogue: ckanext-dcat 2.4 links only the first one (``dcat:dataset`` is added
    only when the sub-catalogue is new), so the others were in no catalogue at all; and
    the sub-catalogue's homepage typed ``foaf:Document``, as DCAT-AP's shapes require."""

    def _add_source_catalog(self, root_catalog_ref, dataset_dict, dataset_ref):
        catalog_ref = super()._add_source_catalog(root_catalog_ref, dataset_dict, dataset_ref)
        if catalog_ref is not None:
            self.g.add((catalog_ref, DCAT.dataset, dataset_ref))
            for homepage in list(self.g.objects(catalog_ref, FOAF.homepage)):
                self.g.add((homepage, RDF.type, FOAF.Document))
        return catalog_ref


class FeedParameterError(ValueError):
    """A feed parameter that cannot be used; ``message`` is translated."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


class FeedQuery:
    """The checked parameters of one feed request."""

    def __init__(self, page: int, modified_since: str | None, q: str, fq: str,
                 profiles: list[str] | None, raw: dict[str, str]):
        self.page = page
        self.modified_since = modified_since
        self.q = q
        self.fq = fq
        self.profiles = profiles
        self.raw = raw


def per_page() -> int:
    return max(1, tk.asint(tk.config.get("ckanext.dcat.datasets_per_page") or _DEFAULT_PER_PAGE))


def read_feed_parameters(args, profiles_allowed: bool = True) -> FeedQuery:
    """The feed parameters of ``args`` (a request's query string), checked.

    :raises FeedParameterError: on the first parameter that cannot be used
    """
    raw = {key: args.get(key) for key in ("page", "modified_since", "q", "fq", "profiles")
           if args.get(key) not in (None, "")}

    page_text = raw.get("page", "1").strip()
    if not _PAGE.fullmatch(page_text) or not 1 <= int(page_text) <= MAX_PAGE:
        raise FeedParameterError("page", tk._(
            "El parámetro page debe ser un número entero entre 1 y {max_page}."
        ).format(max_page=MAX_PAGE))

    modified_since = None
    if "modified_since" in raw:
        try:
            modified_since = solr_datetime(parse_iso8601(raw["modified_since"]))
        except ValueError:
            raise FeedParameterError("modified_since", tk._(
                "El parámetro modified_since debe ser una fecha u hora ISO 8601, "
                "p. ej. 2026-12-02, 2026-12-02T00:46:50Z o 2026-12-02T00:46:50-05:00."
            )) from None

    for key in ("q", "fq"):
        if len(raw.get(key, "")) > MAX_QUERY_LENGTH:
            raise FeedParameterError(key, tk._(
                "El parámetro {parameter} es demasiado largo (máximo {length} caracteres)."
            ).format(parameter=key, length=MAX_QUERY_LENGTH))

    profiles = None
    if "profiles" in raw:
        profiles = [name.strip() for name in raw["profiles"].split(",") if name.strip()]
        known = _registered_profiles()
        if not profiles_allowed or not profiles or any(name not in known for name in profiles):
            raise FeedParameterError("profiles", tk._(
                "El parámetro profiles solo admite estos perfiles DCAT: {profiles}."
            ).format(profiles=", ".join(sorted(known))))

    return FeedQuery(int(page_text), modified_since, raw.get("q", ""), raw.get("fq", ""),
                     profiles, raw)


def _registered_profiles() -> set[str]:
    from importlib.metadata import entry_points

    return {entry.name for entry in entry_points(group="ckan.rdf.profiles")}


def search_public_datasets(query: FeedQuery) -> dict[str, Any]:
    """One page of public datasets for a feed, newest change first, searched as an
    anonymous visitor.

    :raises FeedParameterError: the search engine refused ``q`` or ``fq``
    """
    rows = per_page()
    fq_list = ["-dataset_type:harvest", "-dataset_type:showcase"]
    if query.modified_since:
        fq_list.append(f"metadata_modified:[{query.modified_since} TO NOW]")
    search = {
        "q": query.q or "*:*",
        "fq": query.fq,
        "fq_list": fq_list,
        "rows": rows,
        "start": rows * (query.page - 1),
        "sort": "metadata_modified desc",
        "include_private": False,
        "include_drafts": False,
    }
    try:
        return tk.get_action("package_search")({"user": "", "ignore_auth": False}, search)
    except (tk.ValidationError, SearchError, SearchQueryError):
        parameter = "fq" if query.fq else "q"
        raise FeedParameterError(parameter, tk._(
            "La búsqueda de los parámetros q/fq no es válida: revise la sintaxis "
            "(p. ej. q=transporte, fq=organization:gerencia-de-movilidad-urbana)."
        )) from None


def page_links(query: FeedQuery, count: int, base_url: str) -> dict[str, Any]:
    """Hydra paging of a feed page (the parameters percent-encoded in every link)."""
    if count == 0:
        return {}
    rows = per_page()
    kept = {key: value for key, value in query.raw.items() if key != "page"}

    def url(page: int) -> str:
        return f"{base_url}?{urlencode({**kept, 'page': page})}"

    last = max(1, math.ceil(count / rows))
    info = {"count": count, "items_per_page": rows, "current": url(query.page),
            "first": url(1), "last": url(last)}
    if 1 < query.page <= last:
        info["previous"] = url(query.page - 1)
    if query.page < last:
        info["next"] = url(query.page + 1)
    return info


def rdf_error(_format: str, parameter: str, message: str, status: int = 400) -> Response:
    """A ``hydra:Error`` in the requested RDF serialization."""
    graph = Graph()
    graph.bind("hydra", HYDRA)
    error = BNode()
    lang = _lang()
    graph.add((error, RDF.type, HYDRA.Error))
    graph.add((error, HYDRA.statusCode, Literal(status)))
    graph.add((error, HYDRA.title, Literal(tk._("Parámetro no válido: {parameter}").format(
        parameter=parameter), lang=lang)))
    graph.add((error, HYDRA.description, Literal(message, lang=lang)))
    body = graph.serialize(format=dcat_utils.url_to_rdflib_format(_format))
    return Response(body, status=status,
                    content_type=f"{dcat_utils.CONTENT_TYPES[_format]}; charset=utf-8")


def _lang() -> str:
    try:
        return tk.h.lang() or "es"
    except (AttributeError, RuntimeError):
        return "es"


def read_catalog(home_view: Callable[..., Any]) -> Callable[..., Any]:
    """The catalogue view; without a feed format (``/`` with no RDF ``Accept``) it is
    ``home_view``, the page ckanext-dcat's view would have shown."""

    def catalog(_format: str | None = None, package_type: str | None = None):
        requested = _format or dcat_utils.check_access_header()
        if not requested:
            return home_view(_format=_format, package_type=package_type)
        if requested not in dcat_utils.CONTENT_TYPES:
            return tk.abort(404, tk._("Formato de catálogo no disponible: use ttl, rdf, xml, "
                                      "n3 o jsonld."))
        try:
            query = read_feed_parameters(request.args)
            result = search_public_datasets(query)
            base_url = dcat_utils.catalog_uri().rstrip("/") + request.path
            serializer = FeedSerializer(profiles=query.profiles)
            body = serializer.serialize_catalog(
                {}, result["results"], _format=requested,
                pagination_info=page_links(query, result["count"], base_url))
        except FeedParameterError as error:
            return rdf_error(requested, error.parameter, error.message)
        except RDFProfileException:
            return rdf_error(requested, "profiles", tk._("Perfil DCAT no disponible."))
        return Response(body, content_type=f"{dcat_utils.CONTENT_TYPES[requested]}; charset=utf-8")

    catalog.__name__ = "read_catalog"
    catalog.__module__ = __name__
    return catalog


def read_dataset(original: Callable[..., Any]) -> Callable[..., Any]:
    """ckanext-dcat's dataset view, with an unknown format (``/dataset/x.exe``) a 404
    instead of rdflib's "No plugin registered" (a 500)."""

    def dataset(_id: str, _format: str | None = None, **kwargs: Any):
        if _format is not None and _format not in dcat_utils.CONTENT_TYPES:
            tk.abort(404, tk._("Formato de catálogo no disponible: use ttl, rdf, xml, "
                               "n3 o jsonld."))
        return original(_id, _format, **kwargs)

    dataset.__name__ = "read_dataset"
    dataset.__module__ = __name__
    return dataset


def install(app) -> bool:
    """Serve ``dcat.read_catalog`` with :func:`read_catalog` and ckanext-dcat's dataset
    views with :func:`read_dataset` (False if ckanext-dcat's endpoint is not there, e.g.
    the ``dcat`` plugin is off)."""
    original = app.view_functions.get(CATALOG_ENDPOINT)
    if original is None:
        return False
    if getattr(original, "__module__", "") != __name__:
        app.view_functions[CATALOG_ENDPOINT] = read_catalog(original)
    for endpoint in DATASET_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is not None and getattr(view, "__module__", "") != __name__:
            app.view_functions[endpoint] = read_dataset(view)
    return True
