"""IndexManager: the current engine, plus corpus changes re-indexed in the background.

The HTTP service (and anything else long-running) holds one ``IndexManager``.  It owns the
:class:`~policyqa.engine.QAEngine` that answers questions and lets an administrator add or
remove a corpus document while that engine keeps answering:

1. ``add_document(filename, data)`` validates the upload *before touching the disk*: a safe
   file name, a supported suffix, the size limit (``settings.max_upload_bytes``), that it
   parses (``documents.loaders.load_bytes`` → :class:`DocumentParseError` with a reason) and
   that no corpus document has the same content hash (:class:`DuplicateDocumentError`);
2. the file is written into ``settings.corpus_dir`` atomically (temp file + ``os.replace``);
3. a background thread runs ``QAEngine.build(settings, progress=...)`` (which itself builds
   into a temp folder and swaps the index directory atomically);
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

import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .config import Settings
from .documents.limits import DocumentLimits
from .documents.loaders import SUPPORTED_SUFFIXES, load_bytes
from .documents.metadata import FIELDS as METADATA_FIELDS
from .documents.metadata import SIDECAR
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

from .recovery import UPLOAD_PREFIX, UPLOAD_SUFFIX, recover, trash_path

if TYPE_CHECKING:
    from .engine import QAEngine
    from .index.embedders import Embedder
    from .segmentation import Segmenter

logger = logging.getLogger(__name__)

IndexState = Literal["idle", "building", "failed"]
Builder = Callable[..., "QAEngine"]
Progress = Callable[[str, int, int], None]  # (stage, done, total)

MAX_FILENAME_CHARS = 120
#: Asked once of every newly loaded/built engine before it serves, so lazily loaded models
#: (the embedder) are ready and the first citizen does not wait for them.
WARMUP_QUESTION = "住房保障"
READ_ONLY_MESSAGE = ("本实例是只读副本，不能上传或删除文件：请在管理实例（POLICYQA_ROLE=writer）上操作，"
                     "发布后本实例会自动加载新索引")
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


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


def _now() -> datetime:
    return datetime.now(tz=UTC)


def safe_filename(filename: str) -> str:
    """The base name of an uploaded file, made safe to create inside the corpus folder.

    Drops any directory part (``../../x.txt`` → ``x.txt``, Windows paths too), control and
    reserved characters, and leading dots.  Raises :class:`DocumentParseError` if nothing is left.
    """
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_CHARS.sub("_", name).strip().lstrip(".").strip()
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    if len(name) > MAX_FILENAME_CHARS:
        keep = MAX_FILENAME_CHARS - len(suffix) - 1
        name = f"{stem[:keep]}.{suffix}" if suffix else stem[:MAX_FILENAME_CHARS]
    if not stem.strip(" ._"):
        raise DocumentParseError(filename or "", "文件名无效")
    return name


def _write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` via a hidden temp file in the same folder and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=UPLOAD_PREFIX, suffix=UPLOAD_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Job:
    """One corpus change plus how to undo / finish it."""

    def __init__(self, operation: str, rollback: Callable[[], None], commit: Callable[[], None]) -> None:
        self.operation = operation
        self.rollback = rollback
        self.commit = commit


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

    Every engine this manager loads or builds shares one embedder and one segmenter (the
    embedding model and jieba's dictionary are loaded once, not per rebuild: re-loading jieba
    fragmented the heap by ~1.5 MB per rebuild), and a replaced engine holds no reference cycle,
    so its memory is returned at once.  Edited dictionaries in ``data/`` take effect at restart.

    ``warmup``: ask :data:`WARMUP_QUESTION` of every engine this manager loads or builds before
    it starts answering (an engine passed in is used as is).

    ``progress``: also told every progress report ``(stage, done, total)`` — the build's stages,
    plus ``starting`` when a load or build begins and ``done`` / ``failed`` when it ends (the
    stages :meth:`status` shows), e.g. a :class:`~policyqa.progress.BuildProgress` printing
    them on the console (``policyqa serve``).  It runs in the build thread; its errors are logged.

    ``builder``/``loader`` replace ``QAEngine.build``/``QAEngine.load`` (tests).
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
        self._observer = progress
        self._builder = builder
        self._loader = loader
        self._warmup = warmup
        self._lock = threading.Lock()
        self._engine: QAEngine | None = engine
        self._thread: threading.Thread | None = None
        self._state: IndexState = "idle"
        self._stage = "loaded" if engine is not None else ""
        self._done = 0
        self._total = 0
        self._message = ""
        self._operation = ""
        self._started_at: datetime | None = None
        self._finished_at: datetime | None = None
        self._counts: tuple[int, int] | None = None
        self._embedder: Embedder | None = getattr(engine, "embedder", None)
        self._segmenter: Segmenter | None = getattr(engine, "segmenter", None)
        if engine is None and load:
            recover(settings)
            if background:
                self._start(_Job("load", rollback=lambda: None, commit=lambda: None), initial=True)
            else:
                self._observe("starting", 0, 0)
                loaded = self._load_engine()
                self._progress("warmup", 0, 1)
                self._warm(loaded)
                self._engine = loaded
                self._stage = "loaded"
                self._observe("done", 1, 1)

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
        with self._lock:
            return self._state == "building"

    def status(self) -> IndexStatus:
        with self._lock:
            documents, chunks = self._engine_counts()
            return IndexStatus(
                state=self._state,
                stage=self._stage,
                done=self._done,
                total=self._total,
                message=self._message,
                started_at=self._started_at,
                finished_at=self._finished_at,
                documents=documents,
                chunks=chunks,
                operation=self._operation,
                ready=self._engine is not None,
            )

    def wait(self, timeout: float | None = None) -> IndexStatus:
        """Block until the running build (if any) has finished; return the status."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def adopt(self, engine: QAEngine) -> None:
        """Serve ``engine`` from now on (a build another process published; see ``policyqa.replica``)."""
        with self._lock:
            self._engine = engine
            self._counts = None
            self._stage = "loaded"

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
        name = safe_filename(filename)
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise UnsupportedDocumentTypeError(
                name, f"不支持的文件类型“{suffix or '无扩展名'}”，支持：{'、'.join(sorted(SUPPORTED_SUFFIXES))}"
            )
        limit = self.settings.max_upload_bytes
        if len(data) > limit:
            raise DocumentTooLargeError(len(data), limit)
        if not data:
            raise DocumentParseError(name, "文件为空")
        self._check_not_busy()
        overrides = {k: v for k, v in (overrides or {}).items() if k in METADATA_FIELDS and v not in ("", None)}
        document = load_bytes(name, data, overrides or None, DocumentLimits.from_settings(self.settings))
        existing = self.engine.documents()
        for info in existing:
            if info.sha256 == document.sha256:
                raise DuplicateDocumentError(f"与已有文件《{info.title}》内容相同")
        corpus = Path(self.settings.corpus_dir)
        target = corpus / name
        if target.exists() or any(info.doc_id == document.doc_id for info in existing):
            raise DuplicateDocumentError(f"已存在同名文件“{name}”，请先删除旧文件或更改文件名")

        sidecar = corpus / SIDECAR
        sidecar_before = sidecar.read_bytes() if overrides and sidecar.is_file() else None

        def rollback() -> None:
            target.unlink(missing_ok=True)
            if overrides:
                if sidecar_before is None:
                    sidecar.unlink(missing_ok=True)
                else:
                    _write_atomic(sidecar, sidecar_before)

        with self._lock:
            self._reserve_locked()
            try:
                corpus.mkdir(parents=True, exist_ok=True)
                _write_atomic(target, data)
                if overrides:
                    line = json.dumps({"file": name, **overrides}, ensure_ascii=False) + "\n"
                    _write_atomic(sidecar, (sidecar_before or b"") + line.encode("utf-8"))
            except BaseException:
                self._state, self._stage = "idle", ""
                raise
            status = self._start_locked(_Job(f"add {name}", rollback=rollback, commit=lambda: None))
        logger.info("added %s (%d bytes) to the corpus; rebuilding the index", name, len(data))
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
        source = self._corpus_path(info.path, doc_id)
        trash = trash_path(self.settings, source)
        trash_dir = trash.parent

        def rollback() -> None:
            if trash.exists() and not source.exists():
                shutil.move(str(trash), str(source))

        def commit() -> None:
            trash.unlink(missing_ok=True)

        size = source.stat().st_size
        with self._lock:
            self._reserve_locked()
            try:
                trash_dir.mkdir(parents=True, exist_ok=True)
                shutil.move(str(source), str(trash))
            except BaseException:
                self._state, self._stage = "idle", ""
                raise
            status = self._start_locked(_Job(f"remove {source.name}", rollback=rollback, commit=commit))
        logger.info("removed %s from the corpus; rebuilding the index", source.name)
        return DocumentChange("remove", info.doc_id, info.title, source.name, info.sha256, size, status)

    def rebuild(self) -> IndexStatus:
        """Rebuild the index from the corpus as it is (e.g. after files were copied in by hand)."""
        self._check_writer()
        with self._lock:
            self._reserve_locked()
            return self._start_locked(_Job("rebuild", rollback=lambda: None, commit=lambda: None))

    # -- internals ---------------------------------------------------------------------------

    def _corpus_path(self, path: str, doc_id: str) -> Path:
        corpus = Path(self.settings.corpus_dir).resolve()
        candidates = [Path(path)] if Path(path).is_absolute() else [corpus / path, corpus / Path(path).name]
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved.is_relative_to(corpus) and resolved.is_file():
                return resolved
        raise DocumentNotFoundError(f"找不到文件 {doc_id} 的源文件")

    def _check_writer(self) -> None:
        if self.settings.role == "reader":
            raise ReadOnlyReplicaError(READ_ONLY_MESSAGE)

    def _check_not_busy(self) -> None:
        self._check_writer()
        with self._lock:
            if self._state == "building":
                raise IndexBusyError("索引正在重建，请稍后再试")

    def _reserve_locked(self) -> None:
        if self._state == "building":
            raise IndexBusyError("索引正在重建，请稍后再试")
        self._state = "building"
        self._stage = "queued"

    def _start(self, job: _Job, *, initial: bool = False) -> IndexStatus:
        with self._lock:
            self._reserve_locked()
            return self._start_locked(job, initial=initial)

    def _start_locked(self, job: _Job, *, initial: bool = False) -> IndexStatus:
        self._stage, self._done, self._total = "starting", 0, 0
        self._message = ""
        self._operation = job.operation
        self._started_at, self._finished_at = _now(), None
        thread = threading.Thread(
            target=self._run, args=(job, initial), name=f"policyqa-index-{job.operation.split()[0]}", daemon=True
        )
        self._thread = thread
        thread.start()
        return IndexStatus(
            state="building", stage="starting", done=0, total=0, message="", started_at=self._started_at,
            finished_at=None, documents=self._engine_counts()[0], chunks=self._engine_counts()[1],
            operation=job.operation, ready=self._engine is not None,
        )

    def _run(self, job: _Job, initial: bool) -> None:
        self._observe("starting", 0, 0)
        try:
            if initial:
                engine = self._load_engine(open_stale=True)
                if self._stale(engine):  # serve the last good index while the rebuild runs
                    self._progress("warmup", 0, 1)
                    self._warm(engine)
                    with self._lock:
                        self._engine, self._counts = engine, None
                        self._operation = "rebuild"
                    logger.info("the corpus changed since the last build: serving it while rebuilding")
                    engine = self._build_engine()
            else:
                engine = self._build_engine()
            self._progress("warmup", 0, 1)
            self._warm(engine)
        except BaseException as exc:  # noqa: BLE001 - any failure must roll back
            logger.exception("index %s failed; keeping the previous index", job.operation)
            try:
                job.rollback()
            except Exception:  # pragma: no cover - rollback is best effort
                logger.exception("rolling back %s failed", job.operation)
            message = exc.message if isinstance(exc, PolicyQAError) else f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._state, self._stage = "failed", "failed"
                self._message = message
                self._finished_at = _now()
            self._observe("failed", 0, 0)
            return
        try:
            job.commit()
        except Exception:  # pragma: no cover - commit is cleanup only
            logger.exception("cleaning up after %s failed", job.operation)
        with self._lock:
            self._engine = engine
            self._counts = None
            self._state, self._stage = "idle", "done"
            self._message = ""
            self._finished_at = _now()
        logger.info("index %s finished; new engine in service", job.operation)
        self._observe("done", 1, 1)

    def _progress(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._stage, self._done, self._total = stage, int(done), int(total)
        self._observe(stage, done, total)

    def _observe(self, stage: str, done: int, total: int) -> None:
        """Tell the ``progress`` observer (outside the lock; its failure never fails a build)."""
        if self._observer is None:
            return
        try:
            self._observer(stage, int(done), int(total))
        except Exception:
            logger.exception("index progress observer failed")

    def _warm(self, engine: QAEngine) -> None:
        if not self._warmup:
            return
        started = time.perf_counter()
        try:
            engine.ask(WARMUP_QUESTION)
        except Exception:  # a warm-up failure is not fatal: the first real question will tell
            logger.warning("warm-up question failed", exc_info=True)
            return
        logger.info("engine warmed up in %.2fs", time.perf_counter() - started)

    def _load_engine(self, *, open_stale: bool = False) -> QAEngine:
        if self._loader is not None:
            return self._loader(self.settings, progress=self._progress)
        from .engine import QAEngine

        engine = QAEngine.load(self.settings, progress=self._progress, embedder=self._shared_embedder(),
                               open_stale=open_stale)
        self._embedder, self._segmenter = engine.embedder, engine.segmenter
        return engine

    def _build_engine(self) -> QAEngine:
        if self._builder is not None:
            return self._builder(self.settings, progress=self._progress)
        from .engine import QAEngine

        engine = QAEngine.build(self.settings, progress=self._progress, embedder=self._shared_embedder(),
                                segmenter=self._segmenter)
        self._embedder, self._segmenter = engine.embedder, engine.segmenter
        return engine

    def _shared_embedder(self) -> Embedder:
        """The one embedder of every engine this manager makes (a model is loaded once, not per rebuild)."""
        if self._embedder is None:
            from .index.embedders import create_embedder

            s = self.settings
            self._embedder = create_embedder(s.embedder, s.embedder_model, s.embed_batch_size)
        return self._embedder

    def _stale(self, engine: QAEngine) -> bool:
        """True when the corpus on disk differs from what ``engine``'s index was built from."""
        from .engine import corpus_files

        manifest = getattr(engine, "manifest", None)
        return manifest is not None and corpus_files(self.settings.corpus_dir) != manifest.corpus

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
    "DocumentChange",
    "DocumentTooLargeError",
    "IndexManager",
    "IndexNotReadyError",
    "IndexStatus",
    "UnsupportedDocumentTypeError",
    "safe_filename",
]
