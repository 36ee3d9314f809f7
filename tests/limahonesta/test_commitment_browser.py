"""The integrity commitment register end to end in headless Chromium: a reviewer records
an office's signature in the staff area; the public register and the commitments
dashboard show it; axe finds nothing serious or critical on the three pages."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ckan.tests import factories
from ckan.tests.helpers import call_action

from .conftest import PASSPHRASE, PASSWORD, current_step, totp
from .test_browser import live_server  # noqa: F401 - the same real HTTP server fixture

pytestmark = [pytest.mark.browser,
              pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")]

PLAN_FILE = Path(__file__).resolve().parents[2] / "config" / "plan" / "plan-2022.yaml"
PDF = b"%PDF-1.7\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<<>>\n%%EOF\n"


def _load_plan():
    document = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    portal = yaml.safe_load(PLAN_FILE.with_name("plan-2022.portal.yaml").read_text(encoding="utf-8"))
    call_action("openlima_plan_load", context={"user": factories.Sysadmin()["name"]},
                plan=document["plan"], commitments=document["commitments"], portal=portal,
                reason="")


def test_a_signature_recorded_by_the_unit_reaches_the_public_register_and_the_dashboard(
        browser, live_server, make_reviewer, axe_violations):  # noqa: F811
    _load_plan()
    office = factories.Organization(title="Gerencia de Desarrollo Urbano (navegador)")
    reviewer = make_reviewer(login=False)
    # axe is injected as an inline script, which Lima Honesta's CSP rightly refuses
    # (test_commitment checks the header); the page itself needs no inline script
    context = browser.new_context(locale="es-PE", bypass_csp=True)
    page = context.new_page()

    # before: the public register lists the office as not signed
    page.goto(f"{live_server}/integridad/compromiso")
    assert "Aún no firma" in page.inner_text(f"#office-{office['name']}")
    before = call_action("limahonesta_integrity_commitment_show")

    # the reviewer: CKAN login, second factor, the register's form
    page.goto(f"{live_server}/user/login")
    page.fill("#field-login", reviewer.user["name"])
    page.fill("#field-password", PASSWORD)
    page.press("#field-password", "Enter")
    page.wait_for_load_state()
    page.goto(f"{live_server}/integridad/compromisos")
    assert "/integridad/acceso" in page.url
    page.fill("#second_factor", totp(reviewer.secret, max(reviewer.step + 1, current_step())))
    page.fill("#passphrase", PASSPHRASE)
    page.click("button[type=submit] >> text=Ingresar")
    page.goto(f"{live_server}/integridad/compromisos")
    page.click(f"text={office['title']}")
    assert axe_violations(page) == []
    page.fill("#signed_on", "2026-04-20")
    page.fill("#signatory_role", "Gerente de Desarrollo Urbano")
    page.set_input_files("#documento", files=[{"name": "compromiso.pdf",
                                               "mimeType": "application/pdf", "buffer": PDF}])
    page.fill("#notes", "Entregado en mesa de partes")
    page.click("#record-form button[type=submit]")
    page.wait_for_load_state()
    assert "Gerente de Desarrollo Urbano" in page.inner_text("#current-signature")
    assert "Firma registrada" in page.inner_text("#signature-changes")

    # the public register, as anybody sees it
    public = browser.new_context(locale="es-PE", bypass_csp=True).new_page()
    public.goto(f"{live_server}/integridad/compromiso")
    row = public.inner_text(f"#office-{office['name']}")
    assert "Firmado" in row and "2026-04-20" in row and "Gerente de Desarrollo Urbano" in row
    assert "Entregado en mesa de partes" not in public.content()
    after = call_action("limahonesta_integrity_commitment_show")
    assert after["signed_offices"] == before["signed_offices"] + 1
    pct = f"{after['share_signed_pct']:.1f}".replace(".", ",")
    assert f"({pct} %)" in public.inner_text("#commitment-summary")
    with public.expect_download() as download:
        public.click(f"#office-{office['name']} a")
    assert Path(download.value.path()).read_bytes() == PDF
    assert axe_violations(public) == []

    # the commitments dashboard: the indicator's value and the link to the register
    public.goto(f"{live_server}/compromisos/lima-honesta")
    card = public.locator("article.olp-card", has_text="Oficinas que firmaron el compromiso de integridad")
    shown = f"{after['share_signed_pct']:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    assert shown in card.inner_text()
    assert "Meta: 100" in card.inner_text()
    assert axe_violations(public) == []
    public.click("text=Registro público de las firmas del compromiso de integridad")
    public.wait_for_load_state()
    assert public.url.endswith("/integridad/compromiso")
    assert "Compromiso de integridad de las oficinas" in public.inner_text("h1")
