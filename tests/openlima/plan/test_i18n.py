"""The commitments dashboard in English under /en/compromisos (labels of stored codes,
month names and validation errors too) while the Spanish pages stay Spanish; the
extension's catalogues (``ckanext-openlima``) are complete and in step with the source."""
from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir

from ckan.tests import factories
from ckan.tests.helpers import call_action


def _login(user) -> dict:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def _csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.usefixtures("with_plugins")
class TestPages:
    def test_dashboard_in_english_and_in_spanish(self, app, plan_2022):
        english = app.get("/en/compromisos").get_data(as_text=True)
        assert "Overall progress of the plan" in english
        assert "Approved commitments" in english and "Drafts that did not pass validation" in english
        assert "Open government value" in english and "Remove filters" not in english
        assert "Transparency" in english  # a filter choice, from the vocabulary
        assert "No progress recorded" in english  # a commitment status label
        assert "Avance general del plan" not in english and "Sin avance registrado" not in english
        # the plan's own content is data, shown as written
        assert "Primer Plan de Acción de Gobierno Abierto Lima 2022" in english

        spanish = app.get("/compromisos").get_data(as_text=True)
        assert "Avance general del plan" in spanish and "Transparencia" in spanish
        assert "Overall progress of the plan" not in spanish

        filtered = app.get("/en/compromisos?sdg_target=99.99").get_data(as_text=True)
        assert "No approved commitment matches the filter." in filtered
        assert "Remove filters" in filtered

    def test_commitment_page_in_english(self, app, sysadmin, plan_2022):
        milestone = next(c for c in plan_2022["commitments"] if c["name"] == "open-lima")["milestones"][0]
        call_action("openlima_milestone_update", context={"user": sysadmin["name"], "ignore_auth": False},
                    id=milestone["id"], status="completed", actual_end="2022-10-20",
                    reason="Comunicado difundido por redes")
        english = app.get("/en/compromisos/open-lima").get_data(as_text=True)
        assert "Milestone schedule" in english and "Change history" in english
        assert "Planned start" in english and "Actual end" in english
        assert "A milestone is delayed when its planned end date has passed without reaching 100 %." in english
        assert "Status: Not started → Completed" in english
        assert "Oct 2022" in english  # month names of the timeline axis
        assert "Cronograma de hitos" not in english and "oct 2022" not in english

        spanish = app.get("/compromisos/open-lima").get_data(as_text=True)
        assert "Cronograma de hitos" in spanish and "oct 2022" in spanish
        assert "Estado: No iniciado → Completado" in spanish
        assert "Milestone schedule" not in spanish

    def test_not_found_and_validation_errors_follow_the_page_language(self, app, sysadmin, plan_2022):
        missing = app.get("/en/compromisos/no-existe", status=404).get_data(as_text=True)
        assert "Commitment not found." in missing
        url = "/en/compromisos/open-lima/hitos/C/editar"
        headers = _login(sysadmin)
        form = app.get(url, headers=headers).get_data(as_text=True)
        assert "Reason for the change (required)" in form and "Progress (0 to 100 %)" in form
        fields = {"_csrf_token": _csrf(form), "status": "not_started", "progress": "40",
                  "actual_start": "2022-11-08", "actual_end": "", "evidence": "", "reason": ""}
        refused = app.post(url, data=fields, headers=headers, status=400).get_data(as_text=True)
        assert "No change was saved. Please correct the following:" in refused
        assert "Give the reason for the change." in refused
        spanish = app.post(url.removeprefix("/en"), data=fields, headers=headers,
                           status=400).get_data(as_text=True)
        assert "Indique el motivo del cambio." in spanish
        assert "Give the reason for the change." not in spanish


# --------------------------------------------------------------------------- catalogues


def test_english_catalogue_translates_every_message(translation_catalogue):
    translation_catalogue("openlima").assert_english_complete(at_least=1, copies_at_most=10)


def test_english_catalogue_covers_the_dashboard_templates(translation_catalogue):
    catalogue = translation_catalogue("openlima")
    found = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(catalogue.package / "templates" / "openlima_plan"), [("**.html", "ckan")], {}
        )
        if isinstance(message, str)
    }
    english = {m.id: m.string for m in catalogue.read("en") if m.id}
    assert len(found) > 100
    assert sorted(message for message in found if not english.get(message)) == []


def test_catalogues_match_the_template_and_the_compiled_files(translation_catalogue):
    translation_catalogue("openlima").assert_in_step()


def test_template_holds_every_marked_string_of_the_source(translation_catalogue):
    translation_catalogue("openlima").assert_template_extracted()


def test_english_catalogues_of_the_extensions_agree(translation_catalogue):
    # CKAN merges every plugin's catalogue into one: a Spanish string shared by two
    # extensions must have one English translation, or the last plugin loaded wins
    translations: dict[str, dict[str, str]] = {}
    for extension in ("openlima", "limahonesta", "limaactiva"):
        for message in translation_catalogue(extension).read("en"):
            if message.id and message.string:
                translations.setdefault(message.id, {})[extension] = message.string
    disagreements = {k: v for k, v in translations.items() if len(set(v.values())) > 1}
    assert disagreements == {}

