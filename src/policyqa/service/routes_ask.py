"""Citizen endpoints: ``POST /api/ask``, ``POST /api/ask/stream`` (SSE), ``POST /api/feedback``."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidQuestionError, StateUnavailableError
from ..models import Answer
from .deps import AskLimit, ConversationsDep, EngineDep, FeedbackDep, FeedbackLimit, MetricsDep, SettingsDep
from .errors import error_body
from .schemas import AnswerOut, AskRequest, ErrorResponse, FeedbackRequest, FeedbackResponse, answer_out
from .small_talk import is_small_talk

logger = logging.getLogger(__name__)

TOKEN_CHARS = 4  # characters per streamed `token` event

#: Control characters (not tab/newline) are removed from questions: "\u0000" is as empty as "".
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorResponse, "description": "Too many requests from this client (`rate_limited`); "
                                                 "retry after `Retry-After` seconds.",
          "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}},
}

_ASK_ERRORS: dict[int | str, dict[str, Any]] = {
    **RATE_LIMITED,
    400: {"model": ErrorResponse, "description": "The body is not UTF-8 JSON (`invalid_json`)."},
    422: {"model": ErrorResponse, "description": "Empty or over-long question, or invalid fields."},
    503: {"model": ErrorResponse, "description": "The index is not loaded yet."},
}


def _sse_event_schema(event: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object", "required": ["event", "data"],
        "properties": {
            "event": {"const": event},
            "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": data},
        },
    }


#: One server-sent event of ``/api/ask/stream`` (OpenAPI < 3.2: the media type's schema is one event).
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "oneOf": [
        _sse_event_schema("token", {"type": "object", "required": ["text"], "additionalProperties": False,
                                    "properties": {"text": {"type": "string"}}}),
        _sse_event_schema("citations", {"type": "array", "items": {"$ref": "#/components/schemas/CitationOut"}}),
        _sse_event_schema("done", {"$ref": "#/components/schemas/AnswerOut"}),
        _sse_event_schema("error", {"$ref": "#/components/schemas/ErrorBody"}),
    ],
}


def check_question(question: str, limit: int) -> str:
    """The stripped question without control characters, or InvalidQuestionError with a Chinese
    message (same rule as the engine; ``""``, ``"  "`` and ``"\u0000"`` all give ``invalid_question``)."""
    text = _CONTROL_CHARS.sub("", question).strip()
    if not text:
        raise InvalidQuestionError("问题不能为空，请输入您想咨询的问题。")
    if len(text) > limit:
        raise InvalidQuestionError(f"问题过长（{len(text)} 字），请精简到 {limit} 字以内。")
    return text


def sse_event(event: str, data: object) -> str:
    """One server-sent event; ``data`` is JSON on a single line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def build_ask_router() -> APIRouter:
    router = APIRouter(prefix="/api", tags=["citizen"])

    async def answer_question(
        body: AskRequest, engine: EngineDep, settings: SettingsDep, conversations: ConversationsDep,
        feedback: FeedbackDep, metrics: MetricsDep,
    ) -> AnswerOut:
        question = check_question(body.question, settings.max_question_chars)
        session_id = body.session_id or uuid.uuid4().hex
        history = conversations.history(session_id)
        answer: Answer = await run_in_threadpool(engine.ask, question, history, top_k=body.top_k)
        conversations.append(session_id, answer)
        chat = is_small_talk(question)
        metrics.observe_answer(answer.refused, small_talk=chat)
        if (answer.refused or answer.status == "partial") and not chat:  # staff see which content to add
            reason = "refused" if answer.refused else f"partial：{answer.missing}"
            try:
                await run_in_threadpool(feedback.record_gap, question, reason, "web")
            except StateUnavailableError:  # the answer matters more than the gap log (logged there)
                pass
        return answer_out(answer, session_id)

    @router.post("/ask", response_model=AnswerOut, responses=_ASK_ERRORS, summary="Ask a question",
                 dependencies=[AskLimit])
    async def ask(
        body: AskRequest, engine: EngineDep, settings: SettingsDep, conversations: ConversationsDep,
        feedback: FeedbackDep, metrics: MetricsDep,
    ) -> AnswerOut:
        """A grounded answer: verbatim quotes from the policy clauses with citations, or a refusal
        (``refused: true``) with the contact line.  Pass the returned ``session_id`` with follow-ups."""
        return await answer_question(body, engine, settings, conversations, feedback, metrics)

    @router.post(
        "/ask/stream",
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "Server-sent events: `token` ({\"text\"}) pieces of the answer, then `citations` "
                               "(list), then `done` (the full answer, as from /api/ask); `error` "
                               "(`{code, message}`) only if the stream fails.  The schema describes one event.",
                "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
            },
            **_ASK_ERRORS,
        },
        summary="Ask a question (server-sent events)",
        dependencies=[AskLimit],
    )
    async def ask_stream(
        body: AskRequest, engine: EngineDep, settings: SettingsDep, conversations: ConversationsDep,
        feedback: FeedbackDep, metrics: MetricsDep,
    ) -> StreamingResponse:
        """The same answer as ``/api/ask`` as ``text/event-stream``, for a typing effect.  Errors that
        happen before the answer exists (empty question …) are ordinary JSON error responses."""
        result = await answer_question(body, engine, settings, conversations, feedback, metrics)

        async def events() -> AsyncIterator[str]:
            try:
                text = result.answer
                for i in range(0, len(text), TOKEN_CHARS):
                    yield sse_event("token", {"text": text[i : i + TOKEN_CHARS]})
                yield sse_event("citations", [c.model_dump(mode="json") for c in result.citations])
                yield sse_event("done", result.model_dump(mode="json"))
            except Exception:  # pragma: no cover - serialisation never fails in practice
                logger.exception("streaming an answer failed")
                yield sse_event("error", error_body("internal_error", "服务器内部错误，请稍后再试")["error"])

        return StreamingResponse(
            events(), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.post("/feedback", response_model=FeedbackResponse, status_code=201,
                 responses={400: _ASK_ERRORS[400], 422: {"model": ErrorResponse}, **RATE_LIMITED},
                 summary="有用/没用 feedback on an answer",
                 dependencies=[FeedbackLimit])
    async def post_feedback(body: FeedbackRequest, feedback: FeedbackDep, metrics: MetricsDep) -> FeedbackResponse:
        """Record a vote; a *not helpful* vote also logs the question as a gap for staff."""
        await run_in_threadpool(
            feedback.record_feedback, body.session_id, body.question, body.helpful, body.comment
        )
        metrics.feedback.labels("true" if body.helpful else "false").inc()
        return FeedbackResponse(recorded=True, gap=not body.helpful)

    return router
