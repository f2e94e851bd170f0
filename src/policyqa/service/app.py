"""The app factory: one FastAPI app over one :class:`~policyqa.manager.IndexManager`.

No module-level app: ``create_app(manager, settings)`` builds everything an instance needs
(conversation store, feedback log, metrics registry) and keeps it on ``app.state.service``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..config import Settings
from ..conversation import Conversations, open_conversations
from ..feedback import FeedbackLog
from ..manager import IndexManager
from ..state import StateStore, open_store
from .access_log import ACCESS_LOGGER, AccessLogRedactor
from .deps import ADMIN_KEY_HEADER, Limits, ServiceState
from .errors import install_error_handlers
from .metrics import Metrics, MetricsMiddleware
from .middleware import BodyLimitMiddleware, SecurityHeadersMiddleware, TrailingSlashRedirectMiddleware
from .pages import DOCS_ASSETS_DIR, STATIC_DIR, build_pages_router
from .routes_ask import build_ask_router
from .routes_documents import MULTIPART_OVERHEAD, build_documents_router
from .routes_ops import build_ops_router
from .wechat import create_wechat_router

logger = logging.getLogger(__name__)

#: Request bodies of the JSON endpoints (questions are ≤ 500 characters); uploads have their own limit.
DEFAULT_MAX_BODY_BYTES = 256 * 1024

DESCRIPTION = """\
Grounded questions and answers and clause search over government policy documents.

* Citizens: `POST /api/ask` (or `/api/ask/stream`), `POST /api/feedback`.
* Staff: `GET /api/search`, `GET /api/documents…` (a citation links to `/api/documents/{doc_id}/clauses/{n}`).
* Admin (`X-API-Key` header = `POLICYQA_ADMIN_KEY`): upload / delete documents, `GET /api/admin/gaps`.

Every error is `{"error": {"code": "...", "message": "..."}}`.
"""


def create_app(
    manager: IndexManager,
    settings: Settings,
    *,
    feedback_log: FeedbackLog | None = None,
    conversations: Conversations | None = None,
    store: StateStore | None = None,
) -> FastAPI:
    """Build the service app.

    ``manager`` holds the engine (and rebuilds it on uploads); ``feedback_log`` defaults to
    ``settings.data_dir / "feedback.sqlite3"``, or PostgreSQL at ``database_url`` (closed when
    the app shuts down), with the ``feedback_retention_days`` / ``feedback_max_rows`` bounds; ``conversations`` to a store
    bounded by the ``session_*`` settings (in ``store`` when ``redis_url`` is set); ``store``
    (rate limits, WeChat nonces, dedup and hand-off) to :func:`~policyqa.state.open_store`:
    Redis when ``redis_url`` is set, else in memory capped at ``state_max_keys`` per kind.
    """
    owns_log = feedback_log is None
    log = feedback_log if feedback_log is not None else FeedbackLog.from_settings(settings)
    state_store = store if store is not None else open_store(settings)
    sessions = conversations if conversations is not None else open_conversations(settings, state_store)
    metrics = Metrics(manager)
    wechat = create_wechat_router(lambda: manager.engine, settings, log, store=state_store)

    redactor = AccessLogRedactor()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        logging.getLogger(ACCESS_LOGGER).addFilter(redactor)  # no openids or search words in the access log
        yield
        logging.getLogger(ACCESS_LOGGER).removeFilter(redactor)
        if wechat.wechat_responder is not None:  # None while WeChat is not configured
            wechat.wechat_responder.close()
        if owns_log:
            log.close()

    app = FastAPI(
        title="policyqa",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        redirect_slashes=False,
        docs_url=None,  # /docs and /redoc are served offline by the pages router
        redoc_url=None,  # TrailingSlashRedirectMiddleware redirects without reflecting Host
    )
    app.state.service = ServiceState(
        settings=settings, manager=manager, conversations=sessions, feedback=log, metrics=metrics,
        store=state_store, limits=Limits.from_settings(settings, state_store),
    )
    install_error_handlers(app)

    app.include_router(build_ops_router())
    app.include_router(build_ask_router())
    app.include_router(build_documents_router(settings))
    app.include_router(build_pages_router(settings))
    app.include_router(wechat)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/static-docs", StaticFiles(directory=DOCS_ASSETS_DIR), name="static-docs")

    # middleware added last runs first: metrics → security headers → CORS → slash redirect → body limit → routes
    app.add_middleware(
        BodyLimitMiddleware,
        default=DEFAULT_MAX_BODY_BYTES,
        limits={("POST", "/api/documents"): settings.max_upload_bytes + MULTIPART_OVERHEAD},
    )
    app.add_middleware(TrailingSlashRedirectMiddleware, routes=app.router.routes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Content-Type", ADMIN_KEY_HEADER],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app
