"""The demo catalogue under the MML schema: it loads with no validation error, every
dataset is complete, and its DCAT-AP 3 feeds have zero SHACL violations (what
``make conformance`` checks on a running portal)."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from ckan.tests import helpers

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
SHAPES = Path(os.environ.get("DCAT_AP_SHACL_DIR") or Path(__file__).resolve().parents[4] / "shared" / "standards")


@pytest.mark.skipif(not SHAPES.exists(), reason="DCAT-AP SHACL shapes not available")
@pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA)
@pytest.mark.ckan_config("ckanext.dcat.rdf.profiles", "openlima_dcat_ap_3")
@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
def test_demo_catalogue_is_valid_complete_and_conformant():
    from ckanext.openlima.dcat import conformance
    from ckanext.openlima.demo.loader import load_demo

    report = load_demo(echo=lambda line: None)
    assert report.errors == []
    assert len(report.created["dataset"]) >= 30

    public = helpers.call_action("package_search", q="*:*", rows=1000)["results"]
    for dataset in public:
        assert dataset["theme"] and dataset["spatial_ubigeo"] and dataset["contact"], dataset["name"]
        assert dataset["frequency"].startswith("http://publications.europa.eu/resource/authority/frequency/")
        if any(r["format"] == "CSV" for r in dataset["resources"]):
            assert dataset["data_dictionary"], dataset["name"]

    out = io.StringIO()
    total = conformance.run(conformance.graphs_from_ckan(rows=100), conformance.load_shapes(SHAPES), out=out)
    report_text = out.getvalue()
    assert total == 0, report_text
    assert f"{len(public) + 1} graphs, 0 violations" in report_text
