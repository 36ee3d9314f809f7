"""The link checker: requests each resource URL of a dataset and records the answer.

It runs as a CKAN background job (``tk.enqueue_job``) after a dataset is created or
updated, so publishing never waits on remote servers. Uploaded files are checked in
CKAN's storage; remote URLs with a HEAD request (GET when the server refuses HEAD).
Loopback and private addresses are refused unless
``ckanext.openlima.linkcheck_allow_private_addresses`` is on or the host is listed in
``ckanext.openlima.linkcheck_allowed_hosts`` — at every hop: redirects are followed one by
one and each new address is checked, so a public URL cannot redirect the checker into the
municipality's network or a cloud metadata service.
"""
from __future__ import annotations

import logging
import os
from urllib.parse import urljoin

import requests

import ckan.model as model
import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.openlima import netguard
from ckanext.openlima.quality.model import LinkCheck

__all__ = ["check_url", "check_dataset_links", "enqueue_dataset_check", "link_check_job",
           "refusal_reason"]

log = logging.getLogger(__name__)
USER_AGENT = "OpenLima-LinkChecker/1.0 (+https://www.munlima.gob.pe)"
MAX_REDIRECTS = 5
_REDIRECTS = netguard.REDIRECTS


def _refused(url: str) -> str | None:
    """Why the checker will not request ``url`` (in Spanish), or None (``netguard``'s rule)."""
    return netguard.refusal(
        url, allow_private=tk.asbool(tk.config.get("ckanext.openlima.linkcheck_allow_private_addresses")),
        allowed_hosts=tk.aslist(tk.config.get("ckanext.openlima.linkcheck_allowed_hosts")))


# The same rule for every fetcher of the portal (link checker, DataStore loader).
refusal_reason = _refused


def _request(method: str, url: str, timeout: int) -> tuple[requests.Response | None, str | None]:
    """``method`` on ``url``, following up to MAX_REDIRECTS redirects, each one checked."""
    for _hop in range(MAX_REDIRECTS + 1):
        refusal = _refused(url)
        if refusal:
            return None, refusal
        response = requests.request(method, url, timeout=timeout, allow_redirects=False,
                                    headers={"User-Agent": USER_AGENT}, stream=True)
        response.close()
        location = response.headers.get("Location")
        if response.status_code not in _REDIRECTS or not location:
            return response, None
        url = urljoin(url, location)
    return None, "Demasiadas redirecciones."


def check_url(url: str) -> tuple[bool, int | None, str | None]:
    """(reachable, HTTP status, error in Spanish) for one URL."""
    timeout = int(tk.config.get("ckanext.openlima.linkcheck_timeout") or 10)
    try:
        response, refusal = _request("HEAD", url, timeout)
        if response is not None and response.status_code in (403, 405, 501):
            response, refusal = _request("GET", url, timeout)
    except requests.Timeout:
        return False, None, "El servidor no respondió a tiempo."
    except requests.RequestException as error:
        return False, None, f"No se pudo conectar: {type(error).__name__}."
    if response is None:
        return False, None, refusal
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
        row.checked_at = clock.utcnow()
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
        # One waiting check per dataset: creating a dataset with five resources saves it
        # six times, and six identical checks would hold up every other job (loads).
        from ckan.lib.jobs import get_queue

        job_id = f"openlima-linkcheck-{dataset_id}"
        if job_id in get_queue().get_job_ids():
            return
        tk.enqueue_job(link_check_job, [dataset_id], title=f"openlima link check {dataset_id}",
                       rq_kwargs={"timeout": 600, "job_id": job_id})
    except Exception:  # noqa: BLE001
        log.warning("Link check of %s not queued", dataset_id, exc_info=True)
