"""Rebuild: the one background index build of an :class:`~policyqa.manager.IndexManager`.

A :class:`Rebuild` owns what the build is doing — its state (``idle`` / ``building`` /
``failed``), stage and progress, message, timestamps, the thread running it — and tells the
``progress`` observer.  It holds no engine: the manager decides what the thread runs and swaps
the engine, under the same lock, so that :meth:`Rebuild.status_locked` and the engine it
reports on always agree.

Only one build runs at a time: :meth:`Rebuild.reserve_locked` raises
:class:`~policyqa.errors.IndexBusyError` (HTTP 409) while one is running.

This module is core: it must not import fastapi.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from .errors import IndexBusyError

if TYPE_CHECKING:
    from .factory import Progress

logger = logging.getLogger(__name__)

IndexState = Literal["idle", "building", "failed"]

BUSY_MESSAGE = "索引正在重建，请稍后再试"


@dataclass(frozen=True)
class IndexStatus:
    """A snapshot of the index: what is loaded and what the background build is doing.

    ``state`` is ``idle`` (nothing running; the last change, if any, succeeded), ``building``
    or ``failed`` (the last change was rolled back; ``message`` says why).  ``stage``/``done``/
    ``total`` are the build's progress callbacks.  ``documents``/``chunks`` describe the engine
    currently answering.
    """

    state: IndexState
    stage: str
    done: int
    total: int
    message: str
    started_at: datetime | None
    finished_at: datetime | None
    documents: int
    chunks: int
    operation: str = ""
    ready: bool = True


def _now() -> datetime:
    return datetime.now(tz=UTC)


class Rebuild:
    """The state, progress and thread of one manager's background build (one at a time).

    ``lock``: the manager's lock; every ``*_locked`` method expects the caller to hold it, the
    others take it themselves.  ``observer``: told every progress report ``(stage, done,
    total)`` outside the lock; its errors are logged, never raised.  ``stage``: the stage shown
    before any build (``loaded`` when the manager starts with an engine).
    """

    def __init__(self, lock: threading.Lock, observer: Progress | None = None, stage: str = "") -> None:
        self.lock = lock
        self._observer = observer
        self.thread: threading.Thread | None = None
        self.state: IndexState = "idle"
        self.stage = stage
        self.done = 0
        self.total = 0
        self.message = ""
        self.operation = ""
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None

    @property
    def building(self) -> bool:
        with self.lock:
            return self.state == "building"

    def check_idle(self) -> None:
        """Raise :class:`IndexBusyError` while a build runs (takes the lock)."""
        with self.lock:
            if self.state == "building":
                raise IndexBusyError(BUSY_MESSAGE)

    def reserve_locked(self) -> None:
        """Claim the one build slot (``building``/``queued``) or raise :class:`IndexBusyError`."""
        if self.state == "building":
            raise IndexBusyError(BUSY_MESSAGE)
        self.state = "building"
        self.stage = "queued"

    def release_locked(self) -> None:
        """Give back a reserved slot whose build never started (the corpus edit failed)."""
        self.state, self.stage = "idle", ""

    def start_locked(self, operation: str, target: Callable[..., None], args: tuple = ()) -> None:
        """Run ``target(*args)`` in a daemon thread named after ``operation``'s first word."""
        self.stage, self.done, self.total = "starting", 0, 0
        self.message = ""
        self.operation = operation
        self.started_at, self.finished_at = _now(), None
        thread = threading.Thread(
            target=target, args=args, name=f"policyqa-index-{operation.split()[0]}", daemon=True
        )
        self.thread = thread
        thread.start()

    def fail_locked(self, message: str) -> None:
        self.state, self.stage = "failed", "failed"
        self.message = message
        self.finished_at = _now()

    def finish_locked(self) -> None:
        self.state, self.stage = "idle", "done"
        self.done = self.total = 1  # a finished build reads 1/1 (as its observer is told), not its last stage's count
        self.message = ""
        self.finished_at = _now()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running build (if any) has finished, or ``timeout`` seconds passed."""
        thread = self.thread
        if thread is not None:
            thread.join(timeout)

    def progress(self, stage: str, done: int, total: int) -> None:
        """Record a progress report (takes the lock) and tell the observer."""
        with self.lock:
            self.stage, self.done, self.total = stage, int(done), int(total)
        self.observe(stage, done, total)

    def observe(self, stage: str, done: int, total: int) -> None:
        """Tell the ``progress`` observer (outside the lock; its failure never fails a build)."""
        if self._observer is None:
            return
        try:
            self._observer(stage, int(done), int(total))
        except Exception:
            logger.exception("index progress observer failed")

    def status_locked(self, documents: int, chunks: int, ready: bool) -> IndexStatus:
        """The snapshot, with the answering engine's ``documents``/``chunks`` and ``ready``."""
        return IndexStatus(
            state=self.state,
            stage=self.stage,
            done=self.done,
            total=self.total,
            message=self.message,
            started_at=self.started_at,
            finished_at=self.finished_at,
            documents=documents,
            chunks=chunks,
            operation=self.operation,
            ready=ready,
        )


__all__ = ["BUSY_MESSAGE", "IndexState", "IndexStatus", "Rebuild"]
