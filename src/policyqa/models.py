"""Typed, frozen data objects that cross module boundaries.

Vocabulary (Chinese official documents, GB/T 9704 style):

* section (部分, ``一、``): a top-level heading such as ``二、提升住房工作水平``.
* subsection (``（一）``): a second-level heading.
* clause (条, ``1.`` or ``第X条``): the unit a citation points to.  Clause 0 is
  the opening paragraph before the first section (总体要求).
* item (项, ``（1）``): an enumerated item inside a clause; kept inside the clause text.

Legal texts (法律、法规): 编 part › 章 chapter (``section``) › 节 (``subsection``) › 条 article (a
``Clause`` whose ``number`` is the official article number, ``第二十三条`` → 23, and ``sub`` the
``之一`` index) › 款 paragraph / 项 item ``（一）`` / 目 sub-item (``ClausePart``s inside the article).

All offsets are character offsets (Python ``str`` indices), end-exclusive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


def is_article_label(label: str) -> bool:
    """``第十条``/``第十一条之一`` (a legal article, cited by its label) — not ``5.`` or ``（三）``."""
    return label.startswith("第") and "条" in label


def clause_reference(doc: str, label: str, number: int, title: str, version: str = "") -> str:
    """The official citation of a clause: 《住房租赁条例》第十条 (an article), 《工作要点》第5条「标题」
    (a numbered plan), 《工作要点》总体要求 (clause 0); ``version`` names a text no longer in force."""
    name = f"《{doc}》" + (f"（{version}）" if version else "")
    if is_article_label(label):
        return name + label
    if not number:
        return f"{name}总体要求"
    return f"{name}第{number}条「{title}」" if title else f"{name}第{number}条"


def citation_label(label: str, number: int) -> str:
    """How a citation names a clause: ``第二十三条`` (an article), ``第5条`` (a numbered plan), ``总体要求`` (0)."""
    if is_article_label(label):
        return label
    return f"第{number}条" if number else "总体要求"


@dataclass(frozen=True)
class PageSpan:
    """A page of a paginated source (PDF): text offsets ``[start, end)`` of ``Document.text``."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A loaded source file: normalised text plus where it came from, and what it is.

    Metadata (read from the text by ``documents.metadata``, overridable by staff): ``version``
    the version label (``2025年修订``), ``level`` (法律 / 行政法规 / 地方性法规 / 规范性文件 / 工作计划),
    ``issuer``, ``number`` (文号/令号), ``history`` (``("2011-12-01 通过", "2025-09-29 修订")``),
    ``effective`` (施行日期, ISO date or ""), ``repeals`` (titles this text declares repealed,
    ``《城市供水条例》同时废止``).  Validity as of a date is computed over the corpus
    (``documents.validity``), not stored.
    """

    doc_id: str
    title: str
    path: str
    text: str
    sha256: str
    format: str = "txt"
    pages: tuple[PageSpan, ...] = ()
    version: str = ""
    level: str = ""
    issuer: str = ""
    number: str = ""
    history: tuple[str, ...] = ()
    effective: str = ""
    repeals: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

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
class ClausePart:
    """A paragraph (款), item (项, ``（一）``) or sub-item (目, ``1.``) of an article; ``start``/``end``
    are offsets into ``Clause.text``; ``label`` is the printed marker (empty for paragraphs)."""

    kind: str  # paragraph | item | subitem
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Clause:
    """A citable unit of a document (条).

    ``number`` is the **official** number: for legal texts the article number (``第二十三条`` →
    23, ``第十一条之一`` → 11 with ``sub`` 1); for numbered plans the printed ``1.``–``18.``; 0 is
    the opening paragraph (总体要求); documents without usable numbering get ordinals.
    ``label`` is the marker as printed, normalised (``5.``, ``第二十三条``, ``第十一条之一``).
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
    sub: int = 0
    parts: tuple[ClausePart, ...] = ()

    @property
    def ref(self) -> str:
        """``"23"`` or ``"11-1"`` (第十一条之一): unique within a document, used in URLs."""
        return f"{self.number}-{self.sub}" if self.sub else str(self.number)

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.doc_id, self.number, self.sub)

    @property
    def clause_id(self) -> str:
        return f"{self.doc_id}#{self.ref}"

    @property
    def is_article(self) -> bool:
        """A legal article (第X条), cited by its label alone."""
        return is_article_label(self.label)

    @property
    def citation_label(self) -> str:
        """How a citation names it: ``第二十三条``, ``第5条``, ``总体要求``."""
        return citation_label(self.label, self.number)


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
    clause_sub: int = 0

    @property
    def clause_key(self) -> tuple[str, int, int]:
        return (self.doc_id, self.clause_number, self.clause_sub)


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
class Validity:
    """A document's status as of a date (``documents.validity``).

    ``status``: ``in_force`` | ``superseded`` | ``repealed`` | ``not_yet_in_force``; ``since``: ISO
    date the status began ("" when unknown); ``replaced_by``: doc_id of the text that replaced or
    repealed it; ``versions``: doc_ids of all texts of the same regulation, oldest first.
    """

    status: str = "in_force"
    since: str = ""
    replaced_by: str = ""
    replaced_by_title: str = ""
    versions: tuple[str, ...] = ()

    @property
    def in_force(self) -> bool:
        return self.status == "in_force"

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


STATUS_LABELS = {"in_force": "现行有效", "superseded": "已被修订", "repealed": "已废止", "not_yet_in_force": "尚未施行"}


@dataclass(frozen=True)
class Citation:
    """Where a quoted sentence comes from.  ``start``/``end`` are offsets into the clause text.

    ``clause``/``number`` are the official article number, ``sub`` its 之一 index, ``label`` the
    official label (``第十条``; ``5.`` for a numbered plan); ``status``/``effective`` the document's
    validity (``in_force`` …) and 施行日期.
    """

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
    sub: int = 0
    status: str = "in_force"
    effective: str = ""
    version: str = ""

    @property
    def number(self) -> int:
        return self.clause

    @property
    def is_article(self) -> bool:
        return is_article_label(self.label)

    @property
    def citation_label(self) -> str:
        return citation_label(self.label, self.clause)

    def reference(self) -> str:
        """Compact human citation: 《住房租赁条例》第十条, 《工作要点》第5条「标题」 (see :func:`clause_reference`)."""
        version = self.version if self.status != "in_force" else ""
        # a clause without a heading has its opening words as title: not repeated before the quote
        # that starts with them (第4条「补贴按季度发放，…」：「补贴按季度发放，…」)
        opening = self.title.rstrip("…").strip()
        title = "" if opening and self.quote.startswith(opening) else self.title
        return clause_reference(self.doc, self.label, self.clause, title, version)


@dataclass(frozen=True)
class RelatedClause:
    doc: str
    doc_id: str
    section: str
    clause: int
    title: str
    score: float
    label: str = ""
    sub: int = 0
    status: str = "in_force"


@dataclass(frozen=True)
class Answer:
    """The engine's reply to a question.

    ``answer`` is made only of verbatim quotes from ``citations`` (plus fixed framing
    words and notes); when ``refused`` is true it is a polite "not found" message.
    ``status``: ``answered``; ``partial`` — the documents address the topic but not the detail
    asked (``missing`` names it, e.g. ``具体数额或标准``), the closest clauses are quoted with a plain
    statement of what is not stated; ``refused`` (same as ``refused=True``).
    """

    question: str
    answer: str
    refused: bool
    confidence: float
    citations: tuple[Citation, ...] = ()
    related: tuple[RelatedClause, ...] = ()
    notes: tuple[str, ...] = ()
    resolved_question: str = ""
    status: str = "answered"
    missing: str = ""

    def __post_init__(self) -> None:
        if self.refused and self.status != "refused":
            object.__setattr__(self, "status", "refused")

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
    sub: int = 0
    level: str = ""
    status: str = "in_force"

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
    version: str = ""
    level: str = ""
    issuer: str = ""
    number: str = ""
    history: tuple[str, ...] = ()
    effective: str = ""
    status: str = "in_force"
    status_since: str = ""
    replaced_by: str = ""
    versions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation (for follow-up questions)."""

    question: str
    clauses: tuple[str, ...] = field(default_factory=tuple)
