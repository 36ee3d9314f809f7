"""Survey pages of Lima Activa: answer a survey, read its results (HTML, CSV, JSON), and
the office's forms to create and edit surveys and moderate their free-text answers.
No JavaScript: every form posts and redirects, errors are shown next to their field."""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, make_response, redirect

from ckanext.limaactiva.logic.survey import QUESTION_KIND_LABELS, STATUS_LABELS
from ckanext.limaactiva.survey_exports import results_rows, rows_to_csv

__all__ = ["surveys", "HELPERS"]

surveys = Blueprint("limaactiva_surveys", __name__, url_prefix="/participa")

# blank question rows offered by the office's form (no JavaScript to add more)
QUESTION_ROWS = 8


def _context() -> dict:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


def _action(name: str, data: dict) -> Any:
    return tk.get_action(name)(_context(), data)


def _redirect(endpoint: str, **values: Any):
    return redirect(tk.url_for(endpoint, **values))


def _messages(error: tk.ValidationError) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in (error.error_dict or {}).items():
        items = value if isinstance(value, list) else [value]
        found[key] = [str(item) for item in items if isinstance(item, str)]
    return found


def _flat(messages: dict[str, list[str]]) -> list[str]:
    return [item for items in messages.values() for item in items] or [
        tk._("Revise los datos ingresados.")
    ]


def _can(action: str, data: dict) -> bool:
    try:
        return bool(tk.check_access(action, _context(), data))
    except tk.NotAuthorized:
        return False


# --------------------------------------------------------------------------- helpers


def limaactiva_space_surveys(space_id: str) -> list[dict]:
    """The surveys of a space, for its page."""
    try:
        return _action("limaactiva_survey_list", {"space_id": space_id})
    except tk.ObjectNotFound:
        return []


def limaactiva_survey_label(kind: str, key: str) -> str:
    """Label of a question kind or survey status in the request's language."""
    labels = QUESTION_KIND_LABELS if kind == "kind" else STATUS_LABELS
    return tk._(labels[key]) if key in labels else str(key)


HELPERS = {
    "limaactiva_space_surveys": limaactiva_space_surveys,
    "limaactiva_survey_label": limaactiva_survey_label,
}


# --------------------------------------------------------------------------- answering


def _survey_or_404(survey_id: str) -> dict:
    try:
        return _action("limaactiva_survey_show", {"id": survey_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Encuesta no encontrada."))


def _render_survey(
    survey: dict,
    errors: dict[str, list[str]] | None = None,
    form: dict | None = None,
    status: int = 200,
):
    me = None
    if tk.current_user.is_authenticated:
        try:
            me = _action("limaactiva_participant_show", {})
        except tk.NotAuthorized:
            me = None
    body = tk.render(
        "limaactiva/survey/survey.html",
        {
            "survey": survey,
            "me": me,
            "manages": _can("limaactiva_survey_update", {"id": survey["id"]}),
            "field_errors": errors or {},
            "errors": _flat(errors) if errors else [],
            "form": form or {},
        },
    )
    return body, status


@surveys.route("/encuesta/<survey_id>")
def survey(survey_id: str):
    return _render_survey(_survey_or_404(survey_id))


@surveys.route("/encuesta/<survey_id>/responder", methods=["POST"])
def answer(survey_id: str):
    survey_dict = _survey_or_404(survey_id)
    if not tk.current_user.is_authenticated:
        return tk.abort(403, tk._("Debe iniciar sesión para participar."))
    answers: dict[str, Any] = {}
    form: dict[str, Any] = {}
    for question in survey_dict["questions"]:
        field = f"q-{question['id']}"
        if question["kind"] == "multiple":
            answers[question["id"]] = tk.request.form.getlist(field)
        else:
            answers[question["id"]] = tk.request.form.get(field, "")
        form[question["id"]] = answers[question["id"]]
    try:
        _action("limaactiva_survey_answer", {"id": survey_id, "answers": answers})
    except tk.NotAuthorized as error:
        return _render_survey(
            survey_dict, {"id": [str(error) or tk._("No autorizado.")]}, form, 403
        )
    except tk.ValidationError as error:
        return _render_survey(survey_dict, _messages(error), form, 400)
    tk.h.flash_success(
        tk._("Gracias: su respuesta quedó registrada. Se acepta una por persona.")
    )
    return _redirect("limaactiva_surveys.survey", survey_id=survey_id)


# --------------------------------------------------------------------------- results


def _results(survey_id: str) -> dict:
    try:
        return _action("limaactiva_survey_results", {"id": survey_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Encuesta no encontrada."))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))


@surveys.route("/encuesta/<survey_id>/resultados")
def results(survey_id: str):
    survey_dict = _survey_or_404(survey_id)
    return tk.render(
        "limaactiva/survey/results.html",
        {"survey": survey_dict, "results": _results(survey_id), "errors": []},
    )


@surveys.route("/encuesta/<survey_id>/resultados.json")
def results_json(survey_id: str):
    _survey_or_404(survey_id)
    response = make_response(
        json.dumps(_results(survey_id), ensure_ascii=False, indent=1)
    )
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


@surveys.route("/encuesta/<survey_id>/resultados.csv")
def results_csv(survey_id: str):
    survey_dict = _survey_or_404(survey_id)
    body = rows_to_csv(results_rows(_results(survey_id), survey_dict["space_name"]))
    response = make_response(body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        'attachment; filename="encuesta-resultados.csv"'
    )
    return response


# --------------------------------------------------------------------------- office


def _space_or_404(name: str) -> dict:
    try:
        return _action("limaactiva_space_show", {"id": name})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Espacio de participación no encontrado."))


def _compacted(form, questions: list[dict]) -> dict:
    """The posted form with the used question rows first, numbered as the action numbers
    them, so each message sits next to its question."""
    values = {
        key: value
        for key, value in form.to_dict().items()
        if not (key.startswith("q") and "_" in key and key != "question_rows")
    }
    for row, question in enumerate(questions):
        values[f"q{row}_text"] = question["text"]
        values[f"q{row}_kind"] = question["kind"]
        values[f"q{row}_options"] = question["options"]
        values[f"q{row}_required"] = question["required"]
    return values


def _questions_from_form(form) -> list[dict]:
    questions = []
    for row in range(_question_row_count(form)):
        text = (form.get(f"q{row}_text") or "").strip()
        options = form.get(f"q{row}_options") or ""
        if not text and not options.strip():
            continue
        questions.append(
            {
                "text": text,
                "kind": form.get(f"q{row}_kind") or "",
                "options": options,
                "required": bool(form.get(f"q{row}_required")),
            }
        )
    return questions


def _question_row_count(form) -> int:
    try:
        count = int(form.get("question_rows") or QUESTION_ROWS)
    except ValueError:
        count = QUESTION_ROWS
    return max(QUESTION_ROWS, min(count, 40))


def _form_values(survey_dict: dict | None) -> dict:
    if not survey_dict:
        return {}
    values = {
        "title": survey_dict["title"],
        "description": survey_dict["description"],
        "phase_key": survey_dict["phase_key"],
        "live_results": survey_dict["live_results"],
    }
    for row, question in enumerate(survey_dict["questions"]):
        values[f"q{row}_text"] = question["text"]
        values[f"q{row}_kind"] = question["kind"]
        values[f"q{row}_options"] = "\n".join(question["options"])
        values[f"q{row}_required"] = question["required"]
    return values


def _render_edit(space: dict, survey_dict: dict | None, form: dict, errors=None, status=200):
    errors = errors or {}
    rows = max(QUESTION_ROWS, len((survey_dict or {}).get("questions", [])) + 3)
    body = tk.render(
        "limaactiva/survey/edit.html",
        {
            "space": space,
            "survey": survey_dict,
            "form": form,
            "field_errors": errors,
            "errors": _flat(errors) if errors else [],
            "question_rows": range(rows),
            "kinds": list(QUESTION_KIND_LABELS),
        },
    )
    return body, status


def _submit(action: str, data: dict):
    """``(result, None)`` or ``(None, (errors, status))``."""
    try:
        return _action(action, data), None
    except tk.NotAuthorized as error:
        return None, ({"__all__": [str(error) or tk._("No autorizado.")]}, 403)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("No encontrado.")), None
    except tk.ValidationError as error:
        return None, (_messages(error), 400)


def _require_login():
    if not tk.current_user.is_authenticated:
        if tk.request.method == "POST":
            return tk.abort(403, tk._("Debe iniciar sesión."))
        return _redirect("user.login")
    return None


@surveys.route("/gestion/espacio/<name>/encuesta", methods=["GET", "POST"])
def create(name: str):
    refused = _require_login()
    if refused is not None:
        return refused
    space = _space_or_404(name)
    if not _can("limaactiva_survey_create", {"space_id": space["id"]}):
        return tk.abort(
            403, tk._("Solo la oficina responsable del espacio gestiona sus encuestas.")
        )
    if tk.request.method == "GET":
        return _render_edit(space, None, {"phase_key": space.get("current_phase")})
    form = tk.request.form
    data = {
        "space_id": space["id"],
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "phase_key": form.get("phase_key", ""),
        "live_results": bool(form.get("live_results")),
        "questions": _questions_from_form(form),
    }
    created, failure = _submit("limaactiva_survey_create", data)
    if failure:
        return _render_edit(space, None, _compacted(form, data["questions"]), *failure)
    tk.h.flash_success(tk._("Encuesta creada."))
    return _redirect("limaactiva_surveys.survey", survey_id=created["id"])


@surveys.route("/gestion/encuesta/<survey_id>/editar", methods=["GET", "POST"])
def edit(survey_id: str):
    refused = _require_login()
    if refused is not None:
        return refused
    survey_dict = _survey_or_404(survey_id)
    if not _can("limaactiva_survey_update", {"id": survey_id}):
        return tk.abort(
            403, tk._("Solo la oficina responsable del espacio gestiona sus encuestas.")
        )
    space = _space_or_404(survey_dict["space_id"])
    if tk.request.method == "GET":
        return _render_edit(space, survey_dict, _form_values(survey_dict))
    form = tk.request.form
    data = {
        "id": survey_id,
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "phase_key": form.get("phase_key", ""),
        "live_results": bool(form.get("live_results")),
    }
    if not survey_dict["responses"]:
        data["questions"] = _questions_from_form(form)
    _updated, failure = _submit("limaactiva_survey_update", data)
    if failure:
        return _render_edit(
            space, survey_dict, _compacted(form, data.get("questions") or []), *failure
        )
    tk.h.flash_success(tk._("Cambios guardados."))
    return _redirect("limaactiva_surveys.survey", survey_id=survey_id)


@surveys.route("/gestion/encuesta/<survey_id>/moderacion", methods=["GET", "POST"])
def moderation(survey_id: str):
    refused = _require_login()
    if refused is not None:
        return refused
    survey_dict = _survey_or_404(survey_id)
    if not _can("limaactiva_survey_text_list", {"id": survey_id}):
        return tk.abort(
            403, tk._("Solo la oficina responsable del espacio gestiona sus encuestas.")
        )
    errors: list[str] = []
    status = 200
    if tk.request.method == "POST":
        try:
            _action(
                "limaactiva_survey_text_moderate",
                {
                    "id": tk.request.form.get("answer_id", ""),
                    "decision": tk.request.form.get("decision", ""),
                },
            )
        except tk.ObjectNotFound:
            errors, status = [tk._("Respuesta no encontrada.")], 404
        except tk.NotAuthorized as error:
            errors, status = [str(error) or tk._("No autorizado.")], 403
        except tk.ValidationError as error:
            errors, status = _flat(_messages(error)), 400
        else:
            tk.h.flash_success(tk._("Decisión registrada."))
            return _redirect("limaactiva_surveys.moderation", survey_id=survey_id)
    body = tk.render(
        "limaactiva/survey/moderation.html",
        {
            "survey": survey_dict,
            "pending": _action("limaactiva_survey_text_list", {"id": survey_id}),
            "approved": _action(
                "limaactiva_survey_text_list", {"id": survey_id, "state": "approved"}
            ),
            "errors": errors,
        },
    )
    return body, status
