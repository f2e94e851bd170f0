"""A short bounded load run (scripts/loadtest.py) against a live `policyqa serve` (marker ``load``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from svc_helpers import live_policyqa

pytestmark = pytest.mark.load

ROOT = Path(__file__).resolve().parents[2]


def test_bounded_load_run_has_no_errors(settings, engine, tmp_path):
    with live_policyqa(settings, tmp_path) as url:
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "loadtest.py"), "--url", url, "--concurrency", "16",
             "--requests", "320", "--duration", "60", "--json"],
            capture_output=True, text=True, timeout=180,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["requests"] == 320 and report["errors"] == 0
    assert report["requests_per_second"] > 1
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["p99_ms"]
