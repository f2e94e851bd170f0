"""IndexManager: the current engine, plus corpus changes re-indexed in the background.

The HTTP service (and anything else long-running) holds one ``IndexManager``.  It owns the
:class:`~policyqa.engine.QAEngine` that answers questions and lets an administrator add or
remove a corpus document while that engine keeps answering:

1. ``add_document(filename, data)`` validates the upload *before touching the disk*: a safe
   file name, a supported suffix, the size limit (``settings.max_upload_bytes``), that it
   parses (``documents.loaders.load_bytes`` → :class:`DocumentParseError` with a reason) and
   that no corpus document has the same content hash (:class:`DuplicateDocumentError`);
2. the file is written into ``settings.corpus_dir`` atomically (temp file + ``os.replace``);
   the checks and the file operations, each with its undo, live in :mod:`policyqa.corpus`;
3. a background thread runs ``QAEngine.build(settings, progress=...)`` (which itself builds
   into a temp folder and swaps the index directory atomically) through an
   :class:`~policyqa.factory.EngineFactory` (shared models, warm-up); its state, progress
   and thread are a :class:`~policyqa.rebuild.Rebuild`;
4. on success the new engine replaces the old one in one assignment; on failure the corpus
   change is rolled back (the new file removed / the removed file restored), the old engine
   keeps answering and :meth:`status` reports ``failed`` with the message.

Only one build runs at a time.  A change requested while a build is running is *rejected*
with :class:`~policyqa.errors.IndexBusyError` (HTTP 409) rather than queued: the caller sees
the progress in :meth:`status` and retries, and a failed build can never leave a queue of
half-applied corpus changes behind.

This module is core: it must not import fastapi.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .config import Settings
from .corpus import (  # noqa: F401 - MAX_FILENAME_CHARS and safe_filename are re-exported for compatibility
    MAX_FILENAME_CHARS,
    CorpusEdit,
    check_file,
    check_new,
    move_aside,
    parse_upload,
    safe_filename,
    source_file,
    write_upload,
)
from .documents.limits import DocumentLimits
from .errors import (  # noqa: F401 - the three service errors are re-exported for compatibility
    DocumentNotFoundError,
    DocumentParseError,
    DocumentTooLargeError,
    DuplicateDocumentError,
    IndexBusyError,
    IndexNotReadyError,
    PolicyQAError,
    ReadOnlyReplicaError,
    UnsupportedDocumentTypeError,
)
from .factory import WARMUP_QUESTION, Builder, EngineFactory, Progress  # noqa: F401 - WARMUP_QUESTION re-exported
from .rebuild import IndexState, IndexStatus, Rebuild  # noqa: F401 - IndexState/IndexStatus re-exported
from .recovery import recover

if TYPE_CHECKING:
    from .engine import QAEngine

logger = logging.getLogger(__name__)

READ_ONLY_MESSAGE = ("本实例是只读副本，不能上传或删除文件：请在管理实例（POLICYQA_ROLE=writer）上操作，"
                     "发布后本实例会自动加载新索引")


@dataclass(frozen=True)
class DocumentChange:
    """What an accepted ``add_document`` / ``remove_document`` did (the rebuild runs on)."""

    operation: Literal["add", "remove"]
    doc_id: str
    title: str
    filename: str
    sha256: str
    size: int
    status: IndexStatus
    warnings: tuple[str, ...] = ()  # what of the file could not be read (pages without a text layer …)


class IndexManager:
    """Holds the engine that answers and applies corpus changes with a background rebuild.

    ``engine``: an already loaded engine (tests, or a caller that loaded it); if omitted, the
    leftovers of a crash are cleaned up first (:func:`policyqa.recovery.recover`) and it is
    loaded with ``QAEngine.load(settings)`` — synchronously (``background=False``, the
    default: the constructor returns with an engine ready or raises; a stale index is rebuilt
    first), or in the background thread (``background=True``: :attr:`ready` is false and
    :attr:`engine` raises :class:`IndexNotReadyError` until the *last good* index is open; when
    the corpus changed since it was built, that index answers while the same thread rebuilds,
    with ``state == "building"``).  ``load=False`` creates a manager with no engine at all
    (used to export the OpenAPI schema).

    Every engine this manager loads or builds shares one embedder and one segmenter
    (:class:`~policyqa.factory.EngineFactory`: loaded once, not per rebuild), and a replaced
    engine holds no reference cycle, so its memory is returned at once.  Edited dictionaries in ``data/`` take effect at restart.

    ``warmup``: ask :data:`WARMUP_QUESTION` of every engine this manager loads or builds before
    it starts answering (an engine passed in is used as is).

    ``progress``: also told every progress report ``(stage, done, total)`` — the build's stages,
    plus ``starting`` when a load or build begins and ``done`` / ``failed`` when it ends (the
    stages :meth:`status` shows), e.g. a :class:`~policyqa.progress.BuildProgress` printing
    them on the console (``policyqa serve``).  It runs in the build thread; its errors are logged.

    ``builder``/``loader`` replace ``QAEngine.build``/``QAEngine.load`` (tests; a reader
    replica's loader opens the published build).
    """

    def __init__(
        self,
        settings: Settings,
        engine: QAEngine | None = None,
        *,
        background: bool = False,
        load: bool = True,
        warmup: bool = True,
        builder: Builder | None = None,
        loader: Builder | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.settings = settings
        self._factory = EngineFactory(settings, engine, warmup=warmup, builder=builder, loader=loader)
        self._lock = threading.Lock()
        self._engine: QAEngine | None = engine
        self._rebuild = Rebuild(self._lock, progress, stage="loaded" if engine is not None else "")
        self._counts: tuple[int, int] | None = None
        if engine is None and load:
            recover(settings)
            if background:
                self._start(CorpusEdit("load"), initial=True)
            else:
                rebuild = self._rebuild
                rebuild.observe("starting", 0, 0)
                loaded = self._factory.load(rebuild.progress)
                rebuild.observe("warmup", 0, 1)
                self._factory.warm(loaded)
                self._engine = loaded
                rebuild.stage = "loaded"
                rebuild.done = rebuild.total = 1
                rebuild.observe("done", 1, 1)

    # -- the engine ------------------------------------------------------------------------

    @property
    def engine(self) -> QAEngine:
        """The engine answering right now (replaced atomically after a successful rebuild)."""
        engine = self._engine
        if engine is None:
            raise IndexNotReadyError("索引正在加载，请稍后再试")
        return engine

    @property
    def ready(self) -> bool:
        return self._engine is not None

    @property
    def busy(self) -> bool:
        return self._rebuild.building

    def status(self) -> IndexStatus:
        with self._lock:
            return self._status_locked()

    def wait(self, timeout: float | None = None) -> IndexStatus:
        """Block until the running build (if any) has finished; return the status."""
        self._rebuild.wait(timeout)
        return self.status()

    def adopt(self, engine: QAEngine) -> None:
        """Serve ``engine`` from now on (a build another process published; see ``policyqa.replica``)."""
        with self._lock:
            self._engine = engine
            self._counts = None
            self._rebuild.stage = "loaded"

    def close(self, timeout: float | None = 30.0) -> None:
        """Wait for a running build to finish (it is not interruptible)."""
        self.wait(timeout)

    # -- corpus changes ----------------------------------------------------------------------

    def add_document(self, filename: str, data: bytes, overrides: dict | None = None) -> DocumentChange:
        """Validate an uploaded file, add it to the corpus and start the rebuild.

        ``overrides``: metadata typed by staff (``title``, ``level``, ``issuer``, ``number``,
        ``effective`` …, see ``documents.metadata.FIELDS``); kept as the file's line in the
        corpus's ``metadata.jsonl`` sidecar so every rebuild reads them.

        Raises (before anything is written): :class:`DocumentParseError` (bad name, empty,
        unparseable — ``.reason`` says why), :class:`UnsupportedDocumentTypeError`,
        :class:`DocumentTooLargeError`, :class:`DuplicateDocumentError` (same content hash or
        same file name / doc id as a corpus document), :class:`IndexBusyError`,
        :class:`ReadOnlyReplicaError` (``settings.role == "reader"``).
        """
        name = check_file(filename, data, self.settings.max_upload_bytes)
        self._check_not_busy()
        upload = parse_upload(name, data, overrides, DocumentLimits.from_settings(self.settings))
        check_new(upload, self.engine.documents(), self.settings.corpus_dir)
        with self._lock:
            self._rebuild.reserve_locked()
            try:
                edit = write_upload(self.settings.corpus_dir, upload)
            except BaseException:
                self._rebuild.release_locked()
                raise
            status = self._start_locked(edit)
        logger.info("added %s (%d bytes) to the corpus; rebuilding the index", name, len(data))
        document = upload.document
        return DocumentChange(
            "add", document.doc_id, document.title, name, document.sha256, len(data), status, document.warnings
        )

    def remove_document(self, doc_id: str) -> DocumentChange:
        """Remove a document from the corpus and start the rebuild.

        The file is moved aside (to ``data_dir/removed``) and put back if the rebuild fails
        (or, after a crash, by :func:`policyqa.recovery.recover` at the next start).
        Raises :class:`DocumentNotFoundError`, :class:`IndexBusyError`, :class:`ReadOnlyReplicaError`.
        """
        self._check_not_busy()
        info = self.engine.document(doc_id)
        source = source_file(self.settings.corpus_dir, info.path, doc_id)
        size = source.stat().st_size
        with self._lock:
            self._rebuild.reserve_locked()
            try:
                edit = move_aside(self.settings, source)
            except BaseException:
                self._rebuild.release_locked()
                raise
            status = self._start_locked(edit)
        logger.info("removed %s from the corpus; rebuilding the index", source.name)
        return DocumentChange("remove", info.doc_id, info.title, source.name, info.sha256, size, status)

    def rebuild(self) -> IndexStatus:
        """Rebuild the index from the corpus as it is (e.g. after files were copied in by hand)."""
        self._check_writer()
        with self._lock:
            self._rebuild.reserve_locked()
            return self._start_locked(CorpusEdit("rebuild"))

    # -- internals ---------------------------------------------------------------------------

    def _check_writer(self) -> None:
        if self.settings.role == "reader":
            raise ReadOnlyReplicaError(READ_ONLY_MESSAGE)

    def _check_not_busy(self) -> None:
        self._check_writer()
        self._rebuild.check_idle()

    def _start(self, job: CorpusEdit, *, initial: bool = False) -> IndexStatus:
        with self._lock:
            self._rebuild.reserve_locked()
            return self._start_locked(job, initial=initial)

    def _start_locked(self, job: CorpusEdit, *, initial: bool = False) -> IndexStatus:
        self._rebuild.start_locked(job.operation, self._run, (job, initial))
        return self._status_locked()

    def _status_locked(self) -> IndexStatus:
        documents, chunks = self._engine_counts()
        return self._rebuild.status_locked(documents, chunks, ready=self._engine is not None)

    def _run(self, job: CorpusEdit, initial: bool) -> None:
        rebuild = self._rebuild
        rebuild.observe("starting", 0, 0)
        try:
            if initial:
                engine = self._factory.load(rebuild.progress, open_stale=True)
                if self._factory.stale(engine):  # serve the last good index while the rebuild runs
                    rebuild.progress("warmup", 0, 1)
                    self._factory.warm(engine)
                    with self._lock:
                        self._engine, self._counts = engine, None
                        rebuild.operation = "rebuild"
                    logger.info("the corpus changed since the last build: serving it while rebuilding")
                    engine = self._factory.build(rebuild.progress)
            else:
                engine = self._factory.build(rebuild.progress)
            rebuild.progress("warmup", 0, 1)
            self._factory.warm(engine)
        except BaseException as exc:  # noqa: BLE001 - any failure must roll back
            logger.exception("index %s failed; keeping the previous index", job.operation)
            try:
                job.rollback()
            except Exception:  # pragma: no cover - rollback is best effort
                logger.exception("rolling back %s failed", job.operation)
            message = exc.message if isinstance(exc, PolicyQAError) else f"{type(exc).__name__}: {exc}"
            with self._lock:
                rebuild.fail_locked(message)
            rebuild.observe("failed", 0, 0)
            return
        try:
            job.commit()
        except Exception:  # pragma: no cover - commit is cleanup only
            logger.exception("cleaning up after %s failed", job.operation)
        with self._lock:
            self._engine = engine
            self._counts = None
            rebuild.finish_locked()
        logger.info("index %s finished; new engine in service", job.operation)
        rebuild.observe("done", 1, 1)

    def _engine_counts(self) -> tuple[int, int]:
        """(documents, chunks) of the current engine, cached per engine."""
        if self._engine is None:
            return 0, 0
        if self._counts is None:
            try:
                stats = self._engine.stats()
                self._counts = (int(stats.get("documents", 0) or 0), int(stats.get("chunks", 0) or 0))  # type: ignore[call-overload]
            except Exception:  # pragma: no cover - stats are informational
                logger.exception("engine.stats() failed")
                return 0, 0
        return self._counts


__all__ = [
    "MAX_FILENAME_CHARS",
    "READ_ONLY_MESSAGE",
    "WARMUP_QUESTION",
    "DocumentChange",
    "DocumentTooLargeError",
    "IndexManager",
    "IndexNotReadyError",
    "IndexStatus",
    "UnsupportedDocumentTypeError",
    "safe_filename",
]
