"""Lima Honesta benchmark: submissions/s, tracking-code check latency at the configured
Argon2id cost, and the offline guessing cost that cost implies.

Run with CKAN_SQLALCHEMY_URL / CKAN_REDIS_URL pointing at a scratch database (as
benchmarks/run.py does); it migrates CKAN core and Lima Honesta there, generates a
throw-away pepper, and writes benchmarks/results/limahonesta.json.

    python benchmarks/limahonesta_bench.py [--ini config/test.ini] [--submissions 20]
        [--opslimit N --memlimit-mib M]   # defaults: the values declared for production
"""
from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def migrate(ini: str) -> None:
    ckan = str(Path(sys.executable).with_name("ckan"))
    for args in (["db", "upgrade"], ["db", "upgrade", "-p", "limahonesta"]):
        subprocess.run([ckan, "-c", ini, *args], check=True, capture_output=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ini", default=str(REPO / "config" / "test.ini"))
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--checks", type=int, default=10)
    parser.add_argument("--opslimit", type=int)
    parser.add_argument("--memlimit-mib", type=int)
    args = parser.parse_args(argv)

    migrate(args.ini)
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    import ckan.plugins.toolkit as tk

    config = load_config(args.ini)
    app = make_app(config)
    flask_app = app._wsgi_app
    tk.config["ckanext.limahonesta.pepper"] = secrets.token_urlsafe(48)
    tk.config["ckanext.limahonesta.submissions_per_hour"] = 10**9
    if args.opslimit:
        tk.config["ckanext.limahonesta.kdf_opslimit"] = args.opslimit
    if args.memlimit_mib:
        tk.config["ckanext.limahonesta.kdf_memlimit_mib"] = args.memlimit_mib

    from ckanext.limahonesta import cases, crypto, pow as proof_of_work

    params = crypto.current_kdf_params()
    _name, ops, mem_mib = params.split("$")
    report = {"descripcion": "Denuncia de prueba del benchmark con texto suficiente.",
              "oficina": "Gerencia de prueba", "buena_fe": True}
    submit_times, pow_times, codes = [], [], []
    with flask_app.test_request_context():
        for _ in range(args.submissions):
            challenge = proof_of_work.issue()
            started = time.perf_counter()
            counter = proof_of_work.solve(challenge["challenge"], challenge["difficulty"])
            pow_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = tk.get_action("limahonesta_report_create")(
                {"ignore_auth": True}, dict(report, pow_challenge=challenge["challenge"],
                                            pow_counter=counter))
            submit_times.append(time.perf_counter() - started)
            codes.append(result["tracking_code"])
        right, wrong = [], []
        for i in range(args.checks):
            started = time.perf_counter()
            assert cases.open_by_code(codes[i % len(codes)], None) is not None
            right.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert cases.open_by_code(crypto.generate_tracking_code(), None) is None
            wrong.append(time.perf_counter() - started)
            from ckanext.limahonesta import throttle
            throttle.reset()  # measure the KDF, not the anti-guessing delay
        started = time.perf_counter()
        for _ in range(5):
            crypto._argon2id(b"0" * 28, crypto.new_salt(), params)
        one_kdf = (time.perf_counter() - started) / 5

    # Offline guessing with the database AND the pepper (without the pepper no guess can
    # be verified at all): one Argon2id per guess, half the code space on average.
    code_space = 10 ** crypto.TRACKING_CODE_DIGITS
    core_years = code_space / 2 * one_kdf / (3600 * 24 * 365)
    globaleaks_core_years = 10**16 / 2 * one_kdf / (3600 * 24 * 365)
    results = {
        "kdf": {"algorithm": "argon2id", "opslimit": int(ops), "memlimit_mib": int(mem_mib),
                "seconds_per_hash": round(one_kdf, 4)},
        "submissions": {"count": len(submit_times),
                        "server_seconds_median": round(statistics.median(submit_times), 4),
                        "server_submissions_per_second_one_core": round(
                            1 / statistics.median(submit_times), 2),
                        "client_pow_seconds_median_python": round(statistics.median(pow_times), 4),
                        "pow_difficulty_bits": tk.config.get("ckanext.limahonesta.pow_difficulty")},
        "code_check": {"right_code_seconds_median": round(statistics.median(right), 4),
                       "wrong_code_seconds_median": round(statistics.median(wrong), 4),
                       "right_code_seconds_p90": round(percentile(right, 0.9), 4),
                       "wrong_code_seconds_p90": round(percentile(wrong, 0.9), 4)},
        "offline_guessing": {
            "code_bits": round(math.log2(code_space), 1),
            "needs_pepper": True,
            "expected_core_years_with_pepper": f"{core_years:.3e}",
            "memory_per_guess_mib": int(mem_mib),
            "same_cost_for_16_digit_globaleaks_receipt_core_years": f"{globaleaks_core_years:.3e}",
        },
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
    }
    out = HERE / "results" / "limahonesta.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
