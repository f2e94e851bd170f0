"""Real-data quality: the engine and the three baselines on ncp_policy_qa, msgabench_gov_qa, stard.

For each dataset the documents are written as ``.txt`` files (one per document, named by its
id) into a temporary corpus folder and indexed by the product itself
(``QAEngine.build``: loaders → structure parser → chunking → BM25 + FAISS).  Every question is
asked of the engine (``retriever.retrieve`` + ``answerer.answer``, i.e. what ``QAEngine.ask``
does, keeping the hits) and of the baselines of :mod:`policyqa.baselines` built on the same
index and embedder.

Metrics (documents with identical text count as the same document):

* ``doc_hit@1`` / ``doc_hit@5`` / ``mrr`` (MRR@10): rank of the first gold document among the
  distinct documents of the ranked list (engine: its clause hits; baselines: their chunks).
* ncp only — ``span_top1`` / ``span_top3``: the verbatim answer span (whitespace ignored) is
  inside the top-1 / any of the top-3 retrieved passages.  A passage is one of the engine's
  ranked ``Retrieval.passages`` (chunks of ≤300 characters of one clause) and the baselines'
  ranked chunks (the engine's chunks for bm25/dense, LangChain's 250-character splits).  ``span_answer``: the span
  is inside the extractive answer (engine: its quotes joined; baselines: their top-1 chunk);
  ``span_ceiling``: the span fits inside at least one engine chunk of its gold document.

The pieces: :mod:`.embedding_cache` (each text embedded once), :mod:`.runners` (the systems),
:mod:`.scoring` (the metrics), :mod:`.variants` (bench-only retrieval variants); this module
indexes one dataset and asks every question of every system.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..config import Settings
from ..documents.loaders import doc_id_for
from ..errors import PolicyQAError
from ..index.embedders import Embedder
from .datasets import Dataset
from .embedding_cache import CachedEmbedder, make_embedder
from .runners import (  # noqa: F401 - DEPTH and ENGINE_K re-exported for compatibility
    DEPTH,
    ENGINE_K,
    BM25Runner,
    DenseRunner,
    DocPriorRunner,
    EngineRunner,
    LangChainRunner,
    Ranked,
    distinct,
)
from .scoring import Tally, miss_analysis, span_ceiling
from .variants import parse_variant, variant_patches

SYSTEMS = ("policyqa", "bm25", "dense", "langchain")


# -- one dataset ------------------------------------------------------------------------


def write_corpus(ds: Dataset, folder: Path) -> dict[str, str]:
    """One UTF-8 ``.txt`` per document; returns the product's doc id → dataset doc id."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = {}
    for doc_id, text in ds.docs.items():
        stem = ds.stem(doc_id)
        (folder / f"{stem}.txt").write_text(text, encoding="utf-8")
        ids[doc_id_for(f"{stem}.txt")] = doc_id
    return ids


def run_dataset(
    ds: Dataset,
    embedder: Embedder,
    embedder_name: str,
    workdir: Path,
    systems: Sequence[str] = SYSTEMS,
    engine_factory: Callable[[Settings, Embedder], Any] | None = None,
    log: Callable[[str], None] = lambda s: None,
    variant: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Index ``ds`` with the product, ask every question of every system, return the metrics."""
    from ..engine import QAEngine

    corpus = workdir / f"{ds.name}-corpus"
    ids = write_corpus(ds, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=workdir / f"{ds.name}-index", embedder=embedder_name)
    t0 = time.perf_counter()
    build = engine_factory or (lambda s, e: QAEngine.build(s, embedder=e))
    with variant_patches(variant or {}):
        engine = build(settings, embedder)
    if variant and "dense_weight" in variant:
        engine.retriever.dense_weight = variant["dense_weight"]
    build_s = time.perf_counter() - t0
    log(f"{ds.name}: indexed {len(ds.docs)} documents -> {engine.manifest.clauses} clauses, "
        f"{engine.manifest.chunks} chunks in {build_s:.1f}s")

    def canon(product_id: str) -> str:
        return ds.canon(ids.get(product_id, product_id))

    runners: dict[str, Callable[[str], Ranked]] = {}
    setup: dict[str, float] = {}
    for name in systems:
        t1 = time.perf_counter()
        if name == "policyqa":
            prior = (variant or {}).get("docprior")
            runners[name] = DocPriorRunner(engine, prior).run if prior else EngineRunner(engine).run
        elif name == "bm25":
            runners[name] = BM25Runner(engine).ranked
        elif name == "dense":
            runners[name] = DenseRunner(engine).ranked
        elif name == "langchain":
            runners[name] = LangChainRunner(engine).ranked
        else:
            raise ValueError(f"unknown system {name!r}")
        setup[name] = round(time.perf_counter() - t1, 2)

    limit = engine.settings.max_question_chars
    tallies = {name: Tally() for name in runners}
    latencies: dict[str, list[float]] = {name: [] for name in runners}
    misses: list[dict[str, Any]] = []
    with variant_patches(variant or {}):
        _ask_all(ds, runners, tallies, latencies, misses, canon, limit, log)
    truncated = sum(len(q.question.strip()) > limit for q in ds.questions)

    result: dict[str, Any] = {
        "dataset": ds.name,
        "documents": len(ds.docs),
        "questions": len(ds.questions),
        "clauses": engine.manifest.clauses,
        "chunks": engine.manifest.chunks,
        "build_seconds": round(build_s, 2),
        "baseline_setup_seconds": setup,
        "truncated_questions": truncated,
        "systems": {},
    }
    for name, tally in tallies.items():
        m = tally.metrics()
        lat = latencies[name]
        m["latency_ms_p50"] = round(statistics.median(lat), 2) if lat else 0.0
        result["systems"][name] = m
    if any(q.answer for q in ds.questions):
        result["span_ceiling"] = round(span_ceiling(ds, engine, ids), 4)
        result["miss_analysis"] = miss_analysis(ds, misses)
    result["misses_sample"] = [{k: v for k, v in m.items() if k != "answer"} for m in misses[:50]]
    return result


def _ask_all(ds, runners, tallies, latencies, misses, canon, limit, log) -> None:
    for qi, q in enumerate(ds.questions):
        text = q.question.strip()[:limit]
        gold = {ds.canon(g) for g in q.gold}
        for name, run in runners.items():
            t1 = time.perf_counter()
            try:
                out = run(text)
            except PolicyQAError:
                out = Ranked([], [], "", True)
            latencies[name].append((time.perf_counter() - t1) * 1000)
            out = Ranked([*distinct([canon(d) for d in out.docs])], out.passages, out.answer, out.refused)
            rank = tallies[name].add(out, gold, q.answer)
            if name == "policyqa" and rank != 1:
                misses.append({"q": q.question, "gold": sorted(gold), "got": out.docs[:3], "rank": rank,
                               "answer": q.answer})
        if (qi + 1) % 200 == 0:
            log(f"{ds.name}: {qi + 1}/{len(ds.questions)} questions")


def run(
    datasets: Sequence[Dataset],
    embedder_name: str,
    *,
    cache_dir: Path | None = None,
    systems: Sequence[str] = SYSTEMS,
    log: Callable[[str], None] = lambda s: None,
    workdir: Path | None = None,
    variant: str = "",
) -> dict[str, Any]:
    embedder = make_embedder(embedder_name, cache_dir)
    changes = parse_variant(variant)
    results = []
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-", dir=workdir) as tmp:
        for ds in datasets:
            t0 = time.perf_counter()
            res = run_dataset(ds, embedder, embedder_name, Path(tmp), systems, log=log, variant=changes)
            res["seconds"] = round(time.perf_counter() - t0, 1)
            results.append(res)
            embedder.save()
            log(f"{ds.name}: done in {res['seconds']}s")
    return {
        "embedder": embedder.model_id,
        "embedded_texts": embedder.embedded,
        "embedding_seconds": round(embedder.seconds, 1),
        "variant": variant,
        "datasets": results,
    }


__all__ = [  # what this module held before it was split, still importable from here
    "DEPTH",
    "ENGINE_K",
    "SYSTEMS",
    "BM25Runner",
    "CachedEmbedder",
    "DenseRunner",
    "DocPriorRunner",
    "EngineRunner",
    "LangChainRunner",
    "Ranked",
    "Tally",
    "make_embedder",
    "miss_analysis",
    "parse_variant",
    "run",
    "run_dataset",
    "span_ceiling",
    "variant_patches",
    "write_corpus",
]
