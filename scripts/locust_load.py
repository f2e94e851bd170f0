#!/usr/bin/env python
"""Steady-rate load run with locust (headless) against a local policyqa server.

    python scripts/locust_load.py --url http://127.0.0.1:8000 --rate 50 --duration 60
    python scripts/locust_load.py --url http://127.0.0.1:8000 --rate 20 --duration 10 --json

``--users`` simulated citizens each ask at ``rate / users`` requests per second (an open-ish
workload at a fixed target rate, unlike the closed loop of scripts/loadtest.py), all started at
once, for ``--duration`` seconds; see scripts/locustfile.py.  Reports the achieved requests/s,
p50/p95/p99 latency (locust's percentiles, rounded to 2 significant digits), and the errors.
Only loopback URLs are accepted: this is a test tool, not an attack tool.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def run(url: str, rate: float, users: int, duration: int) -> dict[str, object]:
    if urlsplit(url).hostname not in LOOPBACK:
        raise SystemExit(f"refusing to load {url}: only 127.0.0.1/localhost targets are allowed")
    with tempfile.TemporaryDirectory(prefix="policyqa-locust-") as tmp:
        prefix = str(Path(tmp) / "run")
        cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
               "--host", url, "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{duration}s",
               "--stop-timeout", "10", "--csv", prefix, "--only-summary", "--loglevel", "WARNING",
               "--exit-code-on-error", "0"]
        env = {**os.environ, "POLICYQA_LOAD_USER_RATE": str(rate / users)}
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 120)
        if done.returncode != 0:
            raise SystemExit(f"locust failed ({done.returncode}):\n{done.stderr[-3000:]}")
        rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
        failures = list(csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return {
        "url": url,
        "tool": "locust",
        "target_rate": rate,
        "users": users,
        "seconds": duration,
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "requests_per_second": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "max_ms": round(float(total["Max Response Time"]), 1),
        "error_samples": [f"{f['Occurrences']}x {f['Error']}" for f in failures][:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--rate", type=float, default=50.0, help="target requests per second, all users together")
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.url, args.rate, args.users, args.duration)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"locust, {result['users']} users at {result['target_rate']} req/s for {result['seconds']} s "
          f"against {result['url']}/api/ask")
    print(f"requests {result['requests']}  errors {result['errors']}  {result['requests_per_second']} req/s  "
          f"p50 {result['p50_ms']:.0f} ms  p95 {result['p95_ms']:.0f} ms  p99 {result['p99_ms']:.0f} ms  "
          f"max {result['max_ms']:.0f} ms")
    for sample in result["error_samples"]:  # type: ignore[union-attr]
        print("  error:", sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
