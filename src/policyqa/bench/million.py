"""1M chunks: what fits — BM25 on a million token lists and FAISS Flat/HNSW on a million vectors."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from .stats import Log, dir_mb, pct
from .vector_search import random_unit


def million(token_lists: list[list[str]], dim: int, log: Log, n: int = 1_000_000) -> dict[str, Any]:
    """BM25 on ``n`` token lists (the measured corpus' lists repeated) and FAISS Flat on ``n`` random vectors."""
    import psutil

    from ..index.sparse import SparseIndex

    proc = psutil.Process()
    out: dict[str, Any] = {}
    reps = -(-n // max(len(token_lists), 1))
    lists = (token_lists * reps)[:n]
    rss0 = proc.memory_info().rss
    t0 = time.perf_counter()
    sparse = SparseIndex.build(lists)
    out["bm25_build_s (measured)"] = round(time.perf_counter() - t0, 1)
    out["bm25_rss_delta_mb (measured, incl. token lists)"] = round((proc.memory_info().rss - rss0) / 2**20)
    vocab = list(sparse._vocab)
    rng = random.Random(0)
    lat = []
    for _ in range(50):
        toks = rng.sample(vocab, 12)
        t1 = time.perf_counter()
        sparse.scores(toks)
        lat.append((time.perf_counter() - t1) * 1000)
    out["bm25_query_ms p50/p99 (measured, 12 tokens)"] = f"{pct(lat, 0.5):.1f} / {pct(lat, 0.99):.1f}"
    with tempfile.TemporaryDirectory() as tmp:
        sparse.save(Path(tmp) / "bm25")
        out["bm25_disk_mb (measured)"] = dir_mb(Path(tmp))
    del sparse, lists
    log(f"1M bm25: {out}")
    import faiss

    data = random_unit(n, dim)
    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(dim)
    flat.add(data)
    out[f"faiss_flat_{dim}d_build_s (measured, random vectors)"] = round(time.perf_counter() - t0, 2)
    qs = random_unit(50, dim, seed=7)
    lat = []
    for q in qs:
        t1 = time.perf_counter()
        flat.search(q.reshape(1, -1), 100)
        lat.append((time.perf_counter() - t1) * 1000)
    out["faiss_flat_search_ms p50/p99 (measured, k=100, default threads)"] = f"{pct(lat, 0.5):.1f} / {pct(lat, 0.99):.1f}"
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    lat = []
    for q in qs:
        t1 = time.perf_counter()
        flat.search(q.reshape(1, -1), 100)
        lat.append((time.perf_counter() - t1) * 1000)
    faiss.omp_set_num_threads(threads)
    out["faiss_flat_search_ms p50/p99 (measured, k=100, 1 thread)"] = f"{pct(lat, 0.5):.1f} / {pct(lat, 0.99):.1f}"
    out["faiss_flat_mb"] = round(n * dim * 4 / 2**20)
    del flat
    sub = min(n, 200_000)
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.add(data[:sub])
    b = time.perf_counter() - t0
    out[f"faiss_hnsw_build_s at {sub} (measured)"] = round(b, 1)
    out["faiss_hnsw_build_s at 1M (extrapolated, n log n)"] = round(b * (n / sub) * (np.log(n) / np.log(sub)))
    hnsw.hnsw.efSearch = 128
    lat = []
    for q in qs:
        t1 = time.perf_counter()
        hnsw.search(q.reshape(1, -1), 100)
        lat.append((time.perf_counter() - t1) * 1000)
    out[f"faiss_hnsw_search_ms p50/p99 at {sub} (measured, efSearch 128, k=100)"] = f"{pct(lat, 0.5):.2f} / {pct(lat, 0.99):.2f}"
    log(f"1M faiss: {out}")
    return out
