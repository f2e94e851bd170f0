#!/usr/bin/env python
"""Bounded load run against a live policyqa server: N concurrent clients POST /api/ask.

    python scripts/loadtest.py --url http://127.0.0.1:8000 --concurrency 16 --duration 20
    python scripts/loadtest.py --requests 2000 --json

Each client loops over a rotating set of citizen questions (answered and refused ones) until
the duration has passed or the total request budget is used up.  Prints requests/s, latency
percentiles (p50/p95/p99, nearest-rank) and the error count; ``--json`` prints one JSON object.
Run a few warm-up requests first (``--warmup``) so first-call costs do not skew the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field

import httpx

QUESTIONS = [
    "刚来城里工作租不起房怎么办",
    "公积金异地能办吗",
    "小区物业不规范谁来管",
    "老旧小区改造今年有什么安排",
    "冬天家里暖气不热怎么办",
    "保障性租赁住房筹集多少套",
    "农村危房改造有什么政策",
    "装配式建筑怎么推广",
    "城市燃气安全怎么管",
    "怎么办理护照",
    "建筑工人工资拖欠怎么办",
    "海绵城市建设",
]


@dataclass
class Result:
    url: str
    concurrency: int
    requests: int = 0
    errors: int = 0
    refused: int = 0
    seconds: float = 0.0
    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    mean_ms: float = 0.0
    max_ms: float = 0.0
    status_counts: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def run(url: str, concurrency: int, duration: float, total: int, timeout: float, warmup: int,
              path: str = "/api/ask") -> Result:
    result = Result(url=url, concurrency=concurrency)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        for i in range(warmup):
            await client.post(path, json={"question": QUESTIONS[i % len(QUESTIONS)]})
        issued = 0
        deadline = time.perf_counter() + duration if duration > 0 else math.inf

        def take() -> int | None:
            nonlocal issued
            if (total and issued >= total) or time.perf_counter() >= deadline:
                return None
            issued += 1
            return issued

        async def client_loop(worker: int) -> None:
            while (n := take()) is not None:
                question = QUESTIONS[(n + worker) % len(QUESTIONS)]
                start = time.perf_counter()
                try:
                    response = await client.post(path, json={"question": question})
                    elapsed = time.perf_counter() - start
                    key = str(response.status_code)
                    result.status_counts[key] = result.status_counts.get(key, 0) + 1
                    if response.status_code != 200:
                        result.errors += 1
                        if len(result.error_samples) < 5:
                            result.error_samples.append(f"{response.status_code}: {response.text[:200]}")
                        continue
                    if response.json().get("refused"):
                        result.refused += 1
                    latencies.append(elapsed)
                except (httpx.HTTPError, ValueError) as exc:
                    result.errors += 1
                    result.status_counts["exception"] = result.status_counts.get("exception", 0) + 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"{type(exc).__name__}: {exc}")

        started = time.perf_counter()
        await asyncio.gather(*(client_loop(w) for w in range(concurrency)))
        result.seconds = time.perf_counter() - started

    latencies.sort()
    result.requests = len(latencies) + result.errors
    result.requests_per_second = len(latencies) / result.seconds if result.seconds else 0.0
    result.p50_ms = percentile(latencies, 50) * 1000
    result.p95_ms = percentile(latencies, 95) * 1000
    result.p99_ms = percentile(latencies, 99) * 1000
    result.mean_ms = (sum(latencies) / len(latencies) * 1000) if latencies else 0.0
    result.max_ms = (latencies[-1] * 1000) if latencies else 0.0
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bounded load run against POST /api/ask of a live server.")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="server base URL")
    parser.add_argument("--concurrency", "-c", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--duration", "-t", type=float, default=20.0, help="seconds to run (0 = no time limit)")
    parser.add_argument("--requests", "-n", type=int, default=0, help="total requests (0 = no count limit)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    parser.add_argument("--warmup", type=int, default=4, help="sequential warm-up requests (not counted)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.duration <= 0 and args.requests <= 0:
        parser.error("give --duration and/or --requests: the run must be bounded")
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")

    result = asyncio.run(run(args.url.rstrip("/"), args.concurrency, args.duration, args.requests, args.timeout,
                             args.warmup))
    if args.json:
        print(json.dumps(asdict(result), ensure_ascii=False, indent=2))
    else:
        print(f"POST {result.url}/api/ask  concurrency={result.concurrency}  {result.seconds:.1f}s")
        print(f"requests: {result.requests}  errors: {result.errors}  refused answers: {result.refused}")
        print(f"throughput: {result.requests_per_second:.1f} requests/s")
        print(f"latency ms: p50 {result.p50_ms:.1f}  p95 {result.p95_ms:.1f}  p99 {result.p99_ms:.1f}  "
              f"mean {result.mean_ms:.1f}  max {result.max_ms:.1f}")
        for sample in result.error_samples:
            print(f"  error: {sample}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
