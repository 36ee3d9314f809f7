"""Demonstration content for `make run`: one participation space around today's date, a
session, a few proposals with votes and comments, a survey, and the services directory. Idempotent:
nothing is created twice."""

from __future__ import annotations

import datetime
import secrets

import ckan.plugins.toolkit as tk
from openlima_common import clock

OFFICE = "gerencia-de-participacion-vecinal"
SPACE = "presupuesto-participativo-2027"

SERVICES = [
    (
        "licencia-de-funcionamiento",
        "Licencia de funcionamiento",
        "online",
        "DNI o RUC vigente; declaración jurada; pago de la tasa.",
        "Autorización municipal para que un establecimiento comercial funcione en el Cercado.",
    ),
    (
        "matrimonio-civil",
        "Matrimonio civil",
        "in_person",
        "DNI de los contrayentes; partidas de nacimiento; certificado médico; dos testigos.",
        "Celebración del matrimonio civil en el Palacio Municipal.",
    ),
    (
        "reporte-de-alumbrado",
        "Reporte de alumbrado público averiado",
        "online",
        "Dirección o referencia del punto.",
        "Aviso de postes de alumbrado sin funcionar.",
    ),
    (
        "biblioteca-municipal",
        "Biblioteca municipal",
        "both",
        "Ninguno para la sala de lectura; DNI para el préstamo a domicilio.",
        "Consulta en sala, préstamo de libros y catálogo en línea.",
    ),
]

PROPOSALS = [
    (
        "Ciclovía continua en la avenida Arequipa",
        "Conectar los tramos de ciclovía existentes "
        "entre Lima Cercado y Miraflores, con señalización y semáforos para ciclistas.",
        "150101",
        "movilidad",
        [3, 3, 2],
    ),
    (
        "Bebederos en los parques zonales",
        "Instalar bebederos de agua potable en los parques zonales más visitados.",
        "150142",
        "agua y áreas verdes",
        [2, 1],
    ),
    (
        "Iluminación en los paraderos",
        "Mejorar la iluminación de los paraderos del corredor "
        "Rojo para la seguridad de quienes esperan de noche.",
        "150135",
        "seguridad",
        [3],
    ),
]


def _context(user: str) -> dict:
    return {"user": user, "ignore_auth": False}


def _user(name: str, site_user: str) -> dict:
    try:
        return tk.get_action("user_show")({"ignore_auth": True}, {"id": name})
    except tk.ObjectNotFound:
        return tk.get_action("user_create")(
            {"ignore_auth": True, "user": site_user},
            {
                "name": name,
                "email": f"{name}@demo.openlima.invalid",
                "password": secrets.token_urlsafe(16),
                "fullname": name.replace("-", " ").title(),
            },
        )


def _survey(space: dict, admin: dict, site_user: str) -> None:
    """An open survey of the space, answered by the three demo neighbours (too few for
    its results to show more than "<5": the small-cell rule at work)."""
    survey = tk.get_action("limaactiva_survey_create")(
        dict(admin),
        {
            "space_id": space["id"],
            "title": "Consulta: ¿qué debe priorizar el presupuesto 2027?",
            "description": "Cuéntenos qué obras le parecen más urgentes en su distrito.",
            "phase_key": "prioritisation",
            "questions": [
                {
                    "kind": "single",
                    "text": "¿Qué tipo de obra es la más urgente?",
                    "options": ["Áreas verdes", "Movilidad", "Agua y desagüe", "Seguridad"],
                    "required": True,
                },
                {
                    "kind": "multiple",
                    "text": "¿Cómo prefiere participar?",
                    "options": ["En línea", "En asambleas", "Por teléfono"],
                },
                {"kind": "scale", "text": "¿Cuánto confía en que se ejecutarán las obras?"},
                {"kind": "text", "text": "¿Algo más que la municipalidad deba saber?"},
            ],
        },
    )
    ids = [question["id"] for question in survey["questions"]]
    for number in range(1, 4):
        citizen = _user(f"vecina-demo-{number}", site_user)
        tk.get_action("limaactiva_participant_confirm")(
            dict(admin), {"user": citizen["name"]}
        )
        tk.get_action("limaactiva_survey_answer")(
            _context(citizen["name"]),
            {
                "id": survey["id"],
                "answers": {ids[0]: number % 2, ids[1]: [0, number % 3], ids[2]: 3},
            },
        )


def load() -> list[str]:
    """Create what is missing; returns what was created."""
    created: list[str] = []
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    admin = {"user": site_user, "ignore_auth": True}
    try:
        tk.get_action("organization_show")(dict(admin), {"id": OFFICE})
    except tk.ObjectNotFound:
        tk.get_action("organization_create")(
            dict(admin), {"name": OFFICE, "title": "Gerencia de Participación Vecinal"}
        )
        created.append(f"organización {OFFICE}")
    try:
        space = tk.get_action("limaactiva_space_show")(dict(admin), {"id": SPACE})
    except tk.ObjectNotFound:
        today = clock.today()
        day = datetime.timedelta(days=1)
        space = tk.get_action("limaactiva_space_create")(
            dict(admin),
            {
                "name": SPACE,
                "title": "Presupuesto participativo 2027",
                "space_type": "plan",
                "responsible_office": OFFICE,
                "description": "Proponga y priorice las obras y servicios que la Municipalidad "
                "de Lima incluirá en su presupuesto 2027.",
                "civic_education": "**¿Qué es el presupuesto participativo?** Es el proceso "
                "por el que vecinas, vecinos y organizaciones deciden, junto con la "
                "municipalidad, en qué se invierte una parte del presupuesto.",
                "phases": [
                    {
                        "phase_key": "information",
                        "start_date": str(today - 30 * day),
                        "end_date": str(today - 16 * day),
                    },
                    {
                        "phase_key": "contributions",
                        "start_date": str(today - 15 * day),
                        "end_date": str(today - day),
                        "proposals_enabled": True,
                        "comments_enabled": True,
                    },
                    {
                        "phase_key": "prioritisation",
                        "start_date": str(today),
                        "end_date": str(today + 20 * day),
                        "proposals_enabled": True,
                        "comments_enabled": True,
                        "votes_enabled": True,
                    },
                    {
                        "phase_key": "answer",
                        "start_date": str(today + 21 * day),
                        "end_date": str(today + 40 * day),
                    },
                ],
            },
        )
        created.append(f"espacio {SPACE}")
        citizens = [_user(f"vecina-demo-{n}", site_user) for n in range(1, 4)]
        for citizen in citizens:
            tk.get_action("limaactiva_participant_confirm")(
                dict(admin), {"user": citizen["name"]}
            )
        for title, body, district, theme, weights in PROPOSALS:
            proposal = tk.get_action("limaactiva_proposal_create")(
                _context(citizens[0]["name"]),
                {
                    "space_id": space["id"],
                    "title": title,
                    "body": body,
                    "district": district,
                    "theme": theme,
                },
            )
            for citizen, weight in zip(citizens, weights):
                tk.get_action("limaactiva_vote_cast")(
                    _context(citizen["name"]),
                    {"proposal_id": proposal["id"], "weight": weight},
                )
            tk.get_action("limaactiva_comment_create")(
                _context(citizens[1]["name"]),
                {
                    "proposal_id": proposal["id"],
                    "alignment": "a_favor",
                    "body": "Muy necesario en mi barrio.",
                },
            )
        starts = datetime.datetime.combine(today + 7 * day, datetime.time(18, 30))
        tk.get_action("limaactiva_session_create")(
            dict(admin),
            {
                "space_id": space["id"],
                "title": "Asamblea vecinal de priorización",
                "modality": "hybrid",
                "place": "Palacio Municipal, Jr. de la Unión 300",
                "district": "150101",
                "online_url": "https://www.munlima.gob.pe/",
                "registration_required": True,
                "capacity": 120,
                "starts_at": starts.isoformat(timespec="minutes"),
            },
        )
        created.append("propuestas, votos, comentarios y una sesión de demostración")
    if not tk.get_action("limaactiva_survey_list")(
        dict(admin), {"space_id": space["id"]}
    ):
        _survey(space, admin, site_user)
        created.append("encuesta de demostración con tres respuestas")
    existing = {
        s["name"] for s in tk.get_action("limaactiva_service_list")(dict(admin), {})
    }
    for name, title, channel, requirements, description in SERVICES:
        if name in existing:
            continue
        tk.get_action("limaactiva_service_create")(
            dict(admin),
            {
                "name": name,
                "title": title,
                "office": OFFICE,
                "channel": channel,
                "requirements": requirements,
                "description": description,
                "url": "https://www.munlima.gob.pe/",
            },
        )
        created.append(f"servicio {name}")
    return created
