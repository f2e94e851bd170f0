"""Source files → :class:`~policyqa.models.Document` (normalised text plus provenance).

Supported formats: plain text and Markdown (UTF-8, UTF-8 with BOM, UTF-16 with BOM,
GB18030/GBK/GB2312, anything else ``charset_normalizer`` recognises), PDF with a text
layer (pypdf), Word ``.docx`` (python-docx) and HTML.

Text normalisation is the same for every format and deliberately light, because the
structure parser and the verbatim quotes depend on the characters as printed:

* line breaks become ``\\n``; every line is stripped at both ends (ASCII spaces, tabs,
  U+3000 ideographic spaces, NBSP, zero-width spaces); empty lines are dropped, so a
  *line is a paragraph*;
* control characters and byte-order marks are removed;
* **no** NFKC: full-width punctuation (``（一）``, ``，``, ``《》``, ``“”``) and
  placeholders such as ``xx`` or ``x—x`` are kept verbatim.

PDF text additionally has pypdf's visual line breaks joined back into paragraphs (see
:func:`_join_lines`), page-number lines (``— 1 —``) dropped, and CJK radical code points
that some PDF fonts emit (``⻓``) mapped to the ideographs they stand for (``长``).

Every failure raises :class:`~policyqa.errors.DocumentParseError` with a Chinese reason
that names the problem (encrypted, scanned, corrupt, empty, unsupported type …).
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from policyqa.documents.limits import (
    DEFAULT_LIMITS,
    DocumentLimits,
    check_docx,
    check_text,
    pdf_limits,
    pdf_page_texts,
)
from policyqa.errors import DocumentParseError
from policyqa.models import Document, PageSpan

__all__ = [
    "SUPPORTED_SUFFIXES",
    "CorpusLoad",
    "doc_id_for",
    "load_bytes",
    "load_corpus",
    "load_document",
]

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".pdf", ".docx", ".html", ".htm"})

_FORMATS = {".txt": "txt", ".md": "md", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}

_UNSUPPORTED = "不支持的文件类型“{suffix}”，支持 .txt .md .pdf .docx .html"
_EMPTY = "文件为空"
_MISSING = "文件不存在"
_BAD_ENCODING = "无法识别文件编码（请另存为 UTF-8）：文件可能不是文本文件 (unknown encoding or binary file)"


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


def load_document(path: str | Path, limits: DocumentLimits = DEFAULT_LIMITS) -> Document:
    """Read and parse one file; raise :class:`DocumentParseError` naming the problem
    (:class:`~policyqa.errors.DocumentLimitError` past ``limits``)."""
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
    return _parse(shown, path.name, data, limits)


def load_bytes(filename: str, data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> Document:
    """Parse an in-memory file (e.g. an HTTP upload) exactly like :func:`load_document`.

    ``filename`` decides the format, the title and the id; it is also the ``path`` of the
    returned document.  Nothing is written to disk.
    """
    _check_suffix(filename, filename)
    return _parse(filename, filename, bytes(data), limits)


def load_corpus(directory: str | Path, limits: DocumentLimits = DEFAULT_LIMITS) -> CorpusLoad:
    """Load every supported file directly inside ``directory``, in name order.

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
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        if path.name.startswith((".", "~$")) or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        if not path.is_file():
            continue
        try:
            doc = load_document(path, limits)
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


def _parse(shown: str, name: str, data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> Document:
    suffix = Path(name).suffix.lower()
    fmt = _FORMATS[suffix]
    if not data.strip():
        raise DocumentParseError(shown, _EMPTY)
    stem = _stem(name)
    title = stem
    pages: tuple[PageSpan, ...] = ()
    if fmt == "pdf":
        with pdf_limits(shown, limits):
            text, pages = _pdf_text(shown, data, limits)
    elif fmt == "docx":
        check_docx(shown, data, limits)
        text, doc_title = _docx_text(shown, data)
        title = doc_title or stem
    elif fmt == "html":
        text, html_title = _html_text(shown, data)
        title = html_title or stem
    else:
        text = normalize_text(restore_paragraphs(_decode(shown, data)))
        if fmt == "md":
            text = _strip_markdown(text)
    if not text:
        raise DocumentParseError(shown, _EMPTY)
    check_text(shown, text, limits)
    if title == stem:
        title = _title_from_text(stem, text)
    return Document(
        doc_id=doc_id_for(name),
        title=title,
        path=shown,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        format=fmt,
        pages=pages,
    )


# --------------------------------------------------------------------------- normalisation

_NEWLINES = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff]")
_EDGE = r"[\s\u200b\u200c\u200d\u2060\ufeff]"
_EDGES = re.compile(rf"^{_EDGE}+|{_EDGE}+$")


def normalize_text(text: str) -> str:
    """Line-based normalisation shared by every format (idempotent; no NFKC)."""
    text = _CONTROL.sub("", _NEWLINES.sub("\n", text))
    lines = (_EDGES.sub("", line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


_HAN = re.compile(r"[\u3400-\u9fff]")
_LOST_BREAK = re.compile(r"(?<=[^\x00-\x7f])[ \t\u3000]+(?=[^\x00-\x7f])|[ \t]*\u3000[ \t\u3000]*")
_HEADING_START = re.compile(r"[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．、]|第[一二三四五六七八九十百零\d]+[章节条]")
SINGLE_LINE_CHARS = 200
TITLE_LINE_CHARS = 80


def restore_paragraphs(text: str) -> str:
    """Paragraph breaks for text that lost them (a web page copied as one line: paragraphs joined
    by spaces or ideographic spaces).  Chinese uses no spaces between words, so in a long text
    without any line break a space between two Chinese characters, or an ideographic space, is a
    lost break; spaces between Latin words stay.  Text that has line breaks is left alone."""
    if "\n" in text.strip() or len(text) < SINGLE_LINE_CHARS:
        return text
    return _LOST_BREAK.sub("\n", text)


def _title_from_text(stem: str, text: str) -> str:
    """The file name is the title unless it names nothing (``scan_001``, a hash): then the first
    line of the text, when it is short enough to be a title."""
    if _HAN.search(stem):
        return stem
    first, _, body = text.partition("\n")
    first = first.strip()
    titled = (
        body.strip()  # a title heads a body
        and _HAN.search(first)
        and len(first) <= TITLE_LINE_CHARS
        and first[-1] not in "。！？；.!?;，,"
        and not _HEADING_START.match(first)  # 一、总体要求 is a heading, not the title
    )
    return first if titled else stem


_MD_HEADING = re.compile(r"^#{1,6}(?:[ \t]+|$)")
_MD_CLOSING = re.compile(r"[ \t]+#+$")
_MD_RULE = re.compile(r"^(?:={3,}|-{3,}|\*{3,}|_{3,})$")


def _strip_markdown(text: str) -> str:
    """Remove ATX heading marks (``## 标题`` → ``标题``) and setext/thematic rule lines."""
    out = []
    for line in text.split("\n"):
        if _MD_RULE.match(line):
            continue
        if _MD_HEADING.match(line):
            line = _MD_CLOSING.sub("", _MD_HEADING.sub("", line)).strip()
        if line:
            out.append(line)
    return "\n".join(out)


# --------------------------------------------------------------------------- text decoding

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip
_ALLOWED_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1a")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text if ch < " " and ch not in _ALLOWED_CONTROLS)
    return controls > max(2, len(text) // 100)


def _decode(shown: str, data: bytes, *, declared: str | None = None) -> str:
    """Bytes → str: (declared charset,) BOMs, UTF-8, GB18030, then ``charset_normalizer``."""
    for candidate in _decodings(shown, data, declared):
        if candidate is not None and not _looks_binary(candidate):
            return candidate
    raise DocumentParseError(shown, _BAD_ENCODING)


def _decodings(shown: str, data: bytes, declared: str | None) -> Iterator[str | None]:
    if declared:
        yield _strict(data, declared)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            yield _strict(data, codec)
            break
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        yield body.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield _mostly_utf8(shown, body, exc)
    yield _strict(data, "gb18030")
    yield _charset_normalizer(data)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_utf8(shown: str, data: bytes, exc: UnicodeDecodeError) -> str | None:
    """UTF-8 with a cut-off last character or a few stray bytes (GB18030 would turn it into mojibake)."""
    if exc.reason == "unexpected end of data" and exc.end == len(data) and exc.start >= len(data) - 3:
        logger.warning("%s：文件末尾的字符不完整，已忽略 (truncated UTF-8 at end of file)", shown)
        return data[: exc.start].decode("utf-8", errors="replace")
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for ch in text if "\u0080" <= ch != "\ufffd")
    # GBK read as UTF-8 gives about one bad sequence per character; real UTF-8 with a
    # damaged byte or two has far more good multi-byte characters than bad ones.
    if multibyte >= 10 and bad * 20 <= multibyte:
        logger.warning("%s：UTF-8 文本中有 %d 处无效字节，已替换为 U+FFFD", shown, bad)
        return text
    return None


def _charset_normalizer(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return None if best is None else str(best)


# --------------------------------------------------------------------------- PDF

# Line ends that close a paragraph: 。；：！？… (and ASCII .;:!?), maybe followed by closing quotes/brackets.
_FINAL = re.compile(r"[。；：！？…;:!?.][”’」』）)】》〉\"']*$")
# Line ends that certainly continue (a short line ending like this is still mid-sentence).
_CONTINUES = re.compile(r"[，、（(《“‘「『【—\-－]$")
# A line that starts with a numbering marker starts a new paragraph.
_CN_NUM = "一二三四五六七八九十百千零〇"
_MARKER = re.compile(
    rf"(?:[{_CN_NUM}]+、|[（(][{_CN_NUM}]+[）)]|[（(]\d+[）)]|\d+[.．、](?!\d)"
    rf"|第[{_CN_NUM}\d]+[条章节编]|[①-⑳])"
)
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－~\s]*\d{1,4}[-—–－~\s]*|第\s*\d+\s*页(?:\s*[，,/／]?\s*共\s*\d+\s*页)?"
    r"|\d+\s*[/／]\s*\d+|[Pp]age\s*\d+(?:\s*of\s*\d+)?)$"
)
# An English word (a space-separated ASCII token) at a line end; ``、x`` or ``住房2022`` is not one.
_ASCII_END = re.compile(r"(?:^|\s)[\x21-\x7e]*[A-Za-z0-9,;:!?)%]$")
_ASCII_START = re.compile(r"^[A-Za-z0-9(]")

# Some PDF fonts map simplified characters to CJK radical code points; pypdf then
# extracts ``⻓期`` instead of ``长期``.  Kangxi radicals have NFKC mappings; the
# CJK Radicals Supplement ones that are whole simplified characters are listed here.
_RADICALS = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)}
_RADICALS.update(
    {
        ord(k): v
        for k, v in zip(
            "⺟⺠⻄⻅⻉⻋⻓⻔⻙⻚⻛⻜⻢⻥⻦⻧⻨⻩⻬⻮⻰⻳⻆",
            "母民西见贝车长门韦页风飞马鱼鸟卤麦黄齐齿龙龟角",
            strict=True,
        )
    }
)


def _fix_pdf_chars(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(_RADICALS)


def _pdf_text(shown: str, data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> tuple[str, tuple[PageSpan, ...]]:
    """Extract a PDF's text layer page by page; join visual lines back into paragraphs."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(BytesIO(data))
    except Exception as exc:  # pypdf raises many types for broken files
        raise DocumentParseError(shown, f"PDF 文件已损坏或不是有效的 PDF：{_brief(exc)}") from exc
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except Exception as exc:  # noqa: BLE001
            logger.debug("decrypting %s with an empty password failed: %r", shown, exc)
            ok = 0
        if not ok:
            raise DocumentParseError(shown, "PDF 已加密（需要打开密码），请提供未加密的版本")
    try:
        raw_pages = pdf_page_texts(shown, reader.pages, limits)
    except Exception as exc:
        raise DocumentParseError(shown, f"PDF 文件已损坏或不是有效的 PDF：{_brief(exc)}") from exc
    if not raw_pages:
        raise DocumentParseError(shown, "PDF 没有页面")
    page_lines = [_page_lines(_fix_pdf_chars(raw)) for raw in raw_pages]
    if not any(page_lines):
        raise DocumentParseError(shown, "PDF 没有文字层（可能是扫描件），请先进行文字识别（OCR）")
    blank = [i + 1 for i, lines in enumerate(page_lines) if not lines]
    if blank:
        logger.warning("%s：第 %s 页没有文字层（可能是扫描页），这些页的内容无法检索", shown, blank)
    return _join_pages(page_lines)  # already normalised lines, so the recorded offsets stay valid


def _page_lines(raw: str) -> list[str]:
    lines = normalize_text(raw).split("\n")
    lines = [line for line in lines if line]
    # Page numbers ("— 3 —", "第3页 共9页") sit on the first or last line of a page.
    if lines and _PAGE_NUMBER.match(lines[-1]):
        lines.pop()
    if lines and _PAGE_NUMBER.match(lines[0]):
        lines.pop(0)
    return lines


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _join_pages(page_lines: list[list[str]]) -> tuple[str, tuple[PageSpan, ...]]:
    """Join visual lines into paragraphs (also across page breaks) and record page spans."""
    widths = sorted(_width(line) for lines in page_lines for line in lines)
    full = widths[int(0.9 * (len(widths) - 1))]
    out: list[str] = []
    length = 0
    prev: str | None = None
    starts: list[int | None] = []
    for lines in page_lines:
        if not lines:
            starts.append(None)
            continue
        for j, line in enumerate(lines):
            sep = "" if prev is None else _separator(prev, line, full)
            out.append(sep)
            length += len(sep)
            if j == 0:
                starts.append(length)
            out.append(line)
            length += len(line)
            prev = line
    text = "".join(out)
    # Blank pages get an empty span at the start of the next page with text.
    resolved: list[int] = []
    following = len(text)
    for start in reversed(starts):
        following = following if start is None else start
        resolved.append(following)
    resolved.reverse()
    resolved[0] = 0
    bounds = [*resolved, len(text)]
    pages = tuple(PageSpan(page=i + 1, start=bounds[i], end=bounds[i + 1]) for i in range(len(resolved)))
    return text, pages


def _separator(prev: str, line: str, full: int) -> str:
    """``"\\n"`` when ``prev`` ends a paragraph, else how to glue the two visual lines."""
    if _FINAL.search(prev) or _MARKER.match(line):
        return "\n"
    # A clearly short line (title, heading, date, signature) ends its paragraph unless
    # it stops at a comma or an opening bracket.
    if _width(prev) < 0.8 * full and not _CONTINUES.search(prev):
        return "\n"
    return " " if _ASCII_END.search(prev) and _ASCII_START.match(line) else ""


def _brief(exc: BaseException) -> str:
    message = str(exc).strip() or type(exc).__name__
    return message if len(message) <= 200 else message[:200] + "…"


# --------------------------------------------------------------------------- DOCX


def _docx_text(shown: str, data: bytes) -> tuple[str, str]:
    """Body paragraphs and tables (a row per line, cells joined by a tab), in document order."""
    import docx

    try:
        document = docx.Document(BytesIO(data))
        lines = list(_block_lines(document.element.body))
    except Exception as exc:  # zipfile, lxml and python-docx errors
        raise DocumentParseError(
            shown,
            f"DOCX 文件已损坏或不是有效的 Word 文档：{_brief(exc)}（旧版 .doc 文件请用 Word 另存为 .docx）",
        ) from exc
    try:
        title = (document.core_properties.title or "").strip()
    except Exception:  # noqa: BLE001 - broken core properties only cost the title
        title = ""
    return normalize_text("\n".join(lines)), title


def _block_lines(container) -> Iterator[str]:
    """Text lines of a body or table cell: paragraphs, tables and content controls in order."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, None).text
        elif child.tag == qn("w:tbl"):
            for row in child.iterchildren(qn("w:tr")):
                cells = []
                for tc in row.iterchildren(qn("w:tc")):
                    if tc.vMerge == "continue":  # the merged cell's text is on the first row
                        cells.append("")
                    else:
                        cells.append(" ".join(line.strip() for line in _block_lines(tc) if line.strip()))
                yield "\t".join(cells)
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _block_lines(content)


# --------------------------------------------------------------------------- HTML

_DROP_TAGS = frozenset({"script", "style", "nav", "header", "footer", "noscript", "template", "head",
                        "iframe", "svg", "canvas", "button", "select", "textarea", "object"})  # fmt: skip
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption "
    "figure form h1 h2 h3 h4 h5 h6 hr html legend li main ol p pre section summary table tbody thead tfoot "
    "tr ul".split()
)
_CELL_TAGS = frozenset({"td", "th"})
_BREAK, _CELL = "\x1e", "\x1f"  # placeholders that survive whitespace collapsing
_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2014\u2018\u2019\u201c\u201d\u2026"
_CJK_WRAP = re.compile(rf"(?<=[{_CJK}])[ \t\r\n\f]*\n[ \t\r\n\f]*(?=[{_CJK}])")
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
_GB_ALIASES = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "csgb2312", "chinese", "cp936", "ms936", "euc-cn"}


def _html_text(shown: str, data: bytes) -> tuple[str, str]:
    """Visible text of an HTML page: a line per block element, inline markup kept in its line."""
    from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction
    from bs4.dammit import EncodingDetector

    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    if declared and declared.lower() in _GB_ALIASES:
        declared = "gb18030"  # pages labelled gb2312 routinely contain GBK/GB18030 characters
    soup = BeautifulSoup(_decode(shown, data, declared=declared), "html.parser")
    title = ""
    if soup.title is not None:
        title = _HTML_SPACE.sub(" ", soup.title.get_text()).strip()
    skip = (Comment, Declaration, Doctype, ProcessingInstruction)
    out: list[str] = []
    # Iterative walk (deeply nested pages must not hit the recursion limit).
    stack: list[object] = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, str) and not isinstance(node, NavigableString):
            out.append(node)  # a closing marker pushed below
        elif isinstance(node, NavigableString):
            if not isinstance(node, skip):
                out.append(_CONTROL.sub("", str(node)).replace(_BREAK, "").replace(_CELL, ""))
        elif node.name in _DROP_TAGS and node is not soup:
            continue
        elif node.name == "br":
            out.append(_BREAK)
        else:
            closing = _CELL if node.name in _CELL_TAGS else _BREAK if node.name in _BLOCK_TAGS else ""
            if node.name == "pre":
                stack.append(_BREAK)
                stack.append(_BREAK.join(node.get_text().splitlines()))
                out.append(_BREAK)
                continue
            if closing:
                out.append(_BREAK if closing == _BREAK else "")
                stack.append(closing)
            stack.extend(reversed(list(node.children)))
    text = _CJK_WRAP.sub("", "".join(out))
    text = _HTML_SPACE.sub(" ", text).replace(_BREAK, "\n").replace(_CELL, "\t")
    return normalize_text(text), title
