"""Surveys and consultations of a participation space (issue 16).

A space's office writes a survey (single choice, multiple choice, a 1–5 scale, free
text) and ties it to one of the space's phases: it is open, in Lima days, while that
phase runs. A confirmed participant answers once; the database holds that rule
(``UNIQUE (survey_id, user_id)``), so two submits at the same moment leave one answer.
Results are published only as aggregates, after the survey closes (or while it is open
if the office chose live results), with small cells suppressed: a count between 1 and
k − 1 (``ckanext.limaactiva.survey_min_cell``) reads ``"<k"``. Free-text answers are
published only after the office approves each one, and never next to the other answers
of the same person.
"""

from __future__ import annotations

import datetime
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from openlima_common import clock
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ckanext.limaactiva import participation as rules
from ckanext.limaactiva.logic.validators import N_, PHASE_KEYS
from ckanext.limaactiva.model import Space, new_id, utcnow
from ckanext.limaactiva.model.survey import (
    QUESTION_KINDS,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)

__all__ = [
    "ACTIONS",
    "AUTH_FUNCTIONS",
    "limaactiva_survey_create",
    "limaactiva_survey_update",
    "limaactiva_survey_show",
    "limaactiva_survey_list",
    "limaactiva_survey_answer",
    "limaactiva_survey_results",
    "limaactiva_survey_text_list",
    "limaactiva_survey_text_moderate",
    "suppress",
]

MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_QUESTIONS = 30
MAX_QUESTION_TEXT = 500
MAX_OPTIONS = 20
MAX_OPTION_TEXT = 200
MAX_ANSWER_TEXT = 2000
SCALE = (1, 2, 3, 4, 5)
# a count that is not small but would give a small one away (complementary suppression)
WITHHELD = "oculto"

QUESTION_KIND_LABELS = {
    "single": N_("Una opción"),
    "multiple": N_("Varias opciones"),
    "scale": N_("Escala del 1 al 5"),
    "text": N_("Texto libre"),
}
STATUS_LABELS = {
    "scheduled": N_("Aún no abre"),
    "open": N_("Abierta"),
    "closed": N_("Cerrada"),
    "unscheduled": N_("Sin fase en el espacio"),
}


# --------------------------------------------------------------------------- helpers


def min_cell() -> int:
    """k of the small-cell rule: counts from 1 to k − 1 are not published."""
    return max(1, int(tk.config.get("ckanext.limaactiva.survey_min_cell") or 5))


def suppress(count: int, k: int) -> int | str:
    """The count, or ``"<k"`` when it is small enough to point at a person."""
    return f"<{k}" if 0 < count < k else count


def _fail(errors: dict[str, str]) -> None:
    if errors:
        raise tk.ValidationError({key: [value] for key, value in errors.items()})


def _text(
    value: Any,
    field: str,
    errors: dict[str, str],
    limit: int,
    required: bool = False,
) -> str:
    """A cleaned text, or an error for the field (never an exception from the database)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = tk._("Debe ser un texto.")
        return ""
    value = value.strip()
    if "\x00" in value:
        errors[field] = tk._("El texto contiene caracteres no permitidos.")
        return ""
    if required and not value:
        errors[field] = tk._("Este campo es obligatorio.")
    elif len(value) > limit:
        errors[field] = tk._("Como máximo {limit} caracteres.").format(limit=limit)
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "on", "yes", "si", "sí")
    return bool(value)


def _actor_id(context: dict) -> str | None:
    user = rules.user_object(context)
    return user.id if user else None


def _find_survey(survey_id: Any) -> Survey | None:
    if not survey_id or not isinstance(survey_id, str) or len(survey_id) > 100:
        return None
    return model.Session.get(Survey, survey_id)


def _survey_or_404(survey_id: Any) -> Survey:
    survey = _find_survey(survey_id)
    if survey is None:
        raise tk.ObjectNotFound(tk._("Encuesta no encontrada."))
    return survey


def _space_of(survey: Survey) -> Space:
    return model.Session.get(Space, survey.space_id)


def _manages(context: dict, space: Space | None) -> bool:
    user = rules.user_object(context)
    return bool(
        user and space and rules.is_office_member(user, space.responsible_office)
    )


def _window(survey: Survey, space: Space) -> tuple[datetime.date, datetime.date] | None:
    """The dates of the space's first phase with the survey's key."""
    for phase in space.phases:
        if phase.phase_key == survey.phase_key:
            return phase.start_date, phase.end_date
    return None


def survey_status(survey: Survey, space: Space) -> str:
    window = _window(survey, space)
    if window is None:
        return "unscheduled"
    today = rules.today()
    if today < window[0]:
        return "scheduled"
    if today > window[1]:
        return "closed"
    return "open"


def _results_public(survey: Survey, status: str) -> bool:
    return status == "closed" or (status == "open" and survey.live_results)


def _respondents(survey_id: str, cutoff: datetime.datetime | None = None) -> int:
    query = sa.select(sa.func.count()).where(SurveyResponse.survey_id == survey_id)
    if cutoff is not None:
        query = query.where(SurveyResponse.created < cutoff)
    return int(model.Session.execute(query).scalar() or 0)


def _lima_midnight() -> datetime.datetime:
    """The start of today in Lima, as the naive UTC the tables store."""
    start = datetime.datetime.combine(rules.today(), datetime.time(0), tzinfo=clock.LIMA)
    return start.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def _counted(cutoff: datetime.datetime | None):
    """Answers of responses made before ``cutoff`` (all of them without one)."""
    if cutoff is None:
        return sa.true()
    return SurveyAnswer.response_id.in_(
        sa.select(SurveyResponse.id).where(SurveyResponse.created < cutoff)
    )


def _question_dict(question: SurveyQuestion) -> dict:
    return {
        "id": question.id,
        "position": question.position,
        "kind": question.kind,
        "text": question.text,
        "options": list(question.options or []),
        "required": question.required,
    }


def _survey_dict(survey: Survey, context: dict | None = None) -> dict:
    space = _space_of(survey)
    window = _window(survey, space)
    status = survey_status(survey, space)
    user = rules.user_object(context or {})
    answered = bool(
        user
        and model.Session.execute(
            sa.select(SurveyResponse.id).where(
                SurveyResponse.survey_id == survey.id,
                SurveyResponse.user_id == user.id,
            )
        ).first()
    )
    return {
        "id": survey.id,
        "space_id": space.id,
        "space_name": space.name,
        "space_title": space.title,
        "responsible_office": space.responsible_office,
        "title": survey.title,
        "description": survey.description,
        "phase_key": survey.phase_key,
        "opens_on": rules.iso(window[0]) if window else None,
        "closes_on": rules.iso(window[1]) if window else None,
        "status": status,
        "live_results": survey.live_results,
        "results_public": _results_public(survey, status),
        "responses": _respondents(survey.id),
        "answered": answered,
        "questions": [_question_dict(q) for q in survey.questions],
        "created": rules.iso(survey.created),
        "modified": rules.iso(survey.modified),
    }


def _questions(value: Any, errors: dict[str, str]) -> list[dict]:
    """Checked questions: ``[{kind, text, options, required}]``."""
    if not isinstance(value, list) or not value:
        errors["questions"] = tk._("La encuesta necesita al menos una pregunta.")
        return []
    if len(value) > MAX_QUESTIONS:
        errors["questions"] = tk._("Como máximo {limit} preguntas.").format(
            limit=MAX_QUESTIONS
        )
        return []
    cleaned = []
    for number, item in enumerate(value, start=1):
        field = f"question-{number}"
        if not isinstance(item, dict):
            errors[field] = tk._("Pregunta {number}: faltan sus campos.").format(
                number=number
            )
            continue
        kind = item.get("kind")
        if kind not in QUESTION_KINDS:
            errors[field] = tk._(
                "Pregunta {number}: tipo no válido. Opciones: {options}."
            ).format(number=number, options=", ".join(QUESTION_KINDS))
            continue
        problems: dict[str, str] = {}
        text = _text(item.get("text"), "text", problems, MAX_QUESTION_TEXT, True)
        options: list[str] = []
        if kind in ("single", "multiple"):
            raw = item.get("options")
            if isinstance(raw, str):
                raw = raw.splitlines()
            if not isinstance(raw, list):
                raw = []
            for option in raw:
                option = _text(option, "options", problems, MAX_OPTION_TEXT)
                if option and option not in options:
                    options.append(option)
            if "options" not in problems and not 2 <= len(options) <= MAX_OPTIONS:
                problems["options"] = tk._(
                    "Entre 2 y {limit} opciones distintas, una por línea."
                ).format(limit=MAX_OPTIONS)
        if problems:
            errors[field] = tk._("Pregunta {number}: {problem}").format(
                number=number, problem=" ".join(problems.values())
            )
            continue
        cleaned.append(
            {
                "kind": kind,
                "text": text,
                "options": options,
                "required": _flag(item.get("required")),
            }
        )
    return cleaned


def _check_phase(space: Space, phase_key: Any, errors: dict[str, str]) -> str:
    if phase_key not in PHASE_KEYS:
        errors["phase_key"] = tk._("Fase no válida. Opciones: {options}.").format(
            options=", ".join(PHASE_KEYS)
        )
        return ""
    if not any(phase.phase_key == phase_key for phase in space.phases):
        errors["phase_key"] = tk._(
            "El espacio no tiene esa fase: la encuesta se abre y se cierra con las "
            "fechas de una de sus fases."
        )
    return phase_key


def _replace_questions(survey: Survey, questions: list[dict]) -> None:
    survey.questions.clear()
    model.Session.flush()
    for position, question in enumerate(questions):
        survey.questions.append(SurveyQuestion(position=position, **question))


# --------------------------------------------------------------------------- actions


def limaactiva_survey_create(context, data_dict):
    """Create a survey in a space (its office).

    :param space_id: id or name of the space
    :param title: title (up to 200 characters)
    :param description: optional introduction
    :param phase_key: the space's phase whose dates open and close the survey
    :param live_results: publish the aggregates while it is open (default false)
    :param questions: list of ``{kind, text, options, required}``; ``kind`` is
        ``single``, ``multiple``, ``scale`` (1–5) or ``text``; ``options`` (2–20) for
        the choice kinds
    :returns: the survey
    """
    tk.check_access("limaactiva_survey_create", context, data_dict)
    data = data_dict if isinstance(data_dict, dict) else {}
    space = rules.find_space(data.get("space_id"))
    if space is None:
        raise tk.ObjectNotFound(tk._("Espacio de participación no encontrado."))
    errors: dict[str, str] = {}
    title = _text(data.get("title"), "title", errors, MAX_TITLE, True)
    description = _text(data.get("description"), "description", errors, MAX_DESCRIPTION)
    phase_key = _check_phase(space, data.get("phase_key"), errors)
    questions = _questions(data.get("questions"), errors)
    _fail(errors)
    survey = Survey(
        space_id=space.id,
        title=title,
        description=description,
        phase_key=phase_key,
        live_results=_flag(data.get("live_results")),
    )
    model.Session.add(survey)
    _replace_questions(survey, questions)
    model.Session.flush()
    rules.audit(_actor_id(context), "survey_created", "survey", survey.id)
    model.repo.commit()
    return _survey_dict(survey, context)


def limaactiva_survey_update(context, data_dict):
    """Change a survey; only the fields given change. Its questions can no longer change
    once someone has answered (the answers would lose their meaning).

    :param id: the survey
    :param title: optional
    :param description: optional
    :param phase_key: optional
    :param live_results: optional
    :param questions: optional, replaces all the questions
    :returns: the survey
    """
    tk.check_access("limaactiva_survey_update", context, data_dict)
    data = data_dict if isinstance(data_dict, dict) else {}
    survey = _survey_or_404(data.get("id"))
    space = _space_of(survey)
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if "title" in data:
        changes["title"] = _text(data["title"], "title", errors, MAX_TITLE, True)
    if "description" in data:
        changes["description"] = _text(
            data["description"], "description", errors, MAX_DESCRIPTION
        )
    if "phase_key" in data:
        changes["phase_key"] = _check_phase(space, data["phase_key"], errors)
    if "live_results" in data:
        changes["live_results"] = _flag(data["live_results"])
    questions = None
    if "questions" in data:
        if _respondents(survey.id):
            errors["questions"] = tk._(
                "La encuesta ya tiene respuestas: sus preguntas no pueden cambiar."
            )
        else:
            questions = _questions(data["questions"], errors)
    _fail(errors)
    for key, value in changes.items():
        setattr(survey, key, value)
    if questions is not None:
        _replace_questions(survey, questions)
    survey.modified = utcnow()
    rules.audit(_actor_id(context), "survey_updated", "survey", survey.id)
    model.repo.commit()
    return _survey_dict(survey, context)


@tk.side_effect_free
def limaactiva_survey_show(context, data_dict):
    """A survey with its questions, dates (from the space's phase) and status
    (``scheduled``, ``open``, ``closed`` or ``unscheduled``); ``answered`` says whether
    the person asking has answered it.

    :param id: the survey
    :returns: the survey
    """
    tk.check_access("limaactiva_survey_show", context, data_dict)
    data = data_dict if isinstance(data_dict, dict) else {}
    return _survey_dict(_survey_or_404(data.get("id")), context)


@tk.side_effect_free
def limaactiva_survey_list(context, data_dict):
    """The surveys of a space (or of every space), newest first.

    :param space_id: optional id or name of a space
    :returns: list of surveys
    """
    tk.check_access("limaactiva_survey_list", context, data_dict)
    data = data_dict if isinstance(data_dict, dict) else {}
    query = model.Session.query(Survey)
    if data.get("space_id"):
        space = rules.find_space(data.get("space_id"))
        if space is None:
            raise tk.ObjectNotFound(tk._("Espacio de participación no encontrado."))
        query = query.filter(Survey.space_id == space.id)
    return [
        _survey_dict(survey, context)
        for survey in query.order_by(Survey.created.desc(), Survey.id)
    ]


def _answer_rows(
    question: SurveyQuestion, value: Any, errors: dict[str, str]
) -> list[dict]:
    """The answer rows of one question (empty when it was left blank)."""
    field = question.id
    if value is None or value == "" or value == []:
        if question.required:
            errors[field] = tk._("Responda esta pregunta.")
        return []
    if question.kind == "text":
        text = _text(value, field, errors, MAX_ANSWER_TEXT)
        if not text and question.required and field not in errors:
            errors[field] = tk._("Responda esta pregunta.")
        return [{"text": text, "text_state": "pending"}] if text else []
    values = value if isinstance(value, list) else [value]
    if question.kind != "multiple" and len(values) != 1:
        errors[field] = tk._("Elija una sola respuesta.")
        return []
    numbers = []
    for item in values:
        try:
            numbers.append(int(str(item).strip()))
        except ValueError:
            numbers.append(None)
    if question.kind == "scale":
        if numbers[0] not in SCALE:
            errors[field] = tk._("Elija un valor del 1 al 5.")
            return []
        return [{"scale_value": numbers[0]}]
    count = len(question.options or [])
    if any(number is None or not 0 <= number < count for number in numbers):
        errors[field] = tk._("Elija entre las opciones de la pregunta.")
        return []
    return [{"option_index": number} for number in sorted(set(numbers))]


def limaactiva_survey_answer(context, data_dict):
    """Answer a survey, once. The survey must be open and the account confirmed for Lima
    Activa; answers cannot be changed afterwards.

    :param id: the survey
    :param answers: ``{question_id: value}``: an option's index (from 0) for a single
        choice, a list of indexes for a multiple choice, 1–5 for a scale, a text (up to
        2,000 characters, published only once the office approves it)
    :returns: ``{survey_id, answered: true}``
    """
    tk.check_access("limaactiva_survey_answer", context, data_dict)
    data = data_dict if isinstance(data_dict, dict) else {}
    survey = _survey_or_404(data.get("id"))
    user = rules.user_object(context)
    if user is None:
        raise tk.NotAuthorized(tk._("Debe iniciar sesión para participar."))
    if survey_status(survey, _space_of(survey)) != "open":
        raise tk.ValidationError(
            {"id": [tk._("La encuesta no está abierta: no recibe respuestas.")]}
        )
    answers = data.get("answers")
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise tk.ValidationError(
            {"answers": [tk._("Las respuestas deben ir por pregunta.")]}
        )
    errors: dict[str, str] = {}
    rows = []
    for question in survey.questions:
        for row in _answer_rows(question, answers.get(question.id), errors):
            rows.append({"question_id": question.id, **row})
    _fail(errors)
    if not rows:
        raise tk.ValidationError(
            {"answers": [tk._("Responda al menos una pregunta.")]}
        )
    # The UNIQUE constraint decides: of two submits at once, one inserts and the
    # other finds the row (after the first commits) and inserts nothing.
    inserted = model.Session.execute(
        pg_insert(SurveyResponse.__table__)
        .values(
            id=new_id(),
            survey_id=survey.id,
            user_id=user.id,
            created=utcnow(),
        )
        .on_conflict_do_nothing(constraint="limaactiva_survey_once")
        .returning(SurveyResponse.__table__.c.id)
    ).scalar()
    if inserted is None:
        model.Session.rollback()
        raise tk.ValidationError(
            {"id": [tk._("Ya respondió esta encuesta: se acepta una respuesta por persona.")]}
        )
    for row in rows:
        model.Session.add(SurveyAnswer(response_id=inserted, **row))
    model.repo.commit()
    return {"survey_id": survey.id, "answered": True}


def _counts(column, question_id: str, values, cutoff=None) -> dict[int, int]:
    found = dict(
        model.Session.execute(
            sa.select(column, sa.func.count())
            .where(
                SurveyAnswer.question_id == question_id,
                column.is_not(None),
                _counted(cutoff),
            )
            .group_by(column)
        ).all()
    )
    return {value: int(found.get(value, 0)) for value in values}


def _answered(question_id: str, cutoff=None) -> int:
    return int(
        model.Session.execute(
            sa.select(sa.func.count(sa.distinct(SurveyAnswer.response_id))).where(
                SurveyAnswer.question_id == question_id, _counted(cutoff)
            )
        ).scalar()
        or 0
    )


def _suppressed_cells(counts: list[int], k: int, complementary: bool) -> list[int | str]:
    """Suppress small cells (``"<k"``); when the cells add up to a published total and
    only one is small, the next smallest reads ``"oculto"`` so the small one cannot be
    worked out by subtraction."""
    small = {index for index, count in enumerate(counts) if 0 < count < k}
    withheld: set[int] = set()
    if complementary and len(small) == 1:
        others = sorted(
            (count, index)
            for index, count in enumerate(counts)
            if index not in small and count > 0
        )
        if others:
            withheld.add(others[0][1])
    return [
        f"<{k}" if index in small else WITHHELD if index in withheld else count
        for index, count in enumerate(counts)
    ]


def _question_results(
    question: SurveyQuestion, k: int, respondents: int, cutoff=None
) -> dict:
    answered = _answered(question.id, cutoff)
    result = {
        **_question_dict(question),
        "kind_label": tk._(QUESTION_KIND_LABELS[question.kind]),
        "answered": suppress(answered, k),
        "counts": [],
        "mean": None,
        "texts": [],
    }
    too_few = respondents < k or answered < k
    if question.kind in ("single", "multiple", "scale"):
        if question.kind == "scale":
            labels = [str(value) for value in SCALE]
            raw = _counts(SurveyAnswer.scale_value, question.id, SCALE, cutoff)
            counts = [raw[value] for value in SCALE]
        else:
            labels = list(question.options or [])
            raw = _counts(
                SurveyAnswer.option_index, question.id, range(len(labels)), cutoff
            )
            counts = [raw[index] for index in range(len(labels))]
        if too_few:
            cells: list[int | str] = [
                (f"<{k}" if count else 0) for count in counts
            ]
        else:
            cells = _suppressed_cells(counts, k, question.kind != "multiple")
        result["counts"] = [
            {"label": label, "count": cell} for label, cell in zip(labels, cells)
        ]
        # the mean only when no cell is hidden: with one hidden it could give it away
        if question.kind == "scale" and answered and all(
            isinstance(cell, int) for cell in cells
        ) and not too_few:
            total = sum(value * counts[index] for index, value in enumerate(SCALE))
            result["mean"] = round(total / answered, 2)
    elif not too_few:
        # approved texts only, sorted, without any link to the person or their other
        # answers
        result["texts"] = sorted(
            text
            for (text,) in model.Session.execute(
                sa.select(SurveyAnswer.text).where(
                    SurveyAnswer.question_id == question.id,
                    SurveyAnswer.text_state == "approved",
                    _counted(cutoff),
                )
            ).all()
        )
    return result


@tk.side_effect_free
def limaactiva_survey_results(context, data_dict):
    """Aggregate results of a survey, with small cells suppressed (a count from 1 to
    k − 1 reads ``"<k"``, k = ``ckanext.limaactiva.survey_min_cell``). Public once the
    survey is closed, or while open when it has ``live_results``; the space's office may
    always read them. While the survey is open the public figures count the answers made
    before today (Lima), so they change once a day, not with each answer
    (``counted_before``). Free texts are the approved ones, sorted, and only when at
    least k people answered the question.

    :param id: the survey
    :returns: ``{survey_id, title, status, respondents, min_cell, questions: [...]}``
    """
    tk.check_access("limaactiva_survey_results", context, data_dict)
    data = data_dict if isinstance(data_dict, dict) else {}
    survey = _survey_or_404(data.get("id"))
    space = _space_of(survey)
    status = survey_status(survey, space)
    if not _results_public(survey, status) and not _manages(context, space):
        raise tk.NotAuthorized(
            tk._("Los resultados se publican cuando la encuesta cierra.")
        )
    k = min_cell()
    # Live results count the answers of earlier days only: refreshed with every answer,
    # they would tell someone watching the page what the last person answered.
    cutoff = None
    if status == "open" and not _manages(context, space):
        cutoff = _lima_midnight()
    respondents = _respondents(survey.id, cutoff)
    window = _window(survey, space)
    return {
        "survey_id": survey.id,
        "space_id": space.id,
        "space_name": space.name,
        "title": survey.title,
        "status": status,
        "opens_on": rules.iso(window[0]) if window else None,
        "closes_on": rules.iso(window[1]) if window else None,
        "counted_before": rules.iso(rules.today()) if cutoff else None,
        "results_public": _results_public(survey, status),
        "min_cell": k,
        "respondents": suppress(respondents, k),
        "questions": [
            _question_results(question, k, respondents, cutoff)
            for question in survey.questions
        ],
    }


@tk.side_effect_free
def limaactiva_survey_text_list(context, data_dict):
    """Free-text answers of a survey waiting for moderation (its office), oldest first.

    :param id: the survey
    :param state: ``pending`` (default), ``approved`` or ``rejected``
    :returns: list of ``{id, question_id, question, text, state}`` (no author)
    """
    tk.check_access("limaactiva_survey_text_list", context, data_dict)
    data = data_dict if isinstance(data_dict, dict) else {}
    survey = _survey_or_404(data.get("id"))
    state = data.get("state") or "pending"
    if state not in ("pending", "approved", "rejected"):
        raise tk.ValidationError(
            {"state": [tk._("Estado no válido. Opciones: pending, approved, rejected.")]}
        )
    questions = {question.id: question for question in survey.questions}
    rows = (
        model.Session.query(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .filter(
            SurveyAnswer.question_id.in_(list(questions) or [""]),
            SurveyAnswer.text_state == state,
        )
        .order_by(SurveyResponse.created, SurveyAnswer.id)
    )
    return [
        {
            "id": row.id,
            "question_id": row.question_id,
            "question": questions[row.question_id].text,
            "text": row.text,
            "state": row.text_state,
        }
        for row in rows
    ]


def limaactiva_survey_text_moderate(context, data_dict):
    """Approve (publish) or reject a free-text answer (the survey's office).

    :param id: the answer (from ``limaactiva_survey_text_list``)
    :param decision: ``approve`` or ``reject``
    :returns: ``{id, state}``
    """
    tk.check_access("limaactiva_survey_text_moderate", context, data_dict)
    data = data_dict if isinstance(data_dict, dict) else {}
    answer = _text_answer(data.get("id"))
    if answer is None:
        raise tk.ObjectNotFound(tk._("Respuesta no encontrada."))
    decision = data.get("decision")
    states = {"approve": "approved", "reject": "rejected"}
    if decision not in states:
        raise tk.ValidationError(
            {"decision": [tk._("Decisión no válida: use approve o reject.")]}
        )
    answer.text_state = states[decision]
    answer.moderated_at = utcnow()
    rules.audit(
        _actor_id(context),
        f"survey_text_{states[decision]}",
        "survey_answer",
        answer.id,
    )
    model.repo.commit()
    return {"id": answer.id, "state": answer.text_state}


def _text_answer(answer_id: Any) -> SurveyAnswer | None:
    if not answer_id or not isinstance(answer_id, str) or len(answer_id) > 100:
        return None
    answer = model.Session.get(SurveyAnswer, answer_id)
    return answer if answer is not None and answer.text_state else None


# --------------------------------------------------------------------------- auth


def _refuse(message: str) -> dict:
    return {"success": False, "msg": message}


def _office_of(context: dict, space: Space | None) -> dict:
    user = rules.user_object(context)
    if user is None:
        return _refuse(tk._("Debe iniciar sesión."))
    if space is None:
        # the action answers 404
        return {"success": True}
    if not rules.is_office_member(user, space.responsible_office):
        return _refuse(
            tk._("Solo la oficina responsable del espacio gestiona sus encuestas.")
        )
    return {"success": True}


def _survey_space(data_dict: Any) -> Space | None:
    data = data_dict if isinstance(data_dict, dict) else {}
    survey = _find_survey(data.get("id"))
    return _space_of(survey) if survey else None


def auth_survey_create(context, data_dict):
    data = data_dict if isinstance(data_dict, dict) else {}
    return _office_of(context, rules.find_space(data.get("space_id")))


def auth_survey_manage(context, data_dict):
    return _office_of(context, _survey_space(data_dict))


def auth_survey_text_moderate(context, data_dict):
    data = data_dict if isinstance(data_dict, dict) else {}
    answer = _text_answer(data.get("id"))
    space = None
    if answer is not None:
        question = model.Session.get(SurveyQuestion, answer.question_id)
        space = _space_of(question.survey)
    return _office_of(context, space)


@tk.auth_allow_anonymous_access
def auth_public(context, data_dict):
    return {"success": True}


def auth_survey_answer(context, data_dict):
    user = rules.user_object(context)
    if user is None:
        return _refuse(tk._("Debe iniciar sesión para participar."))
    if not rules.is_confirmed(user):
        return _refuse(
            tk._("Para participar debe confirmar su correo electrónico en Lima Activa.")
        )
    return {"success": True}


ACTIONS = {
    "limaactiva_survey_create": limaactiva_survey_create,
    "limaactiva_survey_update": limaactiva_survey_update,
    "limaactiva_survey_show": limaactiva_survey_show,
    "limaactiva_survey_list": limaactiva_survey_list,
    "limaactiva_survey_answer": limaactiva_survey_answer,
    "limaactiva_survey_results": limaactiva_survey_results,
    "limaactiva_survey_text_list": limaactiva_survey_text_list,
    "limaactiva_survey_text_moderate": limaactiva_survey_text_moderate,
}

AUTH_FUNCTIONS = {
    "limaactiva_survey_create": auth_survey_create,
    "limaactiva_survey_update": auth_survey_manage,
    "limaactiva_survey_show": auth_public,
    "limaactiva_survey_list": auth_public,
    "limaactiva_survey_answer": auth_survey_answer,
    "limaactiva_survey_results": auth_public,
    "limaactiva_survey_text_list": auth_survey_manage,
    "limaactiva_survey_text_moderate": auth_survey_text_moderate,
}
