"""Spanish first, English second: the pages under /en/participa and /en/servicios are in
English (labels of stored codes and validation errors too), the Spanish pages stay Spanish,
and the catalogues are complete and in step with the source."""

from __future__ import annotations

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action


def auth(user):
    return {"Authorization": user["token"]}


@pytest.mark.usefixtures("with_plugins", "clean_db")
@pytest.mark.ckan_config("WTF_CSRF_ENABLED", False)
class TestPages:
    def test_index_in_english_and_in_spanish(self, app, space):
        english = app.get("/en/participa/").body
        assert "Lima Activa: participation spaces" in english
        assert "Participation in figures" in english
        assert "Directory of municipal services" in english
        assert "Current phase:" in english and "Prioritization" in english
        assert "Participación en cifras" not in english
        spanish = app.get("/participa/").body
        assert "Lima Activa: espacios de participación" in spanish
        assert "Participación en cifras" in spanish and "Fase actual:" in spanish
        assert "Participation in figures" not in spanish

    def test_space_and_proposal_pages_translate_labels_of_stored_codes(
        self, app, space, proposal
    ):
        english = app.get(f"/en/participa/espacio/{space['name']}").body
        # the phase titles stored with the space are the Spanish defaults
        assert "Information" in english and "Prioritization" in english
        assert "Submit a proposal" in english and "Received" in english
        assert "Presentar una propuesta" not in english and "Recibida" not in english
        spanish = app.get(f"/participa/espacio/{space['name']}").body
        assert "Información" in spanish and "Recibida" in spanish
        assert "Submit a proposal" not in spanish

        english = app.get(f"/en/participa/propuesta/{proposal['id']}").body
        assert "Official answer" in english and "3 · High priority" in english
        assert "to prioritize this proposal." in english
        assert "Respuesta oficial" not in english
        spanish = app.get(f"/participa/propuesta/{proposal['id']}").body
        assert "Respuesta oficial" in spanish and "3 · Muy prioritario" in spanish

    def test_services_directory(self, app):
        english = app.get("/en/servicios/").body
        assert "Directory of municipal services" in english
        assert (
            "Online and in person" in english and "No services were found." in english
        )
        spanish = app.get("/servicios/").body
        assert (
            "En línea y presencial" in spanish
            and "No se encontraron servicios." in spanish
        )

    def test_validation_errors_follow_the_page_language(self, app, space, citizen):
        data = {
            "title": "",
            "body": "Faltan luminarias.",
            "district": "150135",
            "theme": "seguridad",
        }
        english = app.post(
            f"/en/participa/espacio/{space['name']}/proponer",
            data=data,
            headers=auth(citizen),
        )
        assert english.status_code == 400
        assert "This field is required." in english.body
        assert "The action could not be completed:" in english.body
        spanish = app.post(
            f"/participa/espacio/{space['name']}/proponer",
            data=data,
            headers=auth(citizen),
        )
        assert spanish.status_code == 400
        assert "Este campo es obligatorio." in spanish.body
        assert "This field is required." not in spanish.body

    def test_moderation_queue_names_the_reasons(
        self, app, proposal, make_citizen, sysadmin
    ):
        reporter = make_citizen()
        call_action(
            "limaactiva_flag_create",
            {"user": reporter["name"], "ignore_auth": False},
            target_type="proposal",
            target_id=proposal["id"],
            reason="spam",
        )
        headers = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
        english = app.get("/en/participa/moderacion", headers=headers).body
        assert "Advertising or spam: 1" in english and "Keep hidden" in english
        spanish = app.get("/participa/moderacion", headers=headers).body
        assert "Publicidad o spam: 1" in spanish and "Mantener oculto" in spanish


# --------------------------------------------------------------------------- catalogues


def test_english_catalogue_translates_every_message(translation_catalogue):
    translation_catalogue("limaactiva").assert_english_complete(at_least=301,
                                                                copies_at_most=10)


def test_catalogues_match_the_template_and_the_compiled_files(translation_catalogue):
    translation_catalogue("limaactiva").assert_in_step()


def test_template_holds_every_marked_string_of_the_source(translation_catalogue):
    translation_catalogue("limaactiva").assert_template_extracted()
