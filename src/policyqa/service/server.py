"""Serving: ``run(settings, host, port, workers)`` — what ``policyqa serve`` calls.

With one worker the server listens at once: the leftovers of a crash are cleaned up, the last
good index is opened in the background (``/readyz`` answers 503 ``loading`` until it is) and,
when the corpus changed since it was built, it answers while the rebuild runs (``/readyz`` 200,
``index.state == "building"``); with no index at all ``/readyz`` stays 503 until the first build
is done.  A failed start shows in ``/readyz`` (``index.state == "failed"`` and the message).

With ``workers > 1`` uvicorn starts worker processes from the import string
``policyqa.service.server:app_factory``; each worker reads its :class:`Settings` from the
environment, so :func:`run` first exports the given settings as ``POLICYQA_*`` variables.
Several workers need ``POLICYQA_REDIS_URL`` (:class:`ConfigError` otherwise): sessions, rate
limits and WeChat dedup must be shared, or follow-ups lose their context and WeChat retries are
answered twice (docs/scaling.md).  Every worker (and every ``policyqa serve`` process) runs an
:class:`~policyqa.replica.IndexFollower`, so a build published by the worker that received an
upload — or by the writer instance, for ``POLICYQA_ROLE=reader`` replicas — is loaded by all.
"""

from __future__ import annotations

import json
import logging
import os
from typing import TextIO

from fastapi import FastAPI

from ..config import Settings
from ..errors import ConfigError
from ..manager import IndexManager
from ..progress import BuildProgress
from ..replica import IndexFollower, create_manager
from .app import create_app

logger = logging.getLogger(__name__)


def settings_to_env(settings: Settings) -> dict[str, str]:
    """``POLICYQA_*`` variables that make ``Settings()`` equal ``settings`` (lists as JSON; a
    ``None`` is left out — the variable must be unset, see :func:`run`)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
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
    settings.check_admin_key()
    manager = create_manager(settings)
    IndexFollower(manager, settings).start()  # a daemon thread: ends with the worker
    return create_app(manager, settings)


def serving_manager(settings: Settings, *, background: bool = True, stream: TextIO | None = None) -> IndexManager:
    """The manager ``policyqa serve`` holds, with the index load or build progress printed as whole
    lines on ``stream`` (default stderr, beside uvicorn's own lines; :class:`BuildProgress`): a line
    per stage and per 10 % of the embedding, then ``index ready``."""
    return create_manager(settings, background=background, progress=BuildProgress(stream, live=False))


def check_workers(settings: Settings, workers: int) -> None:
    """Refuse several workers without shared state (:class:`ConfigError`, see the module doc)."""
    if workers > 1 and not settings.redis_url:
        raise ConfigError(
            f"--workers {workers} needs POLICYQA_REDIS_URL: without shared state each worker keeps its own "
            "sessions, rate limits and WeChat dedup (follow-ups lose their context, WeChat retries are "
            "answered twice). Start Redis and set POLICYQA_REDIS_URL=redis://127.0.0.1:6379/0, or use "
            "one worker (docs/scaling.md)"
        )


def run(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the app with uvicorn until interrupted (the index loads in the background; with
    ``workers > 1`` it is loaded or built before the workers start, since each loads its own)."""
    import uvicorn

    settings.check_admin_key()  # ConfigError: a short admin key (unless allow_short_admin_key)
    check_workers(settings, workers)
    if workers <= 1:
        # listen at once: the last good index answers while a changed corpus is rebuilt (/readyz tells)
        manager = serving_manager(settings, background=True)
        logger.info("serving on http://%s:%d (%s); the index is loading in the background", host, port, settings.role)
        follower = IndexFollower(manager, settings).start()
        try:
            uvicorn.run(create_app(manager, settings), host=host, port=port, log_level="info",
                        proxy_headers=True, timeout_graceful_shutdown=10)
        finally:
            follower.stop()
            manager.close()
        return
    manager = serving_manager(settings, background=False)
    status = manager.status()
    logger.info("index ready: %d documents, %d chunks; serving on http://%s:%d with %d workers",
                status.documents, status.chunks, host, port, workers)
    del manager  # each worker loads the (now built) index itself
    env = settings_to_env(settings)
    for name in Settings.model_fields:  # unset fields (None) must not come from the environment
        if f"POLICYQA_{name.upper()}" not in env:
            os.environ.pop(f"POLICYQA_{name.upper()}", None)
    os.environ.update(env)
    uvicorn.run("policyqa.service.server:app_factory", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=True, timeout_graceful_shutdown=10)
