"""Lima Honesta under a code-guessing attack (#12): CKAN under gunicorn with 4 sync
workers, production Argon2id cost, and in one run

1. without attack: the portal's home page (``/``) and a right-code check
   (``POST /denuncias/seguimiento``) measured one after another;
2. with ``--attackers`` (20) concurrent clients sending wrong codes as fast as they can,
   each from its own loopback address (127.0.1.N, so each is a different client to the
   per-client limit; the legitimate clients are others): the same two measurements;

The guessers run in a process of their own at the lowest CPU priority (``attack``), as
clients on other machines would. Measured both against gunicorn alone (CKAN's own per-client limits, which count each worker's
failures apart) and against Debian's nginx with ``deploy/nginx.conf`` in front of it, as
production runs (its ``limit_req`` refuses a guesser's excess before a worker sees it).

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
import multiprocessing
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


def measure(port: int, code: str, samples: int, checks: int, phase: int) -> dict:
    """The home page ``samples`` times (distinct URLs: no cache answers) and ``checks``
    right-code checks, each from its own reporter address (a reporter checks once)."""
    home = Client(port, LEGITIMATE)
    home_times = [home.request("GET", f"/?m={phase}-{n}")[2] for n in range(samples)]
    check_times, statuses = [], []
    for n in range(checks):
        status, elapsed = Client(port, f"127.0.{2 + phase}.{n + 1}").check_code(code)
        statuses.append(status)
        check_times.append(elapsed)
    return {"home_page": summary(home_times), "right_code_check": summary(check_times),
            "right_code_statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))}}


def wait_until_up(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 600
    while True:
        try:
            if Client(port, LEGITIMATE).request("GET", "/denuncias/", timeout=30)[0] == 200:
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.5)


def start_gunicorn(ini: Path, port: int, workers: int) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return subprocess.Popen(
        [gunicorn, "--chdir", str(REPO / "deploy"), "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync", "--timeout", "600",
         "wsgi:application"],
        env=dict(os.environ, CKAN_INI=str(ini)), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)


def start_nginx(app_port: int, scratch: Path) -> tuple[subprocess.Popen, int]:
    """Debian's nginx with deploy/nginx.conf in front of gunicorn, as `make prod` runs it."""
    sys.path.insert(0, str(REPO / "stack"))
    from openlima_stack import prod

    state = Path(tempfile.mkdtemp(prefix="lh-attack-nginx-"))
    state.chmod(0o755)  # nginx's workers (www-data when root) must reach it
    ports = prod.Ports(site=free_port(), ckan=free_port(), app=app_port)
    env = prod.production_environment(
        postgres_url="postgresql://postgres@127.0.0.1:5432/postgres",
        redis_url="redis://127.0.0.1:6379/5", ports=ports, state=state,
        environ={"PATH": os.environ.get("PATH", "")})
    conf = prod.render_nginx(env, state / "nginx")
    process = subprocess.Popen(
        [prod.NGINX_BINARY, "-p", str(state / "nginx"), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return process, ports.ckan


def attack(front_port: int, count: int, stop, results) -> None:
    """The guessers, in a process of their own at the lowest CPU priority: a real attacker's
    clients run on other machines, so here they must neither share the measuring client's
    interpreter lock nor take the CPU before the server does."""
    os.nice(19)
    outcome: dict[int, int] = {}
    lock = threading.Lock()

    def attacker(index: int) -> None:
        client = Client(front_port, f"127.0.1.{index + 1}")
        token = None
        while not stop.is_set():
            wrong = "".join(secrets.choice("0123456789") for _ in range(28))
            try:
                token = token or client.csrf()
                status, _text, _t = client.request(
                    "POST", "/denuncias/seguimiento", {"_csrf_token": token, "codigo": wrong})
            except (OSError, AttributeError):  # AttributeError: a 429 page has no form
                status = 0
            with lock:
                outcome[status] = outcome.get(status, 0) + 1

    threads = [threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(outcome)


def run_topology(front_port: int, master: subprocess.Popen, code: str, args: argparse.Namespace,
                 phase: int) -> dict:
    """Quiet, then under attack, against whatever answers on ``front_port``."""
    Client(front_port, LEGITIMATE).check_code(code)  # every worker warm: a few requests
    for n in range(args.workers * 2):
        Client(front_port, LEGITIMATE).request("GET", f"/?warm={phase}-{n}")

    print("==> without attack", flush=True)
    rss_before = workers_rss_mib(master.pid)
    quiet = measure(front_port, code, args.samples, args.checks, 2 * phase)

    print(f"==> with {args.attackers} concurrent wrong-code clients", flush=True)
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    results = context.Queue()
    attackers = context.Process(target=attack, args=(front_port, args.attackers, stop, results))
    peak_rss = [rss_before]
    watching = threading.Event()

    def watch_memory() -> None:
        while not watching.is_set():
            peak_rss[0] = max(peak_rss[0], workers_rss_mib(master.pid))
            watching.wait(0.2)

    watcher = threading.Thread(target=watch_memory, daemon=True)
    attackers.start()
    watcher.start()
    time.sleep(args.warmup)  # the attack runs a while before we measure
    attack_started = time.perf_counter()
    attacked = measure(front_port, code, args.samples, args.checks, 2 * phase + 1)
    attack_seconds = time.perf_counter() - attack_started + args.warmup
    stop.set()
    outcome = results.get(timeout=300)
    attackers.join(timeout=120)
    watching.set()
    watcher.join(timeout=10)

    def ratio(key: str) -> float:
        return round(attacked[key]["p95_s"] / quiet[key]["p95_s"], 2)

    attempts = sum(outcome.values())
    return {
        "without_attack": quiet,
        "with_attack": attacked,
        "ratio_p95_attack_to_quiet": {"home_page": ratio("home_page"),
                                      "right_code_check": ratio("right_code_check")},
        "attackers_got": {"requests": attempts,
                          "per_second": round(attempts / attack_seconds, 1),
                          "by_status": {str(k): v for k, v in sorted(outcome.items())}},
        "workers_rss_mib": {"before_attack": rss_before, "peak_during_attack": peak_rss[0]},
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


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

    scratch = Path(tempfile.mkdtemp(prefix="lh-attack-"))
    (scratch / "evidencias").mkdir(mode=0o700)
    ini = scratch / "bench.ini"
    port = free_port()
    ini.write_text(
        "[app:main]\n"
        f"use = config:{Path(args.ini).resolve()}\n"
        f"ckanext.limahonesta.pepper = {secrets.token_urlsafe(48)}\n"
        f"ckanext.limahonesta.storage_path = {scratch / 'evidencias'}\n"
        f"ckan.site_url = http://127.0.0.1:{port}\n")
    # behind nginx, CKAN sees only the proxy: the per-client limits are nginx's
    # (config/production.ini does the same)
    proxied_ini = scratch / "behind-nginx.ini"
    proxied_ini.write_text("[app:main]\n"
                           f"use = config:{ini}\n"
                           "ckanext.limahonesta.client_limits_at_proxy = true\n")
    print("==> preparing the scratch database and three reports", flush=True)
    code = prepare(ini, 3)[0]
    load_at_start = [round(x, 2) for x in os.getloadavg()]

    topologies = {}
    print("==> gunicorn alone (the per-client limits in CKAN)", flush=True)
    server = start_gunicorn(ini, port, args.workers)
    try:
        wait_until_up(port, server, "gunicorn")
        topologies["gunicorn"] = run_topology(port, server, code, args, 0)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=120)

    print("==> nginx (deploy/nginx.conf) in front of gunicorn, as in production", flush=True)
    server = start_gunicorn(proxied_ini, port, args.workers)
    nginx = None
    try:
        wait_until_up(port, server, "gunicorn")
        nginx, front = start_nginx(port, scratch)
        wait_until_up(front, nginx, "nginx")
        topologies["nginx"] = run_topology(front, server, code, args, 1)
    finally:
        if nginx is not None:
            os.killpg(nginx.pid, signal.SIGTERM)
            nginx.wait(timeout=60)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=120)

    results = {
        "setup": {"server": f"gunicorn, {args.workers} sync workers; then nginx "
                  "(deploy/nginx.conf, its limit_req for Lima Honesta) in front of it",
                  "attackers": args.attackers,
                  "attacker_addresses": f"127.0.1.1-127.0.1.{args.attackers}",
                  "legitimate_addresses": "127.0.0.1 (home page), one 127.0.N.M per right-code check",
                  "home_page": "GET /?m=<n>: a distinct URL each time, so no cache answers",
                  "argon2id": "production defaults "
                  "(ckanext.limahonesta.kdf_opslimit / kdf_memlimit_mib)",
                  "warmup_seconds": args.warmup},
        **topologies,
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": load_at_start},
        "measured_at": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
        "command": "python benchmarks/limahonesta_attack_bench.py (make bench)",
    }
    out = HERE / "results" / "limahonesta_attack.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
