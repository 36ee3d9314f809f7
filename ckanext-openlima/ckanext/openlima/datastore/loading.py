"""Submitting resources to the loader in bulk and following them (the CLI's work)."""
from __future__ import annotations

import datetime

import ckan.model as model  # resources are listed straight from the model, as CKAN's
import ckan.plugins.toolkit as tk  # own `ckan views create` does

from ckanext.openlima.datastore import status

__all__ = ["tabular_resources", "submit_all", "progress", "errors", "create_missing_views",
           "submit_if_new_upload"]


def _site_context() -> dict:
    user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": user["name"], "ignore_auth": True}


def tabular_resources() -> list[model.Resource]:
    """Active resources of active datasets in a format the loader takes."""
    from ckanext.xloader.utils import XLoaderFormats

    query = (model.Session.query(model.Resource)
             .join(model.Package, model.Package.id == model.Resource.package_id)
             .filter(model.Resource.state == "active", model.Package.state == "active"))
    return [resource for resource in query
            if XLoaderFormats.is_it_an_xloader_format(resource.format)]


def submit_all(force: bool = False) -> list[str]:
    """Queue every tabular resource not yet loaded (all with ``force``); their ids."""
    submitted = []
    context = _site_context()
    for resource in tabular_resources():
        # a load left "running" by a worker that was killed counts as not loaded
        if (not force and resource.extras.get("datastore_active")
                and _task_state(resource.id) == "complete"):
            continue
        tk.get_action("xloader_submit")(
            dict(context), {"resource_id": resource.id, "ignore_hash": True})
        submitted.append(resource.id)
    return submitted


def _task_state(resource_id: str) -> str:
    try:
        task = tk.get_action("task_status_show")(
            {"ignore_auth": True},
            {"entity_id": resource_id, "task_type": "xloader", "key": "xloader"})
    except tk.ObjectNotFound:
        return "pending"
    return task.get("state") or "pending"


def progress(resource_ids: list[str]) -> dict[str, int]:
    model.Session.remove()  # see the worker's writes
    counts = {"complete": 0, "error": 0, "pending": 0}
    for resource_id in resource_ids:
        state = _task_state(resource_id)
        key = state if state in ("complete", "error") else "pending"
        counts[key] += 1
    return counts


def errors(resource_ids: list[str]) -> list[tuple[str, str]]:
    found = []
    for resource_id in resource_ids:
        resource = tk.get_action("resource_show")(_site_context(), {"id": resource_id})
        shown = status.load_status(resource)
        if shown and shown["state"] == "error":
            found.append((resource["name"] or resource_id, shown["message"]))
    return found


def create_missing_views() -> int:
    """Default views for resources that have none of them (the demo, or data published
    before the views were configured); as `ckan views create`, without the prompt."""
    context = _site_context()
    created = 0
    for dataset_id, in model.Session.query(model.Package.id).filter(
            model.Package.state == "active"):
        dataset = tk.get_action("package_show")(dict(context), {"id": dataset_id})
        # CKAN creates either the views that need the DataStore or the others: both
        for datastore_views in (False, True):
            views = tk.get_action("package_create_default_resource_views")(
                dict(context), {"package": dataset, "create_datastore_views": datastore_views})
            created += len(views or [])
    return created


def submit_if_new_upload(resource: dict) -> None:
    """Queue a load when an uploaded file is newer than the last load of the resource."""
    from ckanext.xloader.utils import XLoaderFormats

    if (resource.get("url_type") != "upload" or not resource.get("last_modified")
            or not XLoaderFormats.is_it_an_xloader_format(resource.get("format"))):
        return
    try:
        task = tk.get_action("task_status_show")(
            {"ignore_auth": True},
            {"entity_id": resource["id"], "task_type": "xloader", "key": "xloader"})
    except tk.ObjectNotFound:
        return  # never loaded: xloader's own after_resource_create queued it
    if task.get("state") in ("pending", "submitting", "running"):
        return
    try:
        modified = datetime.datetime.fromisoformat(str(resource["last_modified"]))
        loaded = datetime.datetime.fromisoformat(str(task.get("last_updated")))
    except ValueError:
        return
    if modified.replace(tzinfo=None) <= loaded.replace(tzinfo=None):
        return
    try:
        tk.get_action("xloader_submit")(
            _site_context(), {"resource_id": resource["id"], "ignore_hash": True})
    except tk.ValidationError:
        pass
