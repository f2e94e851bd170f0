"""Clauses → chunks: windows of whole sentences that keep their clause for citations.

A chunk never crosses a clause boundary.  Consecutive sentences are packed up to
``max_chars``; a single longer sentence becomes a chunk on its own.  The indexed
``context`` prepends the clause title and section so that headings help ranking.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models import Chunk, Clause

DEFAULT_MAX_CHARS = 160


def clause_context(clause: Clause, doc_title: str) -> str:
    """Headings that describe where a passage sits (indexed with it, not quoted)."""
    # an article's "title" is an excerpt of its own text: only real headings are context
    parts = [doc_title, clause.section, clause.subsection, "" if clause.is_article else clause.title]
    return " ".join(p for p in parts if p)


def chunk_clauses(
    clauses: Iterable[Clause], doc_titles: dict[str, str], max_chars: int = DEFAULT_MAX_CHARS
) -> list[Chunk]:
    chunks: list[Chunk] = []
    for clause in clauses:
        head = clause_context(clause, doc_titles.get(clause.doc_id, ""))
        window: list = []
        for sent in clause.sentences or ():
            size = sum(len(s.text) for s in window)
            if window and size + len(sent.text) > max_chars:
                chunks.append(_chunk(len(chunks), clause, window, head))
                window = []
            window.append(sent)
        if window:
            chunks.append(_chunk(len(chunks), clause, window, head))
    return chunks


def _chunk(chunk_id: int, clause: Clause, window: list, head: str) -> Chunk:
    start, end = window[0].start, window[-1].end
    text = clause.text[start:end]
    return Chunk(
        chunk_id=chunk_id,
        doc_id=clause.doc_id,
        clause_number=clause.number,
        clause_sub=clause.sub,
        text=text,
        context=f"{head}\n{text}" if head else text,
        start=start,
        end=end,
    )
