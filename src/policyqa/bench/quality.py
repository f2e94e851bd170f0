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
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..baselines import BM25Baseline, DenseBaseline, LangChainBaseline
from ..config import Settings
from ..documents.loaders import doc_id_for
from ..errors import PolicyQAError
from ..index.embedders import Embedder, create_embedder
from .datasets import Dataset

logger = logging.getLogger(__name__)

SYSTEMS = ("policyqa", "bm25", "dense", "langchain")
DEPTH = 50  # chunks ranked per baseline query (enough for 5 distinct documents)
ENGINE_K = 20  # clause hits per engine query (the top 5 are what ``ask(top_k=5)`` returns)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


# -- embeddings cache -------------------------------------------------------------------


class CachedEmbedder(Embedder):
    """Memoises another embedder by text hash (optionally on disk), so that the engine, the
    baselines and re-runs embed each distinct text once.  Same ``model_id`` and ``dimension``."""

    BLOCK = 256  # texts per model call between cache checkpoints

    def __init__(self, inner: Embedder, cache_dir: Path | None = None) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.batch_size = inner.batch_size
        self._cache: dict[str, np.ndarray] = {}
        self._file = None
        self._saved = time.perf_counter()
        self.embedded = 0  # texts actually sent to the model
        self.seconds = 0.0  # time spent in the model
        if cache_dir is not None:
            safe = "".join(c if c.isalnum() else "_" for c in inner.model_id)
            self._file = Path(cache_dir) / f"{safe}.npz"
            if self._file.exists():
                data = np.load(self._file)
                self._cache = dict(zip(data["keys"].tolist(), data["vectors"]))

    @staticmethod
    def _key(text: str, is_query: bool) -> str:
        return hashlib.sha1(("q:" if is_query else "p:").encode() + text.encode("utf-8")).hexdigest()

    def _many(self, texts: Sequence[str], is_query: bool, progress=None) -> np.ndarray:
        keys = [self._key(t, is_query) for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if todo:
            first = {}
            for k, t in zip(keys, texts):
                first.setdefault(k, t)
            for i in range(0, len(todo), self.BLOCK):
                block = todo[i : i + self.BLOCK]
                t0 = time.perf_counter()
                if is_query:
                    fresh = np.stack([self.inner.embed_query(first[k]) for k in block])
                else:
                    fresh = self.inner.embed_documents([first[k] for k in block])
                self.seconds += time.perf_counter() - t0
                self.embedded += len(block)
                self._cache.update(zip(block, fresh))
                if progress:
                    progress(min(i + len(block), len(todo)), len(todo))
                if self._file is not None and time.perf_counter() - self._saved > 120:
                    self.save()  # a long model run can be interrupted and resumed
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = self._cache[k]
        return out

    def embed_documents(self, texts: Sequence[str], progress=None) -> np.ndarray:
        return self._many(list(texts), False, progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self._many([text], True)[0]

    def save(self) -> None:
        if self._file is None or not self._cache:
            return
        self._file.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._cache))
        tmp = self._file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=np.stack(list(self._cache.values())))
        tmp.replace(self._file)
        self._saved = time.perf_counter()


# -- systems ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    docs: list[str]  # distinct document ids, best first
    passages: list[str]  # retrieved passages, best first
    answer: str  # extractive answer text ("" when refused)
    refused: bool = False


def _distinct(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


class EngineRunner:
    """The product: ``retrieve`` then ``answer`` (what ``QAEngine.ask`` does), keeping the hits."""

    name = "policyqa"

    def __init__(self, engine) -> None:
        self.engine = engine

    def run(self, question: str) -> Ranked:
        e = self.engine
        q = e.check_question(question)
        return self.ranked(q, e.retriever.retrieve(q, k=ENGINE_K))

    def ranked(self, question: str, r) -> Ranked:
        """Answer from ``r`` and report its documents, passages and quotes."""
        ans = self.engine.answerer.answer(question, r)
        passages = [ch.text for ch in r.passages] or [h.clause.text for h in r.hits]
        quotes = "".join(c.quote for c in ans.citations)
        return Ranked(_distinct([h.clause.doc_id for h in r.hits]), passages, "" if ans.refused else quotes, ans.refused)


class BM25Runner(BM25Baseline):
    def ranked(self, question: str) -> Ranked:
        vocab = self.bm25.vocab_dict
        toks = [t for t in self._tok(question) if t in vocab]
        scores = self.bm25.get_scores(toks) if toks else np.zeros(len(self.chunks))
        order = np.argsort(-scores, kind="stable")[:DEPTH]
        chunks = [self.chunks[i] for i in order]
        return Ranked(_distinct([c.doc_id for c in chunks]), [c.text for c in chunks], chunks[0].text if chunks else "")


class DenseRunner(DenseBaseline):
    def ranked(self, question: str) -> Ranked:
        r = self.engine.retriever
        ids, _ = r.dense.search(r.embedder.embed_query(question), DEPTH)
        chunks = [r.store.chunks[i] for i in ids.tolist()]
        return Ranked(_distinct([c.doc_id for c in chunks]), [c.text for c in chunks], chunks[0].text if chunks else "")


class LangChainRunner(LangChainBaseline):
    def ranked(self, question: str) -> Ranked:
        found = self.store.similarity_search(question, k=DEPTH)
        docs = _distinct([d.metadata["doc_id"] for d in found])
        return Ranked(docs, [d.page_content for d in found], found[0].page_content if found else "")


# -- scoring ----------------------------------------------------------------------------


def _squash(text: str) -> str:
    return "".join(text.split())


@dataclass
class Tally:
    n: int = 0
    hit1: int = 0
    hit5: int = 0
    rr: float = 0.0
    span_top1: int = 0
    span_top3: int = 0
    span_answer: int = 0
    with_span: int = 0
    refused: int = 0

    def add(self, ranked: Ranked, gold: set[str], answer: str) -> int | None:
        self.n += 1
        self.refused += ranked.refused
        rank = next((i + 1 for i, d in enumerate(ranked.docs[:10]) if d in gold), None)
        self.hit1 += rank == 1
        self.hit5 += rank is not None and rank <= 5
        self.rr += 1.0 / rank if rank else 0.0
        if answer:
            span = _squash(answer)
            self.with_span += 1
            p = [_squash(x) for x in ranked.passages[:3]]
            self.span_top1 += bool(p) and span in p[0]
            self.span_top3 += any(span in x for x in p)
            self.span_answer += bool(ranked.answer) and span in _squash(ranked.answer)
        return rank

    def metrics(self) -> dict[str, float | int | None]:
        n = max(self.n, 1)
        out: dict[str, float | int | None] = {
            "n": self.n,
            "doc_hit@1": round(self.hit1 / n, 4),
            "doc_hit@5": round(self.hit5 / n, 4),
            "mrr@10": round(self.rr / n, 4),
        }
        if self.with_span:
            w = self.with_span
            out.update({
                "span_top1": round(self.span_top1 / w, 4),
                "span_top3": round(self.span_top3 / w, 4),
                "span_answer": round(self.span_answer / w, 4),
            })
        out["refused"] = round(self.refused / n, 4)
        return out


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


NEAR_DUPLICATE = 0.8  # Jaccard similarity of character 8-gram sets


def _grams(text: str, n: int = 8) -> set[str]:
    t = _squash(text)
    return {t[i : i + n] for i in range(max(len(t) - n + 1, 1))}


def miss_analysis(ds: Dataset, misses: Sequence[dict[str, Any]]) -> dict[str, int]:
    """What the engine's rank-1 misses retrieved instead: a near-identical copy of the gold
    document (the same notice republished with another header: 8-gram Jaccard ≥ 0.8), or at
    least a document that contains the gold answer verbatim."""
    near = answer_bearing = 0
    for m in misses:
        if not m["got"]:
            continue
        top = ds.docs.get(m["got"][0], "")
        if m.get("answer") and _squash(m["answer"]) in _squash(top):
            answer_bearing += 1
        g = _grams(top)
        if any(len(g & (h := _grams(ds.docs.get(gold, "")))) / max(len(g | h), 1) >= NEAR_DUPLICATE for gold in m["gold"]):
            near += 1
    return {"misses": len(misses), "near_duplicate_of_gold": near, "answer_in_top_document": answer_bearing}


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
            out = Ranked([*_distinct([canon(d) for d in out.docs])], out.passages, out.answer, out.refused)
            rank = tallies[name].add(out, gold, q.answer)
            if name == "policyqa" and rank != 1:
                misses.append({"q": q.question, "gold": sorted(gold), "got": out.docs[:3], "rank": rank,
                               "answer": q.answer})
        if (qi + 1) % 200 == 0:
            log(f"{ds.name}: {qi + 1}/{len(ds.questions)} questions")


def span_ceiling(ds: Dataset, engine, ids: dict[str, str]) -> float:
    """Share of answer spans that fit inside at least one engine chunk of the gold document."""
    by_doc: dict[str, list[str]] = {}
    for ch in engine.store.chunks:
        by_doc.setdefault(ds.canon(ids.get(ch.doc_id, ch.doc_id)), []).append(_squash(ch.text))
    ok = n = 0
    for q in ds.questions:
        if not q.answer:
            continue
        n += 1
        span = _squash(q.answer)
        ok += any(span in t for g in q.gold for t in by_doc.get(ds.canon(g), ()))
    return ok / max(n, 1)


# -- bench-only retrieval variants (measured here, applied to the engine by its owner) ---------


def parse_variant(spec: str) -> dict[str, float]:
    """``"chunk=300,docprior=0.3,dense_weight=0.4,k1=1.5,b=0.9"`` → {name: value}."""
    out: dict[str, float] = {}
    for item in filter(None, (x.strip() for x in (spec or "").split(","))):
        key, _, value = item.partition("=")
        out[key.strip()] = float(value)
    return out


@contextlib.contextmanager
def variant_patches(variant: dict[str, float]) -> Iterator[None]:
    """Temporarily change what the engine builds and scores with (module-level names only):
    ``chunk`` (chunk size in characters), ``k1``/``b`` (BM25), ``bigram`` (index and query
    character bigrams besides jieba words), any upper-case constant of
    :mod:`policyqa.retrieval` (fusion weights) or :mod:`policyqa.query` (query word weights).  ``docprior`` is applied by :class:`DocPriorRunner`,
    ``dense_weight`` (``Settings.dense_weight``) by :func:`run_dataset`."""
    import policyqa.engine as engine
    import policyqa.indexer as eng  # the build's names (the engine opens with its own Segmenter)
    import policyqa.query as query
    import policyqa.retrieval as retr

    saved_chunk, saved_sparse = eng.chunk_clauses, eng.SparseIndex
    saved_consts = {(m, k): getattr(m, k) for m in (retr, query) for k in variant if k.isupper() and hasattr(m, k)}
    if "chunk" in variant:
        size = int(variant["chunk"])
        eng.chunk_clauses = lambda clauses, titles, *_a, **_k: saved_chunk(clauses, titles, max_chars=size)
    if "k1" in variant or "b" in variant:
        k1, b = variant.get("k1", 1.2), variant.get("b", 0.75)

        class _Sparse(saved_sparse):
            @classmethod
            def build(cls, token_lists, k1=k1, b=b):  # noqa: D102 - same signature, other defaults
                return saved_sparse.build(token_lists, k1=k1, b=b)

        eng.SparseIndex = _Sparse
    saved_seg = eng.Segmenter
    if variant.get("bigram"):

        class _BigramSegmenter(saved_seg):
            """Words plus the character bigrams of every CJK run (robust to segmentation mismatch)."""

            def cut(self, text):
                words = super().cut(text)
                return words + [a + b for run in _CJK_RUN.findall(text) for a, b in zip(run, run[1:])]

        eng.Segmenter = engine.Segmenter = _BigramSegmenter
    for m, k in saved_consts:
        setattr(m, k, variant[k])
    try:
        yield
    finally:
        eng.chunk_clauses, eng.SparseIndex, eng.Segmenter = saved_chunk, saved_sparse, saved_seg
        engine.Segmenter = saved_seg
        for (m, k), v in saved_consts.items():
            setattr(m, k, v)


class DocPriorRunner(EngineRunner):
    """The engine plus a document-level BM25 prior: every clause hit gains
    ``weight × bm25(document)/max`` (the document = its title and all its clauses), then the
    hits are re-sorted.  Tests whether document granularity should join the fusion."""

    def __init__(self, engine, weight: float, depth: int = 50) -> None:
        super().__init__(engine)
        from ..index.sparse import SparseIndex

        self.weight = weight
        self.depth = depth
        texts: dict[str, list[str]] = {}
        titles = {d.doc_id: d.title for d in engine.store.documents}
        for c in engine.store.clauses:
            texts.setdefault(c.doc_id, [titles.get(c.doc_id, "")]).append(c.text)
        self.doc_ids = list(texts)
        self.pos = {d: i for i, d in enumerate(self.doc_ids)}
        seg = engine.segmenter
        self.index = SparseIndex.build([seg.cut("\n".join(t)) for t in texts.values()])

    def run(self, question: str) -> Ranked:
        e = self.engine
        q = e.check_question(question)
        r = e.retriever.retrieve(q, k=self.depth)
        if r.hits:
            a = r.analysis
            s = self.index.scores(list(a.weights), a.weights)
            top = float(s.max()) or 1.0
            hits = sorted(r.hits, key=lambda h: -(h.score + self.weight * s[self.pos[h.clause.doc_id]] / top))
            hits = [dataclasses.replace(h, score=h.score + self.weight * float(s[self.pos[h.clause.doc_id]]) / top)
                    for h in hits[:ENGINE_K]]
            r = dataclasses.replace(r, hits=tuple(hits), coverage=e.retriever.coverage(a, hits[0].clause))
        return self.ranked(q, r)


def make_embedder(name: str, cache_dir: Path | None) -> CachedEmbedder:
    return CachedEmbedder(create_embedder(name), cache_dir)


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
