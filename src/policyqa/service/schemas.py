"""Request and response models of the JSON API (they make the OpenAPI schema).

The engine returns frozen dataclasses (:mod:`policyqa.models`); the ``*_out`` functions at the
bottom turn them into these models.  Field names follow the dataclasses so a client sees the
same vocabulary as the library.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from ..feedback import Gap
from ..manager import DocumentChange, IndexStatus
from ..models import Answer, Citation, Clause, DocumentInfo, SearchResult

SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- errors ----------------------------------------------------------------------------------


class ErrorBody(_Model):
    code: str = Field(description="Stable machine-readable code, e.g. `invalid_question`, `document_not_found`.")
    message: str = Field(description="Human-readable message (Chinese where citizens may read it).")
    details: list[dict[str, object]] | None = Field(default=None, description="Field errors (validation only).")


class ErrorResponse(_Model):
    error: ErrorBody


# -- asking ----------------------------------------------------------------------------------


class AskRequest(_Model):
    question: str = Field(description="The citizen's question (non-empty, at most `max_question_chars`).",
                          examples=["刚来城里工作租不起房怎么办"])
    session_id: str | None = Field(
        default=None, pattern=SESSION_ID_PATTERN,
        description="Conversation id returned by an earlier answer; follow-up questions use the conversation.",
    )
    top_k: int | None = Field(default=None, ge=1, le=20, description="Clauses to retrieve (default: settings).")


class CitationOut(_Model):
    doc: str = Field(description="Document title.")
    doc_id: str
    section: str
    clause: int = Field(description="Clause number (0 = opening paragraph).")
    label: str
    title: str
    quote: str = Field(description="The quoted sentence, verbatim.")
    start: int = Field(description="Offset of the quote in the clause text (end-exclusive `end`).")
    end: int
    page: int | None = None
    reference: str = Field(description="《文件》第N条「标题」")
    url: str = Field(description="API path of the full clause.")


class RelatedOut(_Model):
    doc: str
    doc_id: str
    section: str
    clause: int
    title: str
    score: float
    url: str


class AnswerOut(_Model):
    question: str
    answer: str = Field(description="Verbatim quotes from the cited clauses, or a polite refusal with contact line.")
    refused: bool
    confidence: float
    citations: list[CitationOut]
    related: list[RelatedOut]
    notes: list[str]
    resolved_question: str = Field(default="", description="The question as understood with the conversation.")
    session_id: str


# -- search and documents ----------------------------------------------------------------------


class SpanOut(_Model):
    start: int
    end: int
    term: str


class SearchResultOut(_Model):
    doc: str
    doc_id: str
    section: str
    clause: int
    label: str
    title: str
    text: str
    score: float
    highlights: list[SpanOut]
    reference: str
    url: str


class SearchResponse(_Model):
    query: str
    doc: str | None
    section: str | None
    results: list[SearchResultOut]


class DocumentOut(_Model):
    doc_id: str
    title: str
    path: str
    format: str
    sha256: str
    clauses: int
    sections: list[str]
    references: list[str]
    missing_references: list[str]
    warnings: list[str] = Field(
        default_factory=list, description="What of the file could not be read, e.g. pages without a text layer."
    )


class DocumentsResponse(_Model):
    documents: list[DocumentOut]


class ClauseSummary(_Model):
    number: int
    label: str
    title: str
    section: str
    subsection: str


class DocumentDetail(DocumentOut):
    clause_list: list[ClauseSummary] = Field(description="The document's clauses in reading order.")


class SentenceOut(_Model):
    text: str
    start: int
    end: int


class ClauseOut(_Model):
    doc: str
    doc_id: str
    number: int
    label: str
    title: str
    section: str
    subsection: str
    text: str
    start: int = Field(description="Offset of the clause in the document text.")
    end: int
    page: int | None
    sentences: list[SentenceOut] = Field(description="Sentences with offsets into `text`.")
    references: list[str] = Field(description="Other documents this clause refers to (《…》).")
    reference: str


# -- index administration ----------------------------------------------------------------------


class IndexStatusOut(_Model):
    state: Literal["idle", "building", "failed"]
    stage: str
    done: int
    total: int
    message: str
    started_at: datetime | None
    finished_at: datetime | None
    documents: int
    chunks: int
    operation: str
    ready: bool


class DocumentChangeOut(_Model):
    operation: Literal["add", "remove"]
    doc_id: str
    title: str
    filename: str
    sha256: str
    size: int
    status: IndexStatusOut
    warnings: list[str] = Field(
        default_factory=list, description="What of the file could not be read, e.g. pages without a text layer."
    )


# -- feedback ----------------------------------------------------------------------------------


class FeedbackRequest(_Model):
    session_id: str = Field(pattern=SESSION_ID_PATTERN)
    question: str = Field(min_length=1, max_length=1000)
    helpful: bool
    comment: str | None = Field(default=None, max_length=2000)


class FeedbackResponse(_Model):
    recorded: bool
    gap: bool = Field(description="True when the question was logged as a gap (not helpful).")


class GapOut(_Model):
    question: str
    count: int
    first_seen: datetime
    last_seen: datetime
    reasons: list[str]
    sources: list[str]


class GapsResponse(_Model):
    gaps: list[GapOut]


# -- operations --------------------------------------------------------------------------------


class HealthOut(_Model):
    status: Literal["ok"]


class ReadyOut(_Model):
    status: Literal["ready", "loading"]
    documents: int
    chunks: int
    index: IndexStatusOut


# -- converters --------------------------------------------------------------------------------


def clause_url(doc_id: str, number: int) -> str:
    return f"/api/documents/{quote(doc_id, safe='')}/clauses/{number}"


def reference(doc: str, number: int, title: str) -> str:
    return f"《{doc}》第{number}条「{title}」" if number else f"《{doc}》总体要求"


def citation_out(c: Citation) -> CitationOut:
    return CitationOut(
        doc=c.doc, doc_id=c.doc_id, section=c.section, clause=c.clause, label=c.label, title=c.title,
        quote=c.quote, start=c.start, end=c.end, page=c.page, reference=c.reference(),
        url=clause_url(c.doc_id, c.clause),
    )


def answer_out(answer: Answer, session_id: str) -> AnswerOut:
    return AnswerOut(
        question=answer.question,
        answer=answer.answer,
        refused=answer.refused,
        confidence=answer.confidence,
        citations=[citation_out(c) for c in answer.citations],
        related=[
            RelatedOut(doc=r.doc, doc_id=r.doc_id, section=r.section, clause=r.clause, title=r.title,
                       score=r.score, url=clause_url(r.doc_id, r.clause))
            for r in answer.related
        ],
        notes=list(answer.notes),
        resolved_question=answer.resolved_question,
        session_id=session_id,
    )


def search_result_out(r: SearchResult) -> SearchResultOut:
    return SearchResultOut(
        doc=r.doc, doc_id=r.doc_id, section=r.section, clause=r.clause, label=r.label, title=r.title,
        text=r.text, score=r.score,
        highlights=[SpanOut(start=h.start, end=h.end, term=h.term) for h in r.highlights],
        reference=reference(r.doc, r.clause, r.title), url=clause_url(r.doc_id, r.clause),
    )


def document_out(d: DocumentInfo, warnings: Sequence[str] = ()) -> DocumentOut:
    return DocumentOut(
        doc_id=d.doc_id, title=d.title, path=d.path, format=d.format, sha256=d.sha256, clauses=d.clauses,
        sections=list(d.sections), references=list(d.references), missing_references=list(d.missing_references),
        warnings=list(warnings),
    )


def document_detail(d: DocumentInfo, clauses: list[Clause], warnings: Sequence[str] = ()) -> DocumentDetail:
    return DocumentDetail(
        **document_out(d, warnings).model_dump(),
        clause_list=[
            ClauseSummary(number=c.number, label=c.label, title=c.title, section=c.section, subsection=c.subsection)
            for c in clauses
        ],
    )


def clause_out(c: Clause, doc_title: str) -> ClauseOut:
    return ClauseOut(
        doc=doc_title, doc_id=c.doc_id, number=c.number, label=c.label, title=c.title, section=c.section,
        subsection=c.subsection, text=c.text, start=c.start, end=c.end, page=c.page,
        sentences=[SentenceOut(text=s.text, start=s.start, end=s.end) for s in c.sentences],
        references=list(c.references), reference=reference(doc_title, c.number, c.title),
    )


def status_out(s: IndexStatus) -> IndexStatusOut:
    return IndexStatusOut(
        state=s.state, stage=s.stage, done=s.done, total=s.total, message=s.message, started_at=s.started_at,
        finished_at=s.finished_at, documents=s.documents, chunks=s.chunks, operation=s.operation, ready=s.ready,
    )


def change_out(c: DocumentChange) -> DocumentChangeOut:
    return DocumentChangeOut(
        operation=c.operation, doc_id=c.doc_id, title=c.title, filename=c.filename, sha256=c.sha256,
        size=c.size, status=status_out(c.status), warnings=list(c.warnings),
    )


def gap_out(g: Gap) -> GapOut:
    return GapOut(question=g.question, count=g.count, first_seen=g.first_seen, last_seen=g.last_seen,
                  reasons=list(g.reasons), sources=list(g.sources))
