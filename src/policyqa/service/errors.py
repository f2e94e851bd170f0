"""The one place where errors become HTTP responses: ``{"error": {"code", "message"}}``.

* :class:`~policyqa.errors.PolicyQAError` subclasses → the status in :data:`STATUS_BY_ERROR`
  (most specific class wins), their stable ``code`` and their (Chinese) ``message``;
* FastAPI's request validation → 422 ``validation_error`` with the field errors in ``details``
  (a multipart ``file`` part without a file name → 422 ``missing_file``);
* a body that is not JSON, not UTF-8 or nested too deeply to parse → 400 ``invalid_json``;
* routing errors (404, 405, 413 …) → their status with a generic code; a 405's ``Allow``
  lists every method the path has (not just those of the first route that matched);
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
from starlette.routing import Match

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
from ..errors import (
    DocumentTooLargeError,
    IndexNotReadyError,
    ReadOnlyReplicaError,
    StateUnavailableError,
    UnsupportedDocumentTypeError,
)

logger = logging.getLogger(__name__)


class AuthError(PolicyQAError):
    """Admin endpoints: no key configured (403), key missing (401) or wrong (403)."""

    code = "unauthorized"

    def __init__(self, message: str, *, code: str, status_code: int) -> None:
        super().__init__(message, code=code)
        self.status_code = status_code


class InvalidUploadError(PolicyQAError):
    """400: an upload the service refuses before reading it (e.g. a file name over 255 bytes)."""

    code = "invalid_upload"

    def __init__(self, message: str, *, code: str = "invalid_upload") -> None:
        super().__init__(message, code=code)


class RateLimitedError(PolicyQAError):
    """429: a client went past a per-client limit; ``retry_after`` seconds until it may retry."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str = "rate_limited") -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after))


#: PolicyQAError subclass → HTTP status.  Looked up along the class's MRO.
STATUS_BY_ERROR: dict[type[PolicyQAError], int] = {
    InvalidQuestionError: 422,
    RateLimitedError: 429,
    DocumentNotFoundError: 404,
    ClauseNotFoundError: 404,
    DuplicateDocumentError: 409,
    IndexBusyError: 409,
    UnsupportedDocumentTypeError: 415,
    DocumentParseError: 400,
    InvalidUploadError: 400,
    DocumentLimitError: 413,
    DocumentTooLargeError: 413,
    IndexNotReadyError: 503,
    IndexNotFoundError: 503,
    IndexStaleError: 503,
    IndexMismatchError: 503,
    EmbedderError: 503,
    StateUnavailableError: 503,
    ReadOnlyReplicaError: 503,
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
INVALID_JSON_MESSAGE = "请求体不是有效的 JSON：须为 UTF-8 编码、嵌套层数合理的 JSON 对象"
MISSING_FILE_MESSAGE = "请用 multipart/form-data 上传文件：字段名为 file，且须带文件名（filename）"

#: FastAPI's (English) detail when the body could not be decoded at all (not UTF-8, too deep …).
_BODY_PARSE_DETAIL = "There was an error parsing the body"


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
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(exc.retry_after)}
    return error_response(status, exc.code, message, headers=headers)


#: Pydantic error type → Chinese explanation ({…} filled from the error's ``ctx``).
_FIELD_MESSAGES: dict[str, str] = {
    "string_too_short": "至少需要 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_type": "须为字符串",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "float_parsing": "须为数字",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "须小于 {lt}",
    "literal_error": "取值须为 {expected} 之一",
    "enum": "取值须为 {expected} 之一",
    "extra_forbidden": "不是可识别的字段",
    "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
    "dict_type": "须为 JSON 对象",
    "list_type": "须为列表",
    "value_error": "取值无效",
}


def _field_message(err: dict[str, Any]) -> str:
    """A Chinese message for one field error: 字段 query.q 无效：至少需要 1 个字符."""
    loc = ".".join(str(part) for part in err.get("loc", ()) if part != "body") or "请求"
    kind = err.get("type", "")
    if kind == "missing":
        return f"缺少字段 {loc}"
    template = _FIELD_MESSAGES.get(kind)
    if template is None:
        return f"字段 {loc} 无效"
    ctx = {k: str(v).replace("'", "").replace(" or ", ", ") for k, v in (err.get("ctx") or {}).items()}
    try:
        reason = template.format(**ctx)
    except (KeyError, IndexError):
        reason = template.split("{")[0].rstrip() or "取值无效"
    return f"字段 {loc} 无效：{reason}"


def _is_missing_file(err: dict[str, Any]) -> bool:
    loc = [str(p) for p in err.get("loc", ())]
    return loc[-1:] == ["file"] and "UploadFile" in str(err.get("msg", ""))


UNSUPPORTED_MEDIA_MESSAGE = "请求体须为 JSON：请设置请求头 Content-Type: application/json，正文如 {\"question\": \"…\"}"


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "invalid_json", INVALID_JSON_MESSAGE)
    if errors and all(_is_missing_file(e) for e in errors):
        return error_response(422, "missing_file", MISSING_FILE_MESSAGE)
    not_an_object = [e for e in errors if tuple(e.get("loc", ())) == ("body",)
                     and e.get("type") in ("model_attributes_type", "dict_type", "model_type")]
    if not_an_object and "json" not in request.headers.get("content-type", ""):
        # a form or plain-text body where a JSON object was expected
        return error_response(415, "unsupported_media_type", UNSUPPORTED_MEDIA_MESSAGE)
    details = [
        {"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type", ""), "msg": e.get("msg", "")}
        for e in errors
    ]
    message = "请求参数无效：" + "；".join(_field_message(e) for e in errors[:5]) if errors else "请求参数无效"
    return error_response(422, "validation_error", message, details=details)


#: Methods probed when a 405 lists what a path allows.
_PROBED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app fully matches at this request's path (probed through
    the router's own matching, so included routers count too)."""
    routes = request.app.router.routes
    return [
        method for method in _PROBED_METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _BODY_PARSE_DETAIL:
        return error_response(400, "invalid_json", INVALID_JSON_MESSAGE)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        methods = allowed_methods(request)
        if methods:
            headers["Allow"] = ", ".join(methods)
    code, message = HTTP_CODES.get(exc.status_code, ("http_error", "请求失败"))
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = ""
    if isinstance(exc.detail, str) and exc.detail and exc.detail != phrase:
        message = exc.detail  # a specific message (the generic phrase is replaced by the Chinese one)
    return error_response(exc.status_code, code, message, headers=headers or None)


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", INTERNAL_MESSAGE)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PolicyQAError, policyqa_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
