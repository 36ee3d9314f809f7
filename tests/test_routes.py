"""No route answers 500 or database text, whatever its URL variables and parameters (#12 §3).

Every rule of the Flask app's URL map (all the plugins of test.ini loaded) is requested
with hostile values in each URL variable — a NUL byte, a 5,000-character id, ``../``,
unicode, 10^20, a negative number, quotes and HTML — and with the same values in the
query parameters pages commonly read (``page``, ``q``, ``sort``, ``limit``, ``format``,
``modified_since``...); rules that take POST are posted to without a CSRF token, which
must be refused (400/403), never a 500. Anonymous and logged in. The rules are read from
the URL map, so a route added later is walked without anyone remembering to add it here.
"""
from __future__ import annotations

import datetime
import re
import secrets
from urllib.parse import quote, urlencode

import ckan.model as model
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

HOSTILE = {
    "nul": "a\x00b",
    "long": "a" * 5000,
    "dots": "../../../etc/passwd",
    "unicode": "ñandú-λ-😀-\u202e",
    "huge": "1" + "0" * 20,
    "negative": "-1",
    "html": "\"'><script>alert(1)</script>",
}
QUERY_PARAMETERS = ("page", "q", "sort", "limit", "offset", "format", "modified_since", "id",
                    "rows", "start", "fq", "ext_bbox", "tags", "organization", "res_format",
                    "license_id", "groups", "activity_type", "before", "after", "type", "name")
# What a database or driver says when an answer leaks it.
DATABASE_TEXT = re.compile(
    r"psycopg|sqlalchemy|invalid input syntax|out of range|NUL \(0x00\)|ProgrammingError"
    r"|DataError|IntegrityError|Traceback \(most recent|syntax error at or near",
    re.IGNORECASE)
VARIABLE = re.compile(r"<(?:[^<>:]+:)?(\w+)>")
# Routes a logged-in walk must not take: it would end its own session.
ENDS_SESSION = {"user.logout"}


PASSWORD = "Clave-de-rutas-2026"


@pytest.fixture
def honesta_settings(ckan_config, monkeypatch, tmp_path):
    """Lima Honesta answers 503 until it has a pepper and a storage folder."""
    for key, value in {"ckanext.limahonesta.pepper": secrets.token_urlsafe(48),
                       "ckanext.limahonesta.kdf_opslimit": 1,
                       "ckanext.limahonesta.kdf_memlimit_mib": 8,
                       "ckanext.limahonesta.storage_path": str(tmp_path / "limahonesta")}.items():
        monkeypatch.setitem(ckan_config, key, value)


@pytest.fixture
def portal(clean_db, with_plugins, honesta_settings):
    """A little of everything the routes read: an office with a dataset whose resources
    are a CSV file and a ``javascript:`` URL, a group, a plan commitment, Lima Activa's
    demonstration space, proposals, session and services."""
    sysadmin = factories.Sysadmin()
    visitor = factories.User(password=PASSWORD)
    office = factories.Organization(name="gerencia-de-rutas", user=sysadmin)
    group = factories.Group(name="grupo-de-rutas", user=sysadmin)
    dataset = factories.Dataset(name="conjunto-de-rutas", owner_org=office["id"],
                                groups=[{"name": group["name"]}])
    csv = factories.Resource(package_id=dataset["id"], url="http://example.org/datos.csv",
                             format="CSV")
    script = factories.Resource(package_id=dataset["id"], url="javascript:alert(1)",
                                format="HTML")
    call_action("openlima_plan_load", context={"user": sysadmin["name"]},
                plan={"id": "rutas", "title": "Plan de rutas",
                      "team_organization": office["name"]},
                commitments=[{"name": "compromiso-de-rutas", "code": "01",
                              "title": "Compromiso de rutas",
                              "responsible_offices": [{"name": office["name"],
                                                       "title": "Gerencia de rutas"}],
                              "milestones": [{"code": "1.1", "title": "Hito",
                                              "start_date": "2026-01-01",
                                              "end_date": "2026-12-31"}]}],
                reason="")
    admin = {"user": sysadmin["name"]}
    today = datetime.date.today()
    space = call_action("limaactiva_space_create", dict(admin), name="espacio-de-rutas",
                        title="Espacio de rutas", space_type="plan",
                        responsible_office=office["name"],
                        phases=[{"phase_key": "prioritisation",
                                 "start_date": str(today - datetime.timedelta(days=10)),
                                 "end_date": str(today + datetime.timedelta(days=10)),
                                 "proposals_enabled": True, "comments_enabled": True,
                                 "votes_enabled": True}])
    citizen = factories.User()
    call_action("limaactiva_participant_confirm", dict(admin), user=citizen["name"])
    proposal = call_action("limaactiva_proposal_create", {"user": citizen["name"]},
                           space_id=space["id"], title="Ciclovía de rutas",
                           body="Conectar los tramos de la ciclovía.", district="150101",
                           theme="movilidad")
    comment = call_action("limaactiva_comment_create", {"user": citizen["name"]},
                          proposal_id=proposal["id"], alignment="a_favor", body="Sí.")
    session = call_action("limaactiva_session_create", dict(admin), space_id=space["id"],
                          title="Asamblea de rutas", modality="in_person",
                          place="Palacio Municipal", district="150101",
                          starts_at=(today + datetime.timedelta(days=7)).isoformat() + "T18:30")
    service = call_action("limaactiva_service_create", dict(admin), name="servicio-de-rutas",
                          title="Servicio de rutas", office=office["name"], channel="online",
                          requirements="Ninguno.", description="Un servicio.",
                          url="https://www.munlima.gob.pe/")
    return {"sysadmin": sysadmin, "visitor": visitor, "office": office, "group": group, "dataset": dataset,
            "csv": csv, "script": script, "space": space, "proposal": proposal,
            "comment": comment, "session": session, "service": service}


def baseline(rule: str, variable: str, portal: dict) -> str:
    """A value that names something real, so the other variables reach the view."""
    parts = rule.strip("/").split("/")
    first = next((p for p in ("servicio", "datos") if p in parts), parts[0])
    by_place = {
        ("organization", "id"): portal["office"]["name"],
        ("group", "id"): portal["group"]["name"],
        ("user", "id"): portal["visitor"]["name"],
        ("compromisos", "name"): "compromiso-de-rutas",
        ("cumplimiento", "name"): portal["office"]["name"],
        ("participa", "name"): portal["space"]["name"],
        ("datos", "name"): "propuestas",
        ("servicio", "name"): portal["service"]["name"],
    }
    if (first, variable) in by_place:
        return by_place[(first, variable)]
    return {
        "id": portal["dataset"]["name"], "_id": portal["dataset"]["name"],
        "resource_id": portal["csv"]["id"], "proposal_id": portal["proposal"]["id"],
        "comment_id": portal["comment"]["id"], "session_id": portal["session"]["id"],
        "logic_function": "package_search", "ver": "3", "lang": "es", "_format": "ttl",
        "fmt": "csv", "code": "1.1", "filename": "datos.csv", "path": "base/main.css",
        "source": "fuente", "storage_name": "resources", "location": "datos.csv",
    }.get(variable, "0f0e0d0c-0000-4000-8000-000000000000")


def build(rule: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: quote(values[m.group(1)], safe=""), rule)


def requests_for(flask_app, portal: dict, logged_in: bool):
    """(method, path, form) for every rule: each URL variable hostile in turn; the query
    parameters hostile (each value in some parameter, rotated over two requests); and,
    where the rule takes POST, a post with hostile fields and no CSRF token. A view
    reached by several rules with the same variables (``/harvest/<id>/resource/...``
    serves ``/dataset/<id>/resource/...``'s views) is walked once."""
    seen = set()
    values = list(HOSTILE.values())
    # NUL bytes and over-long ids are refused before any view, whoever asks: walked once
    path_values = [v for k, v in HOSTILE.items() if not logged_in or k not in ("nul", "long")]
    for rule in sorted(flask_app.url_map.iter_rules(), key=lambda r: r.rule):
        names = VARIABLE.findall(rule.rule)
        view = flask_app.view_functions.get(rule.endpoint)
        key = (view, tuple(names), frozenset(rule.methods or ()))
        if rule.rule in seen or key in seen or (logged_in and rule.endpoint in ENDS_SESSION):
            continue
        seen.update((rule.rule, key))
        methods = rule.methods or set()
        base = {name: baseline(rule.rule, name, portal) for name in names}
        method = "GET" if "GET" in methods else "POST"
        for name in names:
            for value in path_values:
                yield method, build(rule.rule, {**base, name: value}), None
        for shift in (0, 1):
            query = urlencode({parameter: values[(i + shift) % len(values)]
                               for i, parameter in enumerate(QUERY_PARAMETERS)})
            yield method, build(rule.rule, base) + "?" + query, None
        if "POST" in methods:
            yield "POST", build(rule.rule, base), {
                parameter: values[(i + 2) % len(values)] if i else HOSTILE["html"]
                for i, parameter in enumerate(QUERY_PARAMETERS)}


def where(error: BaseException) -> str:
    """The exception and the last frame of our code (or CKAN's) it passed through."""
    import traceback
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "ckanext" in f.filename or "/ckan/" in f.filename] or frames
    last = ours[-1]
    return f"{type(error).__name__}: {str(error)[:120]} at {last.filename}:{last.lineno}"


def walk(app, client, portal: dict, logged_in: bool) -> list[str]:
    failures = []
    count = 0
    for method, path, form in requests_for(app.flask_app, portal, logged_in):
        count += 1
        try:
            response = client.open(path, method=method, data=form, follow_redirects=False,
                                   base_url="http://test.ckan.net")
        except Exception as error:  # noqa: BLE001 - the test app propagates what would be a 500
            failures.append(f"{method} {path[:160]} -> {where(error)}")
            model.Session.remove()  # what the 500 handler's after_request would do
            continue
        body = response.get_data(as_text=True)
        leaked = DATABASE_TEXT.search(body)
        if logged_in and form is not None and response.status_code not in (400, 403):
            failures.append(f"{method} {path[:160]} -> {response.status_code} without a CSRF token")
        if response.status_code >= 500 or leaked:
            failures.append(f"{method} {path[:160]} -> {response.status_code}"
                            f" {leaked.group(0) if leaked else ''}")
    assert count > 1000  # every rule really was walked
    return failures


def test_no_route_answers_500_to_an_anonymous_visitor(app, portal):
    failures = walk(app, app.flask_app.test_client(), portal, logged_in=False)
    assert failures == []


def test_no_route_answers_500_to_a_logged_in_user(app, portal):
    client = app.flask_app.test_client()
    login_page = client.get("/user/login", base_url="http://test.ckan.net").get_data(as_text=True)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', login_page).group(1)
    client.post("/user/login", base_url="http://test.ckan.net",
                data={"login": portal["visitor"]["name"], "password": PASSWORD,
                      "_csrf_token": token})
    dashboard = client.get("/dashboard/datasets", base_url="http://test.ckan.net")
    assert dashboard.status_code == 200, "not logged in"
    failures = walk(app, client, portal, logged_in=True)
    assert failures == []


def test_the_issues_examples_get_clear_spanish_answers(app, portal):
    """The 500s the issue lists, each now a translated 400/404."""
    client = app.flask_app.test_client()

    def get(path):
        response = client.get(path, base_url="http://test.ckan.net", follow_redirects=False)
        return response.status_code, response.get_data(as_text=True)

    for path in ("/compromisos/%00", "/servicios/?q=%00", "/participa/espacio/%00",
                 "/cumplimiento/oficina/%00", "/dataset/%00/cumplimiento"):
        status, body = get(path)
        assert status == 400 and "carácter nulo" in body, (path, status)
    for kind in ("espacio", "propuesta", "sesion"):
        status, body = get(f"/participa/{kind}/{'a' * 5000}")
        assert status == 404 and "demasiado largo" in body, (kind, status)
    status, body = get("/dataset/conjunto-de-rutas.exe")
    assert status == 404 and "Formato de catálogo no disponible" in body
    status, body = get(f"/datastore/dump/{portal['csv']['id']}?format=exe")
    assert status == 400 and "Formato no disponible" in body
    status, body = get("/user/?page=100000000000000000000")
    assert status == 400 and "«page»" in body
    status, body = get(f"/dataset/{portal['dataset']['name']}/resource/"
                       f"{portal['script']['id']}/download")
    assert status == 404 and "no tiene un enlace descargable" in body
    response = client.get("/api/util/group/autocomplete?q=a&limit=-1",
                          base_url="http://test.ckan.net")
    assert response.status_code == 400 and "«limit»" in response.json["error"]["message"]
