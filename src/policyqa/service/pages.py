"""The web pages: citizen chat (``/``), staff clause search (``/staff``), ``/widget.js``, static assets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse

from ..config import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"


def page_headers(settings: Settings) -> dict[str, str]:
    """Headers of the HTML pages: no caching, a strict CSP (own scripts/styles only).

    ``frame-ancestors`` lets the chat page be framed (the ``/widget.js`` iframe) by this origin and
    the configured ``cors_origins``; with none configured, or ``*``, any site may embed it.
    """
    origins = [o for o in settings.cors_origins if o]
    ancestors = "*" if not origins or "*" in origins else " ".join(["'self'", *origins])
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )
    return {"Cache-Control": "no-cache", "Content-Security-Policy": csp}


def build_pages_router(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    headers = page_headers(settings)

    @router.api_route("/", methods=["GET", "HEAD"])
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=headers)

    @router.api_route("/staff", methods=["GET", "HEAD"])
    async def staff_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "staff.html", media_type="text/html; charset=utf-8", headers=headers)

    @router.get("/widget.js")
    async def widget() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "widget.js", media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
        )

    @router.get("/clause/{doc_id}/{number}")
    async def clause_permalink(
        doc_id: Annotated[str, PathParam(max_length=200)],
        number: Annotated[str, PathParam(pattern=r"^\d{1,6}(-\d{1,3})?$")],
    ) -> RedirectResponse:
        """Human permalink of a clause → the staff page showing it."""
        return RedirectResponse(f"/staff#{quote(doc_id, safe='')}/{number}", status_code=307)

    return router
