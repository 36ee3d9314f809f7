"""CKAN's own Spanish, corrected (#13): Peruvian Spanish (usted, not CKAN's voseo), and
"Publish"/"Unpublish"/"active"/"draft" in Spanish, with a confirmation that says what
retiring a dataset from publication does. The override catalogue (plugin
``openlima_ckan_es``) stays small and every entry overrides something real."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from ckan.tests import factories, helpers

import ckan

MML_SCHEMA = "ckanext.openlima:../../../config/schemas/mml_dataset.yaml"
REPO = Path(__file__).resolve().parents[3]
OVERRIDE = REPO / "ckanext-openlima/ckanext/openlima/ckan_es/i18n/es/LC_MESSAGES/ckan-openlima-es"
CKAN_SPANISH = Path(ckan.__file__).parent / "i18n/es/LC_MESSAGES/ckan.po"
VOSEO = re.compile(r"\b(?:[Pp]odés|[Qq]uerés|[Tt]enés|[Hh]acé|Definí|Acá tenés)\b")
STATE_WORDS = {"active", "draft", "deleted"}  # CKAN shows _(state) but ships no msgid for them


def _catalogue(path: Path) -> dict[str, str]:
    with open(path, "rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id and isinstance(m.id, str)}


def test_override_is_small_real_compiled_and_leaves_no_voseo(tmp_path):
    from ckan.lib import i18n

    # CKAN builds JavaScript translations from every ITranslation catalogue at start-up
    i18n._build_js_translation("es", [str(OVERRIDE.with_suffix(".po"))], set(), str(tmp_path / "es.js"))
    assert (tmp_path / "es.js").exists()
    override = _catalogue(OVERRIDE.with_suffix(".po"))
    ckan_spanish = _catalogue(CKAN_SPANISH)
    assert 0 < len(override) <= 25
    assert set(override) - set(ckan_spanish) - STATE_WORDS == set()  # each one overrides CKAN's
    assert all(override.values())
    with open(OVERRIDE.with_suffix(".mo"), "rb") as mo:
        assert {m.id: m.string for m in read_mo(mo) if m.id} == override
    effective = {**ckan_spanish, **override}
    assert [text for text in effective.values() if VOSEO.search(text or "")] == []
    assert effective["Unpublish"] == "Retirar de publicación" and effective["Publish"] == "Publicar"


@pytest.mark.ckan_config("scheming.dataset_schemas", MML_SCHEMA)
@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
def test_retiring_from_publication_is_spanish_and_explained(app, valid_dataset):
    sysadmin = factories.Sysadmin()
    headers = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
    dataset = helpers.call_action("package_create", context={"user": sysadmin["name"]},
                                  **copy.deepcopy(valid_dataset))
    page = app.get(f"/dataset/{dataset['name']}", headers=headers).get_data(as_text=True)
    assert '<td class="dataset-details">publicado</td>' in page and ">active<" not in page

    form = app.get(f"/dataset/edit/{dataset['name']}", headers=headers).get_data(as_text=True)
    assert "Unpublish" not in form
    assert "<summary class=\"btn btn-warning\">Retirar de publicación</summary>" in form
    assert "deja de aparecer en la búsqueda" in form and "No se borra nada." in form
    assert 'value="go-metadata-unpublish"' in form

    new_resource = app.get(f"/dataset/{dataset['name']}/resource/new", headers=headers).get_data(as_text=True)
    assert ">Publish<" not in new_resource

    english = app.get(f"/en/dataset/edit/{dataset['name']}", headers=headers).get_data(as_text=True)
    assert "Remove from publication" in english and "Retirar de publicación" not in english
