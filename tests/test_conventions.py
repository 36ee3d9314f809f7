"""Conventions a machine checks (issue #19 §6): every option an extension declares is
documented in that extension's README, by its full key or by its last part in the section
that lists a group (```.max_clauses``` after the search engine's prefix)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXTENSIONS = ("ckanext-openlima", "ckanext-limahonesta", "ckanext-limaactiva")


def declared_options() -> list[tuple[str, str]]:
    options = []
    for extension in EXTENSIONS:
        for declaration in sorted((ROOT / extension).rglob("config_declaration.yaml")):
            groups = yaml.safe_load(declaration.read_text()).get("groups", [])
            options += [(extension, option["key"])
                        for group in groups for option in group.get("options", [])]
    return options


def test_the_walk_finds_the_declarations():
    # a moved or renamed declaration file would make the test below check nothing
    assert {extension for extension, _key in declared_options()} == set(EXTENSIONS)
    assert len(declared_options()) > 50


@pytest.mark.parametrize("extension,key", declared_options())
def test_every_declared_option_is_in_its_readme(extension, key):
    readme = (ROOT / extension / "README.md").read_text()
    last = key.rsplit(".", 1)[-1]
    assert key in readme or f"`{last}`" in readme or f"`.{last}`" in readme, \
        f"{key} is declared but {extension}/README.md does not say what it does"
