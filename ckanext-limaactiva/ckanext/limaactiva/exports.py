"""Open data of Lima Activa: CSV exports built from the public action dicts, and the CKAN
dataset that links to them. Nothing personal goes out: no account ids, e-mails or DNI
material; author names only when the author opted in."""

from __future__ import annotations

import io
from typing import Any, Callable, Iterable

import ckan.plugins.toolkit as tk
from openlima_common import spreadsheet

DATASET_NAME = "lima-activa-participacion"


def _call(name: str, data: dict | None = None) -> Any:
    # As an anonymous visitor: exports can only contain what the public already sees.
    return tk.get_action(name)({"user": "", "ignore_auth": False}, data or {})


def _spaces() -> Iterable[dict]:
    for space in _call("limaactiva_space_list"):
        yield {
            "space_id": space["id"],
            "name": space["name"],
            "title": space["title"],
            "space_type": space["space_type"],
            "responsible_office": space["responsible_office"],
            "commitment_ref": space["commitment_ref"] or "",
            "current_phase": space["current_phase"] or "",
            "phases": " | ".join(
                f"{p['phase_key']} {p['start_date']}/{p['end_date']}"
                for p in space["phases"]
            ),
        }


def _sessions() -> Iterable[dict]:
    for space in _call("limaactiva_space_list"):
        for session in _call("limaactiva_session_list", {"space_id": space["id"]}):
            yield {
                "session_id": session["id"],
                "space_id": space["id"],
                "title": session["title"],
                "modality": session["modality"],
                "district": session["district"] or "",
                "starts_at": session["starts_at"],
                "closed": "si" if session["closed"] else "no",
                "attendees_count": _blank(session["attendees_count"]),
                "contributions_count": _blank(session["contributions_count"]),
                "proposal_ids": " ".join(session["proposal_ids"]),
            }


def _organisations() -> Iterable[dict]:
    for space in _call("limaactiva_space_list"):
        for session in _call("limaactiva_session_list", {"space_id": space["id"]}):
            for row in session["organisations"]:
                yield {"session_id": session["id"], **row}


def _proposals() -> Iterable[dict]:
    for proposal in _call("limaactiva_proposal_list", {"sort": "recent"}):
        yield {
            "proposal_id": proposal["id"],
            "space_id": proposal["space_id"],
            "title": proposal["title"],
            "district": proposal["district"],
            "theme": proposal["theme"],
            "state": proposal["state"],
            "author_organisation": proposal["author_organisation"] or "",
            "author_public_name": proposal["author_public_name"] or "",
            "score": proposal["score"],
            "votes": proposal["votes"],
            "count_3": proposal["count_3"],
            "count_2": proposal["count_2"],
            "count_1": proposal["count_1"],
            "mean": _blank(proposal["mean"]),
            "answer_date": proposal["answer_date"] or "",
            "answer_office": proposal["answer_office"] or "",
            "answer_text": proposal["answer_text"] or "",
            "answer_due_date": proposal["answer_due_date"],
            "answer_overdue": proposal["answer_overdue"],
            "commitment_result_ref": proposal["commitment_milestone_ref"] or "",
            "created": proposal["created"],
        }


def _scores() -> Iterable[dict]:
    for proposal in _call("limaactiva_proposal_list", {"sort": "recent"}):
        for snapshot in _call(
            "limaactiva_snapshot_list", {"proposal_id": proposal["id"]}
        ):
            yield {"proposal_id": proposal["id"], **snapshot}


def _surveys() -> Iterable[dict]:
    from ckanext.limaactiva.survey_exports import published_rows

    return published_rows()


def _blank(value: Any) -> Any:
    return "" if value is None else value


EXPORTS: dict[str, tuple[str, str, Callable[[], Iterable[dict]]]] = {
    "espacios": (
        "Espacios de participación",
        "Espacios, oficina responsable y fases.",
        _spaces,
    ),
    "sesiones": (
        "Sesiones",
        "Sesiones presenciales, virtuales e híbridas con sus cifras.",
        _sessions,
    ),
    "organizaciones": (
        "Organizaciones asistentes a sesiones",
        "Una fila por organización y sesión: distrito y número de personas.",
        _organisations,
    ),
    "propuestas": (
        "Propuestas y respuestas oficiales",
        "Propuestas con distrito (UBIGEO), tema, estado, puntaje 3/2/1, respuesta oficial, "
        "su plazo y el compromiso, hito o indicador del plan que la recoge.",
        _proposals,
    ),
    "puntajes": (
        "Historial de la priorización",
        "Puntaje diario de cada propuesta y votos en cada nivel.",
        _scores,
    ),
    "encuestas": (
        "Resultados de encuestas y consultas",
        "Resultados agregados de las encuestas cerradas (o con resultados en vivo): "
        "personas por opción o valor de la escala, promedio y textos aprobados; las "
        "cifras de 1 a k − 1 se publican como «<k».",
        _surveys,
    ),
}


def to_csv(name: str) -> str:
    rows = list(EXPORTS[name][2]())
    buffer = io.StringIO()
    if rows:
        writer = spreadsheet.dict_writer(buffer, list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def dataset_dict(owner_org: str) -> dict:
    base = (tk.config.get("ckan.site_url") or "").rstrip("/") + "/participa/datos"
    return {
        "name": DATASET_NAME,
        "title": "Lima Activa: participación ciudadana",
        "notes": (
            "Espacios de participación de la Municipalidad de Lima, sus sesiones, las "
            "organizaciones asistentes, las propuestas ciudadanas con su priorización en la "
            "escala 3/2/1 y las respuestas oficiales, y el historial diario de los puntajes. "
            "No contiene datos personales: los nombres de autores solo aparecen si la persona "
            "lo autorizó."
        ),
        "owner_org": owner_org,
        "tag_string": "participación ciudadana,gobierno abierto,propuestas,priorización",
        "license_id": "cc-by",
        "resources": [
            {
                "name": f"{title} (CSV)",
                "url": f"{base}/{key}.csv",
                "format": "CSV",
                "mimetype": "text/csv",
                "description": description,
            }
            for key, (title, description, _rows) in EXPORTS.items()
        ],
    }
