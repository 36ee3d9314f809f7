"""Field types of CKAN's Solr schema, read from the schema.xml that CKAN ships.

The engine behaves like Solr with CKAN's schema: ``string`` fields match exactly,
``text`` fields are analysed, ``date`` and numeric fields compare by value, and
dynamic fields (``extras_*``, ``*_date``, ``*``) resolve the way Solr resolves them.
Reading CKAN's own file keeps the two in step when CKAN changes its schema.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import xml.etree.ElementTree as ET

import ckan

SCHEMA_PATH = os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml")

# Solr field classes grouped by how the engine treats them.
_KIND_BY_CLASS = {
    "solr.StrField": "string",
    "solr.BoolField": "bool",
    "solr.IntPointField": "number",
    "solr.LongPointField": "number",
    "solr.FloatPointField": "number",
    "solr.DoublePointField": "number",
    "solr.DatePointField": "date",
    "solr.TextField": "text",
}


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    kind: str  # string | text | ngram | number | date | bool
    multivalued: bool
    stored: bool
    indexed: bool = True

    @property
    def is_text(self) -> bool:
        return self.kind in ("text", "ngram")


class Schema:
    def __init__(self, path: str = SCHEMA_PATH):
        root = ET.parse(path).getroot()
        types = {}
        for ftype in root.iter("fieldType"):
            kind = _KIND_BY_CLASS.get(ftype.get("class", ""), "string")
            if ftype.get("name") == "text_ngram":
                kind = "ngram"
            types[ftype.get("name")] = (kind, ftype.get("multiValued") == "true")

        def make(element):
            kind, type_multi = types.get(element.get("type"), ("string", False))
            multi = element.get("multiValued")
            return Field(
                name=element.get("name"),
                kind=kind,
                multivalued=type_multi if multi is None else multi == "true",
                stored=element.get("stored", "true") == "true",
                indexed=element.get("indexed", "true") == "true",
            )

        self.fields = {f.get("name"): make(f) for f in root.iter("field")}
        # Solr tries dynamic patterns longest first.
        dynamic = [make(f) for f in root.iter("dynamicField")]
        self.dynamic = sorted(dynamic, key=lambda f: -len(f.name))
        self.unique_key = root.findtext("uniqueKey")
        self.copy_fields = [(c.get("source"), c.get("dest")) for c in root.iter("copyField")]

    @functools.lru_cache(maxsize=4096)
    def field(self, name: str) -> Field:
        if name in self.fields:
            return self.fields[name]
        for pattern in self.dynamic:
            glob = pattern.name
            if glob == "*":
                return dataclasses.replace(pattern, name=name)
            if glob.startswith("*") and name.endswith(glob[1:]):
                return dataclasses.replace(pattern, name=name)
            if glob.endswith("*") and name.startswith(glob[:-1]):
                return dataclasses.replace(pattern, name=name)
        return Field(name=name, kind="string", multivalued=False, stored=False)

    def copy_targets(self, source: str) -> list[str]:
        """Fields that Solr copies ``source`` into (``text``, ``urls``, ``*_ngram``)."""
        targets = []
        for src, dest in self.copy_fields:
            if src == source or (
                src.endswith("*") and source.startswith(src[:-1])
            ):
                targets.append(dest)
        return targets


@functools.lru_cache(maxsize=1)
def get_schema() -> Schema:
    return Schema()
