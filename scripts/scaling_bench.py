#!/usr/bin/env python
"""Figures of docs/scaling.md, in one run on one machine (loopback only, bounded):

    python scripts/scaling_bench.py --embedder use --concurrency 16 --duration 20

1. builds the index of ``--corpus`` once (into ``--workdir``), starts ``redis-server`` on a
   free loopback port;
2. load runs (``scripts/loadtest.py``, POST /api/ask) against: one process without Redis, one
   process with Redis, ``--workers 2`` with Redis — requests/s, p50/p99, errors;
3. upload → visible: a writer and a reader (``--role reader``) process sharing the index
   folder and Redis; ``--uploads`` small documents are uploaded to the writer one after the
   other and the reader's ``/api/documents`` is polled every 50 ms: seconds until the writer's
   rebuild finished and until the reader lists the document.

Prints a Markdown table (``--json``: one JSON object).  Needs redis-server (Debian package).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ADMIN_KEY = "scaling-bench-admin-key-0001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("server did not become ready")


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
                             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def serve(env: dict[str, str], work: Path, name: str, *args: str) -> Iterator[str]:
    port = free_port()
    with open(work / f"{name}.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "policyqa", "serve", "--port", str(port), *args],
                                cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, proc)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def load(url: str, args: argparse.Namespace) -> dict[str, object]:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "loadtest.py"), "--url", url, "--json",
                          "--concurrency", str(args.concurrency), "--duration", str(args.duration)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def upload_to_visible(writer: str, reader: str, n: int) -> list[dict[str, float]]:
    results = []
    for i in range(n):
        body = (f"关于第{i + 1}批住宅电梯维护保养的通知（测试）\n"
                f"第一条 住宅电梯应当每{i + 2}个月进行一次维护保养，编号 {time.time_ns()}。\n").encode()
        started = time.monotonic()
        r = httpx.post(f"{writer}/api/documents", headers={"X-API-Key": ADMIN_KEY},
                       files={"file": (f"电梯通知{i + 1}.txt", body, "text/plain")}, timeout=60)
        r.raise_for_status()
        doc_id = r.json()["doc_id"]
        built = visible = None
        while time.monotonic() - started < 600 and (built is None or visible is None):
            if built is None and httpx.get(f"{writer}/api/index/status", timeout=10).json().get("state") == "idle":
                built = time.monotonic() - started
            if visible is None and any(d["doc_id"] == doc_id for d in
                                       httpx.get(f"{reader}/api/documents", timeout=10).json()["documents"]):
                visible = time.monotonic() - started
            time.sleep(0.05)
        results.append({"writer_built_s": round(built or -1, 2), "reader_visible_s": round(visible or -1, 2)})
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=str(ROOT / "corpus"))
    p.add_argument("--embedder", default="use")
    p.add_argument("--concurrency", "-c", type=int, default=16)
    p.add_argument("--duration", "-t", type=float, default=20.0)
    p.add_argument("--uploads", type=int, default=3)
    p.add_argument("--workdir", help="keep the work folder here (default: a temp folder, removed)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    work = Path(args.workdir or tempfile.mkdtemp(prefix="policyqa-scaling-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copytree(args.corpus, work / "corpus", dirs_exist_ok=True)
        base = {**os.environ, "POLICYQA_EMBEDDER": args.embedder, "POLICYQA_CORPUS_DIR": str(work / "corpus"),
                "POLICYQA_INDEX_DIR": str(work / "index"), "POLICYQA_DATA_DIR": str(work / "data"),
                "POLICYQA_ADMIN_KEY": ADMIN_KEY, "POLICYQA_RATE_LIMIT_ASK_PER_MINUTE": "0",
                "POLICYQA_RATE_LIMIT_SEARCH_PER_MINUTE": "0", "POLICYQA_RATE_LIMIT_FEEDBACK_PER_MINUTE": "0",
                "HF_HUB_OFFLINE": "1"}
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "policyqa", "index"], cwd=work, env=base, check=True,
                       stdout=subprocess.DEVNULL)
        report: dict[str, object] = {"embedder": args.embedder, "cpus": os.cpu_count(),
                                     "index_build_s": round(time.monotonic() - started, 1), "runs": {}}
        with redis_server(work) as redis_url:
            shared = {**base, "POLICYQA_REDIS_URL": redis_url}
            runs: dict[str, object] = {}
            for name, env, extra in (("1 process, no Redis", base, ()),
                                     ("1 process, Redis", shared, ()),
                                     ("2 workers, Redis", shared, ("--workers", "2"))):
                with serve(env, work, name.replace(" ", "_").replace(",", ""), *extra) as url:
                    runs[name] = load(url, args)
            report["runs"] = runs
            with serve(shared, work, "writer") as writer, serve(shared, work, "reader", "--role", "reader") as reader:
                report["upload_to_visible"] = upload_to_visible(writer, reader, args.uploads)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"embedder {report['embedder']}, {report['cpus']} CPUs, index build {report['index_build_s']} s, "
          f"c={args.concurrency}, {args.duration:g} s per run\n")
    print("| setup | requests/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for name, r in report["runs"].items():  # type: ignore[union-attr]
        print(f"| {name} | {r['requests_per_second']:.1f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['errors']} |")
    visible = [u["reader_visible_s"] for u in report["upload_to_visible"]]  # type: ignore[union-attr]
    built = [u["writer_built_s"] for u in report["upload_to_visible"]]  # type: ignore[union-attr]
    print(f"\nupload → rebuilt on the writer: {', '.join(map(str, built))} s (median {statistics.median(built)})")
    print(f"upload → listed by the reader: {', '.join(map(str, visible))} s (median {statistics.median(visible)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
