"""Spanish first, English second: the pages under /en/denuncias and /en/integridad are in
English (labels of stored codes, validation errors and the system's own entries in a
case too), the Spanish pages stay Spanish, translation changes nothing that Lima
Honesta stores, sends or loads, and the catalogues are complete and in step with the
source."""
from __future__ import annotations


import pytest
from bs4 import BeautifulSoup

from .conftest import GOOD_REPORT, csrf, form_value, solve_pow, text_of

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")


def _file_report(app, prefix: str = "", status: int = 200, **overrides):
    """The report form of ``prefix`` ("" or "/en"), sent as a browser with JavaScript would."""
    page = app.get(f"{prefix}/denuncias/nueva")
    challenge = form_value(page.body, "pow_challenge")
    data = dict(GOOD_REPORT, _csrf_token=csrf(page.body), pow_challenge=challenge,
                pow_counter=solve_pow(challenge))
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return app.post(f"{prefix}/denuncias/nueva", data=data, status=status)


def _open_case(app, code: str, prefix: str = "", status: int = 200):
    page = app.get(f"{prefix}/denuncias/seguimiento")
    return app.post(f"{prefix}/denuncias/seguimiento",
                    data={"_csrf_token": csrf(page.body), "codigo": code}, status=status)


def _loads_nothing_from_other_origins(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "http" not in csp
    soup = BeautifulSoup(response.body, "html.parser")
    for tag in soup.find_all(src=True) + soup.find_all("link", href=True):
        url = tag.get("src") or tag.get("href")
        assert url.startswith("/") and not url.startswith("//"), url


class TestReporterPages:
    def test_report_form_in_english_and_in_spanish(self, app):
        english = app.get("/en/denuncias/nueva")
        assert '<html lang="en">' in english.body
        for text in ("New report", "What happened?", "Describe what happened (required)",
                     "Your identity (optional)", "Good-faith declaration",
                     "Warning: under Legislative Decree 1327",
                     "I declare that what I report is true to the best of my knowledge",
                     "Without JavaScript, for security your report is accepted only 30 "
                     "seconds after you open this form.", "Send report",
                     'data-working="Verifying the submission in your browser…"',
                     "We do not record your IP address or your browser."):
            assert text in english.body, text
        assert "Nueva denuncia" not in english.body and "Declaración de buena fe" not in english.body
        _loads_nothing_from_other_origins(english)

        spanish = app.get("/denuncias/nueva")
        assert '<html lang="es">' in spanish.body
        assert "Nueva denuncia" in spanish.body and "Declaración de buena fe" in spanish.body
        assert 'data-working="Verificando el envío en su navegador…"' in spanish.body
        assert "New report" not in spanish.body and "Good-faith declaration" not in spanish.body
        _loads_nothing_from_other_origins(spanish)

        home = app.get("/en/denuncias/")
        assert "How we protect your identity" in home.body
        assert "For greater anonymity, use a network other than your workplace’s, or Tor " \
               "Browser." in home.body
        assert "Cómo protegemos su identidad" not in home.body

    def test_validation_errors_follow_the_page_language(self, app):
        bad = {"descripcion": "Muy corto", "buena_fe": None, "fecha_hechos": "2999-01-01"}
        english = _file_report(app, "/en", status=400, **bad)
        assert "Please check the following:" in english.body
        assert "Too short (at least 20 characters)." in text_of(english.body, "error-descripcion")
        assert "The date cannot be in the future or before 1990." in english.body
        assert "You must declare that your report is made in good faith." in english.body
        assert "Es demasiado corto" not in english.body
        spanish = _file_report(app, status=400, **bad)
        assert "Es demasiado corto (mínimo 20 caracteres)." in spanish.body
        assert "Debe declarar que su denuncia es de buena fe." in spanish.body
        assert "Too short" not in spanish.body

    @pytest.mark.parametrize("prefix, wait_text", [
        ("/en", "without JavaScript a report is accepted only 30 seconds"),
        ("", "sin JavaScript el envío se acepta 30 segundos"),
    ])
    def test_without_javascript_the_early_form_keeps_its_challenge_in_both_languages(
            self, app, prefix, wait_text):
        page = app.get(f"{prefix}/denuncias/nueva")
        challenge = form_value(page.body, "pow_challenge")
        early = app.post(f"{prefix}/denuncias/nueva", status=400, data=dict(
            GOOD_REPORT, _csrf_token=csrf(page.body), pow_challenge=challenge, pow_counter=""))
        assert wait_text in text_of(early.body, "error-verificacion")
        # the wait runs from the first load: the same challenge comes back, not a new one
        assert form_value(early.body, "pow_challenge") == challenge

    def test_receipt_and_tracking_page_in_english(self, app):
        receipt = _file_report(app, "/en")
        assert "Your report was filed" in receipt.body
        assert "Tracking code (secret)" in receipt.body
        assert "It is shown only once: we do not store it and cannot recover it." in receipt.body
        _loads_nothing_from_other_origins(receipt)
        code = text_of(receipt.body, "tracking-code")

        follow = app.get("/en/denuncias/seguimiento")
        assert "Follow my report" in follow.body and "View my case" in follow.body
        assert "you need the secret 28-digit code" in follow.body
        wrong = _open_case(app, "1" * 28, "/en", status=400)
        assert "We found no case with that code. Check the digits and try again." in wrong.body
        assert "No encontramos" not in wrong.body

        case = _open_case(app, code, "/en")
        assert "Current status:" in case.body and "Received" in case.body
        assert "What happened" in case.body and "Write to the Integrity Unit" in case.body
        # the system's own entries are stored in Spanish and shown in the page's language
        assert "Report filed in Lima Honesta." in case.body
        assert "We have received your report." in case.body
        assert "Hemos recibido su denuncia" not in case.body
        assert "pidió dinero" in case.body  # what the reporter wrote is shown as written
        _loads_nothing_from_other_origins(case)

        spanish = _open_case(app, code)
        assert "Estado actual:" in spanish.body and "Recibida" in spanish.body
        assert "Denuncia registrada en Lima Honesta." in spanish.body
        assert "Hemos recibido su denuncia" in spanish.body
        assert "We have received your report." not in spanish.body


class TestIntegrityUnitPages:
    def test_staff_login_page_in_english_and_in_spanish(self, make_reviewer):
        reviewer = make_reviewer(login=False)
        english = reviewer.app.get("/en/integridad/acceso")
        assert english.status_code == 200
        for text in ("Integrity Unit sign-in", "Second factor",
                     "Code from your app (or a recovery code)", "Passphrase of your key",
                     "…or your recovery key", "Sign in", "Audit log"):
            assert text in english.body, text
        assert "Segundo factor" not in english.body
        refused = reviewer.app.post("/en/integridad/acceso", status=401, data={
            "_csrf_token": csrf(english.body), "second_factor": "000000",
            "passphrase": "no es la frase"})
        assert "Verification failed: check the code (each code works only once) and your " \
               "passphrase." in refused.body
        spanish = reviewer.app.get("/integridad/acceso")
        assert "Segundo factor" in spanish.body and "Frase de acceso de su llave" in spanish.body
        assert "Second factor" not in spanish.body

    def test_case_list_and_case_page_name_stored_codes_in_english(self, app, make_reviewer):
        reviewer = make_reviewer()
        receipt = _file_report(app)
        number = receipt.body.split('lh-case-number">')[1].split("<")[0]
        cases = reviewer.app.get("/en/integridad/")
        assert "Acknowledgment (7 days)" in cases.body and "Answer (3 months)" in cases.body
        assert "Received" in cases.body and "Web" in cases.body and "due" in cases.body
        assert "Recibida" not in cases.body and "Acuse (7 días)" not in cases.body
        case_id = BeautifulSoup(cases.body, "html.parser").find("a", string=number)["href"]
        case = reviewer.app.get("/en" + case_id.removeprefix("/en"))
        body = case.body
        assert "anonymous" in body and "Anonymous report: no identity was recorded." in body
        assert "Under evaluation" in body and "Substantiated (proceedings or a sanction " \
               "were started)" in body  # the status and outcome choices
        assert "<strong>Lima Honesta</strong>" in body  # author of the acknowledgement
        assert "We have received your report." in body
        assert "anonima" not in body and "En evaluación" not in body
        spanish = reviewer.app.get(case_id.removeprefix("/en")).body
        assert "anónima" in spanish and "En evaluación" in spanish
        assert "Hemos recibido su denuncia" in spanish

    def test_notification_email_stays_in_the_default_language(
            self, app, make_reviewer, mail_server, ckan_config, monkeypatch):
        # the language of a reporter's page must not reach the Unit's mailboxes
        monkeypatch.setitem(ckan_config, "smtp.server", "localhost")
        make_reviewer()
        _file_report(app, "/en")
        messages = mail_server.get_smtp_messages()
        assert messages, "staff were not notified"
        for message in messages:
            text = str(message)
            assert "hay actividad nueva" in text
            assert "new activity" not in text


# --------------------------------------------------------------------------- catalogues


def test_english_catalogue_translates_every_message(translation_catalogue):
    translation_catalogue("limahonesta").assert_english_complete(at_least=251,
                                                                 copies_at_most=5)


def test_catalogues_match_the_template_and_the_compiled_files(translation_catalogue):
    translation_catalogue("limahonesta").assert_in_step()


def test_template_holds_every_marked_string_of_the_source(translation_catalogue):
    translation_catalogue("limahonesta").assert_template_extracted()
