"""Progress roll-up (weighted and plain), delayed milestones and the derived status.

Each case is one commitment of a single test plan, so the database is set up once per test.
"""
from __future__ import annotations

import datetime

import pytest

from ckan.tests.helpers import call_action
from openlima_common import clock

pytestmark = pytest.mark.usefixtures("with_plugins")

PAST = "2020-01-31"
FUTURE = "2099-12-31"


def _m(code, progress, weight=None, status="in_progress", planned_end=FUTURE):
    data = {"code": code, "title": f"Hito {code}", "planned_start": "2020-01-01",
            "planned_end": planned_end, "progress": progress, "status": status}
    if weight is not None:
        data["weight"] = weight
    return data


def _load_cases(load_plan, make_small_plan, cases: dict[str, list[dict]]) -> dict[str, dict]:
    document = make_small_plan([])
    template = document["commitments"][0]
    document["commitments"] = [
        dict(template, name=name, code=str(n), milestones=milestones)
        for n, (name, milestones) in enumerate(cases.items(), start=1)
    ]
    load_plan(document)
    listed = call_action("openlima_commitment_list", plan_id="prueba")
    return {c["name"]: c for c in listed}


def test_progress_roll_up_with_and_without_weights(load_plan, make_small_plan):
    commitments = _load_cases(load_plan, make_small_plan, {
        # plain mean: (100 + 50 + 0) / 3
        "sin-pesos": [_m("A", 100, status="completed"), _m("B", 50), _m("C", 0, status="not_started")],
        # weighted: (100×3 + 50×1 + 0×1) / 5
        "con-pesos": [_m("A", 100, 3, "completed"), _m("B", 50, 1), _m("C", 0, 1, "not_started")],
        # normalised: (80×0.2 + 20×0.3) / 0.5 = 44 (Decidim's unnormalised sum would say 22)
        "pesos-fraccion": [_m("A", 80, "0.2"), _m("B", 20, "0.3")],
        # a milestone without weight weighs 1 when others have one: (100×2 + 40) / 3
        "pesos-parciales": [_m("A", 100, 2, "completed"), _m("B", 40)],
        # cancelled milestones do not count
        "con-cancelado": [_m("A", 60), _m("B", 0, status="cancelled", planned_end=PAST)],
        "sin-hitos": [],
    })
    progress = {name: c["progress"] for name, c in commitments.items()}
    assert progress == {
        "sin-pesos": 50.0, "con-pesos": 70.0, "pesos-fraccion": 44.0,
        "pesos-parciales": 80.0, "con-cancelado": 60.0, "sin-hitos": None,
    }
    assert commitments["con-pesos"]["suggested_completion"] == "substantial"
    assert commitments["sin-hitos"]["status"] == "no_milestones"


def test_delayed_milestones_and_commitment_status(load_plan, make_small_plan):
    lima_today = clock.today()
    tomorrow = (lima_today + datetime.timedelta(days=1)).isoformat()
    commitments = _load_cases(load_plan, make_small_plan, {
        "mixto": [
            _m("A", 99, planned_end=PAST),                         # past, below 100 → delayed
            _m("B", 100, status="completed", planned_end=PAST),    # past but complete
            _m("C", 10, planned_end=FUTURE),                       # not yet due
            _m("D", 0, status="cancelled", planned_end=PAST),      # cancelled: never delayed
        ],
        "a-tiempo": [_m("A", 10, planned_end=tomorrow)],
        "completo": [_m("A", 100, status="completed", planned_end=PAST), _m("B", 100, status="completed")],
        "sin-empezar": [_m("A", 0, status="not_started")],
    })
    mixto = commitments["mixto"]
    assert {m["code"]: m["delayed"] for m in mixto["milestones"]} == {
        "A": True, "B": False, "C": False, "D": False,
    }
    assert mixto["status"] == "delayed" and mixto["delayed_milestones"] == 1
    assert commitments["a-tiempo"]["status"] == "in_progress"
    assert commitments["completo"]["status"] == "completed"
    assert commitments["completo"]["suggested_completion"] == "complete"
    assert commitments["sin-empezar"]["status"] == "not_started"
    assert commitments["sin-empezar"]["suggested_completion"] == "not_started"


def test_con_retraso_follows_limas_date_not_the_servers(
        load_plan, make_small_plan, lima_clock):
    """A milestone due on 10 April is not late at 19:53 in Lima (00:53 UTC on the 11th);
    it is late once the 11th begins in Lima."""
    load_plan(make_small_plan([_m("A", 10, planned_end="2025-04-10")]))
    lima_clock(datetime.datetime(2025, 4, 11, 0, 53, tzinfo=datetime.timezone.utc))
    commitment = call_action("openlima_commitment_list", plan_id="prueba")[0]
    assert commitment["milestones"][0]["delayed"] is False
    assert commitment["status"] != "delayed"
    lima_clock(datetime.datetime(2025, 4, 11, 5, 0, tzinfo=datetime.timezone.utc))
    commitment = call_action("openlima_commitment_list", plan_id="prueba")[0]
    assert commitment["milestones"][0]["delayed"] is True
    assert commitment["status"] == "delayed"


def test_plan_progress_is_the_mean_of_approved_commitments(load_plan, make_small_plan):
    document = make_small_plan([_m("A", 30)])
    first = document["commitments"][0]
    document["commitments"] += [
        dict(first, name="segundo", code="02", milestones=[_m("A", 90)]),
        dict(first, name="borrador", code="B", stage="draft_not_adopted", milestones=[_m("A", 0)]),
    ]
    load_plan(document)
    plan = call_action("openlima_plan_show", id="prueba")
    assert plan["progress"] == 60.0
    assert plan["approved_count"] == 2 and plan["draft_count"] == 1


def test_2022_plan_untouched_is_past_due_with_no_progress_recorded(plan_2022):
    approved = [c for c in plan_2022["commitments"] if c["stage"] == "approved"]
    assert all(c["progress"] == 0.0 for c in approved)
    # past due by the rule, but nobody has recorded anything: not "con retraso"
    assert all(c["status"] == "no_progress_recorded" for c in approved)
    assert {c["status_label"] for c in approved} == {"Sin avance registrado"}
    assert plan_2022["progress"] == 0.0
    assert plan_2022["delayed_milestones"] == 21 and plan_2022["unreported_milestones"] == 21
    milestones = [m for c in approved for m in c["milestones"]]
    assert not any(m["progress_recorded"] for m in milestones)
    assert plan_2022["last_update"] == max(m["last_update"] for m in milestones)


def test_recorded_zero_is_late_and_nothing_recorded_is_unknown(load_plan, make_small_plan):
    commitments = _load_cases(load_plan, make_small_plan, {
        # somebody recorded "en curso, 0 %": late, with recorded progress
        "registrado": [_m("A", 0, status="in_progress", planned_end=PAST)],
        # nothing recorded about it: not known whether work was done
        "sin-registro": [_m("A", 0, status="not_started", planned_end=PAST)],
        # one recorded milestone is enough for the commitment to be late
        "mezcla": [_m("A", 0, status="not_started", planned_end=PAST), _m("B", 20, planned_end=PAST)],
    })
    assert commitments["registrado"]["status"] == "delayed"
    assert commitments["registrado"]["unreported_milestones"] == 0
    assert commitments["sin-registro"]["status"] == "no_progress_recorded"
    assert commitments["sin-registro"]["unreported_milestones"] == 1
    assert commitments["sin-registro"]["milestones"][0]["delayed"] is True  # the data rule stays
    assert commitments["mezcla"]["status"] == "delayed"
    assert commitments["mezcla"]["unreported_milestones"] == 1
    assert commitments["mezcla"]["delayed_milestones"] == 2
