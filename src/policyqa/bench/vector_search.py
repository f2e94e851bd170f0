"""FAISS exact vs approximate: Flat vs HNSW search latency and recall@10, on the engine's own
vectors, a real embedder's cached vectors or random unit vectors."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .stats import Log, pct


def faiss_compare(data: np.ndarray, queries: np.ndarray, label: str, log: Log,
                  ef_search: Sequence[int] = (64, 128, 256)) -> list[dict[str, Any]]:
    """Flat vs HNSW (M=32, efConstruction 80 as in ``DenseIndex``) search latency for single
    queries with FAISS' default OpenMP threads and with one thread, and HNSW recall@10."""
    import faiss

    data = np.ascontiguousarray(data, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    n, dim = data.shape
    rows = []

    def timing(index) -> tuple[list[float], np.ndarray]:
        lat, ids = [], []
        for q in queries:
            t0 = time.perf_counter()
            _, i = index.search(q.reshape(1, -1), 10)
            lat.append((time.perf_counter() - t0) * 1000)
            ids.append(i[0])
        return lat, np.array(ids)

    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(dim)
    flat.add(data)
    build = time.perf_counter() - t0
    default_threads = faiss.omp_get_max_threads()
    lat, truth = timing(flat)
    rows.append({"n": n, "data": label, "index": f"Flat (exact), {default_threads} threads", "build_s": round(build, 2),
                 "p50_ms": round(pct(lat, 0.5), 3), "p99_ms": round(pct(lat, 0.99), 3), "recall@10": 1.0,
                 "mb": round(n * dim * 4 / 2**20, 1)})
    faiss.omp_set_num_threads(1)
    try:
        lat, _ = timing(flat)
    finally:
        faiss.omp_set_num_threads(default_threads)
    rows.append({"n": n, "data": label, "index": "Flat (exact), 1 thread", "build_s": round(build, 2),
                 "p50_ms": round(pct(lat, 0.5), 3), "p99_ms": round(pct(lat, 0.99), 3), "recall@10": 1.0,
                 "mb": round(n * dim * 4 / 2**20, 1)})
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.add(data)
    build = time.perf_counter() - t0
    for ef in ef_search:
        hnsw.hnsw.efSearch = ef
        lat, ids = timing(hnsw)
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, truth)]))
        rows.append({"n": n, "data": label, "index": f"HNSW32 efC80 efSearch{ef}", "build_s": round(build, 2),
                     "p50_ms": round(pct(lat, 0.5), 3), "p99_ms": round(pct(lat, 0.99), 3),
                     "recall@10": round(recall, 4), "mb": round((n * dim * 4 + n * 32 * 2 * 4) / 2**20, 1)})
    faiss.omp_set_num_threads(1)
    try:
        hnsw.hnsw.efSearch = 128
        lat, _ = timing(hnsw)
    finally:
        faiss.omp_set_num_threads(default_threads)
    rows.append({"n": n, "data": label, "index": "HNSW32 efSearch128, 1 thread", "build_s": round(build, 2),
                 "p50_ms": round(pct(lat, 0.5), 3), "p99_ms": round(pct(lat, 0.99), 3),
                 "recall@10": rows[-2]["recall@10"], "mb": rows[-2]["mb"]})
    log(f"faiss {label} n={n}: " + "; ".join(f"{r['index']} {r['p50_ms']}ms r={r['recall@10']}" for r in rows))
    return rows


def cached_real_vectors(cache_file: Path, datasets_dir: Path, n_queries: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Passage and question vectors of a real embedder from a ``bench quality --cache`` file
    (questions are recognised by their cache key; everything else is a passage)."""
    from .datasets import NAMES, read
    from .embedding_cache import CachedEmbedder

    data = np.load(cache_file)
    keys, vectors = data["keys"].tolist(), data["vectors"]
    qkeys = set()
    for name in NAMES:
        qkeys.update(CachedEmbedder._key(q.question.strip()[:500], True) for q in read(name, datasets_dir).questions)
    is_q = np.array([k in qkeys for k in keys])
    queries = vectors[is_q]
    rng = np.random.default_rng(0)
    pick = rng.choice(len(queries), size=min(n_queries, len(queries)), replace=False) if len(queries) else []
    return vectors[~is_q], queries[pick]


def random_unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for i in range(0, n, 100_000):
        block = rng.standard_normal((min(100_000, n - i), dim), dtype=np.float32)
        out[i : i + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out
