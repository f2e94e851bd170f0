"""Staff and admin endpoints: clause search, documents and clauses, uploads, index status, gaps."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from ..config import Settings
from ..engine import QAEngine
from ..errors import DocumentTooLargeError, ReadOnlyReplicaError
from ..manager import READ_ONLY_MESSAGE
from .deps import AdminDep, EngineDep, FeedbackDep, IsAdminDep, ManagerDep, SearchLimit
from .errors import InvalidUploadError
from .routes_ask import RATE_LIMITED
from .schemas import (
    ClauseOut,
    DocumentChangeOut,
    DocumentDetail,
    DocumentsResponse,
    ErrorResponse,
    FeedbackListResponse,
    GapsResponse,
    IndexStatusOut,
    SearchResponse,
    change_out,
    clause_out,
    document_detail,
    document_out,
    feedback_entry_out,
    gap_out,
    search_out,
    status_out,
)

UPLOAD_READ_CHUNK = 64 * 1024
MAX_FILENAME_BYTES = 255  # what file systems allow for one name (ext4, NTFS …)
MULTIPART_OVERHEAD = 64 * 1024  # allowance for boundaries and part headers on top of the file

_READ_ONLY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "This instance is a reader replica (`read_only_replica`, "
                                                 "`POLICYQA_ROLE=reader`): send corpus changes to the writer."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown document or clause."},
}
_ADMIN: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing `X-API-Key`."},
    403: {"model": ErrorResponse, "description": "Wrong key, or admin endpoints disabled (`admin_disabled`)."},
    429: {"model": ErrorResponse, "description": "Too many wrong keys from this client "
                                                 "(`too_many_auth_failures`); retry after `Retry-After` seconds.",
          "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}},
}

DocId = Annotated[str, Path(description="Document id (see `/api/documents`).", max_length=200)]

#: Optional metadata form fields of an upload (override what is read from the text).
Level = Literal["法律", "行政法规", "地方性法规", "部门规章", "地方政府规章", "规范性文件", "工作计划", "其他"]


def build_documents_router(settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.get("/search", response_model=SearchResponse, tags=["staff"], summary="Clause search",
                responses={422: {"model": ErrorResponse}, **_NOT_FOUND, **RATE_LIMITED}, dependencies=[SearchLimit])
    async def search(
        engine: EngineDep,
        q: Annotated[str, Query(min_length=1, max_length=200, description="Keywords, e.g. 装配式建筑.")],
        doc: Annotated[str | None, Query(max_length=200, description="doc_id or part of a title.")] = None,
        section: Annotated[str | None, Query(max_length=100, description="Part of a section heading.")] = None,
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
        level: Annotated[str | None, Query(max_length=20, description="法律 / 行政法规 / 地方性法规 / 规范性文件 / 工作计划")] = None,
        status: Annotated[
            Literal["in_force", "superseded", "repealed", "not_yet_in_force"] | None,
            Query(description="Validity filter (all texts when absent)."),
        ] = None,
    ) -> SearchResponse:
        """Clauses matching the keywords, best first, with highlight spans (offsets into ``text``)."""
        results = await run_in_threadpool(
            engine.search, q, doc=doc or None, section=section or None, limit=limit, level=level or None, status=status
        )
        return search_out(q, results, doc=doc, section=section, level=level, status=status)

    @router.get("/documents", response_model=DocumentsResponse, tags=["documents"], summary="List documents")
    async def list_documents(engine: EngineDep) -> DocumentsResponse:
        warnings = _warnings(engine)
        return DocumentsResponse(documents=[document_out(d, warnings.get(d.doc_id, ())) for d in engine.documents()])

    @router.get("/documents/{doc_id}", response_model=DocumentDetail, responses=_NOT_FOUND,
                tags=["documents"], summary="A document and its clause list")
    async def get_document(engine: EngineDep, doc_id: DocId) -> DocumentDetail:
        info = engine.document(doc_id)
        return document_detail(info, engine.clauses(doc_id), _warnings(engine).get(doc_id, ()))

    @router.get("/documents/{doc_id}/clauses/{number}", response_model=ClauseOut, responses=_NOT_FOUND,
                tags=["documents"], summary="A full clause (what a citation links to)")
    async def get_clause(
        engine: EngineDep, doc_id: DocId,
        number: Annotated[str, Path(pattern=r"^\d{1,6}(-\d{1,3})?$",
                                    description="Official number (23), or 11-1 for 第十一条之一; 0 = opening paragraph.")],
    ) -> ClauseOut:
        clause = engine.clause(doc_id, number)
        return clause_out(clause, engine.document(doc_id).title)

    @router.get("/index/status", response_model=IndexStatusOut, tags=["operations"], summary="Index build progress",
                responses={429: _ADMIN[429]}, openapi_extra={"security": [{}]})
    async def index_status(manager: ManagerDep, admin: IsAdminDep) -> IndexStatusOut:
        """Progress of the background rebuild.  Public; with a valid `X-API-Key` it also names the
        operation's file and a failed rebuild's reason (others see only the kind and a generic message)."""
        return status_out(manager.status(), detail=admin)

    @router.post(
        "/documents", response_model=DocumentChangeOut, status_code=202, tags=["admin"],
        summary="Upload a document (admin)",
        responses={
            **_ADMIN,
            400: {"model": ErrorResponse, "description": "The file cannot be read (reason in `message`), or its "
                                                         "name is over 255 UTF-8 bytes (`filename_too_long`)."},
            409: {"model": ErrorResponse, "description": "Same content already in the corpus, or a build is running."},
            413: {"model": ErrorResponse, "description": "Larger than `max_upload_bytes`."},
            415: {"model": ErrorResponse, "description": "Not .pdf/.docx/.txt/.md/.html."},
            422: {"model": ErrorResponse, "description": "No `file` part with a file name (`missing_file`)."},
            **_READ_ONLY,
        },
    )
    async def upload_document(
        _: AdminDep, manager: ManagerDep,
        file: Annotated[UploadFile, File(description="A .pdf, .docx, .txt, .md or .html policy document.")],
        title: Annotated[str | None, Form(max_length=200, description="Official title (else read from the text).")] = None,
        level: Annotated[Level | None, Form(description="Level of the text (else inferred).")] = None,
        issuer: Annotated[str | None, Form(max_length=100, description="Issuing body.")] = None,
        number: Annotated[str | None, Form(max_length=100, description="文号/令号, e.g. 国务院令第262号.")] = None,
        effective: Annotated[str | None, Form(pattern=r"^\d{4}-\d{2}-\d{2}$",
                                              description="施行日期 (YYYY-MM-DD).")] = None,
    ) -> DocumentChangeOut:
        """Validate the file, add it to the corpus and re-index in the background; the old index keeps
        answering until the new one is swapped in.  Follow progress at ``/api/index/status``.
        Nothing is written when the file is rejected."""
        if settings.role == "reader":  # before reading the body
            raise ReadOnlyReplicaError(READ_ONLY_MESSAGE)
        name = (file.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
        if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
            raise InvalidUploadError(f"文件名过长（超过 {MAX_FILENAME_BYTES} 字节），请缩短文件名后重新上传",
                                     code="filename_too_long")
        limit = settings.max_upload_bytes
        data = bytearray()
        while chunk := await file.read(UPLOAD_READ_CHUNK):
            data += chunk
            if len(data) > limit:
                raise DocumentTooLargeError(len(data), limit)
        overrides = {k: v.strip() for k, v in
                     {"title": title, "level": level, "issuer": issuer, "number": number, "effective": effective}.items()
                     if v and v.strip()}
        change = await run_in_threadpool(manager.add_document, file.filename or "", bytes(data), overrides or None)
        return change_out(change)

    @router.delete("/documents/{doc_id}", response_model=DocumentChangeOut, status_code=202, tags=["admin"],
                   summary="Remove a document (admin)", responses={**_ADMIN, **_NOT_FOUND, **_READ_ONLY,
                                                                   409: {"model": ErrorResponse}})
    async def delete_document(_: AdminDep, manager: ManagerDep, doc_id: DocId) -> DocumentChangeOut:
        """Remove the document from the corpus and re-index in the background (restored if that fails)."""
        change = await run_in_threadpool(manager.remove_document, doc_id)
        return change_out(change)

    @router.get("/admin/gaps", response_model=GapsResponse, tags=["admin"], responses=_ADMIN,
                summary="Questions the corpus does not answer (admin)")
    async def gaps(
        _: AdminDep, feedback: FeedbackDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> GapsResponse:
        """Refused and not-helpful questions, grouped, most frequent first."""
        items = await run_in_threadpool(feedback.gaps, limit)
        return GapsResponse(gaps=[gap_out(g) for g in items])

    @router.get("/admin/feedback", response_model=FeedbackListResponse, tags=["admin"], responses=_ADMIN,
                summary="Recent 有用/没用 votes with comments (admin)")
    async def feedback_list(
        _: AdminDep, feedback: FeedbackDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
    ) -> FeedbackListResponse:
        """The most recent votes first, with the citizens' comments, and the row counts kept."""
        items = await run_in_threadpool(feedback.feedback, limit)
        counts = await run_in_threadpool(feedback.counts)
        return FeedbackListResponse(counts=counts, feedback=[feedback_entry_out(f) for f in items])

    return router


def _warnings(engine: QAEngine) -> dict[str, tuple[str, ...]]:
    """What could not be read of each document (pages without a text layer …), by doc id."""
    return {d.doc_id: d.warnings for d in engine.store.documents if d.warnings}
