"""Open data exports: complete, and free of personal data; published as a CKAN dataset."""

from __future__ import annotations

import csv
import io

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def test_exports_carry_the_public_record_and_nothing_personal(
    app, space, make_citizen, make_proposal, sysadmin
):
    author = make_citizen(fullname="Autora Reservada", email="autora@example.org")
    voter = make_citizen(fullname="Votante Secreto", email="votante@example.org")
    proposal = make_proposal(space, author=author)
    call_action(
        "limaactiva_vote_cast",
        {"user": voter["name"], "ignore_auth": False},
        proposal_id=proposal["id"],
        weight=3,
    )
    session = call_action(
        "limaactiva_session_create",
        {"user": sysadmin["name"]},
        space_id=space["id"],
        title="Asamblea",
        modality="online",
        online_url="https://meet.example.org/a",
        starts_at="2026-12-01T18:00",
    )
    call_action(
        "limaactiva_session_close",
        {"user": sysadmin["name"]},
        id=session["id"],
        report="Informe",
        attendees_count=30,
        contributions_count=5,
        proposal_ids=[proposal["id"]],
        organisations=[
            {"organisation": "Comedor Popular", "district": "150103", "people": 6}
        ],
    )
    bodies = {}
    for name in ("espacios", "sesiones", "organizaciones", "propuestas", "puntajes"):
        response = app.get(f"/participa/datos/{name}.csv")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        bodies[name] = response.body
    proposals = list(csv.DictReader(io.StringIO(bodies["propuestas"])))
    assert proposals[0]["proposal_id"] == proposal["id"]
    assert (proposals[0]["score"], proposals[0]["count_3"]) == ("3", "1")
    assert "Comedor Popular" in bodies["organizaciones"]
    scores = list(csv.DictReader(io.StringIO(bodies["puntajes"])))
    assert scores[-1]["score"] == "3"
    everything = "\n".join(bodies.values())
    for personal in (
        author["id"],
        author["name"],
        "Autora Reservada",
        "autora@example.org",
        voter["id"],
        voter["name"],
        "Votante Secreto",
        "votante@example.org",
    ):
        assert personal not in everything
    assert app.get("/participa/datos/usuarios.csv").status_code == 404


def test_publish_creates_then_refreshes_the_dataset(space, sysadmin, office):
    with pytest.raises(Exception) as error:
        call_action(
            "limaactiva_publish",
            {"user": factories.User()["name"], "ignore_auth": False},
        )
    assert "NotAuthorized" in type(error.value).__name__
    dataset = call_action(
        "limaactiva_publish", {"user": sysadmin["name"]}, owner_org=office["name"]
    )
    assert dataset["name"] == "lima-activa-participacion"
    urls = sorted(r["url"] for r in dataset["resources"])
    assert len(urls) == 6 and all(
        u.endswith(".csv") and "/participa/datos/" in u for u in urls
    )
    again = call_action(
        "limaactiva_publish", {"user": sysadmin["name"]}, owner_org=office["name"]
    )
    assert sorted(r["id"] for r in again["resources"]) == sorted(
        r["id"] for r in dataset["resources"]
    )


def test_demo_content_loads_once(cli, ckan_config):
    from ckan.cli.cli import ckan

    first = cli.invoke(ckan, ["limaactiva", "demo", "load"])
    assert first.exit_code == 0, first.output
    assert "espacio presupuesto-participativo-2027" in first.output
    second = cli.invoke(ckan, ["limaactiva", "demo", "load"])
    assert second.exit_code == 0 and "nada que crear" in second.output
    proposals = call_action(
        "limaactiva_proposal_list", space_id="presupuesto-participativo-2027"
    )
    assert [p["score"] for p in proposals] == [8, 3, 3]
    assert len(call_action("limaactiva_service_list")) == 4
    (survey,) = call_action(
        "limaactiva_survey_list", space_id="presupuesto-participativo-2027"
    )
    assert survey["status"] == "open" and survey["responses"] == 3


def test_exports_never_hand_a_spreadsheet_a_formula(app, space, make_proposal):
    """#12 §4: a proposal titled ``=HYPERLINK(...)`` is text in the spreadsheet."""
    make_proposal(space, title='=HYPERLINK("http://example.org/robo","Ver")',
                  body="+cmd|' /C calc'!A0")
    body = app.get("/participa/datos/propuestas.csv").body
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["title"] == "'=HYPERLINK(\"http://example.org/robo\",\"Ver\")"
    assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for value in row.values() if value)
