"""The accountability loop of Lima Activa (#16): answers have a deadline, authors and
followers are told (dashboard and e-mail through a real SMTP server) when a proposal is
answered, changes state or its space enters a new phase; following and unfollowing."""

from __future__ import annotations

import datetime
import re

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
    pytest.mark.ckan_config("WTF_CSRF_ENABLED", False),
]


def auth(user):
    return {"Authorization": user["token"]}


@pytest.fixture
def editor(office, sysadmin):
    user = factories.UserWithToken(email="editora@munlima.example")
    call_action(
        "organization_member_create",
        {"user": sysadmin["name"]},
        id=office["id"],
        username=user["name"],
        role="editor",
    )
    return user


def as_user(user):
    return {"user": user["name"], "ignore_auth": False}


def notices(user):
    return call_action("limaactiva_notification_list", as_user(user))


def test_answer_tells_author_and_followers_by_mail_and_dashboard(
    app, smtp_sink, space, make_citizen, make_proposal, editor
):
    author = make_citizen(email="autora@example.org")
    follower = make_citizen(email="vecino@example.org")
    space_follower = make_citizen(email="barrio@example.org")
    no_mail = factories.User()
    model.User.get(no_mail["id"]).email = None  # accounts made by an admin may have none
    model.repo.commit()
    proposal = make_proposal(space, author=author, title="Iluminar el parque Domodossola")
    call_action(
        "limaactiva_follow", as_user(follower), object_type="proposal",
        object_id=proposal["id"],
    )
    call_action(  # twice is still once
        "limaactiva_follow", as_user(follower), object_type="proposal",
        object_id=proposal["id"],
    )
    call_action(
        "limaactiva_follow", as_user(space_follower), object_type="space",
        object_id=space["name"],
    )
    call_action(
        "limaactiva_follow", as_user(no_mail), object_type="proposal",
        object_id=proposal["id"],
    )
    call_action(  # the office answering is not told about its own answer
        "limaactiva_follow", as_user(editor), object_type="proposal",
        object_id=proposal["id"],
    )
    assert call_action(
        "limaactiva_follow_show", {"user": ""}, object_type="proposal",
        object_id=proposal["id"],
    ) == {"following": False, "followers": 3}

    call_action(
        "limaactiva_proposal_answer",
        as_user(editor),
        id=proposal["id"],
        state="accepted",
        answer_text="Se incluye en el plan de alumbrado 2027.",
    )

    to_author = smtp_sink.to("autora@example.org")
    assert len(to_author) == 1
    assert "Su propuesta «Iluminar el parque Domodossola» recibió una respuesta oficial" in (
        to_author[0]["subject"]
    )
    assert "Se incluye en el plan de alumbrado 2027." in to_author[0]["body"]
    assert f"/participa/propuesta/{proposal['id']}" in to_author[0]["body"]
    assert "Dejar de seguir" not in to_author[0]["body"]  # the author follows nothing
    to_follower = smtp_sink.to("vecino@example.org")
    assert len(to_follower) == 1
    assert "La propuesta «Iluminar el parque Domodossola» recibió" in to_follower[0]["subject"]
    assert len(smtp_sink.to("barrio@example.org")) == 1
    assert smtp_sink.to("editora@munlima.example") == []
    # one message per person: nobody sees who else is told
    assert all(len(m["to"]) == 1 for m in smtp_sink.messages)
    assert len(smtp_sink.messages) == 3

    mine = notices(author)
    assert mine["unread"] == 1
    assert [(n["kind"], n["reason"], n["detail"]) for n in mine["notifications"]] == [
        ("answer", "author", "accepted")
    ]
    assert notices(no_mail)["unread"] == 1  # no address: the dashboard still tells
    assert notices(space_follower)["notifications"][0]["reason"] == "space"
    assert notices(editor)["unread"] == 0

    # the same answer again changes nothing and tells nobody
    call_action(
        "limaactiva_proposal_answer", as_user(editor), id=proposal["id"],
        state="accepted", answer_text="Se incluye en el plan de alumbrado 2027.",
    )
    assert len(smtp_sink.messages) == 3
    # a new state alone is news too
    call_action(
        "limaactiva_proposal_answer", as_user(editor), id=proposal["id"],
        state="implemented", answer_text="Se incluye en el plan de alumbrado 2027.",
    )
    latest = notices(author)["notifications"][0]
    assert (latest["kind"], latest["detail"]) == ("state", "implemented")
    assert "cambió de estado: Implementada" in smtp_sink.to("autora@example.org")[-1][
        "subject"
    ]

    # the dashboard lists them; reading marks them read
    page = app.get("/dashboard/participa", headers=auth(author))
    assert page.status_code == 200
    assert "Su propuesta «Iluminar el parque Domodossola» cambió de estado" in page.body
    assert app.post("/dashboard/participa", headers=auth(author),
                    follow_redirects=False).status_code == 302
    assert notices(author)["unread"] == 0
    assert app.get("/dashboard/participa",
                   follow_redirects=False).status_code == 302  # to the login page


def test_one_click_unfollow_link_of_a_notice(app, smtp_sink, space, make_citizen,
                                             proposal, editor):
    follower = make_citizen(email="vecina@example.org")
    call_action(
        "limaactiva_follow", as_user(follower), object_type="proposal",
        object_id=proposal["id"],
    )
    call_action(
        "limaactiva_proposal_answer", as_user(editor), id=proposal["id"],
        state="under_evaluation", answer_text="La estamos evaluando.",
    )
    body = smtp_sink.to("vecina@example.org")[0]["body"]
    link = re.search(r"https?://\S+/participa/dejar-de-seguir/(\S+)", body)
    assert link, body
    token = link.group(1)
    path = f"/participa/dejar-de-seguir/{token}"
    # opening the link (a mail scanner does) changes nothing
    assert app.get(path).status_code == 200
    assert call_action(
        "limaactiva_follow_show", as_user(follower), object_type="proposal",
        object_id=proposal["id"],
    )["following"]
    done = app.post(path)
    assert done.status_code == 200 and "ya no recibirá avisos" in done.body
    assert not call_action(
        "limaactiva_follow_show", as_user(follower), object_type="proposal",
        object_id=proposal["id"],
    )["following"]
    # a forged or altered token is refused in Spanish and unfollows nothing
    forged = app.post(f"/participa/dejar-de-seguir/{token[:-1]}x")
    assert forged.status_code == 400 and "no es válido" in forged.body
    assert app.post("/participa/dejar-de-seguir/nada").status_code == 400


def test_follow_pages_and_their_refusals(app, space, proposal, make_citizen):
    citizen = make_citizen()
    page = app.get(f"/participa/propuesta/{proposal['id']}", headers=auth(citizen))
    assert "Seguir esta propuesta" in page.body
    response = app.post(
        "/participa/seguir",
        data={"object_type": "proposal", "object_id": proposal["id"]},
        headers=auth(citizen),
        follow_redirects=False,
    )
    assert response.status_code == 302
    page = app.get(f"/participa/propuesta/{proposal['id']}", headers=auth(citizen))
    assert "Dejar de seguir esta propuesta" in page.body
    assert "Personas que siguen: 1" in page.body
    app.post(
        "/participa/seguir",
        data={"object_type": "space", "object_id": space["id"]},
        headers=auth(citizen),
    )
    followed = call_action("limaactiva_follow_list", as_user(citizen))
    assert {(f["object_type"], f["title"]) for f in followed} == {
        ("proposal", proposal["title"]),
        ("space", space["title"]),
    }
    dashboard = app.get("/dashboard/participa", headers=auth(citizen))
    assert space["title"] in dashboard.body and "Dejar de seguir" in dashboard.body
    # unfollow from the dashboard
    back = app.post(
        "/participa/seguir",
        data={"object_type": "space", "object_id": space["id"], "unfollow": "1",
              "next": "dashboard"},
        headers=auth(citizen),
        follow_redirects=False,
    )
    assert back.status_code == 302 and back.location.endswith("/dashboard/participa")
    assert [f["object_type"] for f in call_action(
        "limaactiva_follow_list", as_user(citizen))] == ["proposal"]

    # anonymous visitors, bad input and unknown things: no 500, nothing changes
    anonymous = app.post(
        "/participa/seguir", data={"object_type": "proposal", "object_id": proposal["id"]}
    )
    assert anonymous.status_code == 403
    bad = app.post(
        "/participa/seguir", data={"object_type": "usuario", "object_id": "x"},
        headers=auth(citizen),
    )
    assert bad.status_code == 400 and "Solo se pueden seguir propuestas, espacios o compromisos" in (
        bad.body
    )
    assert app.post(
        "/participa/seguir", data={"object_type": "proposal", "object_id": "no-existe"},
        headers=auth(citizen),
    ).status_code == 404
    with pytest.raises(tk.ValidationError):
        call_action("limaactiva_follow", as_user(citizen), object_type=["proposal"],
                    object_id=proposal["id"])
    assert call_action(
        "limaactiva_follow_show", {"user": ""}, object_type="proposal",
        object_id=proposal["id"],
    )["followers"] == 1


def test_who_follows_is_never_published(app, space, proposal, make_citizen):
    follower = make_citizen(fullname="Rosa Follower")
    call_action(
        "limaactiva_follow", as_user(follower), object_type="proposal",
        object_id=proposal["id"],
    )
    shown = call_action(
        "limaactiva_follow_show", {"user": ""}, object_type="proposal",
        object_id=proposal["id"],
    )
    assert set(shown) == {"following", "followers"}
    for path in (f"/participa/propuesta/{proposal['id']}",
                 f"/participa/espacio/{space['name']}", "/participa/datos/propuestas.csv"):
        body = app.get(path).body
        assert follower["name"] not in body and "Rosa Follower" not in body
    with pytest.raises(tk.NotAuthorized):
        call_action("limaactiva_follow_list", {"user": "", "ignore_auth": False})
    with pytest.raises(tk.NotAuthorized):
        call_action("limaactiva_notification_list", {"user": "", "ignore_auth": False})


def test_answer_deadline_on_the_proposal_the_space_and_the_office_list(
    app, lima_clock, make_space, make_proposal, editor, sysadmin
):
    start = datetime.datetime(2026, 12, 2, 23, 30, tzinfo=clock.LIMA)  # 04:30 UTC on the 3rd
    lima_clock(start)
    space = make_space()
    own = make_space(answer_deadline_days=10)
    proposal = make_proposal(space)
    quick = make_proposal(own, title="Bancas en el parque")
    assert proposal["answer_due_date"] == "2027-01-01"  # 30 Lima days from 2 December
    assert quick["answer_due_date"] == "2026-12-12"
    assert not proposal["answer_overdue"] and not quick["answer_overdue"]
    page = app.get(f"/participa/propuesta/{proposal['id']}")
    assert "vence el 2027-01-01" in page.body and "regla del portal" in page.body

    lima_clock(start + datetime.timedelta(days=11))
    quick = call_action("limaactiva_proposal_show", id=quick["id"])
    assert quick["answer_overdue"]
    assert "vencida" in app.get(f"/participa/propuesta/{quick['id']}").body
    space_page = app.get(f"/participa/espacio/{own['name']}")
    assert re.search(r'id="proposals-overdue">1<', space_page.body)
    assert "Plazo de respuesta: 10 días" in space_page.body
    assert call_action("limaactiva_space_show", id=space["id"])["proposals_overdue"] == 0
    assert call_action("limaactiva_statistics")["proposals_overdue"] == 1

    pending = call_action("limaactiva_pending_answer_list", as_user(editor))
    assert [p["id"] for p in pending] == [quick["id"], proposal["id"]]
    office_page = app.get("/participa/gestion", headers=auth(editor))
    assert "Propuestas por responder" in office_page.body
    assert "vencida" in office_page.body and "vence el 2027-01-01" in office_page.body
    # another office sees none of them
    outsider = factories.User()
    assert call_action("limaactiva_pending_answer_list", as_user(outsider)) == []

    # answered late: no longer pending or overdue, marked as late
    answered = call_action(
        "limaactiva_proposal_answer", as_user(editor), id=quick["id"],
        state="accepted", answer_text="Se instalarán en enero.",
    )
    assert not answered["answer_overdue"] and answered["answer_late"]
    assert call_action("limaactiva_statistics")["proposals_overdue"] == 0
    assert [p["id"] for p in call_action(
        "limaactiva_pending_answer_list", as_user(editor))] == [proposal["id"]]
    with pytest.raises(tk.ValidationError) as error:
        call_action("limaactiva_space_update", {"user": sysadmin["name"]},
                    id=own["id"], answer_deadline_days=0)
    assert "1 a 365 días" in str(error.value.error_dict)


def test_a_new_phase_is_told_to_the_space_followers_once(
    lima_clock, smtp_sink, make_space, make_citizen, sysadmin
):
    lima_clock(datetime.datetime(2026, 12, 2, 12, 0, tzinfo=clock.LIMA))
    space = make_space()  # information (past), prioritisation (now, until +10 days)
    follower = make_citizen(email="sigue@example.org")
    call_action("limaactiva_follow", as_user(follower), object_type="space",
                object_id=space["id"])
    announce = {"user": sysadmin["name"], "ignore_auth": False}
    assert call_action("limaactiva_phase_announce", announce)["notices"] == 0
    # the office adds an answer phase that starts tomorrow
    phases = space["phases"] + [{
        "phase_key": "answer", "start_date": "2026-12-13", "end_date": "2026-12-31",
    }]
    call_action("limaactiva_space_update", {"user": sysadmin["name"]}, id=space["id"],
                phases=phases)
    assert notices(follower)["unread"] == 0  # not the current phase yet
    lima_clock(datetime.datetime(2026, 12, 13, 0, 5, tzinfo=clock.LIMA))
    result = call_action("limaactiva_phase_announce", announce)
    assert result == {"spaces": 1, "notices": 1, "emailed": 1}
    [notice] = notices(follower)["notifications"]
    assert (notice["kind"], notice["detail"]) == ("phase", "answer")
    mail = smtp_sink.to("sigue@example.org")[0]
    assert f"El espacio «{space['title']}» pasó a la fase: Respuesta" in mail["subject"]
    assert "/participa/dejar-de-seguir/" in mail["body"]
    # told once
    assert call_action("limaactiva_phase_announce", announce)["notices"] == 0
    with pytest.raises(tk.NotAuthorized):
        call_action("limaactiva_phase_announce", as_user(follower))
