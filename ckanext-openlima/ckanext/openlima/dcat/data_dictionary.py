"""The data dictionary in DCAT: a CSV on the Web (W3C CSVW) table schema.

DCAT-AP has no data dictionary; CSVW is the W3C vocabulary for the columns of tabular
data. Each dataset gets ``csvw:tableSchema [ a csvw:Schema ; csvw:column ( … ) ]``, the
columns as an ordered RDF list of ``csvw:Column`` with ``csvw:name``,
``csvw:datatype`` (an XSD or GeoSPARQL datatype) and ``dct:description``, so the
dictionary travels with the feed and comes back in order.
"""
from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, RDF, XSD

__all__ = ["CSVW", "add_data_dictionary", "read_data_dictionary"]

CSVW = Namespace("http://www.w3.org/ns/csvw#")
GEO_WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
# MML column types (config/schemas/mml_dataset.yaml) <-> datatypes
DATATYPES = {
    "texto": XSD.string,
    "entero": XSD.integer,
    "decimal": XSD.decimal,
    "fecha": XSD.date,
    "fecha_hora": XSD.dateTime,
    "booleano": XSD.boolean,
    "geometria": GEO_WKT,
}
TYPES = {datatype: column_type for column_type, datatype in DATATYPES.items()}


def add_data_dictionary(graph: Graph, dataset_ref, columns: list[dict]) -> None:
    if not columns:
        return
    graph.bind("csvw", CSVW)
    schema = BNode()
    graph.add((dataset_ref, CSVW.tableSchema, schema))
    graph.add((schema, RDF.type, CSVW.Schema))
    nodes = []
    for column in columns:
        if not isinstance(column, dict) or not column.get("column"):
            continue
        node = BNode()
        graph.add((node, RDF.type, CSVW.Column))
        graph.add((node, CSVW.name, Literal(column["column"])))
        datatype = DATATYPES.get(column.get("type") or "")
        if datatype is not None:
            graph.add((node, CSVW.datatype, datatype))
        if column.get("description"):
            graph.add((node, DCTERMS.description, Literal(column["description"])))
        nodes.append(node)
    list_head = BNode()
    Collection(graph, list_head, nodes)
    graph.add((schema, CSVW.column, list_head))


def read_data_dictionary(graph: Graph, dataset_ref) -> list[dict]:
    """The columns of the dataset's CSVW table schema, in order (unknown datatypes as
    ``texto``)."""
    columns = []
    for schema in graph.objects(dataset_ref, CSVW.tableSchema):
        for head in graph.objects(schema, CSVW.column):
            nodes = list(Collection(graph, head)) if (head, RDF.first, None) in graph else [head]
            for node in nodes:
                name = graph.value(node, CSVW.name) or graph.value(node, CSVW.title)
                if name is None:
                    continue
                column = {"column": str(name),
                          "type": TYPES.get(graph.value(node, CSVW.datatype), "texto")}
                description = graph.value(node, DCTERMS.description)
                if description is not None:
                    column["description"] = str(description)
                columns.append(column)
    return columns
