"""Validation schemas of the commitments dashboard actions."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.openlima.plan import vocabulary as vocab
from ckanext.openlima.plan.vocabulary import N_
from ckanext.openlima.plan.logic import validators as v

__all__ = [
    "plan_schema",
    "portal_commitment_schema",
    "commitment_schema",
    "milestone_load_schema",
    "indicator_load_schema",
    "milestone_update_schema",
    "indicator_value_add_schema",
    "assessment_add_schema",
    "commitment_list_schema",
]

Schema = dict[str, Any]


@tk.validator_args
def plan_schema(ignore_missing, ignore) -> Schema:
    return {
        "id": [v.required(N_("Indique el identificador del plan.")), v.slug],
        "title": [v.required(N_("Indique el título del plan.")), v.text],
        "member": [ignore_missing, v.text],
        "description": [ignore_missing, v.text],
        "period_start": [ignore_missing, v.empty_to_none, v.iso_date],
        "period_end": [ignore_missing, v.empty_to_none, v.iso_date],
        "status": [ignore_missing, v.text],
        "source": [ignore_missing, v.text],
        "source_url": [ignore_missing, v.http_url],
        "team_organization": [ignore_missing, v.text],
        "__extras": [ignore],
    }


@tk.validator_args
def milestone_load_schema(ignore_missing, ignore) -> Schema:
    return {
        "code": [v.required(N_("Indique el código del hito.")), v.text],
        "kind": [
            ignore_missing,
            v.one_of(vocab.MILESTONE_KINDS, N_("Tipo de hito no válido.")),
        ],
        "title": [v.required(N_("Indique el título del hito.")), v.text],
        "deliverable": [ignore_missing, v.text],
        "planned_start": [ignore_missing, v.empty_to_none, v.iso_date],
        "planned_end": [ignore_missing, v.empty_to_none, v.iso_date],
        "actual_start": [ignore_missing, v.empty_to_none, v.iso_date],
        "actual_end": [ignore_missing, v.empty_to_none, v.iso_date],
        "weight": [ignore_missing, v.empty_to_none, v.non_negative_number],
        "status": [ignore_missing, v.text],
        "progress": [ignore_missing, v.percentage],
        "evidence": [ignore_missing, v.evidence_list],
        "__extras": [ignore],
    }


@tk.validator_args
def indicator_load_schema(ignore_missing, ignore) -> Schema:
    return {
        "code": [v.required(N_("Indique el código del indicador.")), v.slug],
        "name": [v.required(N_("Indique el nombre del indicador.")), v.text],
        "description": [ignore_missing, v.text],
        "unit": [ignore_missing, v.text],
        "baseline": [ignore_missing, v.empty_to_none, v.number],
        "baseline_date": [ignore_missing, v.empty_to_none, v.iso_date],
        "target": [ignore_missing, v.empty_to_none, v.number],
        "target_date": [ignore_missing, v.empty_to_none, v.iso_date],
        "direction": [ignore_missing, v.one_of(vocab.DIRECTIONS, N_("Dirección no válida."))],
        "kind": [ignore_missing, v.one_of(vocab.INDICATOR_KINDS, N_("Tipo de indicador no válido."))],
        "metric": [ignore_missing, v.empty_to_none, v.text],
        "source": [ignore_missing, v.text],
        "frequency": [ignore_missing, v.text],
        "measure": [ignore_missing, v.empty_to_none, v.text],
        "__extras": [ignore],
    }


@tk.validator_args
def commitment_schema(ignore_missing, ignore) -> Schema:
    return {
        "name": [v.required(N_("Indique el nombre corto (slug) del compromiso.")), v.slug],
        "code": [ignore_missing, v.text],
        "stage": [
            ignore_missing,
            v.one_of(vocab.COMMITMENT_STAGES, N_("Etapa del compromiso no válida.")),
        ],
        "stage_note": [ignore_missing, v.text],
        "title": [v.required(N_("Indique el título del compromiso.")), v.text],
        "subtitle": [ignore_missing, v.text],
        "summary": [ignore_missing, v.text],
        "responsible_offices": [ignore_missing, v.dict_list("name", "title")],
        "supporting_actors": [ignore_missing, v.string_list],
        "implementation_period": [ignore_missing, v.text],
        "implementation_start": [ignore_missing, v.empty_to_none, v.iso_date],
        "implementation_end": [ignore_missing, v.empty_to_none, v.iso_date],
        "commitment_period": [ignore_missing, v.text],
        "commitment_start": [ignore_missing, v.empty_to_none, v.iso_date],
        "commitment_end": [ignore_missing, v.empty_to_none, v.iso_date],
        "ogp_values": [ignore_missing, v.string_list, _ogp_values],
        "ogp_values_text": [ignore_missing, v.string_list],
        "sdg_targets": [ignore_missing, v.dict_list("code", "text")],
        "why_important": [ignore_missing, v.text],
        "objective": [ignore_missing, v.text],
        "stoppers": [ignore_missing, v.dict_list("title", "description")],
        "budget": [ignore_missing, v.text],
        "planned_measures": [ignore_missing, v.string_list],
        "draft": [ignore_missing, v.draft_block],
        "milestones": milestone_load_schema(),
        "indicators": indicator_load_schema(),
        "__extras": [ignore],
    }


@tk.validator_args
def portal_commitment_schema(ignore_missing, ignore) -> Schema:
    """What the portal adds to one commitment (``plan-<id>.portal.yaml``)."""
    return {
        "indicators": indicator_load_schema(),
        "traces": [ignore_missing, v.trace_list],
        "__extras": [ignore],
    }


def _ogp_values(value: Any) -> Any:
    for item in value or []:
        v.one_of(vocab.OGP_VALUES, N_("Valor de gobierno abierto no válido."))(item)
    return value


@tk.validator_args
def milestone_update_schema(ignore_missing, ignore) -> Schema:
    return {
        "id": [v.required(N_("Indique el hito.")), v.text],
        "status": [ignore_missing, v.empty_to_none, v.text],
        "progress": [ignore_missing, v.empty_to_none, v.percentage],
        "actual_start": [ignore_missing, v.empty_to_none, v.iso_date],
        "actual_end": [ignore_missing, v.empty_to_none, v.iso_date],
        "evidence": [ignore_missing, v.evidence_list],
        "reason": [v.required(N_("Indique el motivo del cambio.")), v.text],
        "__extras": [ignore],
    }


@tk.validator_args
def indicator_value_add_schema(ignore_missing, ignore) -> Schema:
    return {
        "indicator_id": [v.required(N_("Indique el indicador.")), v.text],
        "date": [v.required(N_("Indique la fecha del valor.")), v.iso_date],
        "value": [v.required(N_("Indique el valor.")), v.number],
        "source": [v.required(N_("Indique la fuente del valor.")), v.text],
        "evidence_url": [ignore_missing, v.http_url],
        "note": [ignore_missing, v.text],
        "__extras": [ignore],
    }


@tk.validator_args
def assessment_add_schema(ignore_missing, ignore) -> Schema:
    return {
        "commitment_id": [v.required(N_("Indique el compromiso.")), v.text],
        "assessor": [
            v.required(N_("Indique quién evalúa.")),
            v.one_of(vocab.ASSESSORS, N_("Evaluador no válido.")),
        ],
        "completion": [
            v.required(N_("Indique el nivel de cumplimiento.")),
            v.one_of(vocab.COMPLETION_LEVELS, N_("Nivel de cumplimiento no válido.")),
        ],
        "assessed_on": [v.required(N_("Indique la fecha de la evaluación.")), v.iso_date],
        "source": [v.required(N_("Indique la fuente de la evaluación.")), v.text],
        "source_url": [ignore_missing, v.http_url],
        "notes": [ignore_missing, v.text],
        "__extras": [ignore],
    }


@tk.validator_args
def commitment_list_schema(ignore_missing, ignore) -> Schema:
    return {
        "plan_id": [ignore_missing, v.text],
        "ogp_value": [ignore_missing, v.empty_to_none, v.text],
        "sdg_target": [ignore_missing, v.empty_to_none, v.text],
        "stage": [ignore_missing, v.empty_to_none, v.text],
        "__extras": [ignore],
    }
