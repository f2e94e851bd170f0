"""Building the index: corpus files → documents → clauses → passages → BM25, embeddings, FAISS,
written to a new build folder that replaces the live one atomically.

:func:`build_index` is what :meth:`policyqa.engine.QAEngine.build` (and through it ``policyqa
index``, the server's first start and every rebuild after an upload) runs; the engine opens the
result for questions.  :func:`corpus_files` is the corpus fingerprint the manifest records, so a
changed corpus is noticed on load.  Embeddings of passages whose text did not change are reused
from the live build (by content hash), so a rebuild after one upload embeds only the new passages.

Progress is reported to an optional ``progress(stage, done, total)`` callback, in this order:
``load`` (documents), ``structure`` (clauses), ``segment`` (passages), ``embed`` (passages, per
embedding batch, then once more at the end), ``save`` (1/1).  :mod:`policyqa.progress` prints them.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .config import Settings
from .documents.chunking import chunk_clauses, clause_context
from .documents.structure import parse_clauses
from .errors import ConfigError, IndexNotFoundError
from .index.dense import DenseIndex
from .index.embedders import Embedder, create_embedder
from .index.sparse import SparseIndex
from .index.storage import FORMAT_VERSION, IndexStorage, Manifest, Store, file_sha256, text_key
from .models import Chunk, Clause, Document
from .segmentation import Segmenter

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def corpus_files(corpus_dir: Path) -> dict[str, str]:
    """Document files (and metadata sidecars) under the corpus folder, by relative path → sha256 of
    their bytes (what the manifest records)."""
    from .documents.loaders import corpus_paths
    from .documents.metadata import SIDECAR

    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return {}
    files = {p.relative_to(corpus_dir).as_posix(): file_sha256(p) for p in corpus_paths(corpus_dir)}
    for sidecar in sorted(corpus_dir.rglob(SIDECAR)):  # staff metadata changes rebuild too
        files[sidecar.relative_to(corpus_dir).as_posix()] = file_sha256(sidecar)
    return files


@dataclass(frozen=True)
class BuiltIndex:
    """What :func:`build_index` wrote, held in memory so the engine need not read it back:
    the manifest, the store (documents, clauses, chunks), the three BM25 indexes (passages,
    clauses, documents), the FAISS index (``None`` for an empty corpus) and the embedder and
    segmenter it was built with (they go on serving queries)."""

    manifest: Manifest
    store: Store
    chunk_index: SparseIndex
    clause_index: SparseIndex
    doc_index: SparseIndex
    dense: DenseIndex | None
    embedder: Embedder
    segmenter: Segmenter


def build_index(
    settings: Settings,
    *,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    segmenter: Segmenter | None = None,
) -> BuiltIndex:
    """Build the index of ``settings.corpus_dir`` into a new folder of ``settings.index_dir`` and
    switch ``CURRENT`` to it atomically (an interrupted build leaves the previous index live).

    ``embedder``/``segmenter``: reuse already loaded models (a rebuild then loads neither the
    embedding model nor jieba's dictionary again).  Raises :class:`ConfigError` when the corpus
    folder does not exist; a document that cannot be read is skipped and listed in
    ``manifest.errors``.
    """
    from .documents.limits import DocumentLimits
    from .documents.loaders import load_corpus

    t0 = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    embedder = embedder or create_embedder(settings.embedder, settings.embedder_model, settings.embed_batch_size)
    if not Path(settings.corpus_dir).is_dir():
        raise ConfigError(f"corpus folder {settings.corpus_dir} does not exist (set POLICYQA_CORPUS_DIR or --corpus)")
    storage = IndexStorage(settings.index_dir)
    previous = _previous_vectors(storage, embedder)
    hashes = corpus_files(settings.corpus_dir)
    loaded = load_corpus(settings.corpus_dir, DocumentLimits.from_settings(settings))
    report("load", len(loaded.documents), len(loaded.documents))
    clauses: list[Clause] = []
    for doc in loaded.documents:
        clauses.extend(parse_clauses(doc))
    titles = {d.doc_id: d.title for d in loaded.documents}
    chunks = chunk_clauses(clauses, titles, settings.chunk_chars)
    report("structure", len(clauses), len(clauses))

    segmenter = segmenter or Segmenter()
    chunk_tokens, clause_tokens, doc_tokens = _index_terms(segmenter, loaded.documents, clauses, chunks, titles)
    report("segment", len(chunks), len(chunks))
    chunk_index = SparseIndex.build(chunk_tokens)
    clause_index = SparseIndex.build(clause_tokens)
    doc_index = SparseIndex.build(doc_tokens)

    vectors = np.zeros((len(chunks), embedder.dimension), dtype=np.float32)
    todo = []
    for i, ch in enumerate(chunks):
        cached = previous.get(text_key(ch.context))
        if cached is not None:
            vectors[i] = cached
        else:
            todo.append(i)
    if todo:
        fresh = embedder.embed_documents(
            [chunks[i].context for i in todo], progress=lambda done, total: report("embed", done, total)
        )
        vectors[todo] = fresh
    report("embed", len(todo), len(todo))
    dense = DenseIndex.build(vectors, settings.faiss_exact_limit) if len(chunks) else None

    store = Store(tuple(loaded.documents), tuple(clauses), tuple(chunks))
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        package_version=__version__,
        embedder_id=embedder.model_id,
        dimension=embedder.dimension,
        corpus=hashes,
        documents=len(loaded.documents),
        clauses=len(clauses),
        chunks=len(chunks),
        built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - t0, 3),
        dense_kind=dense.kind if dense else "",
        errors=[str(e) for e in loaded.errors],
    )
    with storage.new_build() as folder:
        store.write(folder / "store.json")
        chunk_index.save(folder / "bm25_chunks")
        clause_index.save(folder / "bm25_clauses")
        doc_index.save(folder / "bm25_docs")
        if dense is not None:
            dense.save(folder / "dense.faiss")
        np.save(folder / "vectors.npy", vectors)
        (folder / "keys.txt").write_text("\n".join(text_key(c.context) for c in chunks), encoding="utf-8")
        manifest.write(folder / "manifest.json")
        report("save", 1, 1)
    logger.info("built index: %d documents, %d clauses, %d chunks (%d embedded) in %.1fs",
                len(loaded.documents), len(clauses), len(chunks), len(todo), manifest.build_seconds)
    return BuiltIndex(manifest, store, chunk_index, clause_index, doc_index, dense, embedder, segmenter)


TERM_CACHE_SENTENCES = 1 << 15  # sentences memoised during a build (a document's worth, with room)


def _index_terms(
    segmenter: Segmenter,
    documents: Sequence[Document],
    clauses: Sequence[Clause],
    chunks: Sequence[Chunk],
    titles: dict[str, str],
) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """BM25 terms of every chunk, clause and document, one document at a time so that a sentence
    cache serves a sentence's three uses (chunk, clause, document); the cache lives for this
    build only, not in the segmenter that goes on serving queries."""
    terms = functools.lru_cache(maxsize=TERM_CACHE_SENTENCES)(segmenter.sentence_terms)
    by_doc: dict[str, tuple[list[int], list[int]]] = {d.doc_id: ([], []) for d in documents}
    for i, c in enumerate(clauses):
        by_doc[c.doc_id][0].append(i)
    for i, ch in enumerate(chunks):
        by_doc[ch.doc_id][1].append(i)
    chunk_terms: list[list[str]] = [[] for _ in chunks]
    clause_terms: list[list[str]] = [[] for _ in clauses]
    doc_terms: list[list[str]] = []
    for d in documents:
        clause_ids, chunk_ids = by_doc[d.doc_id]
        for i in clause_ids:
            c = clauses[i]
            clause_terms[i] = segmenter.index_terms(clause_context(c, titles[c.doc_id]) + "\n" + c.text, terms)
        for i in chunk_ids:
            chunk_terms[i] = segmenter.index_terms(chunks[i].context, terms)
        doc_terms.append(segmenter.index_terms("\n".join([d.title, *(clauses[i].text for i in clause_ids)]), terms))
    return chunk_terms, clause_terms, doc_terms


def _previous_vectors(storage: IndexStorage, embedder: Embedder) -> dict[str, np.ndarray]:
    """Embeddings of the live build, by chunk-text hash, when it used the same embedder."""
    try:
        folder = storage.current()
        manifest = storage.manifest()
    except IndexNotFoundError:
        return {}
    if manifest.embedder_id != embedder.model_id or manifest.dimension != embedder.dimension:
        return {}
    try:
        keys = (folder / "keys.txt").read_text(encoding="utf-8").split("\n")
        vectors = np.load(folder / "vectors.npy")
    except (OSError, ValueError):
        return {}
    if len(keys) != len(vectors):
        return {}
    return dict(zip(keys, vectors))
