"""The demo catalogue: ``ckan openlima demo load`` into a clean database, then what a
visitor, a researcher and a second ``make run`` see.

The load is slow-ish (every resource goes through ``resource_create`` and the search
index), so it runs once per module through the real CLI; the tests after it read the
catalogue and the last ones change it (purge, resource delete) to check a reload
restores only what is missing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan
from ckan.tests import helpers

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "ckanext-openlima" / "ckanext" / "openlima" / "demo"
DISTRICTS_CSV = REPO / "config" / "vocabularies" / "districts.csv"
PRIVATE = "planificacion-interna-de-patrullaje"
PUBLIC_DATASETS = 36
ORGANIZATIONS = 11
GROUPS = 6


def demo_entries() -> list[dict]:
    return yaml.safe_load((DEMO / "data" / "datasets.yaml").read_text(encoding="utf-8"))


def run_cli(*args: str):
    runner = helpers.CKANCliRunner(env={"CKAN_INI": tk.config["__file__"]})
    return runner.invoke(ckan, list(args))


def anonymous(action: str, **data):
    return helpers.call_action(action, {"user": "", "ignore_auth": False}, **data)


def sysadmin(action: str, **data):
    site_user = helpers.call_action("get_site_user", {"ignore_auth": True})
    return helpers.call_action(action, {"user": site_user["name"]}, **data)


@pytest.fixture(scope="module")
def first_load(reset_db, reset_index):
    """A clean database (core + plugin migrations, as ``ckan db upgrade`` does in
    production) and an empty index, then ``openlima demo load --if-empty``."""
    reset_db()
    reset_index()
    upgrade = run_cli("db", "upgrade")
    assert upgrade.exit_code == 0, upgrade.output
    result = run_cli("openlima", "demo", "load", "--if-empty")
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result


# --- the files themselves (no CKAN needed) ------------------------------------------------


def test_districts_table_has_the_43_inei_districts():
    with open(DISTRICTS_CSV, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["ubigeo"] for row in rows] == [
        str(code) for code in range(150101, 150144)
    ]
    names = {row["ubigeo"]: row["name"] for row in rows}
    assert names["150102"] == "Ancón"
    assert names["150113"] == "Jesús María"
    assert names["150120"] == "Magdalena del Mar"
    assert names["150128"] == "Rímac"
    assert names["150135"] == "San Martín de Porres"
    assert names["150140"] == "Santiago de Surco"
    assert names["150143"] == "Villa María del Triunfo"
    # the demo's own districts resource publishes the same table
    with open(
        DEMO / "files" / "distritos_lima.csv", newline="", encoding="utf-8"
    ) as handle:
        published = {row["ubigeo"]: row["nombre"] for row in csv.DictReader(handle)}
    assert published == names


def test_every_declared_file_exists_and_is_what_its_format_says():
    import json

    import openpyxl

    entries = demo_entries()
    assert len(entries) >= 32
    formats = set()
    for entry in entries:
        assert entry["resources"], entry["name"]
        for resource in entry["resources"]:
            path = DEMO / "files" / resource["file"]
            content = path.read_bytes()
            assert 0 < len(content) < 20_000, path
            formats.add(resource["format"])
            if resource["format"] == "CSV":
                rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
                assert len(rows) >= 2 and all(
                    len(row) == len(rows[0]) for row in rows
                ), path
            elif resource["format"] in ("JSON", "GeoJSON"):
                data = json.loads(content.decode("utf-8"))
                if resource["format"] == "GeoJSON":
                    assert data["type"] == "FeatureCollection" and data["features"]
            elif resource["format"] == "XLSX":
                workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
                assert next(workbook.worksheets[0].iter_rows(values_only=True))
            elif resource["format"] == "PDF":
                assert_valid_pdf_xref(content)
            elif resource["format"] in ("TXT", "XML"):
                content.decode("utf-8")
    assert {"CSV", "JSON", "GeoJSON", "XLSX", "PDF", "TXT", "XML"} <= formats


def assert_valid_pdf_xref(content: bytes) -> None:
    assert content.startswith(b"%PDF-1.")
    start = int(re.search(rb"startxref\s+(\d+)", content).group(1))
    table = content[start:].split(b"trailer")[0].decode().split("\n")
    assert table[0] == "xref"
    count = int(table[1].split()[1])
    for number, line in enumerate(table[3 : 2 + count], start=1):
        offset = int(line.split()[0])
        assert content[offset:].startswith(f"{number} 0 obj".encode()), number


# --- the loaded catalogue ------------------------------------------------------------------


@pytest.mark.usefixtures("with_plugins")
class TestDemoCatalogue:
    def test_first_load_reports_what_it_created(self, first_load):
        assert "Cargando el catálogo de demostración" in first_load.output
        assert (
            f"{ORGANIZATIONS} organizaciones, {GROUPS} grupos, {PUBLIC_DATASETS + 1} "
            "conjuntos de datos"
        ) in first_load.output
        assert "Errores: 0" in first_load.output

    def test_offices_groups_and_counts(self, first_load):
        organizations = anonymous("organization_list")
        assert len(organizations) == ORGANIZATIONS
        assert {
            "gerencia-de-transporte-urbano",
            "subgerencia-de-gobierno-digital-e-innovacion",
            "instituto-metropolitano-de-planificacion",
        } <= set(organizations)
        office = anonymous(
            "organization_show",
            id="gerencia-de-servicios-a-la-ciudad-y-gestion-ambiental",
        )
        assert (
            office["title"] == "Gerencia de Servicios a la Ciudad y Gestión Ambiental"
        )
        assert "residuos sólidos" in office["description"]
        assert len(anonymous("group_list")) == GROUPS

        public = anonymous("package_search", q="*:*", rows=1000)
        assert public["count"] == PUBLIC_DATASETS
        everything = sysadmin(
            "package_search", q="*:*", rows=1000, include_private=True
        )
        assert everything["count"] == PUBLIC_DATASETS + 1
        assert PRIVATE in {d["name"] for d in everything["results"]}
        several = anonymous("package_show", id="presupuesto-participativo")
        assert len(several["resources"]) == 4

    @pytest.mark.parametrize(
        "query, expected",
        [
            ("educacion", "educacion-vial"),
            ("educación vial", "educacion-vial"),
            ("transporte publico", "paraderos-del-transporte-publico"),
            ("areas verdes", "areas-verdes-por-distrito"),
            ("recoleccion de residuos solidos", "recoleccion-de-residuos-solidos"),
            ("calidad del aire", "calidad-del-aire"),
            ("presupuesto participativo", "presupuesto-participativo"),
            ("licencias edificacion", "licencias-de-edificacion"),
        ],
    )
    def test_spanish_search_ignores_accents(self, first_load, query, expected):
        result = anonymous("package_search", q=query, rows=50)
        names = [d["name"] for d in result["results"]]
        assert expected in names, (query, names)

    def test_facets_count_demo_formats_and_offices(self, first_load):
        result = anonymous(
            "package_search",
            q="*:*",
            rows=0,
            **{"facet.field": '["res_format", "organization"]', "facet.limit": 50},
        )
        formats = {
            item["name"]: item["count"]
            for item in result["search_facets"]["res_format"]["items"]
        }
        assert formats["CSV"] >= 30
        assert {"GeoJSON", "XLSX", "PDF", "JSON", "TXT", "XML"} <= set(formats)
        offices = {
            item["name"]: item["count"]
            for item in result["search_facets"]["organization"]["items"]
        }
        # the private dataset of Seguridad Ciudadana is not counted for anonymous users
        assert offices["gerencia-de-seguridad-ciudadana"] == 2

    def test_private_dataset_never_reaches_anonymous_users(self, first_load, app):
        assert anonymous("package_search", q="patrullaje")["count"] == 0
        assert (
            anonymous("package_search", q="patrullaje", include_private=True)["count"]
            == 0
        )
        assert anonymous("package_search", fq=f"name:{PRIVATE}")["count"] == 0
        names = {
            d["name"]
            for d in anonymous(
                "package_search", q="*:*", rows=1000, include_private=True
            )["results"]
        }
        assert PRIVATE not in names
        assert PRIVATE not in anonymous("package_list")
        with pytest.raises(tk.ObjectNotFound):  # as a dataset that does not exist (#12 §1)
            anonymous("package_show", id=PRIVATE)
        assert app.get(f"/dataset/{PRIVATE}").status_code == 404
        api = app.get("/api/3/action/package_search", query_string={"q": "patrullaje"})
        assert api.status_code == 200 and api.json["result"]["count"] == 0
        shown = sysadmin("package_show", id=PRIVATE)
        assert shown["private"] is True
        assert shown["access_rights"].endswith("/access-right/NON_PUBLIC")

    def test_dcat_metadata_is_filled(self, first_load):
        dataset = anonymous("package_show", id="paraderos-del-transporte-publico")
        assert dataset["license_id"] == "cc-by"
        assert dataset["identifier"] == "MML-GTU-001"
        assert dataset["theme"] == [
            "http://publications.europa.eu/resource/authority/data-theme/TRAN"
        ]
        assert (
            dataset["frequency"]
            == "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
        )
        assert dataset["language"] == [
            "http://publications.europa.eu/resource/authority/language/SPA"
        ]
        assert dataset["contact"][0]["email"] == "transporte@munlima.gob.pe"
        assert "Gerencia de Transporte Urbano" in dataset["publisher"][0]["name"]
        assert {"text": "Miraflores (150122)"}.items() <= next(
            c for c in dataset["spatial_coverage"] if c["text"].startswith("Miraflores")
        ).items()
        assert all(
            c["uri"].endswith("/ubigeo/" + c["text"][-7:-1])
            for c in dataset["spatial_coverage"]
        )
        assert dataset["temporal_coverage"][0]["start"].startswith("2025-01-01")
        assert dataset["issued"].startswith("2024-03-15")
        assert {t["name"] for t in dataset["tags"]} >= {
            "transporte público",
            "paraderos",
        }
        assert [g["name"] for g in dataset["groups"]] == ["movilidad"]
        csv_resource = dataset["resources"][0]
        assert csv_resource["format"] == "CSV"
        assert csv_resource["mimetype"] == "text/csv"
        assert csv_resource["url_type"] == "upload"
        content = (DEMO / "files" / "paraderos.csv").read_bytes()
        assert csv_resource["hash"] == hashlib.sha256(content).hexdigest()
        assert int(csv_resource["size"]) == len(content)
        whole_city = anonymous("package_show", id="areas-verdes-por-distrito")
        assert whole_city["spatial_coverage"][0]["text"] == "Lima Metropolitana (1501)"

    @pytest.mark.parametrize(
        "dataset_name, file_name",
        [
            ("paraderos-del-transporte-publico", "paraderos.csv"),
            ("presupuesto-participativo", "presupuesto_participativo_resumen.xlsx"),
            ("educacion-vial", "guia_seguridad_vial_escolar.pdf"),
        ],
    )
    def test_resource_files_download_with_their_bytes(
        self, first_load, app, dataset_name, file_name
    ):
        dataset = anonymous("package_show", id=dataset_name)
        resource = next(
            r for r in dataset["resources"] if r["url"].endswith("/" + file_name)
        )
        response = app.get(urlparse(resource["url"]).path)
        assert response.status_code == 200
        assert response.get_data() == (DEMO / "files" / file_name).read_bytes()

    def test_second_load_adds_nothing(self, first_load):
        before = sysadmin("package_search", q="*:*", rows=0, include_private=True)[
            "count"
        ]
        result = run_cli("openlima", "demo", "load")
        assert result.exit_code == 0, result.output
        assert (
            "0 organizaciones, 0 grupos, 0 conjuntos de datos y 0 recursos nuevos; "
            f"ya existían {PUBLIC_DATASETS + 1} conjuntos de datos"
        ) in result.output
        assert (
            sysadmin("package_search", q="*:*", rows=0, include_private=True)["count"]
            == before
        )
        assert len(anonymous("package_show", id="calidad-del-aire")["resources"]) == 3

        if_empty = run_cli("openlima", "demo", "load", "--if-empty")
        assert if_empty.exit_code == 0, if_empty.output
        assert f"ya tiene {before} conjuntos de datos" in if_empty.output
        assert "Cargando" not in if_empty.output

    def test_reload_restores_only_what_is_missing(self, first_load):
        sysadmin("dataset_purge", id="juntas-vecinales")
        air = anonymous("package_show", id="calidad-del-aire")
        note = next(r for r in air["resources"] if r["format"] == "TXT")
        sysadmin("resource_delete", id=note["id"])
        untouched = anonymous("package_show", id="paraderos-del-transporte-publico")

        result = run_cli("openlima", "demo", "load")
        assert result.exit_code == 0, result.output
        assert "1 conjuntos de datos y 2 recursos nuevos" in result.output
        assert "calidad-del-aire: ya existía; se añadieron 1 recursos" in result.output
        restored = anonymous("package_show", id="juntas-vecinales")
        assert restored["organization"]["name"] == "gerencia-de-participacion-vecinal"
        assert len(restored["resources"]) == 1
        assert sorted(
            r["format"]
            for r in anonymous("package_show", id="calidad-del-aire")["resources"]
        ) == ["CSV", "JSON", "TXT"]
        again = anonymous("package_show", id="paraderos-del-transporte-publico")
        assert again["metadata_modified"] == untouched["metadata_modified"]

    def test_reload_respects_what_users_deleted(self, first_load):
        sysadmin("package_delete", id="arbolado-urbano-cercado")
        office = "gerencia-de-gestion-del-riesgo-de-desastres"
        for name in (
            "zonas-de-riesgo-ante-sismo-y-tsunami",
            "albergues-temporales-y-zonas-seguras",
        ):
            sysadmin("dataset_purge", id=name)
        sysadmin("organization_delete", id=office)

        result = run_cli("openlima", "demo", "load")
        assert result.exit_code == 0, result.output
        assert "arbolado-urbano-cercado: borrado por un usuario" in result.output
        assert f"{office}: organización borrada por un usuario" in result.output
        assert (
            "0 organizaciones, 0 grupos, 0 conjuntos de datos y 0 recursos nuevos"
            in result.output
        )
        assert (
            sysadmin("package_show", id="arbolado-urbano-cercado")["state"] == "deleted"
        )
        with pytest.raises(tk.ObjectNotFound):
            sysadmin("package_show", id="albergues-temporales-y-zonas-seguras")
        assert sysadmin("organization_show", id=office)["state"] == "deleted"
