"""The systems a quality benchmark asks: the engine and the three baselines, each giving a :class:`Ranked`.

* :class:`EngineRunner` — the product: ``retrieve`` then ``answer`` (what ``QAEngine.ask``
  does), keeping the hits; :class:`DocPriorRunner` — the same plus a document-level BM25 prior
  (a ``docprior`` variant);
* :class:`BM25Runner`, :class:`DenseRunner`, :class:`LangChainRunner` — the baselines of
  :mod:`policyqa.baselines`, ranking ``DEPTH`` chunks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..baselines import BM25Baseline, DenseBaseline, LangChainBaseline

DEPTH = 50  # chunks ranked per baseline query (enough for 5 distinct documents)
ENGINE_K = 20  # clause hits per engine query (the top 5 are what ``ask(top_k=5)`` returns)


@dataclass(frozen=True)
class Ranked:
    """What one system returned for one question."""

    docs: list[str]  # distinct document ids, best first
    passages: list[str]  # retrieved passages, best first
    answer: str  # extractive answer text ("" when refused)
    refused: bool = False


def distinct(ids: Sequence[str]) -> list[str]:
    """``ids`` without repeats, in first-seen order."""
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
        return Ranked(distinct([h.clause.doc_id for h in r.hits]), passages, "" if ans.refused else quotes, ans.refused)


class BM25Runner(BM25Baseline):
    def ranked(self, question: str) -> Ranked:
        vocab = self.bm25.vocab_dict
        toks = [t for t in self._tok(question) if t in vocab]
        scores = self.bm25.get_scores(toks) if toks else np.zeros(len(self.chunks))
        order = np.argsort(-scores, kind="stable")[:DEPTH]
        chunks = [self.chunks[i] for i in order]
        return Ranked(distinct([c.doc_id for c in chunks]), [c.text for c in chunks], chunks[0].text if chunks else "")


class DenseRunner(DenseBaseline):
    def ranked(self, question: str) -> Ranked:
        r = self.engine.retriever
        ids, _ = r.dense.search(r.embedder.embed_query(question), DEPTH)
        chunks = [r.store.chunks[i] for i in ids.tolist()]
        return Ranked(distinct([c.doc_id for c in chunks]), [c.text for c in chunks], chunks[0].text if chunks else "")


class LangChainRunner(LangChainBaseline):
    def ranked(self, question: str) -> Ranked:
        found = self.store.similarity_search(question, k=DEPTH)
        docs = distinct([d.metadata["doc_id"] for d in found])
        return Ranked(docs, [d.page_content for d in found], found[0].page_content if found else "")


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
