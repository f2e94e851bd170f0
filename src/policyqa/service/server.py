"""Serving: ``run(settings, host, port, workers)`` — what ``policyqa serve`` calls.

With one worker the server listens at once: the leftovers of a crash are cleaned up, the last
good index is opened in the background (``/readyz`` answers 503 ``loading`` until it is) and,
when the corpus changed since it was built, it answers while the rebuild runs (``/readyz`` 200,
``index.state == "building"``); with no index at all ``/readyz`` stays 503 until the first build
is done.  A failed start shows in ``/readyz`` (``index.state == "failed"`` and the message).

With ``workers > 1`` uvicorn starts worker processes from the import string
``policyqa.service.server:app_factory``; each worker reads its :class:`Settings` from the
environment, so :func:`run` first exports the given settings as ``POLICYQA_*`` variables.
Every worker holds its own engine, conversation memory and metrics; uploads rebuild the index
in the worker that received them (the others load it at their next start), so run admin
uploads with one worker.
"""

from __future__ import annotations

import json
import logging
import os

from fastapi import FastAPI

from ..config import Settings
from ..manager import IndexManager
from .app import create_app

logger = logging.getLogger(__name__)


def settings_to_env(settings: Settings) -> dict[str, str]:
    """``POLICYQA_*`` variables that make ``Settings()`` equal ``settings`` (lists as JSON)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if isinstance(value, (list, dict)):
            text = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        env[f"POLICYQA_{name.upper()}"] = text
    return env


def app_factory() -> FastAPI:
    """Worker entry point (``uvicorn --factory policyqa.service.server:app_factory``)."""
    settings = Settings()
    return create_app(IndexManager(settings), settings)


def run(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the app with uvicorn until interrupted (the index loads in the background; with
    ``workers > 1`` it is loaded or built before the workers start, since each loads its own)."""
    import uvicorn

    if workers <= 1:
        manager = IndexManager(settings, background=True)
        logger.info("serving on http://%s:%d; the index is loading in the background", host, port)
        uvicorn.run(create_app(manager, settings), host=host, port=port, log_level="info",
                    proxy_headers=True, timeout_graceful_shutdown=10)
        manager.close()
        return
    manager = IndexManager(settings)
    status = manager.status()
    logger.info("index ready: %d documents, %d chunks; serving on http://%s:%d with %d workers",
                status.documents, status.chunks, host, port, workers)
    del manager  # each worker loads the (now built) index itself
    os.environ.update(settings_to_env(settings))
    uvicorn.run("policyqa.service.server:app_factory", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=True, timeout_graceful_shutdown=10)
