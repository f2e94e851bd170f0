"""Baseline pipelines for side-by-side evaluation, on the same corpus and embedder as the engine.

* ``bm25``: BM25 over plain ``jieba.lcut_for_search`` tokens of the engine's chunks (no policy
  dictionary, synonyms, headings or fusion); the answer is the best chunk.
* ``dense``: the engine's embedder and FAISS index alone (no expansion, no BM25).
* ``langchain``: the common Chinese RAG tutorial pipeline (as in Langchain-Chatchat):
  ``RecursiveCharacterTextSplitter`` (250 chars, 50 overlap, Chinese separators) over each
  document + LangChain's ``FAISS`` vector store with the same embedder; answer = best chunk.

Each baseline answers every question (none of them can refuse).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .models import Turn


@dataclass(frozen=True)
class Ranked:
    clauses: tuple[tuple[str, int], ...]  # (doc_id, clause number), best first
    answer: str
    refused: bool = False
    status: str = "answered"  # answered | partial | refused (baselines always answer)
    confidence: float | None = None  # Answer.confidence (baselines have none)


class EngineSystem:
    """The product itself, seen through the same interface as the baselines."""

    name = "policyqa"

    def __init__(self, engine) -> None:
        self.engine = engine

    def run(self, question: str, history: list[Turn] | None = None) -> Ranked:
        a = self.engine.ask(question, history, top_k=5)
        return Ranked(tuple((r.doc_id, r.clause) for r in a.related), a.answer, a.refused, a.status, a.confidence)


def _dedupe(keys) -> tuple[tuple[str, int], ...]:
    return tuple(dict.fromkeys(keys))


class BM25Baseline:
    name = "bm25"

    def __init__(self, engine) -> None:
        import bm25s
        import jieba

        self.jieba = jieba
        self.chunks = engine.store.chunks
        self.bm25 = bm25s.BM25()
        self.bm25.index([self._tok(c.text) for c in self.chunks], show_progress=False)

    def _tok(self, text: str) -> list[str]:
        return [w for w in self.jieba.lcut_for_search(text) if w.strip()]

    def run(self, question: str, history=None) -> Ranked:
        vocab = self.bm25.vocab_dict
        toks = [t for t in self._tok(question) if t in vocab]
        scores = self.bm25.get_scores(toks) if toks else np.zeros(len(self.chunks))
        order = np.argsort(-scores)[:50]
        keys = _dedupe((self.chunks[i].doc_id, self.chunks[i].clause_number) for i in order)
        return Ranked(keys[:5], self.chunks[order[0]].text if len(order) else "")


class DenseBaseline:
    name = "dense"

    def __init__(self, engine) -> None:
        self.engine = engine

    def run(self, question: str, history=None) -> Ranked:
        r = self.engine.retriever
        ids, _ = r.dense.search(r.embedder.embed_query(question), 50)
        chunks = [r.store.chunks[i] for i in ids.tolist()]
        keys = _dedupe((c.doc_id, c.clause_number) for c in chunks)
        return Ranked(keys[:5], chunks[0].text if chunks else "")


class LangChainBaseline:
    name = "langchain"

    def __init__(self, engine) -> None:
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document as LCDocument
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from .documents.loaders import load_corpus
        from .integrations.langchain import PolicyEmbeddings

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=250,
            chunk_overlap=50,
            separators=["\n\n", "\n", "。", "！", "？", "；", "，", ""],
            keep_separator="end",
            add_start_index=True,
        )
        docs = load_corpus(engine.settings.corpus_dir).documents
        pieces = splitter.split_documents(
            [LCDocument(page_content=d.text, metadata={"doc_id": d.doc_id}) for d in docs]
        )
        self.clauses = {}
        for c in engine.store.clauses:
            self.clauses.setdefault(c.doc_id, []).append(c)
        self.store = FAISS.from_documents(pieces, PolicyEmbeddings(engine.embedder))

    def _clause_of(self, doc_id: str, offset: int) -> int:
        best = 0
        for c in self.clauses.get(doc_id, []):
            if c.start <= offset:
                best = c.number
        return best

    def run(self, question: str, history=None) -> Ranked:
        found = self.store.similarity_search(question, k=20)
        keys = _dedupe(
            (d.metadata["doc_id"], self._clause_of(d.metadata["doc_id"], _middle(d))) for d in found
        )
        return Ranked(keys[:5], found[0].page_content if found else "")


def _middle(d) -> int:
    """A chunk may straddle two clauses: attribute it to the clause holding its middle."""
    return int(d.metadata.get("start_index", 0)) + len(d.page_content) // 2


BASELINES = {"bm25": BM25Baseline, "dense": DenseBaseline, "langchain": LangChainBaseline}
