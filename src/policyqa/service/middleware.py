"""Small pure-ASGI middlewares (safe with streaming responses): body size limits, security
headers, relative trailing-slash redirects."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import HTTP_CODES, error_response


class RequestTooLarge(HTTPException):
    """Raised from ``receive`` when a body without (or with a false) Content-Length runs past the limit.

    An :class:`HTTPException` so FastAPI's body parsing re-raises it and the JSON error handler
    answers 413 with the usual ``{"error": …}`` shape.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"请求内容过大（上限 {limit} 字节）")
        self.limit = limit


class BodyLimitMiddleware:
    """Cap request bodies: ``default`` bytes, or ``limits[(method, path)]`` for specific routes.

    A declared ``Content-Length`` over the limit is refused at once (the body is not read);
    otherwise bytes are counted as they arrive and reading stops past the limit.
    """

    def __init__(self, app: ASGIApp, default: int, limits: dict[tuple[str, str], int] | None = None) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get((scope.get("method", ""), scope.get("path", "").rstrip("/") or "/"), self.default)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            code, _ = HTTP_CODES[413]
            response = error_response(413, code, f"请求内容过大（上限 {limit} 字节）")
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


class SecurityHeadersMiddleware:
    """Adds ``X-Content-Type-Options: nosniff`` and a referrer policy to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if b"referrer-policy" not in names:
                    headers.append((b"referrer-policy", b"strict-origin-when-cross-origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_wrapper)


class TrailingSlashRedirectMiddleware:
    """``/api/documents/`` → 307 to ``/api/documents`` with a *relative* ``Location``.

    Replaces Starlette's own slash redirect (turn it off with ``redirect_slashes=False``), which
    builds an absolute URL from the request's ``Host`` header and so reflects any host a client
    sends.  Only paths whose slash-less form matches a route are redirected; the query string
    is kept; a path that would start with ``//`` (a protocol-relative URL) is never redirected.
    """

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.endswith("/") and path.strip("/") and not self._matches(scope, path):
            target = path.rstrip("/")
            if not target.startswith("//") and self._matches(scope, target):
                raw = scope.get("raw_path")
                location = raw.decode("latin-1").rstrip("/") if raw else target
                query = scope.get("query_string", b"")
                if query:
                    location += "?" + query.decode("latin-1")
                await Response(status_code=307, headers={"Location": location})(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _matches(self, scope: Scope, path: str) -> bool:
        probe = {**scope, "path": path}
        return any(route.matches(probe)[0] != Match.NONE for route in self.routes)
