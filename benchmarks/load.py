"""`make bench-load`: the production topology (`openlima-stack prod`) under locust, on this
machine, 127.0.0.1 only, bounded in users and time.

1. starts `make prod`'s stack on its own database (`<OPENLIMA_DB or openlima>_bench`, the
   demo catalogue loaded on the first run) and state folder (.openlima/bench);
2. runs locust headless (benchmarks/locustfile.py) three times:
   * ``read``: the read mix at 50 users, as deployed (nginx micro-cache on);
   * ``read_no_cache``: the same with every CKAN request carrying a cookie, which bypasses
     the micro-cache: what CKAN itself sustains (the static site is nginx either way);
   * ``mixed``: 25 readers + 5 writers (package_patch through the API);
3. profiles one slow endpoint (the search page with facets, rendered by CKAN in-process
   under cProfile) and keeps the functions where its time goes;
4. writes req/s, p50/p95/p99 and errors per endpoint, the machine's load before and after
   each run and the goal check into benchmarks/results/load.json.

Options: --users 50 --time 60 (seconds per run) --writers 5 --skip-profile.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
RESULTS = HERE / "results" / "load.json"
BASELINE_RPS = 11.9  # issue #17: read mix at 50 users, gunicorn 4 sync workers, no cache
GOAL = {"users": 50, "errors": 0, "p95_ms": 1000, "rps": 10 * BASELINE_RPS}


def free_base_port() -> int:
    import socket

    from openlima_stack.services import port_is_free

    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = sock.getsockname()[1]
        if base < 65000 and all(port_is_free(base + i) for i in range(4)):
            return base
    raise RuntimeError("no free ports")


def http_ok(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


def loadavg() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


class Stack:
    def __init__(self, state: Path, log: Path):
        self.base = int(os.environ.get("LOAD_PORT") or free_base_port())
        self.site, self.ckan = (f"http://127.0.0.1:{self.base}",
                                f"http://127.0.0.1:{self.base + 1}")
        database = (os.environ.get("OPENLIMA_DB") or "openlima") + "_bench"
        self.env = dict(os.environ, PORT=str(self.base), OPENLIMA_STATE_DIR=str(state),
                        OPENLIMA_PROD_DB=database, CKAN_SITE_ID="openlima_bench",
                        OPENLIMA_LOAD_DEMO="true", PYTHONUNBUFFERED="1")
        self.env.pop("CKAN_SITE_URL", None)
        self.state, self.log, self.process = state, log, None

    def start(self) -> None:
        handle = open(self.log, "wb")
        self.process = subprocess.Popen([str(BIN / "openlima-stack"), "prod"], env=self.env,
                                        stdout=handle, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        handle.close()
        deadline = time.monotonic() + 1200
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("make prod ended:\n" + self.log.read_text()[-3000:])
            if "En marcha" in self.log.read_text(errors="replace") and http_ok(
                    self.ckan + "/readyz"):
                return
            time.sleep(2)
        raise SystemExit("make prod did not start in time")

    def token(self) -> str:
        ini = self.state / "prod" / "ckan.ini"
        env = dict(self.env, CKAN_SQLALCHEMY_URL=self.database_url())
        result = subprocess.run([str(BIN / "ckan"), "-c", str(ini), "user", "token", "add",
                                 "admin", "bench-load"], env=env, capture_output=True,
                                text=True, check=True)
        return result.stdout.strip().splitlines()[-1].strip()

    def database_url(self) -> str:
        for line in self.log.read_text(errors="replace").splitlines():
            if "postgresql postgresql://" in line:
                from openlima_stack.services import with_database

                return with_database(line.split()[2], self.env["OPENLIMA_PROD_DB"])
        raise RuntimeError("database not found in the log")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def run_locust(name: str, classes: list[str], users: int, seconds: int, env: dict,
               scratch: Path) -> dict:
    prefix = scratch / name
    command = [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
               "--users", str(users), "--spawn-rate", str(max(users // 5, 1)),
               "--run-time", f"{seconds}s", "--stop-timeout", "10", "--csv", str(prefix),
               "--only-summary", "--loglevel", "WARNING", *classes]
    before = loadavg()
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True,
                            timeout=seconds + 180)
    elapsed = time.monotonic() - started
    after = loadavg()
    endpoints = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            endpoints[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 2),
                "p50_ms": float(row["50%"] or 0), "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "mean_ms": round(float(row["Average Response Time"] or 0), 1),
            }
    failures = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with open(failures_csv, newline="") as handle:
            failures = [{"endpoint": row["Name"], "error": row["Error"][:300],
                         "count": int(row["Occurrences"])} for row in csv.DictReader(handle)]
    total = endpoints.pop("Aggregated", {})
    return {"users": users, "seconds": seconds, "classes": classes,
            "wall_seconds": round(elapsed, 1), "total": total, "endpoints": endpoints,
            "failures": failures, "loadavg_before": before, "loadavg_after": after,
            "locust_exit": result.returncode}


PROFILE = r'''
import cProfile, io, os, pstats, runpy, random
app = runpy.run_path("deploy/wsgi.py")["application"]
client = app._wsgi_app.test_client()
words = ["agua", "transporte", "mercados", "parques", "salud", "residuos"]
for w in words:
    client.get("/dataset?q=" + w)
profile = cProfile.Profile()
profile.enable()
for i in range(30):
    response = client.get("/dataset?q=" + words[i % len(words)] + "&res_format=CSV&page=1")
    assert response.status_code == 200
profile.disable()
stream = io.StringIO()
stats = pstats.Stats(profile, stream=stream)
total = stats.total_tt
rows = []
for (file, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():
    rows.append((ct, tt, nc, f"{os.path.relpath(file) if file.startswith('/') else file}:{line}({func})"))
rows.sort(reverse=True)
import json
print("PROFILE " + json.dumps({"requests": 30, "seconds": round(total, 3),
      "ms_per_request": round(total / 30 * 1000, 1),
      "top_cumulative": [{"function": f[:160], "cumulative_s": round(ct, 3), "own_s": round(tt, 3),
                          "calls": nc} for ct, tt, nc, f in rows[:40]],
      "top_own_time": [{"function": f[:160], "own_s": round(tt, 3), "cumulative_s": round(ct, 3),
                        "calls": nc} for ct, tt, nc, f in sorted(rows, key=lambda r: -r[1])[:25]]}))
'''


def profile_search(stack: Stack) -> dict:
    env = dict(stack.env, CKAN_INI=str(stack.state / "prod" / "ckan.ini"),
               CKAN_SQLALCHEMY_URL=stack.database_url())
    result = subprocess.run([sys.executable, "-c", PROFILE], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    for line in result.stdout.splitlines():
        if line.startswith("PROFILE "):
            return json.loads(line[len("PROFILE "):])
    return {"error": result.stderr[-2000:]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument("--time", type=int, default=60, help="seconds per run")
    parser.add_argument("--skip-profile", action="store_true")
    args = parser.parse_args(argv)
    args.users, args.time = min(args.users, 200), min(args.time, 600)  # bounded

    state = ROOT / ".openlima" / "bench"
    state.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="openlima-load-"))
    stack = Stack(state, scratch / "prod.log")
    print(f"==> make prod para la carga (registro en {stack.log})", flush=True)
    stack.start()
    try:
        token = stack.token()
        env = dict(os.environ, LOAD_SITE=stack.site, LOAD_CKAN=stack.ckan)
        runs = {}
        print(f"==> lectura, {args.users} usuarios, {args.time} s (micro-caché activa)", flush=True)
        runs["read"] = run_locust("read", ["Reader"], args.users, args.time, env, scratch)
        print("==> lectura sin caché (cookie en cada petición a CKAN)", flush=True)
        runs["read_no_cache"] = run_locust("read_no_cache", ["Reader"], args.users, args.time,
                                           dict(env, LOAD_NO_CACHE="1"), scratch)
        readers = max(args.writers * 5, 1)
        print(f"==> mixto: {readers} lectores + {args.writers} escritores", flush=True)
        runs["mixed"] = run_locust("mixed", ["Reader", "Writer"], readers + args.writers,
                                   args.time, dict(env, LOAD_TOKEN=token), scratch)
        profile = {} if args.skip_profile else profile_search(stack)
    finally:
        stack.stop()

    read = runs["read"]["total"]
    result = {
        "benchmark": "load",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "make bench-load",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "note": "locust runs on the same machine as the stack (2 cores shared), "
                            "and other engineers' processes ran beside it: see loadavg"},
        "topology": "openlima-stack prod: nginx (micro-cache) + gunicorn (deploy/wsgi.py, "
                    "GUNICORN_WORKERS from deploy/openlima.env.example) + jobs worker + "
                    "scheduler; static site served by nginx",
        "baseline": {"rps": BASELINE_RPS, "p50_ms": 3200, "p95_ms": 4400,
                     "source": "issue #17, read mix at 50 users, no cache"},
        "goal": GOAL,
        "goal_met": {
            "errors": read.get("errors", 1) == 0,
            "p95": read.get("p95_ms", 10**9) <= GOAL["p95_ms"],
            "rps": read.get("rps", 0) >= GOAL["rps"],
        },
        "runs": runs,
        "profile_search_page": profile,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    for name, run in runs.items():
        total = run["total"]
        print(f"{name:14} {total.get('rps', 0):8.1f} req/s  p50 {total.get('p50_ms', 0):6.0f} ms"
              f"  p95 {total.get('p95_ms', 0):6.0f} ms  p99 {total.get('p99_ms', 0):6.0f} ms"
              f"  errores {total.get('errors', 0)}  carga {run['loadavg_before']}"
              f" -> {run['loadavg_after']}")
    print(f"==> {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
