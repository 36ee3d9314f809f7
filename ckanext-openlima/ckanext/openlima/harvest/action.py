"""What a harvest source must say, and where its jobs run.

Every source names the MML office that publishes what it brings (harvested datasets are
published under it and count in its compliance). Jobs run on CKAN's jobs worker
(:mod:`ckanext.openlima.harvest.jobs`).
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.openlima.harvest.jobs import harvest_send_job_to_gather_queue

__all__ = ["harvest_source_create", "harvest_source_update", "harvest_send_job_to_gather_queue"]


def _require_office(data_dict: dict) -> None:
    if not data_dict.get("owner_org"):
        raise tk.ValidationError({"owner_org": [tk._(
            "Indique la oficina de la MML que publicará los conjuntos de datos cosechados.")]})


@tk.chained_action
def harvest_source_create(original_action, context, data_dict):
    """ckanext-harvest's ``harvest_source_create``, after its auth check, refusing a
    source that does not name the MML office (``owner_org``) that publishes what it
    brings."""
    tk.check_access("harvest_source_create", context, {**data_dict, "type": "harvest"})
    _require_office(data_dict)
    return original_action(context, data_dict)


@tk.chained_action
def harvest_source_update(original_action, context, data_dict):
    """ckanext-harvest's ``harvest_source_update``, after its auth check; the source
    must still name its office (``owner_org``)."""
    tk.check_access("harvest_source_update", context, data_dict)
    _require_office(data_dict)
    return original_action(context, data_dict)
