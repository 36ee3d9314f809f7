"""Fixtures of the federation suites (the module portal lives in tests/openlima/conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

POD_SCHEMA_DIR = Path(__file__).resolve().parents[3] / "ckanext-openlima" / "ckanext" / "openlima" / "dcat" / "pod_schema"


@pytest.fixture(scope="session")
def pod_validator():
    """Project Open Data's own v1.1 JSON schema (vendored, unmodified: see its README)."""
    import json

    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    schemas = {path.stem: json.loads(path.read_text()) for path in POD_SCHEMA_DIR.glob("*.json")}
    registry = Registry().with_resources(
        (schema["id"].rstrip("#"), Resource.from_contents(schema, default_specification=DRAFT4))
        for schema in schemas.values())
    return Draft4Validator(schemas["catalog"], registry=registry,
                           format_checker=Draft4Validator.FORMAT_CHECKER)
