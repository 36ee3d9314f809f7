"""Attacks 2, 3, 13 and 14 of the research §4 at the storage level.

Code entropy and uniqueness, lookup hash keyed by the pepper (a database dump alone
verifies nothing), the case key unwrappable only with pepper + code, TOTP per RFC 6238
with replay refusal.
"""
from __future__ import annotations

import collections
import math

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from .conftest import PEPPER, open_case, submit_report

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")


def _crypto():
    # The crypto module is the unit under test here (no page exposes the primitives).
    from ckanext.limahonesta import crypto  # noqa: PLC0415
    return crypto


def test_tracking_code_has_at_least_80_bits_and_uses_every_digit_evenly():
    crypto = _crypto()
    assert crypto.TRACKING_CODE_BITS >= 80
    codes = [crypto.generate_tracking_code() for _ in range(2000)]
    digits = "".join(c.replace(" ", "") for c in codes)
    assert all(len(c.replace(" ", "")) == 28 for c in codes)
    assert len(set(codes)) == len(codes)
    # chi-square over the 10 digits, 9 degrees of freedom: 27.88 is the 0.1 % critical value
    counts = collections.Counter(digits)
    expected = len(digits) / 10
    chi2 = sum((counts[str(d)] - expected) ** 2 / expected for d in range(10))
    assert chi2 < 27.88
    # every position varies (no fixed prefix or check digit reducing entropy)
    for position in range(28):
        assert len({c.replace(" ", "")[position] for c in codes}) == 10
    assert math.log2(10**28) >= 80


def test_code_normalisation_refuses_anything_but_28_digits():
    crypto = _crypto()
    good = "1234 5678 9012 3456 7890 1234 5678"
    assert crypto.normalise_tracking_code(good) == good.replace(" ", "")
    assert crypto.normalise_tracking_code(good.replace(" ", "-")) == good.replace(" ", "")
    for bad in ("", None, 123, "1234", good + "9", "１２３４" * 7, "abcd" * 7, "x" * 10000):
        assert crypto.normalise_tracking_code(bad) is None


def test_database_alone_cannot_verify_a_code_or_open_a_case(app, monkeypatch, ckan_config):
    _response, case_number, code = submit_report(app)
    crypto = _crypto()
    digits = crypto.normalise_tracking_code(code)
    row = model.Session.execute(sa.text(
        "select code_lookup, code_kdf, code_salt, reporter_wrapped_key from limahonesta_case "
        "where case_number = :n"), {"n": case_number}).first()
    # with the right pepper the code verifies (sanity)
    assert crypto.code_lookup_hash(digits, row.code_kdf) == bytes(row.code_lookup)
    # an attacker holding the dump but not the pepper: Argon2id with every salt in the
    # dump, any other pepper -> neither the lookup nor the wrapped key match
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.pepper", "x" * 48)
    assert crypto.code_lookup_hash(digits, row.code_kdf) != bytes(row.code_lookup)
    with pytest.raises(crypto.DecryptionError):
        crypto.secretbox_decrypt(
            crypto.code_wrap_key(digits, bytes(row.code_salt), row.code_kdf),
            bytes(row.reporter_wrapped_key))
    # and the raw Argon2id of the code (no pepper at all) is not the lookup either
    raw = crypto._argon2id(digits.encode(), bytes(row.code_salt), row.code_kdf)
    assert raw != bytes(row.code_lookup)
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.pepper", PEPPER)
    assert open_case(app, code).status_code == 200


def test_missing_pepper_refuses_reports_with_a_spanish_message(app, monkeypatch, ckan_config):
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.pepper", "")
    page = app.get("/denuncias/nueva", status=503)
    assert "no está configurada" in page.body
    with pytest.raises(tk.ValidationError) as err:
        tk.get_action("limahonesta_report_create")({}, {"descripcion": "x"})
    assert "no está configurada" in str(err.value.error_dict)
    assert model.Session.execute(sa.text("select count(*) from limahonesta_case")).scalar() == 0


def test_totp_matches_rfc6238_vectors_and_refuses_replay():
    crypto = _crypto()
    secret = b"12345678901234567890"
    # RFC 6238 appendix B (SHA-1), truncated to 6 digits
    assert crypto.totp_at(secret, 59 // 30) == "287082"
    assert crypto.totp_at(secret, 1111111109 // 30) == "081804"
    assert crypto.totp_at(secret, 1234567890 // 30) == "005924"
    now = 1234567890
    step = crypto.totp_verify(secret, "005924", 0, now=now)
    assert step == now // 30
    assert crypto.totp_verify(secret, "005924", step, now=now) is None  # replay
    assert crypto.totp_verify(secret, "000000", 0, now=now) is None
    assert crypto.totp_verify(secret, "005924", 0, now=now + 3600) is None  # expired
    assert crypto.totp_verify(secret, None, 0, now=now) is None


def test_case_content_is_ciphertext_at_rest(app):
    submit_report(app, descripcion="Texto secreto de la denuncia número 4242 sobre coimas.",
                  involucrados="Fulano Secreto", identidad_nombre="María Denunciante")
    dump = b"".join(
        bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode()
        for row in model.Session.execute(sa.text("select * from limahonesta_case")) for v in row)
    dump += b"".join(
        bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode()
        for row in model.Session.execute(sa.text("select * from limahonesta_identity")) for v in row)
    for secret in (b"4242", b"coimas", b"Fulano", "María".encode(), b"Subgerencia de Licencias"):
        assert secret not in dump
