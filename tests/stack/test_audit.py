"""`make audit` never reports a clean result it did not check (#12 §5): pip-audit's own
"No known vulnerabilities found" with exit 0 after skipping everything becomes exit 2
with the reason (stack/openlima_stack/audit.py). pip-audit's answers are given here as
the JSON it writes; the real run is `make audit`."""
from __future__ import annotations

import pytest

from openlima_stack import audit

SKIPPED_ALL = {"dependencies": [
    {"name": "urllib3", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    {"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    {"name": "openlima", "skip_reason": "editable"}], "fixes": []}
CLEAN = {"dependencies": [{"name": "urllib3", "version": "2.8.0", "vulns": []},
                          {"name": "flask", "version": "3.1.3", "vulns": []}]}
VULNERABLE = {"dependencies": [{"name": "werkzeug", "version": "3.0.0", "vulns": [
    {"id": "GHSA-xxxx", "fix_versions": ["3.0.6"]}]}, {"name": "flask", "version": "3.1.3", "vulns": []}]}
CANARY_OK = {"dependencies": [{"name": "urllib3", "version": "1.26.4", "vulns": [{"id": "PYSEC-2021-108"}]}]}
CANARY_SKIPPED = {"dependencies": [{"name": "urllib3", "skip_reason": "Dependency not found on PyPI"}]}


def test_summary_counts_only_what_was_really_audited():
    audited, vulnerable, skipped = audit.summarise(SKIPPED_ALL)
    assert audited == [] and vulnerable == [] and [d["name"] for d in skipped] == ["urllib3", "flask"]
    audited, vulnerable, _ = audit.summarise(VULNERABLE)
    assert len(audited) == 2 and [d["name"] for d in vulnerable] == ["werkzeug"]


def _answers(monkeypatch, canary: dict | None, environment: dict | None):
    def fake(args, timeout=600):
        report = canary if "--no-deps" in args else environment
        return report, "" if report is not None else "sin respuesta"
    monkeypatch.setattr(audit, "_pip_audit", fake)


@pytest.mark.parametrize("canary, environment, status", [
    (CANARY_SKIPPED, CLEAN, audit.COULD_NOT_CHECK),  # the service does not know a vulnerable release
    (None, CLEAN, audit.COULD_NOT_CHECK),            # the service does not answer
    (CANARY_OK, SKIPPED_ALL, audit.COULD_NOT_CHECK),  # it answers, but audits nothing of ours
    (CANARY_OK, VULNERABLE, audit.FOUND),
    (CANARY_OK, CLEAN, 0),
])
def test_exit_status_says_whether_anything_was_checked(monkeypatch, capsys, canary, environment, status):
    _answers(monkeypatch, canary, environment)
    assert audit.main([]) == status
    printed = capsys.readouterr()
    if status == audit.COULD_NOT_CHECK:
        assert "No se pudo verificar" in printed.err and "Sin vulnerabilidades" not in printed.out
    if status == audit.FOUND:
        assert "werkzeug 3.0.0: GHSA-xxxx (corregida en 3.0.6)" in printed.err
    if status == 0:
        assert "2 paquetes auditados" in printed.out
