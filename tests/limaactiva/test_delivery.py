"""Notice delivery (#16): each person chooses immediate e-mail, a daily digest or none;
the digest is sent by the scheduler's job at a Lima-clock hour, once a day; every notice
e-mail has a one-click unsubscribe (RFC 8058) that works without login; followed
datasets, offices and commitments produce notices too. Mail is read from a real SMTP
server (aiosmtpd)."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from urllib.parse import urlparse

import ckan.model as model
import pytest
import yaml
from ckan.tests import factories
from ckan.tests.helpers import call_action
from openlima_common import clock

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db")]

UTC = datetime.timezone.utc
PLAN_FILE = Path(__file__).resolve().parents[2] / "config" / "plan" / "plan-2022.yaml"


def as_user(user):
    return {"user": user["name"], "ignore_auth": False}


def lima(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.LIMA)


def answer(editor, proposal, text, state="accepted"):
    return call_action(
        "limaactiva_proposal_answer", as_user(editor), id=proposal["id"],
        answer_text=text, state=state,
    )


@pytest.fixture
def editor(office, sysadmin):
    user = factories.UserWithToken(email="editora@munlima.example")
    call_action(
        "organization_member_create", {"user": sysadmin["name"]}, id=office["id"],
        username=user["name"], role="editor",
    )
    return user


def unsubscribe_path(message) -> str:
    header = str(message["message"]["List-Unsubscribe"])
    assert header.startswith("<") and header.endswith(">")
    return urlparse(header[1:-1]).path


def test_digest_is_one_mail_a_day_at_the_lima_hour_from_the_scheduler_job(
    app, smtp_sink, space, make_citizen, make_proposal, editor
):
    from ckanext.openlima.operations import schedule

    author = make_citizen(email="autora@example.org")
    reader = make_citizen(email="resumen@example.org")
    day = clock.today() + datetime.timedelta(days=1)
    with clock.frozen(lima(day, 1)):
        proposal = make_proposal(space, author=author, title="Bancas en el Parque Kennedy")
        call_action(
            "limaactiva_notice_settings_update", as_user(reader), delivery="digest"
        )
        for object_type, object_id in (("proposal", proposal["id"]), ("space", space["id"])):
            call_action(
                "limaactiva_follow", as_user(reader), object_type=object_type,
                object_id=object_id,
            )
    with clock.frozen(lima(day, 2)):
        answer(editor, proposal, "Se instalarán en marzo.", state="accepted")
    with clock.frozen(lima(day, 3)):
        answer(editor, proposal, "Instaladas.", state="implemented")

    # the author (immediate, the default) got two mails at once; the reader none yet
    assert len(smtp_sink.to("autora@example.org")) == 2
    assert smtp_sink.to("resumen@example.org") == []
    assert call_action("limaactiva_notification_list", as_user(reader))["unread"] == 2

    # before the hour (7:00 Lima by default) the job sends nothing, even at 01:00 UTC
    with clock.frozen(lima(day, 6, 59)):
        assert "Aún no es la hora" in schedule.run_periodic_job("limaactiva_digest")
    assert smtp_sink.to("resumen@example.org") == []

    with clock.frozen(lima(day, 7, 10)):
        assert "1 resúmenes enviados" in schedule.run_periodic_job("limaactiva_digest")
        schedule.run_periodic_job("limaactiva_digest")  # the next hour: not twice a day
    digests = smtp_sink.to("resumen@example.org")
    assert len(digests) == 1
    digest = digests[0]
    assert digest["subject"] == "Lima Activa: resumen del día (2 avisos)"
    assert digest["body"].count("recibió una respuesta oficial") == 2
    assert "Bancas en el Parque Kennedy" in digest["body"]
    assert f"/participa/propuesta/{proposal['id']}" in digest["body"]
    assert "List-Unsubscribe=One-Click" == str(digest["message"]["List-Unsubscribe-Post"])
    assert unsubscribe_path(digest).startswith("/participa/avisos/baja/")
    assert str(digest["message"]["Auto-Submitted"]) == "auto-generated"

    # the next day with nothing new: no empty digest; with news: one more
    next_day = day + datetime.timedelta(days=1)
    with clock.frozen(lima(next_day, 8)):
        schedule.run_periodic_job("limaactiva_digest")
    assert len(smtp_sink.to("resumen@example.org")) == 1
    with clock.frozen(lima(next_day, 9)):
        answer(editor, proposal, "Instaladas y pintadas.", state="implemented")
    with clock.frozen(lima(next_day, 10)):
        schedule.run_periodic_job("limaactiva_digest")
    later = smtp_sink.to("resumen@example.org")
    assert len(later) == 2 and "(1 avisos)" in later[1]["subject"]
    assert "Instaladas y pintadas" not in later[1]["body"]  # answers stay on the page


def test_one_click_unsubscribe_without_login_and_csrf(
    app, smtp_sink, space, make_citizen, make_proposal, editor
):
    follower = make_citizen(email="seguidor@example.org")
    proposal = make_proposal(space)
    call_action(
        "limaactiva_follow", as_user(follower), object_type="proposal",
        object_id=proposal["id"],
    )
    answer(editor, proposal, "Lo evaluamos.", state="under_evaluation")
    [mail] = smtp_sink.to("seguidor@example.org")
    path = unsubscribe_path(mail)
    user_id = model.User.get(follower["name"]).id

    # opening the link (a mail scanner does) changes nothing
    page = app.get(path)
    assert "¿Dejar de recibir correos" in page.body
    assert call_action("limaactiva_notice_settings_show", as_user(follower))[
        "delivery"] == "immediate"
    # a forged or altered token is refused
    forged = path[:-1] + ("0" if path[-1] != "0" else "1")
    assert app.post(forged, data={"List-Unsubscribe": "One-Click"}, status=400)
    assert app.post(
        f"/participa/avisos/baja/{user_id}.{'0' * 32}", data={}, status=400
    )
    assert call_action("limaactiva_notice_settings_show", as_user(follower))[
        "delivery"] == "immediate"
    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, no cookie, no CSRF token
    done = app.post(path, data={"List-Unsubscribe": "One-Click"}, status=200)
    assert "ya no recibirá correos" in done.body
    assert call_action("limaactiva_notice_settings_show", as_user(follower))[
        "delivery"] == "none"

    answer(editor, proposal, "Aceptada.", state="accepted")
    assert len(smtp_sink.to("seguidor@example.org")) == 1  # no more mail
    notices = call_action("limaactiva_notification_list", as_user(follower))
    assert notices["unread"] == 2  # still on the dashboard


@pytest.mark.ckan_config("WTF_CSRF_ENABLED", False)
def test_choice_on_the_dashboard(app, make_citizen):
    citizen = make_citizen(email="eleccion@example.org")
    headers = {"Authorization": citizen["token"]}
    page = app.get("/dashboard/participa", headers=headers)
    assert "Avisos por correo" in page.body
    assert 'value="immediate" checked' in page.body
    app.post("/participa/avisos/correo", data={"delivery": "digest"}, headers=headers)
    page = app.get("/dashboard/participa", headers=headers)
    assert 'value="digest" checked' in page.body
    assert "desde las 7:00 (hora de Lima)" in page.body
    app.post("/participa/avisos/correo", data={"delivery": "semanal"}, headers=headers)
    assert call_action("limaactiva_notice_settings_show", as_user(citizen))[
        "delivery"] == "digest"
    with pytest.raises(Exception) as error:
        call_action(
            "limaactiva_notice_settings_update", as_user(citizen), delivery="semanal"
        )
    assert "resumen diario" in str(error.value)
    # only sysadmins (the scheduler) send digests or run the watch
    for action in ("limaactiva_notice_digest_send", "limaactiva_followed_announce"):
        with pytest.raises(Exception, match="administrador"):
            call_action(action, as_user(citizen))


def test_followed_datasets_and_offices_are_told_of_new_data(
    app, smtp_sink, office, make_citizen, editor, sysadmin
):
    reader = make_citizen(email="datos@example.org")
    digest_reader = make_citizen(email="datos-resumen@example.org")
    call_action(
        "limaactiva_notice_settings_update", as_user(digest_reader), delivery="digest"
    )
    dataset = factories.Dataset(
        owner_org=office["id"], title="Ciclovías de Lima", user=editor
    )
    call_action("follow_dataset", as_user(reader), id=dataset["id"])
    call_action("follow_group", as_user(digest_reader), id=office["id"])
    site = {"user": sysadmin["name"]}
    assert call_action("limaactiva_followed_announce", site)["notices"] == 0  # starts the watch

    call_action(
        "resource_create", as_user(editor), package_id=dataset["id"],
        url="https://datos.example.org/ciclovias.csv", name="Tramos 2026",
    )
    factories.Dataset(owner_org=office["id"], title="Semáforos", user=editor)
    factories.Dataset(  # private: its followers outside the office are not told
        owner_org=office["id"], title="Borrador interno", private=True, user=editor
    )
    result = call_action("limaactiva_followed_announce", site)
    assert result["notices"] == 3  # reader: the resource; digest reader: both datasets
    assert result["emailed"] == 1
    [mail] = smtp_sink.to("datos@example.org")
    assert "«Ciclovías de Lima» tiene recursos nuevos: Tramos 2026" in mail["subject"]
    assert f"/dataset/{dataset['id']}" in mail["body"]
    assert mail["message"]["List-Unsubscribe"]
    digest_notices = call_action(
        "limaactiva_notification_list", as_user(digest_reader)
    )["notifications"]
    texts = " | ".join(n["title"] for n in digest_notices)
    assert "Semáforos" in texts and "Ciclovías de Lima" in texts
    assert "Borrador interno" not in texts
    assert smtp_sink.to("datos-resumen@example.org") == []  # waits for the digest
    assert call_action("limaactiva_followed_announce", site)["notices"] == 0  # nothing twice


def test_following_a_commitment(app, smtp_sink, make_citizen, sysadmin):
    document = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    document["portal"] = yaml.safe_load(
        PLAN_FILE.with_name("plan-2022.portal.yaml").read_text(encoding="utf-8")
    )
    document = copy.deepcopy(document)
    call_action(
        "openlima_plan_load", {"user": sysadmin["name"], "ignore_auth": False},
        plan=document["plan"], commitments=document["commitments"],
        portal=document["portal"], reason="carga de prueba",
    )
    citizen = make_citizen(email="compromisos@example.org")
    headers = {"Authorization": citizen["token"]}
    page = app.get("/compromisos/open-lima", headers=headers)
    assert "Seguir este compromiso" in page.body
    call_action(
        "limaactiva_follow", as_user(citizen), object_type="commitment",
        object_id="open-lima",
    )
    follows = call_action("limaactiva_follow_list", as_user(citizen))
    assert [(f["object_type"], f["object_id"]) for f in follows] == [
        ("commitment", "open-lima")]
    assert follows[0]["url"] == "/compromisos/open-lima"
    site = {"user": sysadmin["name"]}
    call_action("limaactiva_followed_announce", site)  # starts the watch

    milestone = call_action("openlima_commitment_show", id="open-lima")["milestones"][0]
    call_action(
        "openlima_milestone_update", {"user": sysadmin["name"], "ignore_auth": False},
        id=milestone["id"], status="completed", reason="Comunicado publicado",
    )
    # the watch's next run (the history counts whole seconds)
    with clock.frozen(clock.now() + datetime.timedelta(seconds=2)):
        assert call_action("limaactiva_followed_announce", site)["emailed"] == 1
        assert call_action("limaactiva_followed_announce", site)["notices"] == 0
    [mail] = smtp_sink.to("compromisos@example.org")
    assert "El compromiso «" in mail["subject"] and "tuvo cambios" in mail["subject"]
    assert "/compromisos/open-lima" in mail["body"]
    assert "/participa/dejar-de-seguir/" in mail["body"]
