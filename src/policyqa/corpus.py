"""Changes to the corpus folder: uploads checked before anything is written, then written
atomically, and removals moved aside — each change with its undo.

:class:`~policyqa.manager.IndexManager` makes every corpus change through this module and then
rebuilds the index; when the rebuild fails it calls the change's ``rollback`` (the new file
removed and the metadata sidecar restored / the removed file put back), when it succeeds its
``commit`` (the removed file deleted for good).  A crash in between is cleaned up at the next
start by :func:`policyqa.recovery.recover` (the temp and trash names come from there).

This module is core: it must not import fastapi.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .documents.limits import DocumentLimits
from .documents.loaders import SUPPORTED_SUFFIXES, load_bytes
from .documents.metadata import FIELDS as METADATA_FIELDS
from .documents.metadata import SIDECAR, read_sidecar
from .errors import (
    DocumentNotFoundError,
    DocumentParseError,
    DocumentTooLargeError,
    DuplicateDocumentError,
    UnsupportedDocumentTypeError,
)
from .models import Document, DocumentInfo
from .recovery import UPLOAD_PREFIX, UPLOAD_SUFFIX, trash_path

MAX_FILENAME_CHARS = 120
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class CorpusEdit:
    """One change made to the corpus folder (``operation``: ``add <name>``, ``remove <name>``,
    ``rebuild``, ``load``) and how to undo it (``rollback``) or finish it (``commit``)."""

    operation: str
    rollback: Callable[[], None] = field(default=_nothing)
    commit: Callable[[], None] = field(default=_nothing)


@dataclass(frozen=True)
class Upload:
    """An uploaded file that passed every check and is not written yet: its safe file ``name``,
    its bytes, the parsed ``document`` and the staff's metadata ``overrides`` (known fields only)."""

    name: str
    data: bytes
    document: Document
    overrides: dict[str, str]


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


def write_atomic(target: Path, data: bytes) -> None:
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


def check_file(filename: str, data: bytes, max_bytes: int) -> str:
    """The safe name of an uploaded file whose name, type and size are acceptable (nothing parsed yet).

    Raises :class:`DocumentParseError` (bad name, empty), :class:`UnsupportedDocumentTypeError`,
    :class:`DocumentTooLargeError` (more than ``max_bytes``)."""
    name = safe_filename(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedDocumentTypeError(
            name, f"不支持的文件类型“{suffix or '无扩展名'}”，支持：{'、'.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    if len(data) > max_bytes:
        raise DocumentTooLargeError(len(data), max_bytes)
    if not data:
        raise DocumentParseError(name, "文件为空")
    return name


def parse_upload(name: str, data: bytes, overrides: dict | None, limits: DocumentLimits) -> Upload:
    """Parse a checked file (``name`` from :func:`check_file`) with the staff's metadata
    ``overrides`` (unknown fields and empty values dropped).

    Raises :class:`DocumentParseError` (unparseable: ``.reason`` says why)."""
    kept = {k: v for k, v in (overrides or {}).items() if k in METADATA_FIELDS and v not in ("", None)}
    return Upload(name, data, load_bytes(name, data, kept or None, limits), kept)


def check_new(upload: Upload, existing: Iterable[DocumentInfo], corpus_dir: Path) -> None:
    """Raise :class:`DuplicateDocumentError` when a document indexed now (``existing``) has the
    upload's content hash, or the corpus already has its file name or doc id."""
    existing = list(existing)
    document, name = upload.document, upload.name
    for info in existing:
        if info.sha256 == document.sha256:
            raise DuplicateDocumentError(f"与已有文件《{info.title}》内容相同")
    corpus = Path(corpus_dir)
    same_name = corpus.is_dir() and any(p.name == name and p.is_file() for p in corpus.rglob("*"))
    if same_name or any(info.doc_id == document.doc_id for info in existing):
        raise DuplicateDocumentError(f"已存在同名文件“{name}”，请先删除旧文件或更改文件名")


def home_folder(corpus_dir: Path, name: str) -> Path:
    """Where an uploaded file ``name`` goes: the corpus folder whose ``metadata.jsonl`` sidecar lists
    it (a regulation deleted from ``regulations/`` and uploaded again goes back there, with its
    issuer, level and 文号), else the corpus folder itself."""
    corpus = Path(corpus_dir)
    if corpus.is_dir():
        for sidecar in sorted(corpus.rglob(SIDECAR)):
            if name in read_sidecar(sidecar.parent):
                return sidecar.parent
    return corpus


def write_upload(corpus_dir: Path, upload: Upload) -> CorpusEdit:
    """Write the file into the corpus — into its :func:`home_folder` — (and its overrides as a line of
    that folder's ``metadata.jsonl`` sidecar, so every rebuild reads them), both atomically; the edit's rollback removes the file
    and restores the sidecar as it was."""
    corpus = home_folder(corpus_dir, upload.name)
    target = corpus / upload.name
    sidecar = corpus / SIDECAR
    overrides = upload.overrides
    sidecar_before = sidecar.read_bytes() if overrides and sidecar.is_file() else None

    def rollback() -> None:
        target.unlink(missing_ok=True)
        if overrides:
            if sidecar_before is None:
                sidecar.unlink(missing_ok=True)
            else:
                write_atomic(sidecar, sidecar_before)

    corpus.mkdir(parents=True, exist_ok=True)
    write_atomic(target, upload.data)
    if overrides:
        line = json.dumps({"file": upload.name, **overrides}, ensure_ascii=False) + "\n"
        write_atomic(sidecar, (sidecar_before or b"") + line.encode("utf-8"))
    return CorpusEdit(f"add {upload.name}", rollback=rollback)


def corpus_relative(corpus_dir: Path, path: str) -> Path | None:
    """The corpus file ``path`` names, relative to ``corpus_dir``: ``path`` as a document records it
    (absolute, or relative to wherever the index was built: ``corpus/regulations/供水条例.txt``) is
    tried as is, then by its trailing parts (``regulations/供水条例.txt``, ``供水条例.txt``) under the
    corpus folder; ``None`` when none is a file there.  Never a path outside the corpus folder."""
    corpus = Path(corpus_dir).resolve()
    parts = Path(path).parts
    candidates = [Path(path)] + [corpus / Path(*parts[i:]) for i in range(len(parts)) if not Path(parts[i]).is_absolute()]
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_relative_to(corpus) and resolved.is_file():
            return resolved.relative_to(corpus)
    return None


def source_file(corpus_dir: Path, path: str, doc_id: str) -> Path:
    """The corpus file of an indexed document (``path`` as the document records it, see
    :func:`corpus_relative`).  Raises :class:`DocumentNotFoundError`."""
    found = corpus_relative(corpus_dir, path)
    if found is None:
        raise DocumentNotFoundError(f"找不到文件 {doc_id} 的源文件")
    return Path(corpus_dir).resolve() / found


def move_aside(settings: Settings, source: Path) -> CorpusEdit:
    """Move a corpus file to ``data_dir/removed`` (:func:`~policyqa.recovery.trash_path`); the
    edit's rollback puts it back, its commit deletes it."""
    trash = trash_path(settings, source)

    def rollback() -> None:
        if trash.exists() and not source.exists():
            shutil.move(str(trash), str(source))

    def commit() -> None:
        trash.unlink(missing_ok=True)

    trash.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), str(trash))
    return CorpusEdit(f"remove {source.name}", rollback=rollback, commit=commit)
