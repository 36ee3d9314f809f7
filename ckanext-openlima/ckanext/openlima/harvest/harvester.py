"""The Open Lima harvester (source type ``openlima_dcat``): a district's CKAN portal or
any DCAT endpoint or file, read with ckanext-dcat's ``RDFParser`` and our
``openlima_dcat_ap_3`` profile, imported under the MML schema.

It is ckanext-dcat's ``DCATRDFHarvester`` with what a municipal catalogue needs:

* the source is read with :mod:`ckanext.openlima.netguard` (the link checker's rule: no
  private addresses unless allow-listed, every redirect checked), with a time limit, a
  size limit per page and a limit on datasets (``ckanext.openlima.harvest_*``);
* a CKAN portal's address works as well as its DCAT endpoint (content negotiation, then
  ``/catalog.ttl``), every page of a paged catalogue is read;
* the whole source is read and checked before anything is written: a source that fails
  (404, time-out, malformed RDF, too many datasets, a private address) leaves one clear
  job error in Spanish and changes no dataset;
* each dataset is created or updated through ``package_create``/``package_update`` under
  the MML schema; a refusal is reported for that dataset in Spanish, field by field, in
  the job report; datasets that left the source are withdrawn (deleted);
* the source's configuration may give ``defaults`` for the MML fields a district's
  catalogue lacks (``{"defaults": {"spatial_ubigeo": ["150122"]}}``).
"""
from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import sqlalchemy as sa

import ckan.model as model  # the harvest tables and their session, as ckanext-harvest does
import ckan.plugins.toolkit as tk
from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.dcat.processors import RDFParser, RDFParserException
from ckanext.harvest.model import HarvestObject
from rdflib.namespace import DCAT, RDF

from ckanext.openlima import netguard

__all__ = ["OpenLimaHarvester", "HarvestSourceError", "DEFAULTABLE_FIELDS"]

log = logging.getLogger(__name__)

USER_AGENT = "OpenLima-Harvester/1.0 (+https://www.munlima.gob.pe)"
RDF_ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, "
              "text/n3;q=0.7, */*;q=0.1")
RDF_FORMATS = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "n3",
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "application/ld+json": "json-ld", "application/json": "json-ld",
}
HTML = ("text/html", "application/xhtml+xml")
MAX_PAGES = 1000
# MML fields a source may fill for its datasets when its catalogue lacks them
DEFAULTABLE_FIELDS = ("spatial_ubigeo", "frequency", "theme", "license_id", "language",
                      "access_rights", "contact")


class HarvestSourceError(Exception):
    """The source cannot be harvested; ``message`` says why, in Spanish."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _settings() -> dict[str, Any]:
    return {
        "allow_private": tk.asbool(tk.config.get("ckanext.openlima.harvest_allow_private_addresses")),
        "allowed_hosts": tk.aslist(tk.config.get("ckanext.openlima.harvest_allowed_hosts")),
        "timeout": float(tk.config.get("ckanext.openlima.harvest_timeout") or 30),
        "max_datasets": int(tk.config.get("ckanext.openlima.harvest_max_datasets") or 2000),
        "max_bytes": 1024 * 1024 * int(tk.config.get("ckanext.dcat.max_file_size") or 50),
    }


class OpenLimaHarvester(DCATRDFHarvester):
    """ckanext-dcat's RDF harvester, made safe and strict for the MML catalogue."""

    def info(self):
        return {
            "name": "openlima_dcat",
            "title": "DCAT / portal CKAN (Open Lima)",
            "description": "Portal CKAN de una municipalidad distrital o catálogo DCAT "
                           "(Turtle, RDF/XML, JSON-LD), importado con el esquema de la MML.",
        }

    # -- configuration ------------------------------------------------------------------

    def validate_config(self, source_config):
        if not source_config:
            return source_config
        try:
            config = json.loads(source_config)
        except ValueError:
            raise ValueError(tk._("La configuración debe ser un objeto JSON.")) from None
        if not isinstance(config, dict):
            raise ValueError(tk._("La configuración debe ser un objeto JSON."))
        unknown = sorted(set(config) - {"rdf_format", "defaults"})
        if unknown:
            raise ValueError(tk._("Opciones desconocidas en la configuración: {options}.").format(
                options=", ".join(unknown)))
        if "rdf_format" in config and config["rdf_format"] not in set(RDF_FORMATS.values()):
            raise ValueError(tk._("rdf_format debe ser uno de: {formats}.").format(
                formats=", ".join(sorted(set(RDF_FORMATS.values())))))
        defaults = config.get("defaults", {})
        if not isinstance(defaults, dict) or set(defaults) - set(DEFAULTABLE_FIELDS):
            raise ValueError(tk._("defaults solo admite estos campos: {fields}.").format(
                fields=", ".join(DEFAULTABLE_FIELDS)))
        return source_config

    @staticmethod
    def _source_config(source) -> dict:
        try:
            config = json.loads(source.config or "{}")
        except ValueError:
            return {}
        return config if isinstance(config, dict) else {}

    # -- reading the source -------------------------------------------------------------

    def _fetch(self, url: str, settings: dict) -> netguard.Fetched:
        try:
            return netguard.fetch(url, allow_private=settings["allow_private"],
                                  allowed_hosts=settings["allowed_hosts"],
                                  timeout=settings["timeout"], max_bytes=settings["max_bytes"],
                                  headers={"Accept": RDF_ACCEPT, "User-Agent": USER_AGENT})
        except netguard.FetchRefused as error:
            raise HarvestSourceError(f"No se pudo leer la fuente {error.url}: {error.reason}") from None

    def read_source(self, url: str, rdf_format: str | None = None) -> list[dict]:
        """Every dataset of the source, parsed: all its pages are read and checked first.

        :raises HarvestSourceError: on the first problem, with a Spanish explanation
        """
        settings = _settings()
        page = self._fetch(url, settings)
        if page.content_type in HTML:
            # A portal's home page: ckanext-dcat's catalogue endpoint
            not_a_catalogue = HarvestSourceError(
                f"{url} es una página web, no un catálogo DCAT ni un portal CKAN con catálogo "
                "DCAT (/catalog.ttl).")
            try:
                page = self._fetch(url.rstrip("/") + "/catalog.ttl", settings)
            except HarvestSourceError:
                raise not_a_catalogue from None
            if page.content_type in HTML:
                raise not_a_catalogue
        datasets: list[dict] = []
        seen = {page.url}
        while True:
            fmt = rdf_format or RDF_FORMATS.get(page.content_type) or _guess_format(page.url)
            parser = RDFParser(profiles=["openlima_dcat_ap_3"])
            try:
                parser.parse(page.body.decode("utf-8"), _format=fmt)
            except (RDFParserException, UnicodeDecodeError, ValueError):
                raise HarvestSourceError(
                    f"El contenido de {page.url} no es RDF válido ({fmt}): revise el archivo "
                    "o el formato (rdf_format) de la fuente.") from None
            count = len(set(parser.g.subjects(RDF.type, DCAT.Dataset)))
            if len(datasets) + count > settings["max_datasets"]:
                raise HarvestSourceError(
                    f"La fuente tiene más de {settings['max_datasets']} conjuntos de datos, el "
                    "máximo de una cosecha (ckanext.openlima.harvest_max_datasets): no se "
                    "importó nada.")
            try:
                datasets += list(parser.datasets())
                next_page = parser.next_page()
            except Exception:  # noqa: BLE001 - a profile choking on odd RDF: the source's fault
                log.warning("Could not read the datasets of %s", page.url, exc_info=True)
                raise HarvestSourceError(
                    f"Los conjuntos de datos de {page.url} no se pudieron leer como DCAT.") from None
            if not next_page or next_page in seen:
                return datasets
            if len(seen) >= MAX_PAGES:
                raise HarvestSourceError(f"La fuente tiene más de {MAX_PAGES} páginas.")
            seen.add(next_page)
            page = self._fetch(next_page, settings)

    # -- stages -------------------------------------------------------------------------

    def gather_stage(self, harvest_job):
        source = harvest_job.source
        config = self._source_config(source)
        try:
            datasets = self.read_source(source.url, config.get("rdf_format"))
        except HarvestSourceError as error:
            self._save_gather_error(error.message, harvest_job)
            return None

        source_dataset = model.Package.get(source.id)
        defaults = config.get("defaults") or {}
        object_ids, guids = [], []
        for dataset in datasets:
            guid = dataset.get("uri") or dataset.get("identifier")
            if not guid:
                self._save_gather_error(
                    f"«{dataset.get('title') or '?'}» no tiene URI ni identificador: no se "
                    "puede seguir entre cosechas y no se importó.", harvest_job)
                continue
            if guid in guids:
                continue
            for field, value in defaults.items():
                if not dataset.get(field):
                    dataset[field] = value
            dataset["owner_org"] = source_dataset.owner_org
            extras = dataset.setdefault("extras", [])
            extras.append({"key": "guid", "value": guid})
            if not any(e["key"] == "source_catalog_homepage" for e in extras):
                # the feeds list it in a sub-catalogue of its source (dct:hasPart)
                extras += _source_catalogue(source)
            guids.append(guid)
            harvest_object = HarvestObject(guid=guid, job=harvest_job, content=json.dumps(dataset))
            harvest_object.save()
            object_ids.append(harvest_object.id)
        return object_ids + self._mark_datasets_for_deletion(guids, harvest_job)

    def fetch_stage(self, harvest_object):
        return True

    def import_stage(self, harvest_object):
        context = {"user": self._get_user_name(), "ignore_auth": True}
        if self._get_object_extra(harvest_object, "status") == "delete":
            # Withdrawn at the source: withdrawn here (deleted, not purged)
            try:
                tk.get_action("package_delete")(context, {"id": harvest_object.package_id})
            except tk.ObjectNotFound:
                pass
            return True

        dataset = json.loads(harvest_object.content)
        previous = (model.Session.query(HarvestObject)
                    .filter(HarvestObject.guid == harvest_object.guid,
                            HarvestObject.harvest_source_id == harvest_object.harvest_source_id,
                            HarvestObject.current == True)  # noqa: E712
                    .first())
        existing = self._existing(previous)
        if existing and previous.content == harvest_object.content:
            previous.current = False
            previous.add()
            harvest_object.current = True
            harvest_object.package_id = existing["id"]
            harvest_object.add()
            model.Session.commit()
            return "unchanged"
        try:
            if previous:
                previous.current = False
                previous.add()
            harvest_object.current = True
            if existing:
                dataset["id"], dataset["name"] = existing["id"], existing["name"]
                by_uri = {r.get("uri"): r["id"] for r in existing.get("resources", []) if r.get("uri")}
                for resource in dataset.get("resources", []):
                    if resource.get("uri") in by_uri:
                        resource["id"] = by_uri[resource["uri"]]
                harvest_object.package_id = existing["id"]
                harvest_object.add()
                tk.get_action("package_update")(dict(context), dataset)
            else:
                dataset["id"] = str(uuid.uuid4())
                dataset["name"] = self._free_name(dataset)
                harvest_object.package_id = dataset["id"]
                harvest_object.add()
                # the object points at the dataset before it exists, so the index sees it
                model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
                model.Session.flush()
                tk.get_action("package_create")(dict(context), dataset)
        except tk.ValidationError as error:
            model.Session.rollback()
            self._save_object_error(self._refusal(dataset, error.error_dict), harvest_object, "Import")
            return False
        except Exception:  # noqa: BLE001 - reported without library text; details in the log
            model.Session.rollback()
            log.exception("Import of %s failed", harvest_object.guid)
            self._save_object_error(
                f"«{dataset.get('title') or harvest_object.guid}» no se importó por un error "
                "interno; el detalle quedó en el registro del servidor.", harvest_object, "Import")
            return False
        model.Session.commit()
        return True

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    def _existing(previous) -> dict | None:
        if previous is None or not previous.package_id:
            return None
        try:
            dataset = tk.get_action("package_show")({"ignore_auth": True}, {"id": previous.package_id})
        except tk.ObjectNotFound:
            return None
        return dataset if dataset.get("state") == "active" else None

    def _free_name(self, dataset: dict) -> str:
        """The source's name when free here, else one made from the title."""
        wanted = dataset.get("name")
        if wanted and not model.Package.get(wanted):
            return wanted
        return self._gen_new_name(dataset.get("title") or wanted or "conjunto-cosechado")

    @staticmethod
    def _refusal(dataset: dict, errors: dict) -> str:
        """The MML schema's refusal of one dataset, in Spanish, field by field."""
        labels = _field_labels()
        parts = []
        for field, messages in sorted(errors.items()):
            label = labels.get(field, field)
            for message in _messages(messages):
                parts.append(f"{label}: {message}")
        title = dataset.get("title") or dataset.get("name") or "?"
        return f"«{title}» no se importó porque no cumple el esquema de la MML. " + " ".join(
            part if part.endswith(".") else part + "." for part in parts)


def _source_catalogue(source) -> list[dict]:
    """The harvest source as the sub-catalogue of a dataset whose file names none."""
    title = source.title or source.url
    return [{"key": "source_catalog_title", "value": title},
            {"key": "source_catalog_description", "value": f"Catálogo cosechado de {source.url}"},
            {"key": "source_catalog_homepage", "value": source.url},
            {"key": "source_catalog_publisher", "value": json.dumps({"name": title})}]


def _messages(value) -> list[str]:
    """Flatten CKAN's error structure (lists, dicts of resources and subfields)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [f"{key}: {m}" for key, inner in value.items() for m in _messages(inner)]
    if isinstance(value, (list, tuple)):
        return [m for inner in value for m in _messages(inner)]
    return [str(value)]


def _field_labels() -> dict[str, str]:
    try:
        schema = tk.get_action("scheming_dataset_schema_show")({"ignore_auth": True}, {"type": "dataset"})
    except (KeyError, tk.ObjectNotFound):
        return {}
    labels = {}
    for field in schema.get("dataset_fields", []):
        label = field.get("label")
        labels[field["field_name"]] = label.get("es") if isinstance(label, dict) else (label or field["field_name"])
    labels["tags"] = labels.get("tag_string", "tags")
    labels["resources"] = "Recursos"
    return labels


def _guess_format(url: str) -> str:
    from rdflib.util import guess_format

    return guess_format(url.split("?")[0]) or "turtle"
