"""One data dictionary: the DataStore's, shown everywhere.

CKAN 2.12 keeps a data dictionary per DataStore table (each column's label, description
and type override, edited on the resource's "Diccionario de datos" page and returned by
``datastore_search`` / ``datastore_info``); the MML schema has one per dataset
(``data_dictionary``: column, type, description), which the compliance check, the dataset
page and the DCAT/JSON exports read. They are the same thing to a data officer, so:

* **source of truth: the DataStore's dictionary.** A column belongs to a table, a dataset
  can hold several tables, and only the loaded table knows which columns really exist
  and their real types;
* after every load and every save of a DataStore dictionary, the dataset's
  ``data_dictionary`` is rewritten from the tables (column, type in the MML vocabulary,
  description), so page, exports, static site and compliance show the same text;
* a description written in the dataset form (or brought by older data, the demo) for a
  column whose DataStore description is empty is copied into the DataStore first — it
  seeds, it never overwrites. Columns of the form that no loaded table has are kept.
"""
from __future__ import annotations

import logging
from typing import Any

import ckan.plugins.toolkit as tk

__all__ = ["sync_dataset", "sync_dataset_job", "enqueue_sync", "SYNC_FLAG", "MML_TYPES"]

log = logging.getLogger(__name__)
SYNC_FLAG = "openlima_dictionary_sync"
# DataStore column type -> the MML schema's type choice
MML_TYPES = {
    "text": "texto", "int": "entero", "int4": "entero", "int8": "entero", "bigint": "entero",
    "integer": "entero", "numeric": "decimal", "float8": "decimal", "float": "decimal",
    "date": "fecha", "timestamp": "fecha_hora", "timestamptz": "fecha_hora",
    "bool": "booleano", "boolean": "booleano",
}


def _site_context() -> dict[str, Any]:
    user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": user["name"], "ignore_auth": True, SYNC_FLAG: True}


def _seed_descriptions(resource_id: str, fields: list[dict], seed: dict[str, str]) -> list[dict]:
    """Copy the form's descriptions into columns the DataStore has none for."""
    missing = [f for f in fields if not (f.get("info") or {}).get("notes") and seed.get(f["id"])]
    if not missing:
        return fields
    updated = []
    for field in fields:
        info = dict(field.get("info") or {})
        if not info.get("notes") and seed.get(field["id"]):
            info["notes"] = seed[field["id"]]
        updated.append({"id": field["id"], "type": field["type"], "info": info})
    tk.get_action("datastore_create")(
        _site_context(), {"resource_id": resource_id, "force": True, "fields": updated})
    return updated


def sync_dataset(dataset_id: str) -> list[dict[str, str]]:
    """Seed the DataStore dictionaries of a dataset's loaded resources from its form, then
    rewrite the dataset's ``data_dictionary`` from them. Returns the new dictionary."""
    context = _site_context()
    dataset = tk.get_action("package_show")(dict(context), {"id": dataset_id})
    current = [entry for entry in dataset.get("data_dictionary") or []
               if isinstance(entry, dict) and entry.get("column")]
    seed = {entry["column"]: str(entry.get("description") or "") for entry in current}
    derived: dict[str, dict[str, str]] = {}
    for resource in dataset.get("resources") or []:
        if not resource.get("datastore_active"):
            continue
        try:
            info = tk.get_action("datastore_info")(dict(context), {"id": resource["id"]})
        except tk.ObjectNotFound:
            continue
        fields = [f for f in info.get("fields", []) if f["id"] != "_id"]
        fields = _seed_descriptions(resource["id"], fields, seed)
        for field in fields:
            if field["id"] in derived:
                continue
            derived[field["id"]] = {
                "column": field["id"],
                "type": MML_TYPES.get(field.get("type", "text"), "texto"),
                "description": (field.get("info") or {}).get("notes") or "",
            }
    if not derived:
        return current
    new = list(derived.values()) + [entry for entry in current if entry["column"] not in derived]
    comparable = [{key: entry.get(key) or "" for key in ("column", "type", "description")}
                  for entry in current]
    if new != comparable:
        try:
            tk.get_action("package_patch")(dict(context), {"id": dataset["id"],
                                                           "data_dictionary": new})
        except tk.ValidationError as error:
            # a dataset invalid for other reasons: its dictionary waits for its next save
            log.info("Data dictionary of %s not synced: %s", dataset["name"], error.error_dict)
    return new


def sync_dataset_job(dataset_id: str) -> None:
    """The background job queued after a data officer saves a dataset with loaded data."""
    try:
        sync_dataset(dataset_id)
    except tk.ObjectNotFound:
        return


def enqueue_sync(dataset_id: str) -> None:
    """Queue one sync per dataset (a queued one is not doubled); never fails a save."""
    try:
        from ckan.lib.jobs import get_queue

        job_id = f"openlima-dictionary-{dataset_id}"
        if job_id in get_queue().get_job_ids():
            return
        tk.enqueue_job(sync_dataset_job, [dataset_id], title=f"openlima dictionary {dataset_id}",
                       rq_kwargs={"job_id": job_id})
    except Exception:  # noqa: BLE001
        log.warning("Data dictionary sync of %s not queued", dataset_id, exc_info=True)
