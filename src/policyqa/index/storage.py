"""The ``index/`` directory: versioned builds, ``manifest.json`` and an atomic pointer.

Layout::

    index/
      CURRENT                 # name of the live build, replaced atomically (os.replace)
      build-20260101T120000-ab12cd/
        manifest.json         # versions, embedder, corpus file hashes, counts, build time
        store.json            # documents, clauses, chunks (readable)
        bm25_chunks/ bm25_clauses/ bm25_docs/   # bm25s indexes (words + character bigrams)
        dense.faiss           # FAISS index
        vectors.npy           # chunk embeddings (reused by the next build: content-hash cache)

A build is written to a fresh ``build-*`` folder; only when it is complete does ``CURRENT``
switch to it, so a crash mid-build leaves the previous index live.  Older builds are removed
after the switch.  What a crash (kill -9) can leave behind — partial ``build-*`` folders and
``.CURRENT.<hex>`` pointer temp files — is removed by :meth:`IndexStorage.remove_leftovers`
(called at start-up) and by the next successful build.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import IndexBusyError, IndexNotFoundError
from ..models import Chunk, Clause, ClausePart, Document, PageSpan, Sentence

logger = logging.getLogger(__name__)

FORMAT_VERSION = 4  # 2: bigram terms in BM25, document-level BM25; 3: terms of folded text, document warnings;
# 4: official article numbers, 款/项 parts, document metadata
POINTER = "CURRENT"
LOCK = ".build.lock"


@dataclass(frozen=True)
class Manifest:
    format_version: int
    package_version: str
    embedder_id: str
    dimension: int
    corpus: dict[str, str]  # file name -> sha256 of bytes
    documents: int
    clauses: int
    chunks: int
    built_at: str
    build_seconds: float = 0.0
    dense_kind: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class IndexStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def current(self) -> Path:
        """The live build folder; ``IndexNotFoundError`` if there is none."""
        pointer = self.root / POINTER
        if not pointer.is_file():
            raise IndexNotFoundError(f"no index in {self.root} (run: policyqa index)")
        build = self.root / pointer.read_text(encoding="utf-8").strip()
        if not (build / "manifest.json").is_file():
            raise IndexNotFoundError(f"index pointer {pointer} names a missing build {build.name}")
        return build

    def exists(self) -> bool:
        try:
            self.current()
        except IndexNotFoundError:
            return False
        return True

    def manifest(self) -> Manifest:
        return Manifest.read(self.current() / "manifest.json")

    @contextlib.contextmanager
    def new_build(self) -> Iterator[Path]:
        """A fresh folder to write a build into; committed (made live) when the block exits cleanly."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock():
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
            folder = self.root / f"build-{stamp}-{secrets.token_hex(3)}"
            folder.mkdir()
            try:
                yield folder
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            self._commit(folder)

    def remove_leftovers(self) -> list[Path]:
        """Remove what an interrupted build left: every ``build-*`` folder but the live one and
        every ``.CURRENT.<hex>`` temp file.  Returns the removed paths; does nothing (returns
        ``[]``) while another process holds the build lock."""
        if not self.root.is_dir():
            return []
        try:
            with self._lock():
                live = self._live_name()
                return self._remove_others(live)
        except IndexBusyError:
            logger.info("a build of %s is running; leftovers are left to it", self.root)
            return []

    def _live_name(self) -> str | None:
        try:
            return self.current().name
        except (IndexNotFoundError, OSError, UnicodeDecodeError):
            return None

    def _remove_others(self, live: str | None) -> list[Path]:
        removed = []
        for other in sorted(self.root.glob("build-*")):
            if other.name != live:
                shutil.rmtree(other, ignore_errors=True)
                removed.append(other)
        for tmp in sorted(self.root.glob(f".{POINTER}.*")):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
        if removed:
            logger.info("removed %d leftovers of interrupted builds in %s", len(removed), self.root)
        return removed

    def _commit(self, folder: Path) -> None:
        tmp = self.root / f".{POINTER}.{secrets.token_hex(4)}"
        tmp.write_text(folder.name, encoding="utf-8")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / POINTER)
        _fsync_dir(self.root)
        self._remove_others(folder.name)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with (self.root / LOCK).open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusyError(f"another build of {self.root} is running") from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (a power cut must not bring the old pointer back)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- store.json ---------------------------------------------------------------------


@dataclass(frozen=True)
class Store:
    """Everything the engine needs besides the search indexes."""

    documents: tuple[Document, ...]
    clauses: tuple[Clause, ...]
    chunks: tuple[Chunk, ...]

    def write(self, path: Path) -> None:
        data = {
            "documents": [_doc_dict(d) for d in self.documents],
            "clauses": [_clause_dict(c) for c in self.clauses],
            "chunks": [
                [c.chunk_id, c.doc_id, c.clause_number, c.start, c.end, c.context[: len(c.context) - len(c.text)],
                 c.clause_sub]
                for c in self.chunks
            ],
        }
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> "Store":
        data = json.loads(path.read_text(encoding="utf-8"))
        documents = tuple(
            Document(**{**d, "text": "", "pages": tuple(PageSpan(*p) for p in d["pages"]),
                        **{k: tuple(d.get(k, ())) for k in ("history", "repeals", "warnings")}})
            for d in data["documents"]
        )
        clauses = tuple(
            Clause(**{**c, "sentences": tuple(Sentence(c["text"][s:e], s, e) for s, e in c["sentences"]),
                      "references": tuple(c["references"]),
                      "parts": tuple(ClausePart(*p) for p in c.get("parts", ()))})
            for c in data["clauses"]
        )
        by_key = {c.key: c for c in clauses}
        chunks = []
        for chunk_id, doc_id, number, start, end, head, sub in data["chunks"]:
            text = by_key[(doc_id, number, sub)].text[start:end]
            chunks.append(Chunk(chunk_id, doc_id, number, text, head + text, start, end, sub))
        return cls(documents, clauses, tuple(chunks))


def _doc_dict(d: Document) -> dict[str, Any]:
    out = asdict(d)
    out["text"] = ""
    out["pages"] = [[p.page, p.start, p.end] for p in d.pages]
    return out


def _clause_dict(c: Clause) -> dict[str, Any]:
    out = asdict(c)
    out["sentences"] = [[s.start, s.end] for s in c.sentences]
    out["references"] = list(c.references)
    out["parts"] = [[p.kind, p.label, p.start, p.end] for p in c.parts]
    return out
