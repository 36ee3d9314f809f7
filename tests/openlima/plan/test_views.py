"""Public pages, exports and the plan-team form: Spanish, no 500s, nothing changed on bad input."""
from __future__ import annotations

import csv
import io
import re

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins")


def _csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


def _login(app, user):
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def test_dashboard_shows_progress_cards_drafts_and_filters(app, plan_2022):
    page = app.get("/compromisos").get_data(as_text=True)
    assert "Primer Plan de Acción de Gobierno Abierto Lima 2022" in page
    assert "Avance general del plan" in page
    assert 'role="progressbar"' in page and "0\u00a0%" in page
    for title in ("OPEN LIMA", "Lima Honesta", "Lima activa", "Lima Digital", "Tracker de denuncias"):
        assert title in page
    # nothing recorded yet: past-due milestones read "sin avance registrado", not "con retraso"
    assert "Sin avance registrado" in page and "Con retraso" not in page
    assert "21 hitos vencidos sin avance registrado" in page and "0 hitos con retraso" in page
    assert "última actualización: " in page
    assert "Borradores que no pasaron la validación" in page

    # filters (same database: these pages only read)
    transparency = app.get("/compromisos?ogp_value=transparency").get_data(as_text=True)
    assert "OPEN LIMA" in transparency and "Lima Honesta: Plataforma" not in transparency
    sdg = app.get("/compromisos?sdg_target=10.2").get_data(as_text=True)
    assert "Lima activa" in sdg and "OPEN LIMA" not in sdg
    nothing = app.get("/compromisos?sdg_target=99.99").get_data(as_text=True)
    assert "Ningún compromiso aprobado coincide con el filtro." in nothing
    hostile = app.get("/compromisos?ogp_value=%3Cscript%3Ealert(1)%3C/script%3E")
    assert hostile.status_code == 200
    assert "<script>alert(1)</script>" not in hostile.get_data(as_text=True)

    # a draft's page, and pages that do not exist
    assert "Promedio de madurez digital" in app.get("/compromisos/lima-digital").get_data(as_text=True)
    assert app.get("/compromisos/no-existe", status=404).status_code == 404
    assert app.get("/compromisos?plan=no-existe", status=404).status_code == 404


def test_commitment_page_timeline_spanish_dates_and_history(app, sysadmin, plan_2022):
    milestone = next(c for c in plan_2022["commitments"] if c["name"] == "open-lima")["milestones"][0]
    call_action("openlima_milestone_update", context={"user": sysadmin["name"], "ignore_auth": False},
                id=milestone["id"], status="completed", actual_end="2022-10-20",
                reason="Comunicado difundido por redes")
    page = app.get("/compromisos/open-lima").get_data(as_text=True)
    assert "Cronograma de hitos" in page
    assert "Línea de tiempo" in page and "<svg" in page
    assert "15/10/2022" in page and "18/10/2022" in page and "20/10/2022" in page
    assert "2022-10-15" not in page
    # one milestone recorded: the commitment is late; the others still say what is not known
    assert "Con retraso" in page
    assert page.count("Sin avance registrado</span>") == len(
        next(c for c in plan_2022["commitments"] if c["name"] == "open-lima")["milestones"]) - 1
    assert "Historial de cambios" in page and "Comunicado difundido por redes" in page
    assert "Estado: No iniciado → Completado" in page
    assert "16.10" in page and "Cultura de silos" in page



def test_pages_show_the_plans_periods_drafts_and_label_the_portals_rules(app, plan_2022):
    index = app.get("/compromisos").get_data(as_text=True)
    assert "Plazos que indica el plan" in index
    assert "(octubre – diciembre) de 2022" in index and "Diciembre 2022 - Diciembre 2024" in index
    assert "Del 08/08/2022 (D. Campaña de comunicación interna)" in index
    page = app.get("/compromisos/lima-honesta").get_data(as_text=True)
    assert "Lo que decía el borrador del compromiso" in page
    assert "plataforma multicanal (web, correo y medio telefónico)" in page
    assert "firmen y/o cumplan el compromiso de integridad" in page
    assert "Dónde sigue el portal cada parte del borrador" in page
    # each portal indicator carries the label; a computed plan measure is quoted
    indicators = page[page.index('id="indicadores"'):]
    assert indicators.count("Regla del portal (valor de ejemplo)") == 4
    assert "Cómo el portal calcula la medida del plan «De denuncias por canal»." in indicators
    activa = app.get("/compromisos/lima-activa").get_data(as_text=True)
    assert "El plan no fija este indicador; lo define el portal." in activa
    assert "Participación ciudadana física y digital" not in activa
    tracker = app.get("/compromisos/tracker-de-denuncias").get_data(as_text=True)
    assert "Julio 2022 - Diciembre 2022" in tracker


@pytest.mark.ckan_config("ckanext.openlima.rules_set_by_mml", "plan_indicators")
def test_a_rule_the_mml_adopts_loses_the_portal_label(app, plan_2022):
    page = app.get("/compromisos/open-lima").get_data(as_text=True)
    indicators = page[page.index('id="indicadores"'):]
    assert "Regla del portal" not in indicators and "Regla fijada por la MML" in indicators


def test_no_plan_loaded_is_404_not_500(app, plan_db):
    assert app.get("/compromisos", status=404).status_code == 404
    assert app.get("/compromisos/export.json", status=404).status_code == 404


def test_json_and_csv_exports_use_iso_dates(app, plan_2022):
    response = app.get("/compromisos/export.json")
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert data["id"] == "lima-2022"
    open_lima = data["commitments"][0]
    assert [m["planned_start"] for m in open_lima["milestones"]][:2] == ["2022-10-15", "2022-10-15"]
    assert open_lima["milestones"][3]["planned_end"] == "2022-11-10"

    # the CSV export of the same plan
    response = app.get("/compromisos/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    milestone_rows = [r for r in rows if r["milestone_code"]]
    assert len(milestone_rows) == 21
    assert len(rows) == 23  # plus one row for each draft without milestones
    d = next(r for r in milestone_rows if r["commitment_name"] == "lima-activa" and r["milestone_code"] == "D")
    assert (d["planned_start"], d["planned_end"], d["delayed"]) == ("2022-08-08", "2022-11-10", "si")


def test_edit_form_is_for_the_plan_team_only(app, plan_2022):
    url = "/compromisos/open-lima/hitos/C/editar"
    assert app.get(url, status=403).status_code == 403
    outsider = factories.User()
    assert app.get(url, headers=_login(app, outsider), status=403).status_code == 403
    page = app.get("/compromisos/open-lima").get_data(as_text=True)
    assert url not in page
    # the indicator and assessment forms refuse outsiders too, and nothing is recorded
    response = app.post("/compromisos/open-lima/evaluaciones", headers=_login(app, outsider),
                        data={"assessor": "self"}, status=403)
    assert response.status_code == 403
    assert call_action("openlima_commitment_show", id="open-lima")["assessments"] == []


def test_edit_form_refuses_missing_reason_and_saves_with_one(app, sysadmin, plan_2022):
    url = "/compromisos/open-lima/hitos/C/editar"
    headers = _login(app, sysadmin)
    form = app.get(url, headers=headers)
    assert "Motivo del cambio (obligatorio)" in form.get_data(as_text=True)
    token = _csrf(form.get_data(as_text=True))
    fields = {"_csrf_token": token, "status": "not_started", "progress": "40",
              "actual_start": "2022-11-08", "actual_end": "", "evidence": "", "reason": ""}
    refused = app.post(url, data=fields, headers=headers, status=400)
    text = refused.get_data(as_text=True)
    assert "No se guardó ningún cambio" in text and "Indique el motivo del cambio." in text
    assert call_action("openlima_commitment_show", id="open-lima")["milestones"][2]["progress"] == 0

    fields.update(reason="Lanzamiento en curso",
                  evidence="Nota de prensa | https://www.munlima.gob.pe/noticias/open-lima")
    saved = app.post(url, data=fields, headers=headers, follow_redirects=False)
    assert saved.status_code == 302
    milestone = call_action("openlima_commitment_show", id="open-lima")["milestones"][2]
    assert milestone["progress"] == 40 and milestone["status"] == "in_progress"
    assert milestone["actual_start"] == "2022-11-08"
    assert milestone["evidence"] == [{"url": "https://www.munlima.gob.pe/noticias/open-lima",
                                      "title": "Nota de prensa"}]
    page = app.get("/compromisos/open-lima", headers=headers).get_data(as_text=True)
    assert "/compromisos/open-lima/hitos/C/editar" in page
    assert "Nota de prensa" in page


def test_team_forms_record_indicator_values_and_assessments(app, sysadmin, plan_2022):
    headers = _login(app, sysadmin)
    page = app.get("/compromisos/open-lima", headers=headers).get_data(as_text=True)
    assert "Registrar un valor de" in page and "Registrar una evaluación" in page
    token = _csrf(page)
    url = "/compromisos/open-lima/indicadores/percepcion-cercania/valores"
    refused = app.post(url, headers=headers, status=400,
                       data={"_csrf_token": token, "date": "2023-06-30", "value": "tres", "source": ""})
    text = refused.get_data(as_text=True)
    assert "Debe ser un número." in text and "Indique la fuente del valor." in text
    saved = app.post(url, headers=headers, follow_redirects=False,
                     data={"_csrf_token": token, "date": "2023-06-30", "value": "4,2",
                           "source": "Encuesta 2023", "evidence_url": "", "note": ""})
    assert saved.status_code == 302
    assessment = app.post("/compromisos/open-lima/evaluaciones", headers=headers, follow_redirects=False,
                          data={"_csrf_token": token, "assessor": "self", "completion": "limited",
                                "assessed_on": "2023-01-31", "source": "Autoevaluación de medio término"})
    assert assessment.status_code == 302
    commitment = call_action("openlima_commitment_show", id="open-lima")
    indicator = next(i for i in commitment["indicators"] if i["code"] == "percepcion-cercania")
    assert [(v["date"], v["value"]) for v in indicator["values"]] == [("2023-06-30", 4.2)]
    assert commitment["assessments"][0]["completion"] == "limited"
    public = app.get("/compromisos/open-lima").get_data(as_text=True)
    assert "Limitado" in public and "Registrar una evaluación" not in public


@pytest.mark.ckan_config("ckan.auth.public_user_details", "false")
def test_who_changed_is_hidden_from_the_public_when_user_details_are_private(app, sysadmin, plan_2022):
    milestone = next(c for c in plan_2022["commitments"] if c["name"] == "open-lima")["milestones"][0]
    call_action("openlima_milestone_update", context={"user": sysadmin["name"], "ignore_auth": False},
                id=milestone["id"], progress=30, reason="Avance parcial")
    public = app.get("/compromisos/open-lima").get_data(as_text=True)
    assert "Avance parcial" in public and sysadmin["name"] not in public
    exported = app.get("/compromisos/export.json").get_data(as_text=True)
    assert sysadmin["name"] not in exported
    assert call_action("openlima_commitment_show", context={"user": ""}, id="open-lima")["history"][0]["author"] is None
    staff = app.get("/compromisos/open-lima", headers=_login(app, sysadmin)).get_data(as_text=True)
    assert "por " + sysadmin["name"] in staff
