"""Typed, frozen data objects that cross module boundaries.

Vocabulary (Chinese official documents, GB/T 9704 style):

* section (部分, ``一、``): a top-level heading such as ``二、提升住房工作水平``.
* subsection (``（一）``): a second-level heading.
* clause (条, ``1.`` or ``第X条``): the unit a citation points to.  Clause 0 is
  the opening paragraph before the first section (总体要求).
* item (项, ``（1）``): an enumerated item inside a clause; kept inside the clause text.

All offsets are character offsets (Python ``str`` indices), end-exclusive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PageSpan:
    """A page of a paginated source (PDF): text offsets ``[start, end)`` of ``Document.text``."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A loaded source file: normalised text plus where it came from."""

    doc_id: str
    title: str
    path: str
    text: str
    sha256: str
    format: str = "txt"
    pages: tuple[PageSpan, ...] = ()
    warnings: tuple[str, ...] = ()  # what staff should know (pages without a text layer …)

    def page_at(self, offset: int) -> int | None:
        """1-based page number holding ``offset``, or ``None`` for unpaginated sources."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return self.pages[-1].page if self.pages and offset >= self.pages[-1].end else None


@dataclass(frozen=True)
class Sentence:
    """A sentence of a clause; ``start``/``end`` are offsets into ``Clause.text``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Clause:
    """A citable unit of a document (条).

    ``number`` is the clause's ordinal in its document: 0 is the opening paragraph,
    then 1, 2, … in reading order (for the work plan it equals the printed ``1.``–``18.``).
    ``label`` is the marker as printed (``5.``, ``第五条``, ``（三）``).
    """

    doc_id: str
    number: int
    label: str
    title: str
    section: str
    subsection: str
    text: str
    start: int
    end: int
    sentences: tuple[Sentence, ...] = ()
    references: tuple[str, ...] = ()
    page: int | None = None

    @property
    def clause_id(self) -> str:
        return f"{self.doc_id}#{self.number}"


@dataclass(frozen=True)
class Chunk:
    """An indexed passage: a window of whole sentences of one clause.

    ``text`` is the verbatim passage; ``context`` is what gets indexed (document
    title, section and clause title prepended so headings help ranking).
    """

    chunk_id: int
    doc_id: str
    clause_number: int
    text: str
    context: str
    start: int
    end: int


@dataclass(frozen=True)
class Span:
    """A highlighted region ``[start, end)`` of a clause's text, with the matched term."""

    start: int
    end: int
    term: str = ""


@dataclass(frozen=True)
class Hit:
    """A retrieved clause with its fused score and the per-retriever evidence."""

    clause: Clause
    doc_title: str
    score: float
    sparse_score: float = 0.0
    dense_score: float = 0.0
    best_chunk: Chunk | None = None


@dataclass(frozen=True)
class Citation:
    """Where a quoted sentence comes from.  ``start``/``end`` are offsets into the clause text."""

    doc: str
    doc_id: str
    section: str
    clause: int
    label: str
    title: str
    quote: str
    start: int
    end: int
    page: int | None = None

    def reference(self) -> str:
        """Compact human citation: 《文件》第N条「标题」."""
        return f"《{self.doc}》第{self.clause}条「{self.title}」" if self.clause else f"《{self.doc}》总体要求"


@dataclass(frozen=True)
class RelatedClause:
    doc: str
    doc_id: str
    section: str
    clause: int
    title: str
    score: float


@dataclass(frozen=True)
class Answer:
    """The engine's reply to a question.

    ``answer`` is made only of verbatim quotes from ``citations`` (plus fixed framing
    words and notes); when ``refused`` is true it is a polite "not found" message.
    """

    question: str
    answer: str
    refused: bool
    confidence: float
    citations: tuple[Citation, ...] = ()
    related: tuple[RelatedClause, ...] = ()
    notes: tuple[str, ...] = ()
    resolved_question: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchResult:
    """A clause matching a staff keyword search, with spans to highlight."""

    doc: str
    doc_id: str
    section: str
    clause: int
    label: str
    title: str
    text: str
    score: float
    highlights: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DocumentInfo:
    """A corpus document as listed to users."""

    doc_id: str
    title: str
    path: str
    format: str
    sha256: str
    clauses: int
    sections: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    missing_references: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation (for follow-up questions)."""

    question: str
    clauses: tuple[str, ...] = field(default_factory=tuple)
