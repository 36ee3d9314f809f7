"""`make audit`: the project's Python dependencies against the known vulnerabilities,
saying plainly when it could not check (#12 §5).

``pip-audit`` answers "No known vulnerabilities found" and exits 0 when its service is
unreachable or skips every package (seen on a machine that reaches PyPI's file index but
neither OSV nor PyPI's per-release JSON). So, for each service (OSV, then PyPI):

1. a **canary** first: a release with published vulnerabilities (``urllib3==1.26.4``) must
   come back vulnerable; if it does not, the service cannot be used from here;
2. then the virtual environment's installed packages, counting what was really audited
   (pip-audit's JSON marks every skipped package with its reason).

Exit codes: 0 audited and clean, 1 vulnerabilities found (listed), 2 could not check
(nothing, or too little, was audited): never a silent success.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

SERVICES = ("osv", "pypi")
CANARY = "urllib3==1.26.4"  # CVE-2021-33503 and later advisories
# our own packages (openlima, the ckanext-* in this repository) are not on PyPI
OWN = {"openlima"}

COULD_NOT_CHECK = 2
FOUND = 1


def _pip_audit(args: list[str], timeout: int = 600) -> tuple[Optional[dict], str]:
    """pip-audit's JSON report (or None) and what it printed on error."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "-f", "json", "-o", str(report),
                   "--progress-spinner", "off", *args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, f"sin respuesta en {timeout} s"
        if not report.exists():
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"código {done.returncode}"]
            return None, last[0][:300]
        return json.loads(report.read_text(encoding="utf-8")), ""


def canary_answers(service: str) -> tuple[bool, str]:
    """Whether ``service`` reports the canary's known vulnerabilities from this machine."""
    with tempfile.TemporaryDirectory() as scratch:
        requirement = Path(scratch) / "canary.txt"
        requirement.write_text(CANARY + "\n", encoding="utf-8")
        report, error = _pip_audit(["-s", service, "-r", str(requirement), "--no-deps",
                                    "--disable-pip"], timeout=120)
    if report is None:
        return False, error
    dependency = (report.get("dependencies") or [{}])[0]
    if dependency.get("vulns"):
        return True, ""
    return False, dependency.get("skip_reason") or "la versión vulnerable de prueba no trae avisos"


def summarise(report: dict) -> tuple[list[dict], list[dict], list[dict]]:
    """(audited, vulnerable, skipped) dependencies of a pip-audit JSON report; our own
    packages are neither audited nor skipped."""
    audited, vulnerable, skipped = [], [], []
    for dependency in report.get("dependencies") or []:
        if dependency.get("name", "").lower() in OWN:
            continue
        if dependency.get("skip_reason"):
            skipped.append(dependency)
            continue
        audited.append(dependency)
        if dependency.get("vulns"):
            vulnerable.append(dependency)
    return audited, vulnerable, skipped


def main(argv: Optional[list[str]] = None) -> int:
    reasons = []
    for service in SERVICES:
        ok, why = canary_answers(service)
        if not ok:
            reasons.append(f"{service}: {why}")
            continue
        print(f"==> Auditando las dependencias instaladas con pip-audit (servicio {service})", flush=True)
        report, error = _pip_audit(["-s", service, "--skip-editable"])
        if report is None:
            reasons.append(f"{service}: {error}")
            continue
        audited, vulnerable, skipped = summarise(report)
        print(f"    {len(audited)} paquetes auditados, {len(skipped)} sin auditar")
        for dependency in skipped:
            print(f"    sin auditar: {dependency['name']}: {dependency['skip_reason']}")
        if not audited or len(skipped) > len(audited):
            print(f"\n!!  No se pudo verificar: {service} auditó {len(audited)} de "
                  f"{len(audited) + len(skipped)} paquetes.", file=sys.stderr)
            return COULD_NOT_CHECK
        if vulnerable:
            print(f"\n!!  {len(vulnerable)} paquetes con vulnerabilidades conocidas:", file=sys.stderr)
            for dependency in vulnerable:
                for vuln in dependency["vulns"]:
                    fixed = ", ".join(vuln.get("fix_versions") or []) or "sin versión corregida"
                    print(f"    {dependency['name']} {dependency['version']}: {vuln['id']} "
                          f"(corregida en {fixed})", file=sys.stderr)
            return FOUND
        print("==> Sin vulnerabilidades conocidas en los paquetes auditados.")
        return 0
    print("\n!!  No se pudo verificar ninguna dependencia: ningún servicio de vulnerabilidades "
          "respondió desde esta máquina (una versión con vulnerabilidades publicadas, "
          f"{CANARY}, volvió sin avisos). Nada fue auditado; esto NO es un resultado limpio.",
          file=sys.stderr)
    for reason in reasons:
        print(f"    {reason}", file=sys.stderr)
    return COULD_NOT_CHECK


if __name__ == "__main__":
    sys.exit(main())
