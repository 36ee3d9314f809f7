"""The plan file says only what the plan says (issue 16, "Say only what is known").

``config/plan/plan-2022.yaml`` is read against the plan's own text
(``config/plan/source/plan-2022-seed.txt``, the seed) and against a list of the seed's
facts: every text of the file is found in the plan word for word, every date is one of
the plan's dates, no fact the plan states is missing, and nothing the plan does not state
(a plan period chosen among three, an inferred status, indicators, budgets) is there.
What the portal adds lives in ``plan-2022.portal.yaml`` and is labelled on the pages.
"""
from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
PLAN_FILE = REPO / "config" / "plan" / "plan-2022.yaml"
PORTAL_FILE = REPO / "config" / "plan" / "plan-2022.portal.yaml"
SEED_FILE = REPO / "config" / "plan" / "source" / "plan-2022-seed.txt"

# Keys whose values are the portal's identifiers or classification, not statements of
# the plan (each is shown through a label or not at all).
IDENTIFIER_KEYS = {"id", "name", "code", "stage", "kind", "ogp_values", "team_organization"}

# The seed's facts, quoted from it: (path in the plan file, value).
SEED_FACTS: list[tuple[str, Any]] = [
    ("plan.title", "Primer Plan de Acción de Gobierno Abierto Lima 2022"),
    ("plan.member", "Municipalidad Metropolitana de Lima"),
    ("commitments[open-lima].title", "OPEN LIMA: La primera Plataforma de Gobierno Abierto para la ciudad de Lima"),
    ("commitments[open-lima].subtitle", "La primera plataforma de Gobierno Abierto de Lima"),
    ("commitments[lima-honesta].title", "Lima Honesta: Plataforma de denuncias anticorrupción"),
    ("commitments[lima-honesta].subtitle", "Plataforma de denuncias anticorrupción"),
    ("commitments[lima-activa].subtitle",
     "Plataforma digital que capitaliza los esfuerzos en servicios municipales y los "
     "espacios de participación ciudadana municipales"),
    # the three periods the plan states, each as it states it
    ("commitments[open-lima].implementation_period", "(octubre – diciembre) de 2022"),
    ("commitments[lima-honesta].implementation_period", "(octubre – diciembre) de 2022"),
    ("commitments[lima-activa].implementation_period", "(octubre – diciembre) de 2022"),
    ("commitments[open-lima].commitment_period", "Diciembre 2022 - Diciembre 2024"),
    ("commitments[lima-honesta].commitment_period", "Diciembre 2022 - Diciembre 2024"),
    ("commitments[lima-activa].commitment_period", "Diciembre 2022 - Diciembre 2024"),
    ("commitments[open-lima].milestones[D].planned_start", datetime.date(2022, 8, 8)),
    ("commitments[lima-activa].milestones[G].planned_end", datetime.date(2022, 12, 10)),
    ("commitments[open-lima].milestones[E].title", "Campaña de difusión externa por redes sociales"),
    ("commitments[lima-honesta].responsible_offices",
     ["Subgerencia de Gobierno Digital e Innovación", "Unidad de Integridad Institucional"]),
    ("commitments[open-lima].sdg_targets", ["16.6", "16.10"]),
    ("commitments[lima-honesta].sdg_targets", ["16.5", "16.10"]),
    ("commitments[lima-activa].sdg_targets", ["16.10", "10.2"]),
    # what each draft of Fase 3 said, adopted commitments included
    ("commitments[open-lima].planned_measures",
     ["# De datos publicados", "# De datos consultados",
      "# indicador de percepción de cercanía/ accesibilidad de la ciudadanía con la gestión pública municipal"]),
    ("commitments[lima-honesta].planned_measures",
     ["De denuncias atendidas/# de denuncias recibidas", "De denuncias por canal",
      "Valoración de la plataforma"]),
    ("commitments[lima-activa].planned_measures", []),
    ("commitments[open-lima].draft.components", ["El tratado", "La plataforma", "Comunicación"]),
    ("commitments[lima-honesta].draft.components", ["El tratado", "La plataforma", "Difusión"]),
    ("commitments[lima-activa].draft.components", ["Lima Activa Físicamente", "Lima Activa Digitalmente"]),
    ("commitments[open-lima].draft.periods", ["Octubre 2022 – Noviembre 2022"]),
    ("commitments[lima-digital].draft.periods", ["Agosto 2022 - octubre 2022"]),
    # the tracker draft is printed twice, with two periods: both are kept
    ("commitments[tracker-de-denuncias].draft.periods",
     ["Octubre 2022 – Noviembre 2022", "Julio 2022 - Diciembre 2022"]),
    ("commitments[lima-digital].planned_measures",
     ["Cantidad de funcionarios capacitado.", "Promedio de madurez digital"]),
    ("commitments[tracker-de-denuncias].planned_measures", []),
]

# What the plan does not state and the file must not claim.
NOT_IN_THE_SEED = [
    "plan.period_start", "plan.period_end", "plan.status",
    *(f"commitments[{name}].{field}" for name in ("open-lima", "lima-honesta", "lima-activa")
      for field in ("indicators", "budget", "implementation_start", "implementation_end",
                    "commitment_start", "commitment_end")),
]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".").casefold()


@pytest.fixture(scope="module")
def seed() -> str:
    return normalise(SEED_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def plan() -> dict:
    return yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every scalar of the file."""
    if isinstance(value, dict):
        for key, item in value.items():
            for leaf in leaves(item, f"{path}.{key}" if path else key):
                yield leaf
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        key = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
        yield path, key, value


def resolve(plan: dict, path: str) -> Any:
    """``commitments[open-lima].milestones[D].planned_start`` → the value (KeyError if absent)."""
    value: Any = plan
    for part in re.findall(r"[^.\[\]]+|\[[^\]]+\]", path):
        if part.startswith("["):
            wanted = part[1:-1]
            value = next(item for item in value if wanted in (item.get("name"), item.get("code")))
        else:
            value = value[part]
    return value


def seed_dates(seed: str, day: datetime.date) -> bool:
    return any(form in seed for form in (day.strftime("%d/%m/%Y"), day.strftime("%d/%m/%y")))


def test_every_text_of_the_plan_file_is_the_plans_own_words(plan, seed):
    not_found = []
    for path, key, value in leaves(plan):
        if key in IDENTIFIER_KEYS or value is None or key == "source_url" and value in (
                "http://www.munlima.gob.pe/",):
            continue
        if isinstance(value, datetime.date):
            if not seed_dates(seed, value):
                not_found.append((path, value))
            continue
        # a citation made of several passages joins them with " … "
        for part in str(value).split(" … "):
            if normalise(part) not in seed:
                not_found.append((path, part))
    assert not_found == []


def test_the_seeds_facts_are_all_in_the_plan_file(plan, seed):
    for path, expected in SEED_FACTS:
        value = resolve(plan, path)
        if path.endswith(("responsible_offices",)):
            value = [office["title"] for office in value]
        elif path.endswith("sdg_targets"):
            value = [target["code"] for target in value]
        elif path.endswith("components"):
            value = [component["title"] for component in value]
        assert value == expected, path
        for text in expected if isinstance(expected, list) else [expected]:
            if isinstance(text, datetime.date):
                assert seed_dates(seed, text), text
            else:
                assert normalise(text) in seed, text  # the fact itself is the seed's


def test_what_the_seed_does_not_state_is_not_in_the_plan_file(plan):
    present = []
    for path in NOT_IN_THE_SEED:
        try:
            value = resolve(plan, path)
        except (KeyError, StopIteration):
            continue
        if value not in (None, "", []):
            present.append(path)
    assert present == []


def test_what_the_portal_adds_is_in_its_own_file_and_names_the_plans_measures(plan):
    portal = yaml.safe_load(PORTAL_FILE.read_text(encoding="utf-8"))
    assert portal["plan"] == plan["plan"]["id"]
    commitments = {c["name"]: c for c in plan["commitments"]}
    for name, rules in portal["commitments"].items():
        measures = commitments[name]["planned_measures"]
        for indicator in rules.get("indicators", []):
            # an indicator either computes one of the plan's measures, quoted exactly, or
            # says the plan fixes none
            assert indicator.get("measure") in measures or "plan no" in indicator.get("description", "")
        components = [c["title"] for c in commitments[name]["draft"]["components"]]
        assert [t["component"] for t in rules.get("traces", [])] == components
