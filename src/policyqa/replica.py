"""One writer, many readers: keep every process on the index build the writer published.

The writer (``POLICYQA_ROLE=writer``, the default) builds the index into ``index_dir`` and
switches ``index_dir/CURRENT`` atomically (:mod:`policyqa.index.storage`).  Every serving
process runs an :class:`IndexFollower`: a daemon thread that reads that small pointer file every
``settings.index_poll_seconds`` (default 1 s; one ``stat`` + a read of a few bytes) and, when it
names another build than the one being served, opens it with
:meth:`~policyqa.engine.QAEngine.open_published` (reusing the loaded embedder), asks it the
warm-up question and hands it to :meth:`IndexManager.adopt` — one assignment, in-flight requests
finish on the old engine.  So a reader on the same host (or on another host mounting the same
folder) sees an upload on the writer within ``index_poll_seconds`` + the load time.

On the writer the follower also keeps other worker processes of the same server in step; the
process that built the index recognises its own build by the manifest and does not reload it.
A build that cannot be opened (e.g. removed by the next build while loading) is logged and
retried at the next poll; the old engine keeps answering.

This module is core: it imports no web framework.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PolicyQAError
from .index.storage import POINTER, IndexStorage
from .factory import WARMUP_QUESTION
from .manager import IndexManager

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings
    from .engine import QAEngine

logger = logging.getLogger(__name__)


def open_published(settings: Settings, progress: object = None) -> QAEngine:
    """``IndexManager`` loader for readers: the published build as it is (never builds)."""
    from .engine import QAEngine

    return QAEngine.open_published(settings, progress=progress)  # type: ignore[arg-type]


def create_manager(settings: Settings, **kwargs: object) -> IndexManager:
    """The manager a serving process holds: the writer loads (or builds) as ever; a reader opens
    the published build only (``IndexNotFoundError`` if the writer has published none yet)."""
    if settings.role == "reader":
        return IndexManager(settings, loader=open_published, **kwargs)  # type: ignore[arg-type]
    return IndexManager(settings, **kwargs)  # type: ignore[arg-type]


class IndexFollower:
    """Polls ``index_dir/CURRENT`` and swaps a newly published build into ``manager``."""

    def __init__(self, manager: IndexManager, settings: Settings, *, interval: float | None = None) -> None:
        self.manager = manager
        self.settings = settings
        self.interval = settings.index_poll_seconds if interval is None else interval
        self._pointer = Path(settings.index_dir) / POINTER
        self._seen = self._read_pointer()  # the build loaded at start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.swaps = 0

    def _read_pointer(self) -> str:
        try:
            return self._pointer.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def check(self) -> bool:
        """One poll: True if a new build was loaded and is now answering."""
        name = self._read_pointer()
        if not name or name == self._seen or self.manager.busy:
            return False
        try:
            manifest = IndexStorage(self.settings.index_dir).manifest()
            current = self.manager.engine if self.manager.ready else None
            if current is not None and current.manifest == manifest:  # our own build (writer)
                self._seen = name
                return False
            started = time.perf_counter()
            from .engine import QAEngine

            engine = QAEngine.open_published(
                self.settings, embedder=current.embedder if current is not None else None,
                segmenter=current.segmenter if current is not None else None)
            try:
                engine.ask(WARMUP_QUESTION)
            except Exception:  # the first real question will tell
                logger.warning("warm-up of the published index failed", exc_info=True)
        except (PolicyQAError, OSError, ValueError) as exc:
            logger.warning("index: cannot open the published build %s yet (%s); retrying", name, exc)
            return False
        self.manager.adopt(engine)
        self._seen = name
        self.swaps += 1
        logger.info("index: now serving the published build %s (%d documents, loaded in %.2fs)",
                    name, manifest.documents, time.perf_counter() - started)
        return True

    def start(self) -> IndexFollower:
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="policyqa-index-follower", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # never let the follower die
                logger.exception("index follower: unexpected error")
