"""What does not travel through our DCAT: the one list.

A dataset exported by ``openlima_dcat_ap_3`` (Turtle, RDF/XML or JSON-LD), parsed back
with ckanext-dcat's ``RDFParser`` and the same profile and created in another Open Lima
portal, has the same value in every field of the MML schema
(``config/schemas/mml_dataset.yaml``), its resources and data dictionary included,
except for the fields below. ``tests/openlima/dcat/test_round_trip.py`` checks exactly
this over the whole demo catalogue, and ``ckanext-openlima/README.md`` repeats the list.

Values that are sets in RDF come back as sets: the order of themes, districts,
languages, keywords and places is not kept (the order of resources and of the data
dictionary's columns is).
"""
from __future__ import annotations

__all__ = ["CANNOT_TRAVEL", "RESOURCE_CANNOT_TRAVEL"]

CANNOT_TRAVEL = {
    "owner_org": "DCAT names the publisher, not an organization of the receiving portal: "
                 "the receiving portal chooses it (for harvests, the harvest source's "
                 "organization).",
    "uri": "travels as the dataset's identity: the copy's uri is the original's URI (when "
           "the original leaves uri empty, that URI is <ckanext.dcat.base_uri>/dataset/<id>).",
    "issued": "when left empty, the feed gives CKAN's creation date instead (DCAT-AP asks for "
              "one), and the copy keeps it.",
    "modified": "when left empty, the feed gives CKAN's last-change date instead (DCAT-AP asks "
                "for one), and the copy keeps it.",
}

RESOURCE_CANNOT_TRAVEL = {
    "uri": "travels as the distribution's identity: the copy's uri is the original's "
           "distribution URI.",
    "url": "an uploaded file is not copied: the copy links to the original's download URL.",
    "issued": "when left empty, the feed gives CKAN's creation date of the resource.",
    "modified": "when left empty, the feed gives CKAN's last-change date of the resource.",
}
