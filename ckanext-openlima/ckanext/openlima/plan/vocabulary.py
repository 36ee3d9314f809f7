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
    "N_",
]


def N_(text: str) -> str:
    """Marks a string for the catalogue without translating it (``tk._`` translates it
    when shown, in the locale of that request)."""
    return text


OGP_VALUES = {
    "transparency": N_("Transparencia"),
    "accountability": N_("Rendición de cuentas"),
    "participation": N_("Participación pública"),
    "inclusion": N_("Inclusión"),
    "tech_innovation": N_("Tecnología e innovación"),
}

MILESTONE_KINDS = {
    "communication": N_("Comunicación del compromiso"),
    "platform_development": N_("Desarrollo de la plataforma"),
    "launch": N_("Lanzamiento"),
    "internal_campaign": N_("Campaña interna"),
    "external_campaign": N_("Campaña externa"),
    "regulatory_proposal": N_("Propuesta normativa"),
    "evaluation_monitoring": N_("Evaluación y monitoreo"),
    "other": N_("Otro"),
}

COMMITMENT_STAGES = {
    "approved": N_("Aprobado"),
    "draft_not_adopted": N_("Borrador no adoptado"),
}

# derived from the milestones (see progress.commitment_status)
COMMITMENT_STATUSES = {
    "not_started": N_("No iniciado"),
    "in_progress": N_("En curso"),
    "delayed": N_("Con retraso"),
    "no_progress_recorded": N_("Sin avance registrado"),
    "completed": N_("Completado"),
    "no_milestones": N_("Sin hitos"),
}

# OGP / IRM completion scale
COMPLETION_LEVELS = {
    "no_evidence": N_("Sin evidencia disponible"),
    "not_started": N_("No iniciado"),
    "limited": N_("Limitado"),
    "substantial": N_("Sustancial"),
    "complete": N_("Completo"),
}

ASSESSORS = {
    "self": N_("Autoevaluación de la municipalidad"),
    "irm": N_("Mecanismo de Revisión Independiente (IRM)"),
    "monitoring_body": N_("Ente de monitoreo"),
}

INDICATOR_KINDS = {
    "computed": N_("Calculado por la plataforma"),
    "manual": N_("Registrado por el equipo del plan"),
}

DIRECTIONS = {
    "increase": N_("Aumentar"),
    "decrease": N_("Disminuir"),
}


def label(vocabulary: dict[str, str], key: Optional[str]) -> str:
    if key is None:
        return ""
    text = vocabulary.get(key)
    return tk._(text) if text else key
