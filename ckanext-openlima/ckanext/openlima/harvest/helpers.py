"""Template helpers: where a harvested dataset comes from."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins as p

__all__ = ["openlima_harvest_provenance"]


def openlima_harvest_provenance(dataset: dict) -> dict[str, Any] | None:
    """``{source_title, source_url, original_page, harvested}`` of a harvested dataset
    (its current harvest object), or None for a dataset published here."""
    if not p.plugin_loaded("harvest"):
        return None
    from ckanext.harvest.model import HarvestObject

    harvest_object = (model.Session.query(HarvestObject)
                      .filter(HarvestObject.package_id == dataset.get("id"),
                              HarvestObject.current == True)  # noqa: E712
                      .order_by(HarvestObject.import_finished.desc()).first())
    if harvest_object is None:
        return None
    extras = {e.get("key"): e.get("value") for e in dataset.get("extras") or []}
    source = harvest_object.source
    return {
        "source_title": source.title or source.url,
        "source_url": source.url,
        "original_page": extras.get("source_landing_page"),
        "harvested": harvest_object.import_finished or harvest_object.gather_finished,
    }
