"""Usage metrics: views and downloads counted per day without personal data, the
"¿Te fue útil?" rating with its limits, the metrics action, page and published dataset."""
from __future__ import annotations

import copy
import re

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories, helpers

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36"}

pytestmark = [
    pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins", "clear_usage"),
]


@pytest.fixture
def clear_usage():
    redis = connect_to_redis()
    for key in redis.scan_iter(match="openlima:*"):
        redis.delete(key)


def _create(valid_dataset, **changes):
    data = copy.deepcopy(valid_dataset)
    data.update(changes)
    return helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]}, **data)


@pytest.fixture
def catalogue(valid_dataset):
    public = _create(valid_dataset)
    other = _create(valid_dataset, name="ciclovias", title="Ciclovías")
    private = _create(valid_dataset, name="patrullaje-interno", title="Patrullaje interno", private=True)
    return public, other, private


def test_views_and_downloads_are_counted_without_personal_data(app, catalogue):
    public, other, private = catalogue
    app.get(f"/dataset/{public['name']}", headers=BROWSER, status=200)
    app.get(f"/dataset/{public['id']}", headers=BROWSER, status=200)
    app.get(f"/dataset/{public['name']}", headers={"User-Agent": "Googlebot/2.1"}, status=200)
    app.get(f"/dataset/{other['name']}", headers=BROWSER, status=200)
    resource = public["resources"][0]
    download = app.get(f"/dataset/{public['name']}/resource/{resource['id']}/download",
                       headers=BROWSER, follow_redirects=False)
    assert download.status_code == 302 and download.location == resource["url"]

    # nothing about the visitor in Redis: only per-dataset counters of the day
    fields = set()
    for key in connect_to_redis().scan_iter(match="openlima:usage:*"):
        fields |= {f.decode() for f in connect_to_redis().hkeys(key)}
    assert all(re.fullmatch(r"(view|download):[\w-]+", field) for field in fields), fields
    assert "127.0.0.1" not in " ".join(fields)

    shown = helpers.call_action("openlima_metrics_show", context={"user": ""}, id=public["name"])
    assert (shown["views"], shown["downloads"]) == (2, 1)
    again = helpers.call_action("openlima_metrics_show", context={"user": ""}, id=public["id"])
    assert (again["views"], again["downloads"]) == (2, 1)  # flushed once, not counted twice

    city = helpers.call_action("openlima_metrics_show", context={"user": ""})
    assert city["published"] == 2 and city["views"] == 3 and city["downloads"] == 1
    assert city["most_viewed"][0]["name"] == public["name"]
    assert [o["published"] for o in city["offices"]] == [2]
    office = helpers.call_action("openlima_metrics_show", context={"user": ""},
                                 organization=public["organization"]["name"])
    assert office["published"] == 2 and office["views"] == 3

    columns = {c["name"] for c in sa.inspect(model.meta.engine).get_columns("openlima_usage_daily")}
    assert columns == {"day", "package_id", "views", "downloads"}


def test_private_datasets_are_absent_from_metrics(app, catalogue):
    public, other, private = catalogue
    sysadmin = factories.SysadminWithToken()
    app.get(f"/dataset/{private['name']}", headers={**BROWSER, "Authorization": sysadmin["token"]}, status=200)
    city = helpers.call_action("openlima_metrics_show", context={"user": ""})
    assert city["published"] == 2 and city["views"] == 0
    assert "patrullaje" not in str(city)
    with pytest.raises((helpers.logic.NotAuthorized, helpers.logic.NotFound)):
        helpers.call_action("openlima_metrics_show", context={"user": "", "ignore_auth": False}, id=private["id"])
    for url in ("/metricas", "/metricas/metricas.csv", "/metricas/metricas.json"):
        assert "patrullaje" not in app.get(url, status=200).get_data(as_text=True).lower(), url


def _csrf(page: str) -> dict:
    match = re.search(r'name="(_csrf_token)" value="([^"]+)"', page)
    return {match.group(1): match.group(2)} if match else {}


def test_rating_once_per_browser_session(app, catalogue):
    public = catalogue[0]
    page = app.get(f"/dataset/{public['name']}", headers=BROWSER).get_data(as_text=True)
    assert "¿Te fue útil?" in page
    token = _csrf(page)
    first = app.post(f"/dataset/{public['name']}/valoracion", data={"rating": "4", **token},
                     headers={**BROWSER, "Accept": "application/json"})
    assert first.status_code == 200 and "Gracias" in first.json["message"]
    second = app.post(f"/dataset/{public['name']}/valoracion", data={"rating": "5", **token},
                      headers={**BROWSER, "Accept": "application/json"})
    assert second.status_code == 409 and "Ya valoró" in second.json["message"]
    shown = helpers.call_action("openlima_metrics_show", context={"user": ""}, id=public["id"])
    assert shown["ratings"] == 1 and shown["rating_average"] == 4


def test_rating_must_be_1_to_5(app, catalogue):
    public = catalogue[0]
    for bad in ("0", "6", "muy", ""):
        with pytest.raises(helpers.logic.ValidationError) as refused:
            helpers.call_action("openlima_rating_create", context={"user": ""}, id=public["id"], rating=bad)
        assert refused.value.error_dict["rating"]
    page = app.get(f"/dataset/{public['name']}", headers=BROWSER).get_data(as_text=True)
    response = app.post(f"/dataset/{public['name']}/valoracion", data={"rating": "9", **_csrf(page)},
                        headers={**BROWSER, "Accept": "application/json"})
    assert response.status_code == 400 and "del 1 al 5" in response.json["message"]
    assert helpers.call_action("openlima_metrics_show", context={"user": ""}, id=public["id"])["ratings"] == 0


@pytest.mark.ckan_config("ckanext.openlima.rating_limit_per_minute", "3")
def test_ratings_are_rate_limited_per_dataset(catalogue):
    public = catalogue[0]
    for _ in range(3):
        helpers.call_action("openlima_rating_create", context={"user": ""}, id=public["id"], rating=5)
    with pytest.raises(helpers.logic.ValidationError) as refused:
        helpers.call_action("openlima_rating_create", context={"user": ""}, id=public["id"], rating=1)
    assert "Demasiadas valoraciones" in refused.value.error_dict["rating"][0]
    shown = helpers.call_action("openlima_metrics_show", context={"user": ""}, id=public["id"])
    assert shown["ratings"] == 3 and shown["rating_average"] == 5


def test_private_dataset_cannot_be_rated(app, catalogue):
    private = catalogue[2]
    with pytest.raises(helpers.logic.NotFound):  # as a dataset that does not exist
        helpers.call_action("openlima_rating_create", context={"user": "", "ignore_auth": False},
                            id=private["id"], rating=5)
    assert app.post(f"/dataset/{private['name']}/valoracion", data={"rating": "5"}).status_code in (400, 403, 404)


def test_metrics_page_and_published_dataset(app, catalogue):
    factories.Organization(name="subgerencia-de-gobierno-digital-e-innovacion",
                           title="Subgerencia de Gobierno Digital e Innovación")
    app.get(f"/dataset/{catalogue[0]['name']}", headers=BROWSER)
    page = app.get("/metricas", status=200).get_data(as_text=True)
    assert "Métricas de uso del portal" in page and "Paraderos del Metropolitano" in page
    csv_text = app.get("/metricas/metricas.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "oficina,conjunto_de_datos,visitas,descargas,valoraciones,valoracion_media"
    assert "paraderos-metropolitano,1,0" in csv_text
    published = helpers.call_action("openlima_metrics_publish", context={"user": factories.Sysadmin()["name"]})
    assert published["name"] == "metricas-de-uso-del-portal-de-datos-abiertos"
    assert {r["format"] for r in published["resources"]} == {"CSV", "JSON"}
