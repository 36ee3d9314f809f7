"""Lima Honesta under a code-guessing attack (#12): CKAN under gunicorn with 4 sync
workers, production Argon2id cost, and in one run

1. without attack: the portal's home page (``/``) and a right-code check
   (``POST /denuncias/seguimiento``) measured one after another;
2. with ``--attackers`` (20) concurrent clients sending wrong codes as fast as they can,
   each from its own loopback address (127.0.1.N, so each is a different client to the
   per-client limit; the legitimate client is 127.0.0.1): the same two measurements.

Reported: p50/p95 of each, the ratios attack/no-attack (the goal: close to 1 — a
guesser must not take the workers, and others' failures must not delay a right code),
what the attackers got (429 refusals, 400 wrong-code answers, 503), and the peak memory
of the gunicorn workers. Every request is distinct (fresh connection; the right code is
checked through the full page, Argon2id twice), CKAN's page cache is off (test.ini).

Run by ``make bench`` (benchmarks/run.py) on a scratch database, or alone:

    CKAN_SQLALCHEMY_URL=... CKAN_REDIS_URL=... \\
    python benchmarks/limahonesta_attack_bench.py [--attackers 20] [--samples 30]
        [--checks 10] [--warmup 10]

Writes benchmarks/results/limahonesta_attack.json.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LEGITIMATE = "127.0.0.1"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50_s": round(statistics.median(values), 3),
            "p95_s": round(percentile(values, 0.95), 3), "max_s": round(max(values), 3)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Client:
    """One browser: its own source address and cookie jar; one connection per request."""

    def __init__(self, port: int, source: str):
        self.port, self.source, self.cookies = port, source, {}

    def request(self, method: str, path: str, form: dict | None = None,
                timeout: float = 600) -> tuple[int, str, float]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                                source_address=(self.source, 0))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            elapsed = time.perf_counter() - started
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, text, elapsed
        finally:
            connection.close()

    def csrf(self, path: str = "/denuncias/seguimiento") -> str:
        _status, text, _t = self.request("GET", path)
        return re.search(r'name="_csrf_token" value="([^"]+)"', text).group(1)

    def check_code(self, code: str) -> tuple[int, float]:
        token = self.csrf()
        status, _text, elapsed = self.request("POST", "/denuncias/seguimiento",
                                              {"_csrf_token": token, "codigo": code})
        return status, elapsed


def workers_rss_mib(master: int) -> float:
    """Resident memory of gunicorn's workers (children of the master), in MiB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", status, re.M):
            rss = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            total += int(rss.group(1)) if rss else 0
    return round(total / 1024, 1)


def prepare(ini: Path, reports: int) -> list[str]:
    """Migrate the scratch database and file ``reports`` reports; their tracking codes."""
    ckan = str(Path(sys.executable).with_name("ckan"))
    for args in (["db", "upgrade"], ["db", "upgrade", "-p", "limahonesta"]):
        subprocess.run([ckan, "-c", str(ini), *args], check=True, capture_output=True)
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    import ckan.plugins.toolkit as tk

    app = make_app(load_config(str(ini)))
    from ckanext.limahonesta import pow as proof_of_work
    codes = []
    with app._wsgi_app.test_request_context():
        for _ in range(reports):
            challenge = proof_of_work.issue()
            counter = proof_of_work.solve(challenge["challenge"], challenge["difficulty"])
            codes.append(tk.get_action("limahonesta_report_create")({"ignore_auth": True}, {
                "descripcion": "Denuncia de prueba del benchmark de ataque, texto suficiente.",
                "oficina": "Gerencia de prueba", "buena_fe": True,
                "pow_challenge": challenge["challenge"], "pow_counter": counter,
            })["tracking_code"])
    return codes


def measure(port: int, code: str, samples: int, checks: int) -> dict:
    home = Client(port, LEGITIMATE)
    home_times = [home.request("GET", "/")[2] for _ in range(samples)]
    reporter = Client(port, LEGITIMATE)
    check_times, statuses = [], []
    for _ in range(checks):
        status, elapsed = reporter.check_code(code)
        statuses.append(status)
        check_times.append(elapsed)
    return {"home_page": summary(home_times), "right_code_check": summary(check_times),
            "right_code_statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))}}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ini", default=str(REPO / "config" / "test.ini"))
    parser.add_argument("--attackers", type=int, default=20)
    parser.add_argument("--samples", type=int, default=30, help="home page requests per phase")
    parser.add_argument("--checks", type=int, default=10, help="right-code checks per phase")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds of attack before measuring")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)

    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="lh-attack-"))
    (scratch / "evidencias").mkdir(mode=0o700)
    ini = scratch / "bench.ini"
    ini.write_text(
        "[app:main]\n"
        f"use = config:{Path(args.ini).resolve()}\n"
        f"ckanext.limahonesta.pepper = {secrets.token_urlsafe(48)}\n"
        f"ckanext.limahonesta.storage_path = {scratch / 'evidencias'}\n"
        f"ckan.site_url = http://127.0.0.1:{port}\n")
    print("==> preparing the scratch database and three reports", flush=True)
    code = prepare(ini, 3)[0]

    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "--chdir", str(REPO / "deploy"), "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--worker-class", "sync", "--timeout", "600",
         "wsgi:application"],
        env=dict(os.environ, CKAN_INI=str(ini)), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if Client(port, LEGITIMATE).request("GET", "/denuncias/", timeout=30)[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.5)
        Client(port, LEGITIMATE).check_code(code)  # every worker warm: a few requests
        for _ in range(args.workers * 2):
            Client(port, LEGITIMATE).request("GET", "/")

        print("==> without attack", flush=True)
        rss_before = workers_rss_mib(server.pid)
        quiet = measure(port, code, args.samples, args.checks)

        print(f"==> with {args.attackers} concurrent wrong-code clients", flush=True)
        stop = threading.Event()
        outcome: dict[int, int] = {}
        lock = threading.Lock()
        peak_rss = [rss_before]

        def attacker(index: int) -> None:
            client = Client(port, f"127.0.1.{index + 1}")
            token = client.csrf()
            while not stop.is_set():
                wrong = "".join(secrets.choice("0123456789") for _ in range(28))
                try:
                    status, _text, _t = client.request(
                        "POST", "/denuncias/seguimiento", {"_csrf_token": token, "codigo": wrong})
                except OSError:
                    status = 0
                with lock:
                    outcome[status] = outcome.get(status, 0) + 1

        def watch_memory() -> None:
            while not stop.is_set():
                peak_rss[0] = max(peak_rss[0], workers_rss_mib(server.pid))
                stop.wait(0.2)

        threads = [threading.Thread(target=attacker, args=(i,), daemon=True)
                   for i in range(args.attackers)]
        threads.append(threading.Thread(target=watch_memory, daemon=True))
        for thread in threads:
            thread.start()
        time.sleep(args.warmup)  # the attack runs a while before we measure
        attack_started = time.perf_counter()
        attacked = measure(port, code, args.samples, args.checks)
        attack_seconds = time.perf_counter() - attack_started + args.warmup
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=120)

    def ratio(key: str) -> float:
        return round(attacked[key]["p95_s"] / quiet[key]["p95_s"], 2)

    attempts = sum(outcome.values())
    results = {
        "setup": {"server": f"gunicorn, {args.workers} sync workers", "attackers": args.attackers,
                  "attacker_addresses": f"127.0.1.1-127.0.1.{args.attackers}",
                  "legitimate_address": LEGITIMATE, "argon2id": "production defaults "
                  "(ckanext.limahonesta.kdf_opslimit / kdf_memlimit_mib)",
                  "warmup_seconds": args.warmup},
        "without_attack": quiet,
        "with_attack": attacked,
        "ratio_p95_attack_to_quiet": {"home_page": ratio("home_page"),
                                      "right_code_check": ratio("right_code_check")},
        "attackers_got": {"requests": attempts,
                          "per_second": round(attempts / attack_seconds, 1),
                          "by_status": {str(k): v for k, v in sorted(outcome.items())}},
        "workers_rss_mib": {"before_attack": rss_before, "peak_during_attack": peak_rss[0]},
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
    }
    out = HERE / "results" / "limahonesta_attack.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
