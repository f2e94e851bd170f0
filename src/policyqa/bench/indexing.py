"""Index build cost by stage: ``QAEngine.build`` observed through timing wrappers.

The names the build uses (``parse_clauses``, ``chunk_clauses``, ``Segmenter``, ``SparseIndex``,
``DenseIndex``, ``load_corpus``) are temporarily replaced by timing wrappers; the embedder is
wrapped too (:class:`~.embedding_cache.CachedEmbedder` counts its seconds).  ``store+save`` is
the remainder of the wall time.  The engine is never edited.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .stats import Log


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
    from .embedding_cache import CachedEmbedder

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
