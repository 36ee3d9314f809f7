"""The Open Lima DCAT-AP 3 profile: ckanext-dcat's profile plus what DCAT-AP 3.0.1's
SHACL shapes ask for (research/feasibility-deps.md §5.3).

CKAN keeps human-readable values (format ``CSV``, media type ``text/csv``, licence
``cc-by``, checksum ``sha256``); this profile maps them to the EU authority URIs on
export, types controlled-vocabulary values as ``skos:Concept`` with Spanish (and
English) labels from ``config/vocabularies/``, gives the catalogue a publisher, a
language and a homepage typed as the shapes require, and writes the dataset's
districts (INEI UBIGEO) as ``dct:Location``.
"""
from __future__ import annotations

import json
import re

import ckan.plugins.toolkit as tk
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS

from ckanext.dcat.profiles import DCAT, DCATAP, DCT, FOAF, SPDX
from ckanext.dcat.profiles.base import SCHEMA
from ckanext.dcat.profiles.euro_dcat_ap_3 import EuropeanDCATAP3Profile

from ckanext.openlima.dcat import data_dictionary, landing
from ckanext.openlima.logic import vocabularies

ADMS_STATUS = "http://purl.org/adms/status/"
UNKNOWN_IPR = URIRef("http://purl.org/adms/licencetype/UnknownIPR")
IANA = "https://www.iana.org/assignments/media-types/"
SPDX_ALGORITHMS = {
    "sha256": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
    "sha1": "http://spdx.org/rdf/terms#checksumAlgorithm_sha1",
    "md5": "http://spdx.org/rdf/terms#checksumAlgorithm_md5",
}
# Vocabularies of this repository for the predicates ckanext-dcat writes as bare URIs.
SPDX_ALGORITHM_NAMES = {uri: name for name, uri in SPDX_ALGORITHMS.items()}
_UBIGEO_URI = re.compile(r"/ubigeo/(\d{4,6})$")
_ORGANIZATION_URI = re.compile(r"/organization/[^/]+$")
# Keys the parser writes that the MML schema does not hold (or holds elsewhere)
_RESOURCE_NOISE = ("access_url", "download_url", "distribution_ref", "license", "rights",
                   "status", "documentation", "conforms_to")
CONCEPT_VOCABULARIES = {
    DCAT.theme: "themes",
    DCT.accrualPeriodicity: "frequencies",
    DCT.accessRights: "access_rights",
}


def _list(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]


def _label(graph, node) -> str | None:
    """skos:prefLabel (Spanish, untagged, then any) or rdfs:label of ``node``."""
    from rdflib.namespace import RDFS

    labels = list(graph.objects(node, SKOS.prefLabel)) or list(graph.objects(node, RDFS.label))
    if isinstance(node, Literal):
        labels = [node]
    for wanted in ("es", None):
        for label in labels:
            if getattr(label, "language", None) == wanted:
                return str(label)
    return str(labels[0]) if labels else None


def _dicts(value) -> list[dict]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [item for item in value or [] if isinstance(item, dict)]


class OpenLimaDCATAP3Profile(EuropeanDCATAP3Profile):
    """DCAT-AP 3 for the Municipalidad Metropolitana de Lima (registered as ``openlima_dcat_ap_3``)."""

    def _concept(self, node, row: dict | None, fallback_label: str | None = None) -> None:
        """Type ``node`` as a skos:Concept with labels (skos:ConceptShape requires prefLabel)."""
        g = self.g
        g.add((node, RDF.type, SKOS.Concept))
        if (node, SKOS.prefLabel, None) in g:
            return
        if row:
            g.add((node, SKOS.prefLabel, Literal(vocabularies.label(row, "es"), lang="es")))
            if row.get("label_en"):
                g.add((node, SKOS.prefLabel, Literal(row["label_en"], lang="en")))
        else:
            g.add((node, SKOS.prefLabel, Literal(fallback_label or str(node).rstrip("/").rsplit("/", 1)[-1])))

    def _replace_object(self, subject, predicate, old, new) -> None:
        self.g.remove((subject, predicate, old))
        self.g.add((subject, predicate, new))

    # -- datasets ---------------------------------------------------------------------

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        super().graph_from_dataset(dataset_dict, dataset_ref)
        g = self.g

        for predicate, vocabulary in CONCEPT_VOCABULARIES.items():
            for value in list(g.objects(dataset_ref, predicate)):
                if isinstance(value, URIRef):
                    self._concept(value, vocabularies.by_uri(vocabulary, str(value)))
        for value in list(g.objects(dataset_ref, DCT.type)):
            if isinstance(value, URIRef):
                self._concept(value, None)
        for value in list(g.objects(dataset_ref, DCT.language)):
            if isinstance(value, URIRef):
                g.add((value, RDF.type, DCT.LinguisticSystem))

        # The shapes want dct:identifier as a literal; ckanext-dcat makes URLs IRIs.
        for value in list(g.objects(dataset_ref, DCT.identifier)):
            if isinstance(value, URIRef):
                self._replace_object(dataset_ref, DCT.identifier, value, Literal(str(value)))

        self._agents_as_concepts(dataset_ref)
        self._districts(dataset_dict, dataset_ref)
        self._landing_page(dataset_dict, dataset_ref)
        data_dictionary.add_data_dictionary(g, dataset_ref, _dicts(dataset_dict.get("data_dictionary")))
        for distribution in list(g.objects(dataset_ref, DCAT.distribution)):
            self._distribution(distribution, dataset_dict)

    def _landing_page(self, dataset_dict, dataset_ref) -> None:
        """dcat:landingPage is the dataset's page on this portal (or the static site);
        the publisher's own page (``url``) is documentation (foaf:page)."""
        g = self.g
        url = dataset_dict.get("url")
        if url:
            g.remove((dataset_ref, DCAT.landingPage, URIRef(url)))
            g.add((dataset_ref, FOAF.page, URIRef(url)))
            g.add((URIRef(url), RDF.type, FOAF.Document))
        if dataset_dict.get("name"):
            page = URIRef(landing.landing_page(dataset_dict))
            g.add((dataset_ref, DCAT.landingPage, page))
            g.add((page, RDF.type, FOAF.Document))

    def _agents_as_concepts(self, dataset_ref) -> None:
        g = self.g
        for predicate in (DCT.publisher, DCT.creator):
            for agent in list(g.objects(dataset_ref, predicate)):
                for agent_type in list(g.objects(agent, DCT.type)):
                    if isinstance(agent_type, URIRef):
                        self._concept(agent_type, None)
                    else:
                        g.remove((agent, DCT.type, agent_type))

    def _districts(self, dataset_dict, dataset_ref) -> None:
        g = self.g
        for ubigeo in _list(dataset_dict.get("spatial_ubigeo")):
            row = vocabularies.district(ubigeo)
            if not row:
                continue
            location = URIRef(row["uri"])
            g.add((dataset_ref, DCT.spatial, location))
            g.add((location, RDF.type, DCT.Location))
            g.add((location, SKOS.notation, Literal(row["ubigeo"])))
            if (location, SKOS.prefLabel, None) not in g:
                g.add((location, SKOS.prefLabel, Literal(row["name"], lang="es")))

    def _distribution(self, distribution, dataset_dict) -> None:
        g = self.g
        resources = dataset_dict.get("resources", [])
        position, resource = next(
            ((i, r) for i, r in enumerate(resources) if str(distribution).endswith(r.get("id", "\0"))),
            (None, {}),
        )
        # RDF has no order: schema:position keeps the publisher's order of the files
        if position is not None:
            g.add((distribution, SCHEMA.position, Literal(position)))

        # Format: CKAN's readable "CSV" -> the EU file-type URI.
        file_type = vocabularies.file_type(resource.get("format"))
        for old in list(g.objects(distribution, DCT["format"])):
            g.remove((distribution, DCT["format"], old))
            if not file_type and isinstance(old, Literal):
                file_type = vocabularies.file_type(str(old))
        if file_type:
            fmt = URIRef(file_type["uri"])
            g.add((distribution, DCT["format"], fmt))
            g.add((fmt, RDF.type, DCT.MediaTypeOrExtent))

        # Media type: "text/csv" -> its IANA URI.
        for old in list(g.objects(distribution, DCAT.mediaType)):
            g.remove((distribution, DCAT.mediaType, old))
        media_type = resource.get("mimetype") or (file_type or {}).get("media_type")
        if media_type:
            iana = URIRef(media_type if media_type.startswith("http") else IANA + media_type)
            g.add((distribution, DCAT.mediaType, iana))
            g.add((iana, RDF.type, DCT.MediaType))

        # Licence: inherited from the dataset, as an EU licence URI with no UnknownIPR type.
        row = vocabularies.licence(resource.get("license") or dataset_dict.get("license_id"))
        for old in list(g.objects(distribution, DCT.license)):
            g.remove((distribution, DCT.license, old))
            g.remove((old, DCT.type, UNKNOWN_IPR))
        if row:
            licence = URIRef(row["uri"])
            g.add((distribution, DCT.license, licence))
            g.add((licence, RDF.type, DCT.LicenseDocument))

        # Checksum algorithm: "sha256" -> the SPDX URI.
        for checksum in g.objects(distribution, SPDX.checksum):
            for algorithm in list(g.objects(checksum, SPDX.algorithm)):
                uri = SPDX_ALGORITHMS.get(str(algorithm).lower())
                if uri:
                    self._replace_object(checksum, SPDX.algorithm, algorithm, URIRef(uri))
                    g.add((URIRef(uri), RDF.type, SPDX.ChecksumAlgorithm))

        for predicate in (DCATAP.availability, URIRef("http://www.w3.org/ns/adms#status")):
            for value in list(g.objects(distribution, predicate)):
                if isinstance(value, URIRef):
                    self._concept(value, None)

    # -- parsing: DCAT back to the MML schema --------------------------------------------

    def parse_dataset(self, dataset_dict, dataset_ref):
        dataset_dict = super().parse_dataset(dataset_dict, dataset_ref)
        self._parse_pages(dataset_dict, dataset_ref)
        self._parse_agents(dataset_dict, dataset_ref)
        self._parse_districts(dataset_dict, dataset_ref)
        licence = self._parse_licence(dataset_ref)
        if licence:
            dataset_dict["license_id"] = licence
        columns = data_dictionary.read_data_dictionary(self.g, dataset_ref)
        if columns:
            dataset_dict["data_dictionary"] = columns
        # dct:identifier falls back to CKAN's id on export: not an MML identifier
        if dataset_dict.get("identifier") and str(dataset_ref).rstrip("/").endswith(
                "/" + dataset_dict["identifier"]):
            del dataset_dict["identifier"]
        dataset_dict["extras"] = [e for e in dataset_dict.get("extras", []) if e["key"] != "homepage"]
        positions = {str(d): int(p) for d in self.g.objects(dataset_ref, DCAT.distribution)
                     for p in self.g.objects(d, SCHEMA.position) if str(p).isdigit()}
        dataset_dict.get("resources", []).sort(
            key=lambda r: positions.get(r.get("distribution_ref"), len(positions)))
        for resource in dataset_dict.get("resources", []):
            self._parse_resource(resource)
        return dataset_dict

    # ckanext-dcat's sub-catalogue reading (``ckanext.dcat.expose_subcatalogs``) fails on a
    # file with no dcat:Catalog (IndexError) or a catalogue without publisher (NameError)
    def _get_source_catalog(self, dataset_ref):
        if not any(True for _ in self.g.subjects(RDF.type, DCAT.Catalog)):
            return None
        try:
            return super()._get_source_catalog(dataset_ref)
        except (IndexError, AssertionError):
            return None

    def _extract_catalog_dict(self, catalog_ref):
        extras = []
        for key, predicate in (("source_catalog_title", DCT.title),
                               ("source_catalog_description", DCT.description),
                               ("source_catalog_homepage", FOAF.homepage),
                               ("source_catalog_language", DCT.language),
                               ("source_catalog_modified", DCT.modified)):
            value = self._object_value(catalog_ref, predicate)
            if value:
                extras.append({"key": key, "value": value})
        publishers = self._agents_details(catalog_ref, DCT.publisher)
        if publishers:
            extras.append({"key": "source_catalog_publisher", "value": json.dumps(publishers[0])})
        return extras

    def _parse_pages(self, dataset_dict, dataset_ref) -> None:
        g = self.g
        pages = [str(page) for page in g.objects(dataset_ref, DCAT.landingPage)]
        names = [name for name in map(landing.name_from_landing_page, pages) if name]
        if names and not dataset_dict.get("name"):
            dataset_dict["name"] = sorted(names)[0]
        if pages:
            # where the dataset is read at its source: the provenance of a copy made here
            dataset_dict.setdefault("extras", []).append(
                {"key": "source_landing_page", "value": sorted(pages)[0]})
        documents = sorted(str(page) for page in g.objects(dataset_ref, FOAF.page))
        other_pages = sorted(page for page in pages if not landing.name_from_landing_page(page))
        dataset_dict["url"] = (documents or other_pages or [""])[0]
        dataset_dict.pop("documentation", None)

    def _parse_agents(self, dataset_dict, dataset_ref) -> None:
        contacts = [{key: c[key] for key in ("name", "email") if c.get(key)}
                    for c in dataset_dict.get("contact") or []]
        contacts = [c for c in contacts if c]
        if contacts:
            dataset_dict["contact"] = contacts
        else:
            dataset_dict.pop("contact", None)
        publishers = []
        for publisher in dataset_dict.get("publisher") or []:
            # ckanext-dcat names the publishing organization when the dataset has no
            # publisher of its own: that is the receiving portal's owner_org, not a field
            if _ORGANIZATION_URI.search(publisher.get("uri") or ""):
                continue
            kept = {key: publisher[key] for key in ("name", "email", "url", "type") if publisher.get(key)}
            # the schema takes ADMS publisher types only (shown by their label)
            if kept.get("type") and not vocabularies.by_uri("publisher_types", kept["type"]):
                kept.pop("type")
            if kept:
                publishers.append(kept)
        if publishers:
            dataset_dict["publisher"] = publishers[:1]
        else:
            dataset_dict.pop("publisher", None)

    def _parse_districts(self, dataset_dict, dataset_ref) -> None:
        g = self.g
        codes, district_nodes = set(), {}
        for location in g.objects(dataset_ref, DCT.spatial):
            notation = g.value(location, SKOS.notation)
            match = _UBIGEO_URI.search(str(location))
            code = str(notation) if notation is not None else (match.group(1) if match else None)
            row = vocabularies.district(code)
            if row:
                codes.add(row["ubigeo"])
                district_nodes[str(location)] = row["name"]
        if codes:
            dataset_dict["spatial_ubigeo"] = sorted(codes)
        # spatial_coverage: every other place (ckanext-dcat reads only one of them)
        coverage = []
        for location in g.objects(dataset_ref, DCT.spatial):
            text = _label(g, location)
            if district_nodes.get(str(location)) in (text, None if text else "") and str(
                    location) in district_nodes:
                continue  # a district this profile wrote for spatial_ubigeo
            place = {"uri": str(location)} if isinstance(location, URIRef) else {}
            if text:
                place["text"] = text
            if place:
                coverage.append(place)
        if coverage:
            dataset_dict["spatial_coverage"] = sorted(coverage, key=lambda p: (p.get("uri", ""), p.get("text", "")))
        else:
            dataset_dict.pop("spatial_coverage", None)

    def _parse_licence(self, dataset_ref) -> str | None:
        g = self.g
        candidates = list(g.objects(dataset_ref, DCT.license))
        for distribution in g.objects(dataset_ref, DCAT.distribution):
            candidates += list(g.objects(distribution, DCT.license))
        for candidate in candidates:
            row = vocabularies.by_uri("licences", str(candidate))
            if row:
                return row["license_id"]
        return None

    def _parse_resource(self, resource: dict) -> None:
        file_type = vocabularies.by_uri("file_types", resource.get("format"))
        if file_type:
            resource["format"] = file_type["label"]
        mimetype = resource.get("mimetype") or ""
        if mimetype.startswith(IANA):
            resource["mimetype"] = mimetype[len(IANA):]
        algorithm = SPDX_ALGORITHM_NAMES.get(resource.get("hash_algorithm") or "")
        if algorithm:
            resource["hash_algorithm"] = algorithm
        if isinstance(resource.get("language"), str):
            resource["language"] = _list(resource["language"])
        for key in _RESOURCE_NOISE:
            resource.pop(key, None)

    # -- catalogue --------------------------------------------------------------------

    def graph_from_catalog(self, catalog_dict, catalog_ref):
        super().graph_from_catalog(catalog_dict, catalog_ref)
        g = self.g

        for value in list(g.objects(catalog_ref, DCT.language)):
            if isinstance(value, Literal):
                g.remove((catalog_ref, DCT.language, value))
        spanish = URIRef(vocabularies.by_code("languages", "SPA")["uri"])
        g.add((catalog_ref, DCT.language, spanish))
        g.add((spanish, RDF.type, DCT.LinguisticSystem))

        for homepage in g.objects(catalog_ref, FOAF.homepage):
            g.add((homepage, RDF.type, FOAF.Document))

        if (catalog_ref, DCT.publisher, None) not in g:
            publisher = URIRef(tk.config.get("ckanext.openlima.catalog_publisher_uri"))
            g.add((catalog_ref, DCT.publisher, publisher))
            g.add((publisher, RDF.type, FOAF.Agent))
            g.add((publisher, FOAF.name, Literal(tk.config.get("ckanext.openlima.catalog_publisher_name"), lang="es")))
            email = tk.config.get("ckanext.openlima.catalog_publisher_email")
            if email:
                g.add((publisher, FOAF.mbox, URIRef(f"mailto:{email}")))


__all__ = ["OpenLimaDCATAP3Profile"]
