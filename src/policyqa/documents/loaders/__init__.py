"""Source files → :class:`~policyqa.models.Document` (normalised text plus provenance).

One module per format, this package holding the entry points and the dispatch:

* :mod:`.encoding` — ``.txt``/``.md`` bytes: UTF-8 (with or without BOM), UTF-16/32 with a BOM, and
  the legacy encodings GB18030/GBK/GB2312, Big5 and UTF-16 without a BOM (the most Chinese reading);
* :mod:`.text` — the normalisation every format shares (a line is a paragraph; no NFKC: the
  characters stay as printed), paragraphs for a document that lost them, the title;
* :mod:`.pdf` — pypdf's text layer: visual lines joined into paragraphs, running headers/footers and
  page numbers dropped, pages without a (decodable) text layer reported in ``Document.warnings``;
* :mod:`.docx` — python-docx: paragraphs with Word's automatic numbering, tables, text boxes;
* :mod:`.html` — the visible text of a page.

Every failure raises :class:`~policyqa.errors.DocumentParseError` with a Chinese reason
that names the problem (encrypted, scanned, undecodable, corrupt, empty, unsupported type …).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from policyqa.errors import DocumentParseError
from policyqa.models import Document, PageSpan

from ..limits import DEFAULT_LIMITS, DocumentLimits, check_docx, check_text, pdf_limits
from ..metadata import describe, read_sidecar, split_front_matter
from .docx import docx_text
from .encoding import decode
from .html import html_text
from .pdf import pdf_text
from .text import normalize_text, restore_paragraphs, strip_markdown, title_from_text

__all__ = [
    "SUPPORTED_SUFFIXES",
    "CorpusLoad",
    "corpus_paths",
    "doc_id_for",
    "load_bytes",
    "load_corpus",
    "load_document",
    "normalize_text",
    "restore_paragraphs",
]

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".pdf", ".docx", ".html", ".htm"})

_FORMATS = {".txt": "txt", ".md": "md", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}

_UNSUPPORTED = "不支持的文件类型“{suffix}”，支持 .txt .md .pdf .docx .html"
_EMPTY = "文件为空"
_MISSING = "文件不存在"


@dataclass(frozen=True)
class CorpusLoad:
    """What :func:`load_corpus` found: the documents that loaded and the files that did not."""

    documents: tuple[Document, ...]
    errors: tuple[DocumentParseError, ...]


# --------------------------------------------------------------------------- ids


_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def doc_id_for(name: str) -> str:
    """Stable URL-safe document id from a file name (or a bare stem).

    A stem made of ``[A-Za-z0-9_-]`` (at most 64 characters) is used lowercased
    (``Plan_2022.pdf`` → ``plan_2022``); anything else (Chinese titles) becomes
    ``"d"`` + the first 10 hex digits of the SHA-1 of the UTF-8 stem.  Only a supported
    suffix is removed, so ``doc_id_for("x.txt") == doc_id_for("x")``; directories are ignored.
    """
    stem = _stem(name)
    if _ID_RE.fullmatch(stem):
        return stem.lower()
    return "d" + hashlib.sha1(stem.encode("utf-8")).hexdigest()[:10]


def _stem(name: str) -> str:
    base = re.split(r"[\\/]", str(name))[-1]
    suffix = Path(base).suffix
    if suffix.lower() in SUPPORTED_SUFFIXES and len(base) > len(suffix):
        return base[: -len(suffix)]
    return base


# --------------------------------------------------------------------------- public entry points


def load_document(path: str | Path, overrides: dict | None = None, limits: DocumentLimits = DEFAULT_LIMITS) -> Document:
    """Read and parse one file; raise :class:`DocumentParseError` naming the problem
    (:class:`~policyqa.errors.DocumentLimitError` past ``limits``).
    ``overrides``: metadata fields set by staff (``documents.metadata``)."""
    path = Path(path)
    shown = str(path)
    if not path.exists():
        raise DocumentParseError(shown, _MISSING)
    if not path.is_file():
        raise DocumentParseError(shown, "不是文件（可能是文件夹）")
    _check_suffix(shown, path.name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentParseError(shown, f"无法读取文件：{exc.strerror or exc}") from exc
    return _parse(shown, path.name, data, overrides, limits)


def load_bytes(
    filename: str, data: bytes, overrides: dict | None = None, limits: DocumentLimits = DEFAULT_LIMITS
) -> Document:
    """Parse an in-memory file (e.g. an HTTP upload) exactly like :func:`load_document`.

    ``filename`` decides the format, the title and the id; it is also the ``path`` of the
    returned document.  Nothing is written to disk.
    """
    _check_suffix(filename, filename)
    return _parse(filename, filename, bytes(data), overrides, limits)


_NOTE_FILE = re.compile(r"^(?:README|SOURCE|SOURCES|LICENSE|LICENCE|NOTICE|PROVENANCE)(?:\.[A-Za-z]+)?$", re.IGNORECASE)


def corpus_paths(directory: str | Path) -> list[Path]:
    """The document files of a corpus folder and its subfolders, in relative-path order.

    Hidden files and folders, Office lock files (``~$…``), unsupported suffixes and the folder's
    own notes (``README.md``, ``SOURCE.md``, ``LICENSE``…) are not documents."""
    directory = Path(directory)
    out = []
    for path in directory.rglob("*"):
        rel = path.relative_to(directory)
        if any(part.startswith((".", "~$")) for part in rel.parts) or _NOTE_FILE.match(path.name):
            continue
        if path.suffix.lower() in SUPPORTED_SUFFIXES and path.is_file():
            out.append(path)
    return sorted(out, key=lambda p: p.relative_to(directory).as_posix())


def load_corpus(directory: str | Path, limits: DocumentLimits = DEFAULT_LIMITS) -> CorpusLoad:
    """Load every supported file inside ``directory`` (subfolders included, see :func:`corpus_paths`),
    in relative-path order; a ``metadata.jsonl`` sidecar in a folder overrides the metadata of
    that folder's files (``documents.metadata``).

    Hidden files, Office lock files (``~$…``) and unsupported suffixes are skipped
    silently.  A file that fails to parse is recorded in ``errors`` (and logged) and
    the rest still load.  A file whose text is identical to an earlier one's is skipped
    with a log message; a file whose id collides with an earlier one's (``规划.pdf`` and
    ``规划.docx``) is skipped and recorded as an error.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DocumentParseError(str(directory), "语料目录不存在" if not directory.exists() else "不是目录")
    documents: list[Document] = []
    errors: list[DocumentParseError] = []
    by_sha: dict[str, Document] = {}
    by_id: dict[str, Document] = {}
    sidecars: dict[Path, dict] = {}
    for path in corpus_paths(directory):
        if path.parent not in sidecars:
            sidecars[path.parent] = read_sidecar(path.parent)
        try:
            doc = load_document(path, sidecars[path.parent].get(path.name), limits)
        except DocumentParseError as exc:
            logger.warning("跳过无法读取的文件 %s", exc.message)
            errors.append(exc)
            continue
        if doc.sha256 in by_sha:
            logger.warning("跳过重复文件 %s：内容与 %s 相同", doc.path, by_sha[doc.sha256].path)
            continue
        if doc.doc_id in by_id:
            exc = DocumentParseError(
                doc.path,
                f"文档编号 {doc.doc_id} 与 {by_id[doc.doc_id].path} 相同（同名不同格式的文件），已跳过",
            )
            logger.warning("跳过文件 %s", exc.message)
            errors.append(exc)
            continue
        by_sha[doc.sha256] = by_id[doc.doc_id] = doc
        documents.append(doc)
    return CorpusLoad(documents=tuple(documents), errors=tuple(errors))


# --------------------------------------------------------------------------- dispatch


def _check_suffix(shown: str, name: str) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = "（旧版 Word .doc 文件请另存为 .docx）" if suffix == ".doc" else ""
        raise DocumentParseError(shown, _UNSUPPORTED.format(suffix=suffix or "无扩展名") + hint)


def _parse(
    shown: str, name: str, data: bytes, overrides: dict | None = None, limits: DocumentLimits = DEFAULT_LIMITS
) -> Document:
    suffix = Path(name).suffix.lower()
    fmt = _FORMATS[suffix]
    if not data.strip():
        raise DocumentParseError(shown, _EMPTY)
    stem = _stem(name)
    title = stem
    pages: tuple[PageSpan, ...] = ()
    warnings: tuple[str, ...] = ()
    if fmt == "pdf":
        with pdf_limits(shown, limits):
            extracted = pdf_text(shown, data, limits)
        text, pages, warnings = extracted.text, extracted.pages, extracted.warnings
    elif fmt == "docx":
        check_docx(shown, data, limits)
        text, doc_title = docx_text(shown, data)
        title = doc_title or stem
    elif fmt == "html":
        text, html_title = html_text(shown, data)
        title = html_title or stem
    else:
        front, raw = split_front_matter(decode(shown, data).replace("\r\n", "\n"))
        overrides = {**front, **(overrides or {})}
        text = normalize_text(restore_paragraphs(raw))
        if fmt == "md":
            text = strip_markdown(text)
    if not text:
        raise DocumentParseError(shown, _EMPTY)
    check_text(shown, text, limits)
    if title == stem:
        title = title_from_text(stem, text)
    doc = Document(
        doc_id=doc_id_for(name),
        title=title,
        path=shown,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        format=fmt,
        pages=pages,
        warnings=warnings,
    )
    return describe(doc, stem, overrides)
