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

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..feedback import FeedbackEntry, Gap
from ..manager import DocumentChange
from ..models import Answer, Citation, Clause, DocumentInfo, SearchResult, clause_reference
from ..rebuild import IndexStatus

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
    question: str = Field(description="The citizen's question (non-empty, at most `max_question_chars`); "
                                      "empty, blank or control-character-only questions get 422 `invalid_question`.",
                          examples=["刚来城里工作租不起房怎么办"], json_schema_extra={"minLength": 1})
    session_id: str | None = Field(
        default=None, pattern=SESSION_ID_PATTERN,
        description="Conversation id returned by an earlier answer; follow-up questions use the conversation.",
    )
    top_k: int | None = Field(default=None, ge=1, le=20, description="Clauses to retrieve (default: settings).")


class CitationOut(_Model):
    doc: str = Field(description="Document title.")
    doc_id: str
    section: str
    clause: int = Field(description="Official article number (第二十三条 → 23; 0 = opening paragraph).")
    number: int = Field(description="Same as `clause`: the official number.")
    sub: int = Field(default=0, description="之一/之二 index (第十一条之一 → number 11, sub 1).")
    label: str = Field(description="Official label as printed: 第十条 (or 5. in a numbered plan).")
    title: str
    quote: str = Field(description="The quoted sentence, verbatim.")
    start: int = Field(description="Offset of the quote in the clause text (end-exclusive `end`).")
    end: int
    page: int | None = None
    status: str = Field(default="in_force", description="in_force | superseded | repealed | not_yet_in_force")
    effective: str = Field(default="", description="The document's 施行日期 (ISO date) when known.")
    version: str = Field(default="", description="Version label of the document (2025年修订).")
    reference: str = Field(description="《住房租赁条例》第十条, or 《文件》第N条「标题」 for a numbered plan")
    url: str = Field(description="API path of the full clause.")


class RelatedOut(_Model):
    doc: str
    doc_id: str
    section: str
    clause: int
    label: str = ""
    sub: int = 0
    title: str
    score: float
    status: str = "in_force"
    url: str


class AnswerOut(_Model):
    question: str
    answer: str = Field(description="Verbatim quotes from the cited clauses, or a polite refusal with contact line.")
    refused: bool
    status: Literal["answered", "partial", "refused"] = Field(
        default="answered",
        description="answered; partial = the documents address the topic but not the detail asked (see `missing`); refused.")
    missing: str = Field(default="", description="For a partial answer: the detail the documents do not state.")
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
    sub: int = 0
    label: str
    title: str
    text: str
    score: float
    level: str = ""
    status: str = "in_force"
    highlights: list[SpanOut]
    reference: str
    url: str


class SearchResponse(_Model):
    query: str
    doc: str | None
    section: str | None
    level: str | None = None
    status: str | None = None
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
    version: str = Field(default="", description="Version label (2025年修订).")
    level: str = Field(default="", description="法律 / 行政法规 / 地方性法规 / 规范性文件 / 工作计划")
    issuer: str = ""
    number: str = Field(default="", description="文号/令号 where printed.")
    history: list[str] = Field(default_factory=list, description="Adoption/revision dates: 2025-09-29 修订.")
    effective: str = Field(default="", description="施行日期 (ISO date) when known.")
    status: str = Field(default="in_force", description="in_force | superseded | repealed | not_yet_in_force")
    status_since: str = ""
    replaced_by: str = Field(default="", description="doc_id of the text that replaced or repealed it.")
    versions: list[str] = Field(default_factory=list, description="doc_ids of all versions, oldest first.")
    warnings: list[str] = Field(default_factory=list, description="Parse warnings (pages without text …).")


class DocumentsResponse(_Model):
    documents: list[DocumentOut]


class ClauseSummary(_Model):
    number: int
    sub: int = 0
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


class ClausePartOut(_Model):
    kind: Literal["paragraph", "item", "subitem"]
    label: str
    start: int = Field(description="Offset into the clause text.")
    end: int


class ClauseOut(_Model):
    doc: str
    doc_id: str
    number: int
    sub: int = 0
    label: str
    title: str
    section: str
    subsection: str
    text: str
    parts: list[ClausePartOut] = Field(default_factory=list, description="款 paragraphs, 项 items, 目 sub-items.")
    start: int = Field(description="Offset of the clause in the document text.")
    end: int
    page: int | None
    sentences: list[SentenceOut] = Field(description="Sentences with offsets into `text`.")
    references: list[str] = Field(description="Other documents this clause refers to (《…》).")
    reference: str


# -- index administration ----------------------------------------------------------------------


class IndexStatusOut(_Model):
    """Progress of the index.  Without a valid admin key, ``operation`` is only the kind of
    change and ``message`` is generic (file names and internals are for admins)."""

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
    helpful: StrictBool = Field(description="`true` (有用) or `false` (没用); numbers and strings are refused.")
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


class FeedbackEntryOut(_Model):
    session_id: str
    question: str
    helpful: bool
    comment: str | None = Field(default=None, description="The citizen's comment, if any.")
    created_at: datetime


class FeedbackListResponse(_Model):
    counts: dict[str, int] = Field(description="Rows kept per kind (`feedback`, `gaps`).")
    feedback: list[FeedbackEntryOut] = Field(description="Newest first.")


# -- operations --------------------------------------------------------------------------------


class HealthOut(_Model):
    status: Literal["ok"]


class ReadyOut(_Model):
    status: Literal["ready", "loading"]
    documents: int
    chunks: int
    index: IndexStatusOut
    shared_state: Literal["memory", "ok", "unavailable"] = Field(
        default="memory",
        description="Sessions, limits and WeChat dedup: in this process (`memory`), or Redis reachable (`ok`) "
                    "or not (`unavailable`: questions get 503 `state_unavailable`; readiness stays 200, "
                    "every replica shares the same Redis).")


# -- converters --------------------------------------------------------------------------------


def clause_url(doc_id: str, number: int, sub: int = 0) -> str:
    return f"/api/documents/{quote(doc_id, safe='')}/clauses/{number}" + (f"-{sub}" if sub else "")


def reference(doc: str, number: int, title: str, label: str = "") -> str:
    return clause_reference(doc, label, number, title)


def citation_out(c: Citation) -> CitationOut:
    return CitationOut(
        doc=c.doc, doc_id=c.doc_id, section=c.section, clause=c.clause, number=c.clause, sub=c.sub, label=c.label,
        title=c.title, quote=c.quote, start=c.start, end=c.end, page=c.page, status=c.status,
        effective=c.effective, version=c.version, reference=c.reference(), url=clause_url(c.doc_id, c.clause, c.sub),
    )


def answer_out(answer: Answer, session_id: str) -> AnswerOut:
    return AnswerOut(
        question=answer.question,
        answer=answer.answer,
        refused=answer.refused,
        status=answer.status,
        missing=answer.missing,
        confidence=answer.confidence,
        citations=[citation_out(c) for c in answer.citations],
        related=[
            RelatedOut(doc=r.doc, doc_id=r.doc_id, section=r.section, clause=r.clause, label=r.label, sub=r.sub,
                       title=r.title, score=r.score, status=r.status, url=clause_url(r.doc_id, r.clause, r.sub))
            for r in answer.related
        ],
        notes=list(answer.notes),
        resolved_question=answer.resolved_question,
        session_id=session_id,
    )


def search_out(query: str, results: Sequence[SearchResult], *, doc: str | None = None, section: str | None = None,
               level: str | None = None, status: str | None = None) -> SearchResponse:
    """``/api/search``'s body (also ``policyqa search --json``); empty filters are ``None``."""
    return SearchResponse(query=query, doc=doc or None, section=section or None, level=level or None, status=status,
                          results=[search_result_out(r) for r in results])


def search_result_out(r: SearchResult) -> SearchResultOut:
    return SearchResultOut(
        doc=r.doc, doc_id=r.doc_id, section=r.section, clause=r.clause, sub=r.sub, label=r.label, title=r.title,
        text=r.text, score=r.score, level=r.level, status=r.status,
        highlights=[SpanOut(start=h.start, end=h.end, term=h.term) for h in r.highlights],
        reference=reference(r.doc, r.clause, r.title, r.label), url=clause_url(r.doc_id, r.clause, r.sub),
    )


def document_out(d: DocumentInfo, warnings: Sequence[str] = ()) -> DocumentOut:
    return DocumentOut(
        doc_id=d.doc_id, title=d.title, path=d.path, format=d.format, sha256=d.sha256, clauses=d.clauses,
        sections=list(d.sections), references=list(d.references), missing_references=list(d.missing_references),
        version=d.version, level=d.level, issuer=d.issuer, number=d.number, history=list(d.history),
        effective=d.effective, status=d.status, status_since=d.status_since, replaced_by=d.replaced_by,
        versions=list(d.versions), warnings=list(warnings or d.warnings),
    )


def document_detail(d: DocumentInfo, clauses: list[Clause], warnings: Sequence[str] = ()) -> DocumentDetail:
    return DocumentDetail(
        **document_out(d, warnings).model_dump(),
        clause_list=[
            ClauseSummary(number=c.number, sub=c.sub, label=c.label, title=c.title, section=c.section,
                          subsection=c.subsection)
            for c in clauses
        ],
    )


def clause_out(c: Clause, doc_title: str) -> ClauseOut:
    return ClauseOut(
        doc=doc_title, doc_id=c.doc_id, number=c.number, sub=c.sub, label=c.label, title=c.title, section=c.section,
        subsection=c.subsection, text=c.text, start=c.start, end=c.end, page=c.page,
        parts=[ClausePartOut(kind=p.kind, label=p.label, start=p.start, end=p.end) for p in c.parts],
        sentences=[SentenceOut(text=s.text, start=s.start, end=s.end) for s in c.sentences],
        references=list(c.references), reference=reference(doc_title, c.number, c.title, c.label),
    )


#: What the public (no admin key) sees as a failed rebuild's message.
PUBLIC_FAILED_MESSAGE = "索引重建失败，已保留原索引"


def status_out(s: IndexStatus, *, detail: bool = True) -> IndexStatusOut:
    """The index status; without ``detail`` (the public view) ``operation`` is only its kind
    (``add``/``remove``/``load``/``rebuild``, never a file name) and a failure's message is generic."""
    operation, message = s.operation, s.message
    if not detail:
        operation = operation.split(" ", 1)[0]
        message = PUBLIC_FAILED_MESSAGE if s.state == "failed" else ""
    return IndexStatusOut(
        state=s.state, stage=s.stage, done=s.done, total=s.total, message=message, started_at=s.started_at,
        finished_at=s.finished_at, documents=s.documents, chunks=s.chunks, operation=operation, ready=s.ready,
    )


def change_out(c: DocumentChange) -> DocumentChangeOut:
    return DocumentChangeOut(
        operation=c.operation, doc_id=c.doc_id, title=c.title, filename=c.filename, sha256=c.sha256,
        size=c.size, status=status_out(c.status), warnings=list(c.warnings),
    )


def feedback_entry_out(f: FeedbackEntry) -> FeedbackEntryOut:
    return FeedbackEntryOut(session_id=f.session_id, question=f.question, helpful=f.helpful, comment=f.comment,
                            created_at=f.created_at)


def gap_out(g: Gap) -> GapOut:
    return GapOut(question=g.question, count=g.count, first_seen=g.first_seen, last_seen=g.last_seen,
                  reasons=list(g.reasons), sources=list(g.sources))
