"""No lost report (#12): the Integrity Unit's key reaches every case, whenever it was filed.

Reports filed before anybody enrols are sealed to the unit key, kept under the pepper
until the first reviewer enrols; that reviewer then reads them all. Cases whose holders
all left the unit come back to the approved members, never to someone excluded from
them; cases stored before the unit key existed get their unit copy from their reporter.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from .conftest import case_id_by_number, open_case, submit_report

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")


def scalar(sql: str, **params):
    return model.Session.execute(sa.text(sql), params).scalar()


def test_reports_filed_before_the_first_enrolment_are_read_after_it(app, make_reviewer, cli):
    from ckan.cli.cli import ckan as ckan_command
    result = cli.invoke(ckan_command, ["limahonesta", "setup"])
    assert result.exit_code == 0, result.output
    assert "custodia inicial" in result.output
    filed = [submit_report(app, descripcion=f"Denuncia {n} recibida antes de toda inscripción.")
             for n in range(3)]
    assert scalar("select count(*) from limahonesta_case_key") == 0
    assert scalar("select count(*) from limahonesta_case where unit_wrapped_key is null") == 0
    assert scalar("select bootstrap_wrapped_key is not null from limahonesta_unit")
    alice = make_reviewer()  # the unit's first reviewer (bootstrap), then signs in
    listing = alice.app.get("/integridad/")
    for n, (_r, number, _code) in enumerate(filed):
        assert number in listing.body
        page = alice.app.get(f"/integridad/caso/{case_id_by_number(number)}")
        assert f"Denuncia {n} recibida antes" in page.body
    # the copy under the pepper is gone once a reviewer holds the unit key
    assert scalar("select bootstrap_wrapped_key is null from limahonesta_unit")
    assert scalar("select count(*) from limahonesta_unit_key where reviewer_id = :u",
                  u=alice.user["id"]) == 1
    # a second reviewer approved by the first receives the unit key with the approval
    bob = make_reviewer(approve=False, login=False)
    alice.post("/integridad/revisores/aprobar", {"user": bob.user["name"]})
    assert scalar("select count(*) from limahonesta_unit_key where reviewer_id = :u",
                  u=bob.user["id"]) == 1
    actions = [r[0] for r in model.Session.execute(sa.text(
        "select action from limahonesta_audit"))]
    assert "unit_key_handed_over" in actions and actions.count("case_keys_restored") == 3


def test_cases_whose_holders_left_return_to_the_unit_but_not_to_the_excluded(
        app, make_reviewer, integrity_org):
    alice, bob = make_reviewer(login=False), make_reviewer(login=False)
    alice.login()  # a holder's sign-in gives the unit key to approved members lacking it
    bob.login()
    _r, number, _code = submit_report(app)
    case_id = case_id_by_number(number)
    alice.post(f"/integridad/caso/{case_id}/acceso", {"user": bob.user["name"], "revoke": "1"})
    # alice leaves the unit: nobody who may read the case holds its key any more
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    tk.get_action("organization_member_delete")(
        {"ignore_auth": True, "user": site_user},
        {"id": integrity_org["id"], "username": alice.user["name"]})
    carol = make_reviewer(login=False)
    # bob holds the unit key: his next sign-in (a one-time recovery code, as the TOTP
    # step of his first one cannot be reused so soon) restores the orphan case
    bob.login(code=bob.recovery_codes[0])
    carol.login()
    assert "pidió dinero" in carol.app.get(f"/integridad/caso/{case_id}").body
    bob.app.get(f"/integridad/caso/{case_id}", status=403)
    holders = {r[0] for r in model.Session.execute(sa.text(
        "select reviewer_id from limahonesta_case_key where case_id = :c"), {"c": case_id})}
    assert carol.user["id"] in holders and bob.user["id"] not in holders


def test_a_case_stored_before_the_unit_key_is_rescued_by_its_reporter(app, make_reviewer):
    _r, number, code = submit_report(app)
    # as an installation upgraded from the previous revision left it: no unit, no copy
    model.Session.execute(sa.text("update limahonesta_case set unit_wrapped_key = null"))
    model.Session.execute(sa.text("delete from limahonesta_unit"))
    model.Session.commit()
    alice = make_reviewer()
    assert number not in alice.app.get("/integridad/").body  # nobody can open it yet
    assert number in open_case(app, code).body  # its reporter comes back with the code
    assert scalar("select unit_wrapped_key is not null from limahonesta_case")
    alice.login(code=alice.recovery_codes[0])  # next sign-in (one-time recovery code)
    assert "pidió dinero" in alice.app.get(f"/integridad/caso/{case_id_by_number(number)}").body
