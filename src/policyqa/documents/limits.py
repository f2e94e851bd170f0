"""Resource limits for parsing one document: decompression bombs and runaway text.

A 268 KB ``.docx`` can hold 100 MB of XML, and a small PDF can hold streams that inflate to
gigabytes or thousands of pages.  :class:`DocumentLimits` bounds what one document may cost,
and the loaders check it at every stage:

* **before parsing** — :func:`check_docx` reads the zip's central directory: the member count,
  the declared expanded size of all members (``max_expanded_bytes``) and each large member's
  compression ratio (``max_compression_ratio``); :func:`pdf_page_texts` checks the page count
  (``max_pdf_pages``) before extracting any text;
* **during parsing** — :func:`check_docx` inflates every member as a stream and stops as soon
  as the real expanded size passes the limit (the declared sizes may lie); :func:`pdf_limits`
  hands the same byte limit to pypdf's stream decoders (FlateDecode, LZW, run-length …) and
  :func:`pdf_page_texts` stops extracting once the text passes ``max_document_chars``;
* **after parsing** — :func:`check_text` bounds the extracted text of every format.

A breach raises :class:`~policyqa.errors.DocumentLimitError` (a ``DocumentParseError``; HTTP
413) whose message names the setting, e.g. ``POLICYQA_MAX_EXPANDED_BYTES``.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from policyqa.errors import DocumentLimitError, DocumentParseError

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_COMPRESSION_RATIO",
    "DEFAULT_MAX_DOCUMENT_CHARS",
    "DEFAULT_MAX_EXPANDED_BYTES",
    "DEFAULT_MAX_PDF_PAGES",
    "DocumentLimits",
    "check_docx",
    "check_text",
    "pdf_limits",
    "pdf_page_texts",
]

DEFAULT_MAX_EXPANDED_BYTES = 64 * 1024 * 1024  # a 300-page Word file with images is ~10-20 MB expanded
DEFAULT_MAX_DOCUMENT_CHARS = 1_000_000  # ~a 500-page book; the shipped work plan has ~6,000
DEFAULT_MAX_PDF_PAGES = 2_000
DEFAULT_MAX_COMPRESSION_RATIO = 100  # Word XML deflates ~5-20x; bombs 300-1000x
RATIO_FLOOR_BYTES = 1024 * 1024  # members smaller than this expanded are never bombs, whatever the ratio
MAX_ZIP_MEMBERS = 10_000
_READ_BYTES = 1 << 20


@dataclass(frozen=True)
class DocumentLimits:
    """What one document may cost to parse (``Settings`` fields of the same names).

    ``max_expanded_bytes``: bytes after decompression (all .docx zip members together; each
    PDF stream); ``max_document_chars``: characters of extracted text; ``max_pdf_pages``: pages
    of a PDF; ``max_compression_ratio``: expanded / compressed size of a .docx member above 1 MiB.
    """

    max_expanded_bytes: int = DEFAULT_MAX_EXPANDED_BYTES
    max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES
    max_compression_ratio: int = DEFAULT_MAX_COMPRESSION_RATIO

    @classmethod
    def from_settings(cls, settings: Any) -> "DocumentLimits":
        """The limits a :class:`~policyqa.config.Settings` configures."""
        return cls(
            max_expanded_bytes=settings.max_expanded_bytes,
            max_document_chars=settings.max_document_chars,
            max_pdf_pages=settings.max_pdf_pages,
            max_compression_ratio=settings.max_compression_ratio,
        )


DEFAULT_LIMITS = DocumentLimits()


def _too_big(shown: str, what: str, setting: str, limit: int) -> DocumentLimitError:
    return DocumentLimitError(shown, what, setting=f"POLICYQA_{setting.upper()}", limit=limit)


def check_text(shown: str, text: str, limits: DocumentLimits = DEFAULT_LIMITS) -> None:
    """Raise if the extracted ``text`` is longer than ``max_document_chars`` characters."""
    if len(text) > limits.max_document_chars:
        raise _too_big(shown, f"提取的文字过长（{len(text)} 字）", "max_document_chars", limits.max_document_chars)


def check_docx(shown: str, data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> None:
    """Raise if the .docx (a zip) in ``data`` expands past the limits.

    First the central directory (member count, declared sizes, ratios), then every member is
    inflated as a stream, counting the real bytes, so a member whose declared size lies is caught
    too.  A file that is not a zip is left for the loader to report as corrupt.
    """
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise DocumentLimitError(shown, f"压缩包内文件过多（{len(members)} 个，上限 {MAX_ZIP_MEMBERS}）",
                                     setting="MAX_ZIP_MEMBERS", limit=MAX_ZIP_MEMBERS)
        limit = limits.max_expanded_bytes
        declared = sum(m.file_size for m in members)
        if declared > limit:
            raise _too_big(shown, f"解压后过大（{declared} 字节）", "max_expanded_bytes", limit)
        for m in members:
            ratio = m.file_size / max(m.compress_size, 1)
            if m.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
                raise _too_big(shown, f"压缩比异常（{m.filename} 压缩比 {ratio:.0f}，疑似压缩炸弹）",
                               "max_compression_ratio", limits.max_compression_ratio)
        expanded = 0
        for m in members:
            try:
                with archive.open(m) as fh:
                    while block := fh.read(_READ_BYTES):
                        expanded += len(block)
                        if expanded > limit:
                            raise _too_big(shown, f"解压后过大（超过 {limit} 字节）", "max_expanded_bytes", limit)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
                return  # corrupt: python-docx will say so


@contextlib.contextmanager
def pdf_limits(shown: str, limits: DocumentLimits = DEFAULT_LIMITS) -> Iterator[None]:
    """Parse a PDF inside this block: pypdf's stream decoders stop at ``max_expanded_bytes``.

    A limit reached inside pypdf (``LimitReachedError``, however the loader wrapped it) or by
    :func:`pdf_page_texts` leaves the block as a :class:`DocumentLimitError`.
    """
    import pypdf
    from pypdf.errors import LimitReachedError

    n = limits.max_expanded_bytes
    apply = getattr(pypdf, "apply_configuration", None)  # pypdf >= 6: per-context limits
    context = (
        apply(
            maximum_declared_stream_length=n,
            zlib_maximum_output_length=n,
            lzw_maximum_output_length=n,
            run_length_maximum_output_length=n,
            array_based_stream_maximum_output_length=n,
            brotli_maximum_output_length=n,
            image_maximum_buffer_size=n,
        )
        if apply is not None
        else contextlib.nullcontext()
    )
    try:
        with context:
            yield
    except DocumentLimitError:
        raise
    except (DocumentParseError, LimitReachedError) as exc:
        cause = exc if isinstance(exc, LimitReachedError) else exc.__cause__
        if isinstance(cause, DocumentLimitError):
            raise cause from None
        if isinstance(cause, LimitReachedError):
            raise _too_big(shown, "PDF 数据流解压后过大", "max_expanded_bytes", n) from exc
        raise


def pdf_page_texts(shown: str, pages: Sequence[Any], limits: DocumentLimits = DEFAULT_LIMITS) -> list[str]:
    """The text of each page (pypdf ``PageObject``s), checking the page count first, and before
    each page the decoded size of all content streams so far (``max_expanded_bytes``: pypdf's
    ``extract_text`` returns "" for a stream past its own limit instead of raising), and the
    running character count after it."""
    count = len(pages)
    if count > limits.max_pdf_pages:
        raise _too_big(shown, f"PDF 页数过多（{count} 页）", "max_pdf_pages", limits.max_pdf_pages)
    texts: list[str] = []
    chars = expanded = 0
    for page in pages:
        contents = page.get_contents()  # decoded once: pypdf caches it for extract_text
        expanded += len(contents.get_data()) if contents is not None else 0
        if expanded > limits.max_expanded_bytes:
            raise _too_big(shown, f"PDF 页面内容解压后过大（前 {len(texts) + 1} 页共 {expanded} 字节）",
                           "max_expanded_bytes", limits.max_expanded_bytes)
        text = page.extract_text() or ""
        chars += len(text)
        if chars > limits.max_document_chars:
            raise _too_big(shown, f"PDF 提取的文字过长（前 {len(texts) + 1} 页已有 {chars} 字）",
                           "max_document_chars", limits.max_document_chars)
        texts.append(text)
    return texts
