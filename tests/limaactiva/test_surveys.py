"""Surveys of a space: who creates and answers them, Spanish validation, one answer per
person (held by the database, also under concurrency), dates from the space's phases,
results with small cells suppressed, and free texts published only after moderation."""

from __future__ import annotations

import datetime
import threading

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock
from sqlalchemy.exc import IntegrityError

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")

QUESTIONS = [
    {
        "kind": "single",
        "text": "¿Qué obra prefiere?",
        "options": ["Parque", "Ciclovía", "Biblioteca"],
        "required": True,
    },
    {
        "kind": "multiple",
        "text": "¿Qué días puede asistir?",
        "options": ["Lunes", "Sábado", "Domingo"],
    },
    {"kind": "scale", "text": "¿Cuán urgente es?"},
    {"kind": "text", "text": "¿Algo más?"},
]


def act(name, user, **data):
    return call_action(
        name, {"user": user["name"] if user else "", "ignore_auth": False}, **data
    )


@pytest.fixture
def make_survey(sysadmin, space):
    def make(**extra):
        data = {
            "space_id": space["id"],
            "title": "Consulta sobre el parque",
            "phase_key": "prioritisation",
            "questions": QUESTIONS,
        }
        data.update(extra)
        return act("limaactiva_survey_create", sysadmin, **data)

    return make


@pytest.fixture
def survey(make_survey):
    return make_survey()


def answer(user, survey, single=0, multiple=(1,), scale=4, text=""):
    ids = [question["id"] for question in survey["questions"]]
    return act(
        "limaactiva_survey_answer",
        user,
        id=survey["id"],
        answers={ids[0]: single, ids[1]: list(multiple), ids[2]: scale, ids[3]: text},
    )


def close(space_dict):
    """Stop Lima's clock after the space's prioritisation phase."""
    end = datetime.date.fromisoformat(space_dict["phases"][-1]["end_date"])
    clock.set_source(
        datetime.datetime.combine(
            end + datetime.timedelta(days=1), datetime.time(12), tzinfo=clock.LIMA
        )
    )


@pytest.fixture(autouse=True)
def _free_clock():
    yield
    clock.set_source(None)


def rows(sql, **params):
    model.Session.remove()
    return model.Session.execute(sa.text(sql), params).all()


# --------------------------------------------------------------------------- managing


def test_office_creates_a_survey_open_with_the_phase(survey, space):
    assert survey["status"] == "open"
    phase = space["phases"][-1]
    assert (survey["opens_on"], survey["closes_on"]) == (
        phase["start_date"],
        phase["end_date"],
    )
    assert [q["kind"] for q in survey["questions"]] == [
        "single",
        "multiple",
        "scale",
        "text",
    ]
    assert survey["questions"][0]["options"] == ["Parque", "Ciclovía", "Biblioteca"]
    assert survey["results_public"] is False
    listed = call_action("limaactiva_survey_list", space_id=space["name"])
    assert [item["id"] for item in listed] == [survey["id"]]


def test_a_survey_tied_to_a_past_phase_is_closed(make_survey):
    assert make_survey(phase_key="information")["status"] == "closed"


def test_only_the_office_creates_or_edits(space, survey, citizen, make_citizen):
    other_office_editor = factories.User()
    factories.Organization(
        users=[{"name": other_office_editor["name"], "capacity": "editor"}]
    )
    for user in (citizen, other_office_editor, None):
        with pytest.raises(tk.NotAuthorized):
            act(
                "limaactiva_survey_create",
                user,
                space_id=space["id"],
                title="x",
                phase_key="prioritisation",
                questions=QUESTIONS,
            )
        with pytest.raises(tk.NotAuthorized):
            act("limaactiva_survey_update", user, id=survey["id"], title="Otra")
        with pytest.raises(tk.NotAuthorized):
            act("limaactiva_survey_text_list", user, id=survey["id"])


def test_office_editor_manages_its_spaces_surveys(space, office):
    editor = factories.User()
    call_action(
        "organization_member_create",
        id=office["id"],
        username=editor["name"],
        role="editor",
    )
    created = act(
        "limaactiva_survey_create",
        editor,
        space_id=space["id"],
        title="Encuesta del equipo",
        phase_key="prioritisation",
        questions=[{"kind": "scale", "text": "¿Qué tan útil fue?"}],
    )
    updated = act(
        "limaactiva_survey_update", editor, id=created["id"], title="Encuesta corregida"
    )
    assert updated["title"] == "Encuesta corregida"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "Este campo es obligatorio."),
        ({"title": "x" * 201}, "title", "Como máximo 200 caracteres."),
        ({"phase_key": "votacion"}, "phase_key", "Fase no válida"),
        ({"phase_key": "answer"}, "phase_key", "El espacio no tiene esa fase"),
        ({"questions": []}, "questions", "al menos una pregunta"),
        ({"questions": "no"}, "questions", "al menos una pregunta"),
        ({"questions": [{"kind": "radio", "text": "a"}]}, "question-1", "tipo no válido"),
        (
            {"questions": [{"kind": "single", "text": "a", "options": ["solo una"]}]},
            "question-1",
            "Entre 2 y 20 opciones",
        ),
        ({"questions": [{"kind": "scale", "text": ""}]}, "question-1", "obligatorio"),
        ({"questions": [{"kind": "text", "text": "a\x00b"}]}, "question-1", "no permitidos"),
        ({"questions": ["texto"]}, "question-1", "faltan sus campos"),
        ({"title": ["lista"]}, "title", "Debe ser un texto."),
    ],
)
def test_bad_surveys_are_refused_in_spanish(make_survey, data, field, message):
    with pytest.raises(tk.ValidationError) as error:
        make_survey(**data)
    assert message in " ".join(error.value.error_dict[field])
    assert rows("SELECT count(*) FROM limaactiva_survey") == [(0,)]


def test_unknown_space_or_survey_is_not_found(sysadmin):
    with pytest.raises(tk.ObjectNotFound):
        act(
            "limaactiva_survey_create",
            sysadmin,
            space_id="no-existe",
            title="x",
            phase_key="information",
            questions=QUESTIONS,
        )
    for name in ("limaactiva_survey_show", "limaactiva_survey_results"):
        with pytest.raises(tk.ObjectNotFound):
            call_action(name, id="no-existe")


def test_questions_are_frozen_once_answered(survey, sysadmin, citizen):
    changed = act(
        "limaactiva_survey_update",
        sysadmin,
        id=survey["id"],
        questions=[{"kind": "scale", "text": "Nueva"}],
    )
    assert [q["text"] for q in changed["questions"]] == ["Nueva"]
    act(
        "limaactiva_survey_answer",
        citizen,
        id=survey["id"],
        answers={changed["questions"][0]["id"]: 3},
    )
    with pytest.raises(tk.ValidationError) as error:
        act(
            "limaactiva_survey_update",
            sysadmin,
            id=survey["id"],
            questions=QUESTIONS,
        )
    assert "no pueden cambiar" in error.value.error_dict["questions"][0]
    # the other fields still change
    assert (
        act("limaactiva_survey_update", sysadmin, id=survey["id"], title="Título nuevo")[
            "title"
        ]
        == "Título nuevo"
    )


# --------------------------------------------------------------------------- answering


def test_a_confirmed_participant_answers_once(survey, citizen):
    assert answer(citizen, survey, text="Más árboles")["answered"] is True
    shown = act("limaactiva_survey_show", citizen, id=survey["id"])
    assert shown["answered"] is True and shown["responses"] == 1
    with pytest.raises(tk.ValidationError) as error:
        answer(citizen, survey, single=1)
    assert "Ya respondió" in error.value.error_dict["id"][0]
    assert rows("SELECT count(*) FROM limaactiva_survey_response") == [(1,)]
    # single 1 row, multiple 1 row, scale 1 row, text 1 row
    assert rows("SELECT count(*) FROM limaactiva_survey_answer") == [(4,)]


def test_anonymous_and_unconfirmed_cannot_answer(survey, make_citizen):
    with pytest.raises(tk.NotAuthorized):
        answer(None, survey)
    unconfirmed = make_citizen(confirmed=False)
    with pytest.raises(tk.NotAuthorized) as error:
        answer(unconfirmed, survey)
    assert "confirmar su correo" in str(error.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"single": 7}, "Elija entre las opciones"),
        ({"single": "uno"}, "Elija entre las opciones"),
        ({"single": ""}, "Responda esta pregunta."),
        ({"multiple": ["0", "9"]}, "Elija entre las opciones"),
        ({"scale": 6}, "Elija un valor del 1 al 5."),
        ({"scale": "0"}, "Elija un valor del 1 al 5."),
        ({"text": "x" * 2001}, "Como máximo 2000 caracteres."),
        ({"text": "a\x00"}, "no permitidos"),
        ({"text": {"a": 1}}, "Debe ser un texto."),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_kept(survey, citizen, values, message):
    with pytest.raises(tk.ValidationError) as error:
        answer(citizen, survey, **values)
    assert message in " ".join(
        item for items in error.value.error_dict.values() for item in items
    )
    assert rows("SELECT count(*) FROM limaactiva_survey_response") == [(0,)]


def test_answers_must_be_a_mapping(survey, citizen):
    with pytest.raises(tk.ValidationError) as error:
        act("limaactiva_survey_answer", citizen, id=survey["id"], answers=["0"])
    assert "por pregunta" in error.value.error_dict["answers"][0]


def test_a_survey_outside_its_phase_takes_no_answers(make_survey, survey, space, citizen):
    past = make_survey(phase_key="information")
    with pytest.raises(tk.ValidationError) as error:
        answer(citizen, past)
    assert "no está abierta" in error.value.error_dict["id"][0]
    close(space)
    with pytest.raises(tk.ValidationError):
        answer(citizen, survey)


def test_two_submits_at_once_give_one_answer(survey, citizen):
    """The same person sends the form twice at the same moment, several times over: the
    UNIQUE constraint leaves exactly one response and the other submit is refused."""
    model.Session.remove()
    barrier = threading.Barrier(4)
    outcomes = []
    lock = threading.Lock()

    def submit():
        try:
            barrier.wait()
            answer(citizen, survey, single=1)
            result = "ok"
        except tk.ValidationError as error:
            result = error.error_dict["id"][0]
        except Exception as error:  # noqa: BLE001 - reported by the assertion
            result = repr(error)
        finally:
            model.Session.remove()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    assert all("Ya respondió" in item for item in outcomes if item != "ok"), outcomes
    assert rows("SELECT count(*) FROM limaactiva_survey_response") == [(1,)]
    assert rows(
        "SELECT count(*) FROM limaactiva_survey_answer WHERE option_index = 1"
        " AND scale_value IS NULL"
    ) == [(2,)]  # the single choice and the multiple choice of the one response


def test_the_database_refuses_a_second_response(survey, citizen):
    user_id = model.User.get(citizen["name"]).id
    answer(citizen, survey)
    with pytest.raises(IntegrityError):
        model.Session.execute(
            sa.text(
                "INSERT INTO limaactiva_survey_response (id, survey_id, user_id, created)"
                " VALUES ('otra', :s, :u, now())"
            ),
            {"s": survey["id"], "u": user_id},
        )
    model.Session.rollback()


# --------------------------------------------------------------------------- results


def test_results_wait_for_the_close_unless_live(survey, make_survey, space, citizen):
    with pytest.raises(tk.NotAuthorized) as error:
        act("limaactiva_survey_results", None, id=survey["id"])
    assert "cuando la encuesta cierra" in str(error.value)
    with pytest.raises(tk.NotAuthorized):
        act("limaactiva_survey_results", citizen, id=survey["id"])
    live = make_survey(live_results=True)
    assert act("limaactiva_survey_results", None, id=live["id"])["status"] == "open"
    close(space)
    assert act("limaactiva_survey_results", None, id=survey["id"])["status"] == "closed"


def test_the_office_reads_results_while_open(survey, sysadmin):
    assert act("limaactiva_survey_results", sysadmin, id=survey["id"])["results_public"] is False


def test_small_cells_are_suppressed(survey, space, make_citizen):
    # 7 people: single choice 6 × Parque, 1 × Ciclovía; scale 5 × 4, 2 × 2
    for number in range(7):
        answer(
            make_citizen(with_token=False),
            survey,
            single=0 if number < 6 else 1,
            multiple=(0, 1) if number < 5 else (2,),
            scale=4 if number < 5 else 2,
        )
    close(space)
    results = act("limaactiva_survey_results", None, id=survey["id"])
    assert results["respondents"] == 7 and results["min_cell"] == 5
    single, multiple, scale, text = results["questions"]
    # 1 is "<5"; 6 would give it away from the total of 7, so it is withheld too
    assert [c["count"] for c in single["counts"]] == ["oculto", "<5", 0]
    assert single["answered"] == 7
    # multiple choice counts do not add up to a total: only the small cells are hidden
    assert [c["count"] for c in multiple["counts"]] == [5, 5, "<5"]
    assert [c["count"] for c in scale["counts"]] == [0, "<5", 0, "oculto", 0]
    assert scale["mean"] is None  # a hidden cell could be worked out from the mean
    assert text["answered"] == 0 and text["texts"] == []


def test_with_few_respondents_nothing_is_detailed(survey, space, make_citizen):
    for _ in range(3):
        answer(make_citizen(with_token=False), survey, single=0, scale=5)
    close(space)
    results = act("limaactiva_survey_results", None, id=survey["id"])
    assert results["respondents"] == "<5"
    single = results["questions"][0]
    assert [c["count"] for c in single["counts"]] == ["<5", 0, 0]
    assert results["questions"][2]["mean"] is None


def test_threshold_is_configurable(survey, space, make_citizen, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.limaactiva.survey_min_cell", 2)
    for scale in (5, 5, 3):
        answer(make_citizen(with_token=False), survey, scale=scale)
    close(space)
    results = act("limaactiva_survey_results", None, id=survey["id"])
    scale = results["questions"][2]
    assert results["min_cell"] == 2 and results["respondents"] == 3
    # one hidden cell out of a total: the next smallest is hidden too
    assert [c["count"] for c in scale["counts"]] == [0, 0, "<2", 0, "oculto"]


def test_exact_counts_and_mean_when_every_cell_is_large(survey, space, make_citizen):
    for number in range(10):
        answer(
            make_citizen(with_token=False),
            survey,
            single=number % 2,
            scale=5 if number < 5 else 3,
        )
    close(space)
    results = act("limaactiva_survey_results", None, id=survey["id"])
    single, _multiple, scale, _text = results["questions"]
    assert [c["count"] for c in single["counts"]] == [5, 5, 0]
    assert [c["count"] for c in scale["counts"]] == [0, 0, 5, 0, 5]
    assert scale["mean"] == 4.0


def test_free_texts_are_published_only_after_approval(
    survey, space, sysadmin, make_citizen
):
    texts = [f"Idea número {number}" for number in range(6)]
    for text in texts:
        answer(make_citizen(with_token=False), survey, text=text)
    pending = act("limaactiva_survey_text_list", sysadmin, id=survey["id"])
    assert sorted(item["text"] for item in pending) == texts
    assert all("user" not in key for item in pending for key in item)
    act(
        "limaactiva_survey_text_moderate",
        sysadmin,
        id=pending[0]["id"],
        decision="approve",
    )
    act(
        "limaactiva_survey_text_moderate",
        sysadmin,
        id=pending[1]["id"],
        decision="reject",
    )
    with pytest.raises(tk.ValidationError) as error:
        act("limaactiva_survey_text_moderate", sysadmin, id=pending[2]["id"], decision="x")
    assert "Decisión no válida" in error.value.error_dict["decision"][0]
    with pytest.raises(tk.ObjectNotFound):
        act("limaactiva_survey_text_moderate", sysadmin, id="no-existe", decision="approve")
    close(space)
    text_results = act("limaactiva_survey_results", None, id=survey["id"])["questions"][3]
    assert text_results["texts"] == [pending[0]["text"]]
    assert text_results["answered"] == 6
    audit = rows(
        "SELECT action FROM limaactiva_audit WHERE target_type = 'survey_answer'"
        " ORDER BY id"
    )
    assert audit == [("survey_text_approved",), ("survey_text_rejected",)]


def test_a_citizen_cannot_moderate(survey, citizen, make_citizen):
    answer(make_citizen(with_token=False), survey, text="Hola")
    answer_id = rows("SELECT id FROM limaactiva_survey_answer WHERE text IS NOT NULL")[0][0]
    with pytest.raises(tk.NotAuthorized):
        act(
            "limaactiva_survey_text_moderate", citizen, id=answer_id, decision="approve"
        )


def test_no_action_returns_who_answered(survey, space, make_citizen, sysadmin):
    people = [make_citizen(with_token=False) for _ in range(5)]
    for person in people:
        answer(person, survey, text="Texto")
    close(space)
    dumped = repr(
        [
            call_action("limaactiva_survey_show", id=survey["id"]),
            call_action("limaactiva_survey_list"),
            call_action("limaactiva_survey_results", id=survey["id"]),
            act("limaactiva_survey_text_list", sysadmin, id=survey["id"]),
        ]
    )
    for person in people:
        assert person["id"] not in dumped and person["name"] not in dumped


def test_live_results_count_earlier_days_only(make_survey, space, make_citizen, sysadmin):
    """Refreshed with every answer, live figures would tell a watcher what the last
    person answered: the public sees the answers of earlier days; the office sees all."""
    live = make_survey(live_results=True)
    for _ in range(5):
        answer(make_citizen(with_token=False), live, single=2, scale=1)
    today_public = act("limaactiva_survey_results", None, id=live["id"])
    assert today_public["respondents"] == 0
    assert today_public["counted_before"] == clock.today().isoformat()
    assert [c["count"] for c in today_public["questions"][0]["counts"]] == [0, 0, 0]
    office_view = act("limaactiva_survey_results", sysadmin, id=live["id"])
    assert office_view["respondents"] == 5 and office_view["counted_before"] is None
    tomorrow = clock.today() + datetime.timedelta(days=1)
    clock.set_source(
        datetime.datetime.combine(tomorrow, datetime.time(0, 30), tzinfo=clock.LIMA)
    )
    next_day = act("limaactiva_survey_results", None, id=live["id"])
    assert next_day["respondents"] == 5
    assert [c["count"] for c in next_day["questions"][0]["counts"]] == [0, 0, 5]
    assert [c["count"] for c in next_day["questions"][2]["counts"]] == [5, 0, 0, 0, 0]


def test_a_required_text_is_not_answered_by_blanks(sysadmin, space, citizen):
    survey = act(
        "limaactiva_survey_create",
        sysadmin,
        space_id=space["id"],
        title="Solo texto",
        phase_key="prioritisation",
        questions=[{"kind": "text", "text": "¿Qué propone?", "required": True}],
    )
    question_id = survey["questions"][0]["id"]
    with pytest.raises(tk.ValidationError) as error:
        act(
            "limaactiva_survey_answer",
            citizen,
            id=survey["id"],
            answers={question_id: "   \n  "},
        )
    assert error.value.error_dict[question_id] == ["Responda esta pregunta."]
    assert rows("SELECT count(*) FROM limaactiva_survey_response") == [(0,)]
