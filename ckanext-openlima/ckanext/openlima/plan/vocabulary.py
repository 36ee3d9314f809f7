"""Closed vocabularies of the dashboard and their Spanish labels.

Labels are looked up through ``tk._`` when shown, so they follow the request's locale.
"""
from __future__ import annotations

from typing import Optional

import ckan.plugins.toolkit as tk

__all__ = [
    "OGP_VALUES",
    "MILESTONE_KINDS",
    "COMMITMENT_STAGES",
    "COMMITMENT_STATUSES",
    "COMPLETION_LEVELS",
    "ASSESSORS",
    "INDICATOR_KINDS",
    "DIRECTIONS",
    "label",
]

OGP_VALUES = {
    "transparency": "Transparencia",
    "accountability": "Rendición de cuentas",
    "participation": "Participación pública",
    "inclusion": "Inclusión",
    "tech_innovation": "Tecnología e innovación",
}

MILESTONE_KINDS = {
    "communication": "Comunicación del compromiso",
    "platform_development": "Desarrollo de la plataforma",
    "launch": "Lanzamiento",
    "internal_campaign": "Campaña interna",
    "external_campaign": "Campaña externa",
    "regulatory_proposal": "Propuesta normativa",
    "evaluation_monitoring": "Evaluación y monitoreo",
    "other": "Otro",
}

COMMITMENT_STAGES = {
    "approved": "Aprobado",
    "draft_not_adopted": "Borrador no adoptado",
}

# derived from the milestones (see progress.commitment_status)
COMMITMENT_STATUSES = {
    "not_started": "No iniciado",
    "in_progress": "En curso",
    "delayed": "Con retraso",
    "completed": "Completado",
    "no_milestones": "Sin hitos",
}

# OGP / IRM completion scale
COMPLETION_LEVELS = {
    "no_evidence": "Sin evidencia disponible",
    "not_started": "No iniciado",
    "limited": "Limitado",
    "substantial": "Sustancial",
    "complete": "Completo",
}

ASSESSORS = {
    "self": "Autoevaluación de la municipalidad",
    "irm": "Mecanismo de Revisión Independiente (IRM)",
    "monitoring_body": "Ente de monitoreo",
}

INDICATOR_KINDS = {
    "computed": "Calculado por la plataforma",
    "manual": "Registrado por el equipo del plan",
}

DIRECTIONS = {
    "increase": "Aumentar",
    "decrease": "Disminuir",
}


def label(vocabulary: dict[str, str], key: Optional[str]) -> str:
    if key is None:
        return ""
    text = vocabulary.get(key)
    return tk._(text) if text else key
