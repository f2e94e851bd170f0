"""A short steady-rate locust run (scripts/locust_load.py) against a live `policyqa serve` (marker ``load``).

The 60 s figure in docs/reliability.md comes from the same script with ``--duration 60``."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from svc_helpers import live_policyqa

pytestmark = pytest.mark.load

ROOT = Path(__file__).resolve().parents[2]


def test_steady_rate_locust_run_has_no_errors(settings, engine, tmp_path):
    if importlib.util.find_spec("locust") is None:  # not imported here: it monkey-patches with gevent
        pytest.skip("locust is not installed (pip install '.[test]')")
    # one client address sends everything: the per-client rate limit (where present) is off
    with live_policyqa(settings, tmp_path, POLICYQA_RATE_LIMIT_ASK_PER_MINUTE="0") as url:
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "locust_load.py"), "--url", url, "--rate", "20",
             "--users", "10", "--duration", "10", "--json"],
            capture_output=True, text=True, timeout=180,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    print(json.dumps(report))
    assert report["tool"] == "locust" and report["requests"] > 0 and report["errors"] == 0, report
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["p99_ms"]


def test_the_load_script_refuses_remote_targets():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "locust_load.py"), "--url", "http://example.com", "--duration", "1"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0 and "only 127.0.0.1" in result.stderr
