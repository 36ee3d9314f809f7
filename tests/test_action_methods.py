"""Every action of the three extensions that changes nothing answers GET, as CKAN's own
``*_show``/``*_list`` do; every other one refuses GET ("Please use POST").

The walk covers every action the plugins register, so a new read-only action without
``@tk.side_effect_free`` (or a write action with it) fails here.
"""
from __future__ import annotations

import pytest
from ckan.tests import factories

OURS = ("ckanext.openlima", "ckanext.limahonesta", "ckanext.limaactiva")
# Writes are named for what they do to the data.
WRITE_VERBS = ("_create", "_update", "_delete", "_publish", "_check", "_load", "_add", "_cast",
               "_close", "_answer", "_assign", "_grant", "_revoke", "_decide", "_confirm",
               "_request", "_register", "_unregister", "_rate", "_resolve", "_approve",
               "_update_status", "_pdudc_update", "_follow", "_unfollow", "_unfollow_by_token",
               "_mark_read", "_announce", "_unsubscribe", "_send", "_moderate", "_record",
               "_withdraw")
# Reads that still refuse GET, and why.
POST_ONLY = {
    "limahonesta_report_show_by_code": "the tracking code is a secret that must never travel in "
                                       "a URL (server logs, browser history); opening a case is "
                                       "also written to the audit trail",
    "limahonesta_identity_show": "every reading of a reporter's identity is written to the audit "
                                 "trail, approved or refused",
}


def _our_actions() -> dict:
    import ckan.logic as logic
    import ckan.plugins.toolkit as tk

    tk.get_action("package_show")  # fills CKAN's registry of actions
    return {name: function for name, function in logic._actions.items()
            if getattr(function, "__module__", "").startswith(OURS)}


@pytest.fixture
def actions(with_plugins):
    found = _our_actions()
    assert len(found) > 60, sorted(found)  # the three extensions really are loaded
    return found


def test_every_action_is_classified(actions):
    unclassified = [name for name, function in actions.items()
                    if not getattr(function, "side_effect_free", False)
                    and not name.endswith(WRITE_VERBS) and name not in POST_ONLY]
    assert unclassified == [], (
        "these actions refuse GET but their names do not say they write: mark them "
        "@tk.side_effect_free, or list them in POST_ONLY with the reason")
    writes_on_get = [name for name, function in actions.items()
                     if getattr(function, "side_effect_free", False) and name.endswith(WRITE_VERBS)]
    assert writes_on_get == []
    assert not any(getattr(actions[name], "side_effect_free", False) for name in POST_ONLY)


@pytest.mark.usefixtures("clean_db")
def test_read_only_actions_answer_get_and_writes_do_not(app, actions):
    for name, function in sorted(actions.items()):
        response = app.get(f"/api/3/action/{name}")
        body = response.get_data(as_text=True)
        if getattr(function, "side_effect_free", False):
            assert "Please use POST" not in body, name
            assert response.status_code in (200, 403, 404, 409), (name, response.status_code, body[:200])
        else:
            assert response.status_code == 400 and "Please use POST" in body, (name, body[:200])


@pytest.mark.usefixtures("clean_db")
def test_the_issues_examples_answer_get(app, with_plugins):
    office = factories.Organization(name="gerencia-de-transporte-urbano")
    dataset = factories.Dataset(name="educacion-vial", owner_org=office["id"],
                                title="Campañas de educación vial")
    show = app.get("/api/3/action/openlima_compliance_show", query_string={"id": dataset["name"]})
    assert show.status_code == 200 and show.json["success"] is True
    assert 0 <= show.json["result"]["score"] <= 100
    summary = app.get("/api/3/action/openlima_compliance_summary")
    assert summary.status_code == 200 and summary.json["result"]["totals"]
    metrics = app.get("/api/3/action/openlima_metrics_show")
    assert metrics.status_code == 200 and metrics.json["result"]["published"] >= 1
