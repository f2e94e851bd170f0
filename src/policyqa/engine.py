"""QAEngine: the one entry point used by the CLI, the HTTP service and the WeChat adapter.

``QAEngine.load(settings)`` opens the index in ``settings.index_dir`` (building it from
``settings.corpus_dir`` when missing or stale); ``ask`` answers with cited quotes,
``search`` finds clauses for staff, ``documents``/``clause`` list what is indexed.
An engine is immutable once loaded and safe to share between threads.

The build itself lives in :mod:`policyqa.indexer`, the search highlighting in
:mod:`policyqa.highlight`; this module opens an index and answers over it.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from .answering import Answerer
from .config import Settings
from .corpus import corpus_relative
from .documents.structure import is_document_title
from .documents.validity import compute_validity
from .errors import (
    ClauseNotFoundError,
    DocumentNotFoundError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexStaleError,
    InvalidQuestionError,
)
from .highlight import highlight_spans
from .index.dense import DenseIndex
from .index.embedders import Embedder, create_embedder
from .index.sparse import SparseIndex
from .index.storage import FORMAT_VERSION, IndexStorage, Manifest, Store
from .indexer import Progress, build_index, corpus_files
from .models import STATUS_LABELS, Answer, Clause, Document, DocumentInfo, SearchResult, Turn
from .retrieval import HybridRetriever
from .segmentation import Segmenter

logger = logging.getLogger(__name__)

# ``corpus_files``, ``highlight_spans`` and ``Progress`` moved to ``indexer`` / ``highlight``; still importable here
__all__ = ["QAEngine", "Progress", "corpus_files", "highlight_spans"]

SEARCH_MIN_RELATIVE_SCORE = 0.3
SUPERSEDED_SEARCH_FACTOR = 0.9  # staff search ranks a text no longer in force a little lower
# control characters, and the invisible direction marks and overrides (U+200E/F, U+202A–E, U+2066–9) that
# would reorder the question where it is echoed (pages, gap log)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class QAEngine:
    def __init__(
        self,
        settings: Settings,
        manifest: Manifest,
        store: Store,
        retriever: HybridRetriever,
        embedder: Embedder,
    ) -> None:
        self.settings = settings
        self.manifest = manifest
        self.store = store
        self.retriever = retriever
        self.embedder = embedder
        self.segmenter = retriever.segmenter
        self._docs = {d.doc_id: d for d in store.documents}
        self._clauses = {(c.doc_id, c.ref): c for c in store.clauses}
        titles = {d.title for d in store.documents}
        self.validity = compute_validity(store.documents, settings.as_of)
        in_force = frozenset(d for d, v in self.validity.items() if v.in_force)
        # citizens' answers come from the texts in force (all texts if none is dated in force)
        self.answer_docs: frozenset[str] | None = in_force if in_force and len(in_force) < len(self._docs) else None
        self.answerer = Answerer(
            retriever,
            titles,
            refusal_threshold=settings.refusal_threshold,
            contact=settings.contact,
            max_quotes=settings.max_quotes,
            # a partial over the documents, not the bound method self._page_of: the answerer must not
            # point back at the engine, or every replaced engine (and its model) waits in a reference
            # cycle for a full garbage collection
            page_of=functools.partial(_page_at, self._docs),
            documents=self._docs,
            validity=self.validity,
        )

    def _page_of(self, doc_id: str, offset: int) -> int | None:
        return _page_at(self._docs, doc_id, offset)

    # -- loading and building -------------------------------------------------------

    @classmethod
    def load(
        cls,
        settings: Settings,
        *,
        build: bool = True,
        force: bool = False,
        progress: Progress | None = None,
        embedder: Embedder | None = None,
        open_stale: bool = False,
    ) -> "QAEngine":
        """Open the index; (re)build it when missing or stale unless ``build=False``.

        ``open_stale=True`` opens the live build even when the corpus changed since it was built
        (a server answers from it while it rebuilds in the background).
        Raises ``IndexNotFoundError``/``IndexStaleError`` (with ``build=False``) and
        ``IndexMismatchError`` when the index was built with a different embedder.
        """
        storage = IndexStorage(settings.index_dir)
        if force:
            return cls.build(settings, progress=progress, embedder=embedder)
        if not storage.exists():
            if not build:
                raise IndexNotFoundError(f"no index in {settings.index_dir}; run `policyqa index` to build it")
            return cls.build(settings, progress=progress, embedder=embedder)
        manifest = storage.manifest()
        embedder = embedder or create_embedder(settings.embedder, settings.embedder_model, settings.embed_batch_size)
        if manifest.embedder_id != embedder.model_id or manifest.dimension != embedder.dimension:
            raise IndexMismatchError(
                f"index in {settings.index_dir} was built with embedder {manifest.embedder_id} "
                f"({manifest.dimension}d) but {embedder.model_id} ({embedder.dimension}d) is configured; "
                "rebuild with `policyqa index --force`"
            )
        if manifest.format_version != FORMAT_VERSION:
            if not build:
                raise IndexStaleError("the index was written by another policyqa version; run `policyqa index --force`")
            return cls.build(settings, progress=progress, embedder=embedder)
        if corpus_files(settings.corpus_dir) != manifest.corpus and not open_stale:
            if not build:
                raise IndexStaleError(
                    f"the corpus in {settings.corpus_dir} changed since the index was built; run `policyqa index`"
                )
            logger.info("corpus changed since the last build: rebuilding")
            return cls.build(settings, progress=progress, embedder=embedder)
        return cls._open(settings, storage.current(), manifest, embedder)

    @classmethod
    def open_published(
        cls, settings: Settings, *, progress: Progress | None = None, embedder: Embedder | None = None,
        segmenter: Segmenter | None = None,
    ) -> "QAEngine":
        """Open the build ``index_dir/CURRENT`` names as it is: never builds and does not compare it
        with a corpus (a reader replica, ``POLICYQA_ROLE=reader``, serves what the writer published).

        Raises ``IndexNotFoundError``, ``IndexStaleError`` (another format version) and
        ``IndexMismatchError`` (another embedder)."""
        storage = IndexStorage(settings.index_dir)
        folder = storage.current()
        manifest = Manifest.read(folder / "manifest.json")
        if manifest.format_version != FORMAT_VERSION:
            raise IndexStaleError("the published index was written by another policyqa version")
        embedder = embedder or create_embedder(settings.embedder, settings.embedder_model, settings.embed_batch_size)
        if manifest.embedder_id != embedder.model_id or manifest.dimension != embedder.dimension:
            raise IndexMismatchError(
                f"the published index was built with embedder {manifest.embedder_id} but {embedder.model_id} "
                "is configured"
            )
        return cls._open(settings, folder, manifest, embedder, segmenter)

    @classmethod
    def _open(
        cls, settings: Settings, folder: Path, manifest: Manifest, embedder: Embedder, segmenter: Segmenter | None = None
    ) -> "QAEngine":
        """``segmenter``: reuse the jieba dictionary of the engine being replaced (loading it per swap
        fragments the heap)."""
        store = Store.read(folder / "store.json")
        dense = DenseIndex.load(folder / "dense.faiss") if (folder / "dense.faiss").exists() else None
        retriever = HybridRetriever(
            store,
            SparseIndex.load(folder / "bm25_chunks"),
            SparseIndex.load(folder / "bm25_clauses"),
            dense,
            embedder,
            segmenter or Segmenter(),
            {d.doc_id: d.title for d in store.documents},
            SparseIndex.load(folder / "bm25_docs"),
            settings.dense_weight,
        )
        return cls(settings, manifest, store, retriever, embedder)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        progress: Progress | None = None,
        embedder: Embedder | None = None,
        segmenter: Segmenter | None = None,
    ) -> "QAEngine":
        """Build the index from the corpus into a new folder, switch to it atomically and open it
        (:func:`policyqa.indexer.build_index`: stages reported to ``progress``, errors raised).

        ``embedder``/``segmenter``: reuse the models of the engine being replaced (a rebuild then
        loads neither the embedding model nor jieba's dictionary again)."""
        built = build_index(settings, progress=progress, embedder=embedder, segmenter=segmenter)
        retriever = HybridRetriever(
            built.store,
            built.chunk_index,
            built.clause_index,
            built.dense,
            built.embedder,
            built.segmenter,
            {d.doc_id: d.title for d in built.store.documents},
            built.doc_index,
            settings.dense_weight,
        )
        return cls(settings, built.manifest, built.store, retriever, built.embedder)

    # -- questions ------------------------------------------------------------------

    def check_question(self, question: str) -> str:
        """Normalise a question; ``InvalidQuestionError`` if empty or too long."""
        if not isinstance(question, str):
            raise InvalidQuestionError("问题必须是文本。", code="invalid_question")
        q = _CONTROL.sub("", unicodedata.normalize("NFC", question)).strip()
        if not q:
            raise InvalidQuestionError("问题不能为空，请输入您想咨询的内容。", code="empty_question")
        limit = self.settings.max_question_chars
        if len(q) > limit:
            raise InvalidQuestionError(
                f"问题太长了（{len(q)} 字），请精简到 {limit} 字以内再提问。", code="question_too_long"
            )
        return q

    def ask(self, question: str, history: Sequence[Turn] | None = None, *, top_k: int | None = None) -> Answer:
        """A grounded answer: verbatim quotes with citations, or a refusal (``refused=True``)."""
        q = self.check_question(question)
        k = max(1, min(top_k or self.settings.top_k, 20))
        retrieval = self.retriever.retrieve(q, history, k=k, docs=self.answer_docs)
        return self.answerer.answer(q, retrieval)

    def search(
        self,
        query: str,
        *,
        doc: str | None = None,
        section: str | None = None,
        limit: int = 10,
        level: str | None = None,
        status: str | None = None,
    ) -> list[SearchResult]:
        """Staff clause search with highlight spans for the matched terms.

        Filters: ``doc`` (id or title substring), ``section`` (chapter/section substring),
        ``level`` (法律 / 行政法规 / 地方性法规 / …), ``status`` (``in_force`` / ``superseded`` /
        ``repealed`` / ``not_yet_in_force``, or their Chinese labels).  All texts are searched by default.
        """
        q = self.check_question(query)
        limit = max(1, min(limit, 100))
        if doc and not any(d.doc_id == doc or doc in d.title for d in self._docs.values()):
            raise DocumentNotFoundError(f"没有找到文件“{doc}”：请填写文件编号或标题中的文字（见 /api/documents）")
        docs = None
        if level or status:
            status_code = {v: k for k, v in STATUS_LABELS.items()}.get(status or "", status)
            docs = frozenset(
                d.doc_id for d in self._docs.values()
                if (not level or d.level == level) and (not status_code or self.validity[d.doc_id].status == status_code)
            )
        retrieval = self.retriever.retrieve(q, k=limit, doc=doc, section=section, docs=docs)
        terms = list(retrieval.analysis.weights)
        top = retrieval.hits[0].score if retrieval.hits else 0.0
        results = []
        for hit in retrieval.hits:
            c = hit.clause
            spans = highlight_spans(c.text, terms)
            # a clause matches when its text or its heading (一、申请资格, 第三章 供热与用热) holds the terms
            heading_match = bool(highlight_spans(c.section + c.subsection, terms))
            if not (spans or heading_match) or hit.score < SEARCH_MIN_RELATIVE_SCORE * top:
                continue  # staff want clauses that contain their keywords, not loose neighbours
            d = self._docs[c.doc_id]
            results.append(
                SearchResult(hit.doc_title, c.doc_id, c.section, c.number, c.label, c.title, c.text,
                             round(hit.score, 4), spans, c.sub, d.level, self.validity[c.doc_id].status)
            )
        # the text in force before an older version of the same words (superseded, repealed texts stay listed)
        results.sort(key=lambda r: -(r.score * (1.0 if r.status == "in_force" else SUPERSEDED_SEARCH_FACTOR)))
        return results

    # -- documents ------------------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        return [self.document(doc_id) for doc_id in self._docs]

    def _corpus_path(self, path: str) -> str:
        """``path`` relative to the corpus folder (``regulations/供水条例.txt``: a file in a subfolder
        is found, and removed, by it), or its file name when no corpus file matches it."""
        found = corpus_relative(self.settings.corpus_dir, path)
        return found.as_posix() if found else Path(path).name

    def document(self, doc_id: str) -> DocumentInfo:
        doc = self._docs.get(doc_id)
        if doc is None:
            raise DocumentNotFoundError(f"没有找到文件 {doc_id}")
        clauses = self.clauses(doc_id)
        refs = tuple(dict.fromkeys(r for c in clauses for r in c.references))
        titles = {d.title for d in self._docs.values()}
        v = self.validity[doc.doc_id]
        return DocumentInfo(
            doc_id=doc.doc_id,
            title=doc.title,
            path=self._corpus_path(doc.path),
            format=doc.format,
            sha256=doc.sha256,
            clauses=len(clauses),
            sections=tuple(dict.fromkeys(c.section for c in clauses if c.section)),
            references=refs,
            missing_references=tuple(r for r in refs if r not in titles and is_document_title(r)),
            version=doc.version,
            level=doc.level,
            issuer=doc.issuer,
            number=doc.number,
            history=doc.history,
            effective=doc.effective,
            status=v.status,
            status_since=v.since,
            replaced_by=v.replaced_by,
            versions=v.versions,
            warnings=doc.warnings,
        )

    def clauses(self, doc_id: str) -> list[Clause]:
        if doc_id not in self._docs:
            raise DocumentNotFoundError(f"没有找到文件 {doc_id}")
        return [c for c in self.store.clauses if c.doc_id == doc_id]

    def clause(self, doc_id: str, number: int | str) -> Clause:
        """A clause by its official number (``23``) or ref (``"11-1"`` for 第十一条之一)."""
        if doc_id not in self._docs:
            raise DocumentNotFoundError(f"没有找到文件 {doc_id}")
        clause = self._clauses.get((doc_id, str(number)))
        if clause is None:
            raise ClauseNotFoundError(f"文件 {doc_id} 没有第 {number} 条")
        return clause

    def find_document(self, name: str) -> DocumentInfo | None:
        """A document by id, exact title, or title substring."""
        for d in self._docs.values():
            if name in (d.doc_id, d.title):
                return self.document(d.doc_id)
        for d in self._docs.values():
            if name in d.title:
                return self.document(d.doc_id)
        return None

    def stats(self) -> dict[str, object]:
        m = self.manifest
        return {
            "documents": m.documents,
            "clauses": m.clauses,
            "chunks": m.chunks,
            "embedder": m.embedder_id,
            "dimension": m.dimension,
            "dense_index": m.dense_kind,
            "built_at": m.built_at,
            "build_seconds": m.build_seconds,
            "errors": list(m.errors),
        }


def _page_at(docs: dict[str, Document], doc_id: str, offset: int) -> int | None:
    """The page of ``doc_id`` holding character ``offset`` (None for formats without pages)."""
    doc = docs.get(doc_id)
    return doc.page_at(offset) if doc else None
