"""The web pages: citizen chat (``/``), staff clause search (``/staff``), staff console (``/admin``),
offline API docs (``/docs``, ``/redoc``: Swagger UI and ReDoc from the ``fastapi-offline`` package,
no CDN), ``/widget.js``, ``/favicon.ico``, static assets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import fastapi_offline
from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse

from ..config import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Swagger UI / ReDoc bundles shipped by the ``fastapi-offline`` package, mounted at ``/static-docs``.
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"


def page_headers(settings: Settings, *, inline_styles: bool = False) -> dict[str, str]:
    """Headers of the HTML pages: no caching, a strict CSP (own scripts/styles only).

    ``inline_styles`` allows ``<style>`` elements (ReDoc's styled-components need them); scripts
    stay ``'self'`` only on every page.

    ``frame-ancestors`` lets the chat page be framed (the ``/widget.js`` iframe) by this origin and
    the configured ``cors_origins``; with none configured, or ``*``, any site may embed it.
    """
    origins = [o for o in settings.cors_origins if o]
    ancestors = "*" if not origins or "*" in origins else " ".join(["'self'", *origins])
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    csp = (
        f"default-src 'self'; script-src 'self'; style-src {styles}; img-src 'self' data:; worker-src 'self' blob:; "
        f"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )
    return {"Cache-Control": "no-cache", "Content-Security-Policy": csp}


def build_pages_router(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    headers = page_headers(settings)

    def page(filename: str, page_headers_: dict[str, str]):  # noqa: ANN202 - a route endpoint
        async def serve_page() -> FileResponse:
            return FileResponse(STATIC_DIR / filename, media_type="text/html; charset=utf-8", headers=page_headers_)

        return serve_page

    # chat, staff search, staff console, Swagger UI; ReDoc needs inline styles in its CSP
    for path, filename in (("/", "index.html"), ("/staff", "staff.html"), ("/admin", "admin.html"),
                           ("/docs", "docs.html")):
        router.add_api_route(path, page(filename, headers), methods=["GET", "HEAD"])
    router.add_api_route("/redoc", page("redoc.html", page_headers(settings, inline_styles=True)),
                         methods=["GET", "HEAD"])

    @router.get("/favicon.ico")
    async def favicon() -> FileResponse:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml",
                            headers={"Cache-Control": "public, max-age=86400"})

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
