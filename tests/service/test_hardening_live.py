"""Issue 11's attacks replayed against a live ``policyqa serve`` (uvicorn, loopback only, bounded);
they print the figures quoted in docs/reliability.md:

    PYTHONPATH=src python -m pytest tests/service/test_hardening_live.py -m load -s -q
"""

from __future__ import annotations

import http.client
import json
import random
import string
import time
from urllib.parse import urlsplit

import pytest
from svc_helpers import ADMIN_KEY, live_policyqa

pytestmark = pytest.mark.load


def connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def request(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def metrics_series(conn) -> tuple[int, int]:
    _, _, body = request(conn, "GET", "/metrics")
    lines = [line for line in body.decode().splitlines() if line.startswith("policyqa_http_")]
    return len(lines), len(body)


def test_invented_methods_do_not_grow_metrics(settings, engine, tmp_path):
    rng = random.Random(3)
    with live_policyqa(settings, tmp_path) as url:
        conn = connect(url)
        for path in ("/api/ask", "/healthz", "/nothing/0"):
            try:
                request(conn, "M0", path)
            except (http.client.HTTPException, OSError):
                conn = connect(url)
        metrics_series(conn)
        before = metrics_series(conn)
        statuses: dict[int, int] = {}
        started = time.perf_counter()
        for i in range(20_000):
            method = "M" + "".join(rng.choices(string.digits + string.ascii_uppercase, k=rng.randint(1, 8)))
            try:
                status, _, _ = request(conn, method, rng.choice(["/api/ask", "/healthz", f"/nothing/{i}"]))
            except (http.client.HTTPException, OSError):  # a server may close the connection on odd methods
                conn, status = connect(url), 0
            statuses[status] = statuses.get(status, 0) + 1
        elapsed = time.perf_counter() - started
        after = metrics_series(conn)
        t0 = time.perf_counter()
        request(conn, "GET", "/healthz")
        health_ms = (time.perf_counter() - t0) * 1000
    print(f"\n20,000 invented methods in {elapsed:.1f} s, statuses {statuses}; metrics series {before[0]} → "
          f"{after[0]}, /metrics {before[1]} → {after[1]} bytes; /healthz after: {health_ms:.1f} ms")
    assert after[0] == before[0]
    assert not [s for s in statuses if s >= 500]


def test_rate_limits_and_admin_guessing(settings, engine, tmp_path):
    with live_policyqa(settings, tmp_path, POLICYQA_ADMIN_KEY=ADMIN_KEY,
                       POLICYQA_RATE_LIMIT_ASK_PER_MINUTE="20", POLICYQA_RATE_LIMIT_FEEDBACK_PER_MINUTE="20",
                       POLICYQA_RATE_LIMIT_SEARCH_PER_MINUTE="60") as url:
        conn = connect(url)
        asks: dict[int, int] = {}
        retry_after = set()
        for i in range(200):  # unique out-of-scope questions: each one a gap-log record if answered
            body = json.dumps({"question": f"今天天气怎么样{i}"}).encode()
            status, headers, _ = request(conn, "POST", "/api/ask", body, {"Content-Type": "application/json"})
            asks[status] = asks.get(status, 0) + 1
            if status == 429:
                retry_after.add(int(headers["retry-after"]))
        guesses: dict[int, int] = {}
        started = time.perf_counter()
        for i in range(10_000):
            status, _, _ = request(conn, "GET", "/api/admin/gaps", headers={"X-API-Key": f"guess-{i:012d}"})
            guesses[status] = guesses.get(status, 0) + 1
        elapsed = time.perf_counter() - started
        status, _, body = request(conn, "GET", "/api/admin/gaps", headers={"X-API-Key": ADMIN_KEY})
        gap_records = None
        if status == 200:
            gap_records = sum(g["count"] for g in json.loads(body)["gaps"])
    print(f"\n/api/ask ×200 from one client: {asks}, Retry-After {sorted(retry_after)[:1]}…{sorted(retry_after)[-1:]} s; "
          f"admin key guesses ×10,000 in {elapsed:.1f} s: {guesses}; right key afterwards: {status}; "
          f"gap records: {gap_records}")
    assert asks.get(200) == 20 and asks.get(429) == 180
    assert guesses.get(403) == 10 and guesses.get(429) == 9_990
    assert status == 429  # the throttle holds even for the right key from the guessing client
