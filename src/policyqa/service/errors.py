"""The one place where errors become HTTP responses: ``{"error": {"code", "message"}}``.

* :class:`~policyqa.errors.PolicyQAError` subclasses → the status in :data:`STATUS_BY_ERROR`
  (most specific class wins), their stable ``code`` and their (Chinese) ``message``;
* FastAPI's request validation → 422 ``validation_error`` with the field errors in ``details``;
* routing errors (404, 405, 413 …) → their status with a generic code;
* anything else → 500 ``internal_error`` with a generic message; the traceback is logged,
  never sent.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    ClauseNotFoundError,
    ConfigError,
    DocumentLimitError,
    DocumentNotFoundError,
    DocumentParseError,
    DuplicateDocumentError,
    EmbedderError,
    IndexBusyError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexStaleError,
    InvalidQuestionError,
    PolicyQAError,
)
from ..errors import DocumentTooLargeError, IndexNotReadyError, UnsupportedDocumentTypeError

logger = logging.getLogger(__name__)


class AuthError(PolicyQAError):
    """Admin endpoints: no key configured (403), key missing (401) or wrong (403)."""

    code = "unauthorized"

    def __init__(self, message: str, *, code: str, status_code: int) -> None:
        super().__init__(message, code=code)
        self.status_code = status_code


#: PolicyQAError subclass → HTTP status.  Looked up along the class's MRO.
STATUS_BY_ERROR: dict[type[PolicyQAError], int] = {
    InvalidQuestionError: 422,
    DocumentNotFoundError: 404,
    ClauseNotFoundError: 404,
    DuplicateDocumentError: 409,
    IndexBusyError: 409,
    UnsupportedDocumentTypeError: 415,
    DocumentParseError: 400,
    DocumentLimitError: 413,
    DocumentTooLargeError: 413,
    IndexNotReadyError: 503,
    IndexNotFoundError: 503,
    IndexStaleError: 503,
    IndexMismatchError: 503,
    EmbedderError: 503,
    ConfigError: 500,
    PolicyQAError: 500,
}

HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求无效"),
    401: ("unauthorized", "需要身份验证"),
    403: ("forbidden", "没有权限"),
    404: ("not_found", "未找到请求的地址"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}

INTERNAL_MESSAGE = "服务器内部错误，请稍后再试"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return {"error": body}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    return JSONResponse(jsonable_encoder(error_body(code, message, **extra)), status_code=status, headers=headers)


def status_for(exc: PolicyQAError) -> int:
    if isinstance(exc, AuthError):
        return exc.status_code
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]  # type: ignore[index]
    return 500


def _message_for(exc: PolicyQAError) -> str:
    if isinstance(exc, DocumentParseError):
        return exc.reason
    return exc.message


async def policyqa_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PolicyQAError)
    status = status_for(exc)
    if status >= 500:
        logger.error("%s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc.message)
        message = exc.message if status == 503 else INTERNAL_MESSAGE
    else:
        message = _message_for(exc)
    headers = {"Retry-After": "5"} if status == 503 or isinstance(exc, IndexBusyError) else None
    if isinstance(exc, AuthError) and status == 401:
        headers = {"WWW-Authenticate": "APIKey"}
    return error_response(status, exc.code, message, headers=headers)


def _field_message(err: dict[str, Any]) -> str:
    loc = ".".join(str(part) for part in err.get("loc", ()) if part != "body") or "请求"
    kind = err.get("type", "")
    if kind == "missing":
        return f"缺少字段 {loc}"
    if kind == "json_invalid":
        return "请求体不是有效的 JSON"
    return f"字段 {loc} 无效：{err.get('msg', '')}"


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    details = [
        {"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type", ""), "msg": e.get("msg", "")}
        for e in errors
    ]
    message = "请求参数无效：" + "；".join(_field_message(e) for e in errors[:5]) if errors else "请求参数无效"
    return error_response(422, "validation_error", message, details=details)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, message = HTTP_CODES.get(exc.status_code, ("http_error", "请求失败"))
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = ""
    if isinstance(exc.detail, str) and exc.detail and exc.detail != phrase:
        message = exc.detail  # a specific message (the generic phrase is replaced by the Chinese one)
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", INTERNAL_MESSAGE)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PolicyQAError, policyqa_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
