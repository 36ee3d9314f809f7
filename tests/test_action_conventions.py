"""Every action of the three extensions has an auth function, a docstring and a line in
its extension's README (issue #19 §6).

The walk covers every action the plugins register (ours and the CKAN actions we chain),
so a new action without one of the three fails here. A README may name a family of
actions once: in "`limaactiva_space_create` / `_update` / `_show`" or
"`limahonesta_case_list`, `_case_show`", a `` `_suffix` `` stands for a leading part of
the full name on the same line followed by that suffix.
"""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("ckanext.openlima", "ckanext.limahonesta", "ckanext.limaactiva")
# Actions without an auth function of their own name, and why.
NO_AUTH_FUNCTION = {
    "xloader_hook": "we chain ckanext-xloader's action, which registers no auth function "
                    "of that name: it checks xloader_submit on the resource itself",
}


def _our_actions() -> dict:
    """name -> function of every action our plugins register (as they give it, so a
    chained CKAN action is our function, not CKAN's wrapper)."""
    import ckan.plugins as p

    found = {}
    for plugin in p.PluginImplementations(p.IActions):
        if type(plugin).__module__.startswith(OURS):
            found.update(plugin.get_actions())
    return found


def readme_names(text: str) -> set[str]:
    """Every action name a README gives, in full or as a `` `_suffix` `` of a name on
    the same line."""
    names: set[str] = set()
    for line in text.splitlines():
        tokens = re.findall(r"`([a-z_][a-z0-9_]*)`", line)
        full = [token for token in tokens if not token.startswith("_")]
        names.update(full)
        for suffix in (token for token in tokens if token.startswith("_")):
            for name in full:
                parts = name.split("_")
                names.update("_".join(parts[:k]) + suffix for k in range(1, len(parts)))
    return names


def extension_of(function) -> str:
    return "ckanext-" + function.__module__.split(".")[1]


@pytest.fixture
def actions(with_plugins):
    found = _our_actions()
    assert len(found) > 100, sorted(found)  # the three extensions really are loaded
    return found


def test_the_readme_reader_expands_families():
    names = readme_names(
        "| `limaactiva_space_create` / `_update` / `_show` | office |\n"
        "| `limahonesta_case_list`, `_case_show` | reviewer |\n"
        "`_orphan` alone names nothing"
    )
    assert {"limaactiva_space_update", "limaactiva_space_show",
            "limahonesta_case_show"} <= names
    assert not any(name.endswith("_orphan") for name in names)


def test_every_action_has_an_auth_function(actions):
    import ckan.authz as authz

    registered = set(authz.auth_functions_list())
    assert sorted(set(actions) - registered - set(NO_AUTH_FUNCTION)) == []
    assert set(NO_AUTH_FUNCTION) <= set(actions)  # the list names actions we have


def test_every_action_has_a_docstring(actions):
    assert sorted(name for name, function in actions.items()
                  if not (inspect.getdoc(function) or "").strip()) == []


def test_every_action_is_in_its_readme(actions):
    readmes = {
        extension: readme_names((ROOT / extension / "README.md").read_text())
        for extension in {extension_of(function) for function in actions.values()}
    }
    missing = sorted(f"{extension_of(function)}: {name}"
                     for name, function in actions.items()
                     if name not in readmes[extension_of(function)])
    assert missing == []
