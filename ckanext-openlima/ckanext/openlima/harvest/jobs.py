"""Harvest jobs run on CKAN's jobs worker (``ckan jobs worker``), not on ckanext-harvest's
own gather and fetch consumers.

ckanext-harvest puts a job it starts (from the web page, ``harvest_job_create`` or the
scheduled ``ckan harvester run``) on its gather queue, consumed by
``ckan harvester gather-consumer``, which hands every dataset to a second process,
``ckan harvester fetch-consumer``. Open Lima chains ``harvest_send_job_to_gather_queue``
so the job goes to CKAN's own background queue instead: one worker job runs gather, then
fetch and import of every dataset, then marks the job finished. The platform runs one
kind of worker for everything (link checks, DataStore loads, harvests, mail), and a
harvest needs no processes of its own.
"""
from __future__ import annotations

import logging

import ckan.model as model
import ckan.plugins.toolkit as tk

__all__ = ["harvest_send_job_to_gather_queue", "run_harvest_job"]

log = logging.getLogger(__name__)


@tk.chained_action
def harvest_send_job_to_gather_queue(original_action, context, data_dict):
    """Queue the harvest job on CKAN's jobs worker (same checks, same answer as
    ckanext-harvest's action)."""
    from ckanext.harvest.logic.dictization import harvest_job_dictize
    from ckanext.harvest.model import HarvestJob

    job = tk.get_action("harvest_job_show")(dict(context), {"id": tk.get_or_bust(data_dict, "id")})
    tk.check_access("harvest_send_job_to_gather_queue", context, job)
    source = tk.get_action("harvest_source_show")(dict(context), {"id": job["source_id"]})
    if not source["active"]:
        raise tk.ValidationError({"source": [tk._("La fuente de cosecha no está activa.")]})
    job_object = HarvestJob.get(job["id"])
    job_object.status = "Running"
    job_object.save()
    tk.enqueue_job(run_harvest_job, [job["id"]], title=f"openlima harvest {source['name']}",
                   rq_kwargs={"timeout": 3600})
    return harvest_job_dictize(job_object, context)


def run_harvest_job(job_id: str) -> None:
    """The worker's job: gather, then fetch and import every object, then finish."""
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject

    job = HarvestJob.get(job_id)
    if job is None:
        log.warning("Harvest job %s is gone", job_id)
        return
    harvester = queue.get_harvester(job.source.type)
    if harvester is None:
        HarvestGatherError.create(f"No hay cosechador para el tipo de fuente «{job.source.type}».", job)
    else:
        try:
            object_ids = queue.gather_stage(harvester, job)
        except Exception:  # noqa: BLE001 - the job must still end, with a readable error
            log.exception("Gather of harvest job %s failed", job_id)
            model.Session.rollback()
            HarvestGatherError.create("La cosecha falló por un error interno al leer la fuente; "
                                      "el detalle quedó en el registro del servidor.", HarvestJob.get(job_id))
            object_ids = None
        for object_id in object_ids if isinstance(object_ids, list) else []:
            harvest_object = HarvestObject.get(object_id)
            if harvest_object is not None:
                queue.fetch_and_import_stages(harvester, harvest_object)
    _finish(HarvestJob.get(job_id))


def _finish(job) -> None:
    """Mark the job finished (what ``harvest_jobs_run`` does for one job, without its
    resubmissions to ckanext-harvest's Redis queues, which nothing consumes here)."""
    from openlima_common import clock

    from ckanext.harvest.model import HarvestObject

    objects = model.Session.query(HarvestObject).filter(HarvestObject.harvest_job_id == job.id)
    for harvest_object in objects.filter(HarvestObject.state.notin_(["COMPLETE", "ERROR"])):
        harvest_object.state = "ERROR"  # left half-done by a crash: never retried silently
        harvest_object.report_status = "errored"
    last = max((o.import_finished for o in objects if o.import_finished), default=None)
    now = clock.utcnow()
    job.gather_finished = job.gather_finished or now
    job.finished = last or job.gather_finished
    job.status = "Finished"
    job.save()
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    tk.get_action("harvest_source_reindex")({"user": site_user, "ignore_auth": True},
                                            {"id": job.source_id})
