"""The link checker: requests each resource URL of a dataset and records the answer.

It runs as a CKAN background job (``tk.enqueue_job``) after a dataset is created or
updated, so publishing never waits on remote servers. Uploaded files are checked in
CKAN's storage; remote URLs with a HEAD request (GET when the server refuses HEAD).
Loopback and private addresses are refused unless
``ckanext.openlima.linkcheck_allow_private_addresses`` is on.
"""
from __future__ import annotations

import datetime
import ipaddress
import logging
import os
import socket
from urllib.parse import urlparse

import requests

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.openlima.quality.model import LinkCheck

__all__ = ["check_url", "check_dataset_links", "enqueue_dataset_check", "link_check_job"]

log = logging.getLogger(__name__)
USER_AGENT = "OpenLima-LinkChecker/1.0 (+https://www.munlima.gob.pe)"


def _private_host(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            return True
    return False


def check_url(url: str) -> tuple[bool, int | None, str | None]:
    """(reachable, HTTP status, error in Spanish) for one URL."""
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return False, None, "Dirección no válida (se espera http:// o https://)."
    allow_private = tk.asbool(tk.config.get("ckanext.openlima.linkcheck_allow_private_addresses"))
    if not allow_private and _private_host(parsed.hostname):
        return False, None, "Dirección de red privada: no se verifica."
    timeout = int(tk.config.get("ckanext.openlima.linkcheck_timeout") or 10)
    headers = {"User-Agent": USER_AGENT}
    try:
        response = requests.head(url, timeout=timeout, allow_redirects=True, headers=headers)
        if response.status_code in (403, 405, 501):
            response = requests.get(url, timeout=timeout, allow_redirects=True, headers=headers, stream=True)
            response.close()
    except requests.Timeout:
        return False, None, "El servidor no respondió a tiempo."
    except requests.RequestException as error:
        return False, None, f"No se pudo conectar: {type(error).__name__}."
    ok = 200 <= response.status_code < 400
    return ok, response.status_code, None if ok else f"El servidor respondió {response.status_code}."


def _check_upload(resource: dict) -> tuple[bool, int | None, str | None]:
    from ckan.lib import uploader

    path = uploader.get_resource_uploader(resource).get_path(resource["id"])
    if path and os.path.exists(path):
        return True, None, None
    return False, None, "El archivo subido no está en el almacenamiento."


def check_dataset_links(dataset_id: str) -> list[dict]:
    """Check every resource of a dataset and store the results (the background job)."""
    dataset = tk.get_action("package_show")({"ignore_auth": True}, {"id": dataset_id})
    results = []
    for resource in dataset.get("resources", []):
        if resource.get("url_type") == "upload":
            ok, status, error = _check_upload(resource)
        else:
            ok, status, error = check_url(resource.get("url", ""))
        row = model.Session.get(LinkCheck, resource["id"]) or LinkCheck(resource_id=resource["id"])
        row.package_id = dataset["id"]
        row.url = resource.get("url", "")
        row.ok, row.status_code, row.error = ok, status, error
        row.checked_at = datetime.datetime.utcnow()
        model.Session.add(row)
        results.append(row.as_dict())
    # forget resources that are gone
    current = {r["id"] for r in dataset.get("resources", [])}
    for stale in model.Session.query(LinkCheck).filter(LinkCheck.package_id == dataset["id"]):
        if stale.resource_id not in current:
            model.Session.delete(stale)
    model.Session.commit()
    log.info("Link check of %s: %s of %s reachable", dataset["name"],
             sum(r["ok"] for r in results), len(results))
    return results


def link_check_job(dataset_id: str) -> None:
    """The background job: check the links, then refresh the published compliance and
    metrics datasets (when their publishing office exists)."""
    check_dataset_links(dataset_id)
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    for action in ("openlima_compliance_publish", "openlima_metrics_publish"):
        try:
            tk.get_action(action)({"user": site_user["name"], "ignore_auth": True}, {})
        except tk.ValidationError as error:
            log.info("%s skipped: %s", action, error.error_dict)


def enqueue_dataset_check(dataset_id: str) -> None:
    """Queue the link check; a queue that is down must not stop a data officer's save."""
    try:
        tk.enqueue_job(link_check_job, [dataset_id], title=f"openlima link check {dataset_id}",
                       rq_kwargs={"timeout": 600})
    except Exception:  # noqa: BLE001
        log.warning("Link check of %s not queued", dataset_id, exc_info=True)
