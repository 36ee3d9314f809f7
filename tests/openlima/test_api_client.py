"""A researcher's client against the running portal: the ``ckanapi`` package searches
in Spanish, pages through the catalogue and downloads a resource, and never sees a
private dataset."""
from __future__ import annotations

import copy

import pytest
import requests
from ckan.tests import factories, helpers

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"


@pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA)
def test_ckanapi_searches_pages_and_downloads(portal_server, valid_dataset, tmp_path):
    from ckanapi import RemoteCKAN

    sysadmin = factories.Sysadmin()
    names = []
    for number in range(5):
        data = copy.deepcopy(valid_dataset)
        data.update(name=f"conteo-vehicular-{number}", title=f"Conteo vehicular en la vía expresa {number}")
        helpers.call_action("package_create", context={"user": sysadmin["name"]}, **data)
        names.append(data["name"])
    hidden = copy.deepcopy(valid_dataset)
    hidden.update(name="conteo-vehicular-reservado", title="Conteo vehicular reservado", private=True)
    helpers.call_action("package_create", context={"user": sysadmin["name"]}, **hidden)
    upload = factories.Resource(package_id=names[0], name="Conteos (CSV)", format="CSV",
                                url="", upload=_upload("via,conteo\nexpresa,1200\n"))

    with RemoteCKAN(portal_server.url, user_agent="investigadora/1.0 (ckanapi)") as portal:
        found = portal.action.package_search(q="vía expresa")
        assert found["count"] == 5
        accentless = portal.action.package_search(q="via expresa")
        assert accentless["count"] == 5

        seen = []
        start = 0
        while True:
            page = portal.action.package_search(q="conteo", rows=2, start=start, sort="name asc")
            seen += [dataset["name"] for dataset in page["results"]]
            start += 2
            if start >= page["count"]:
                break
        assert seen == sorted(names)
        assert "conteo-vehicular-reservado" not in seen

        dataset = portal.action.package_show(id=names[0])
        resource = next(r for r in dataset["resources"] if r["id"] == upload["id"])
        assert resource["url_type"] == "upload" and resource["format"] == "CSV"
        # the test portal's ckan.site_url is not the address it is served on here
        download_url = resource["url"].replace("http://test.ckan.net", portal_server.url)
        response = requests.get(download_url, timeout=30)
        assert response.status_code == 200
        assert response.text == "via,conteo\nexpresa,1200\n"


def _upload(text: str):
    import io

    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(text.encode("utf-8")), filename="conteos.csv", content_type="text/csv")
