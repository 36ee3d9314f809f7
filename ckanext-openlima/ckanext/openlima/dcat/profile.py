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

import ckan.plugins.toolkit as tk
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS

from ckanext.dcat.profiles import DCAT, DCATAP, DCT, FOAF, SPDX
from ckanext.dcat.profiles.euro_dcat_ap_3 import EuropeanDCATAP3Profile

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
        for distribution in list(g.objects(dataset_ref, DCAT.distribution)):
            self._distribution(distribution, dataset_dict)

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
            if (location, SKOS.prefLabel, None) not in g:
                g.add((location, SKOS.prefLabel, Literal(row["name"], lang="es")))
                g.add((location, SKOS.notation, Literal(row["ubigeo"])))

    def _distribution(self, distribution, dataset_dict) -> None:
        g = self.g
        resource = next(
            (r for r in dataset_dict.get("resources", []) if str(distribution).endswith(r.get("id", "\0"))),
            {},
        )

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
