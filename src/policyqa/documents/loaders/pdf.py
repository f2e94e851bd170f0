"""PDF text layer (pypdf) → paragraphs, page spans and warnings.

* Visual lines are joined back into paragraphs (also across page breaks): a line ends its paragraph
  when it ends a sentence or is clearly short (a title, a heading); a line that stops mid-sentence
  wraps — even when the next line begins like numbering (``…第`` / ``1.`` or ``…按照`` /
  ``（二）项``), unless that numbering is the next of the document's sequence (``3.`` after ``2.``).
* Running headers and footers — short lines that end no sentence, repeated at the top or bottom of
  the pages (``某市住房公积金管理中心文件``, ``XX〔2024〕3号 第 2 页``) — and page numbers (``— 2 —``, ``- 2 -``, ``第2页``,
  ``2/9``) are dropped.
* CJK radical code points that some fonts emit (``⻓``) become the ideographs they stand for (``长``).
* A page whose text is mostly control characters, private-use or unassigned code points (a font
  without a Unicode map) cannot be decoded: when no page can, :class:`DocumentParseError`; otherwise
  the page is left out with a warning, like a page without a text layer (a scanned page).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from io import BytesIO

from ...errors import DocumentParseError
from ..limits import DEFAULT_LIMITS, DocumentLimits, pdf_page_texts
from ...folding import fold
from ...models import PageSpan
from .text import brief, cn_number, normalize_text

__all__ = ["PdfText", "join_pages", "pdf_text"]

logger = logging.getLogger(__name__)

# Line ends that close a paragraph: 。；：！？… (and ASCII .;:!?), maybe followed by closing quotes/brackets.
_FINAL = re.compile(r"[。；：！？…;:!?.][”’」』）)】》〉\"']*$")
# Line ends that certainly continue (a short line ending like this is still mid-sentence).
_CONTINUES = re.compile(r"[，、（(《“‘「『【—\-－第]$")
# A line that starts with a numbering marker may start a new paragraph (kind, number).
_CN_NUM = "一二三四五六七八九十百千零〇"
_MARKER = re.compile(
    rf"(?P<section>[{_CN_NUM}]+)、|[（(](?P<subsection>[{_CN_NUM}]+)[）)]|[（(](?P<item>\d+)[）)]"
    rf"|(?P<clause>\d+)[.．、](?!\d)|第(?P<article>[{_CN_NUM}\d]+)条|第(?P<chapter>[{_CN_NUM}\d]+)[章节编]"
    r"|(?P<circled>[①-⑳])"
)
_OUTER = {"chapter": ("section", "subsection", "clause", "item"),  # articles run on across chapters
          "section": ("subsection", "clause", "item"), "subsection": ("clause", "item"),
          "clause": ("item",), "article": ("item",)}  # what a new number at each level restarts
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－~·•\s]*\d{1,4}[-—–－~·•\s]*|第\s*[\d一二三四五六七八九十百]+\s*[页頁](?:\s*[，,/／]?\s*共\s*\d+\s*[页頁])?"
    r"|\d+\s*[/／]\s*\d+|[Pp]age\s*\d+(?:\s*of\s*\d+)?)$"
)
# An English word (a space-separated ASCII token) at a line end; ``、x`` or ``住房2022`` is not one.
_ASCII_END = re.compile(r"(?:^|\s)[\x21-\x7e]*[A-Za-z0-9,;:!?)%]$")
_ASCII_START = re.compile(r"^[A-Za-z0-9(]")

EDGE_LINES = 3  # lines at the top and at the bottom of a page where running headers/footers sit
RUNNING_CHARS = 60  # a running header/footer is at most this long and ends no sentence
_SENTENCE_END = re.compile(r"[。；！？][”’」』）)]*$")
RUNNING_SHARE = 0.4  # a line repeated at the same edge of this share of the pages (and at least 2) runs
GARBAGE_SHARE = 0.3  # a page whose characters are this much control/private-use/unassigned is undecodable

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

SCANNED = "PDF 没有文字层（可能是扫描件），请先进行文字识别（OCR）"
UNDECODABLE = (
    "PDF 的文字层无法解码：字体缺少 Unicode 映射，提取出的是控制字符或乱码"
    "（请用原始文件重新导出 PDF，或进行文字识别（OCR））"
)


@dataclass(frozen=True)
class PdfText:
    """A PDF's text: paragraphs, the page spans of ``text`` and warnings for staff."""

    text: str
    pages: tuple[PageSpan, ...]
    warnings: tuple[str, ...] = ()


def fix_pdf_chars(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(_RADICALS)


def pdf_text(shown: str, data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> PdfText:
    """Extract a PDF's text layer page by page (see module docstring); :class:`DocumentParseError`
    for a corrupt, encrypted, scanned or undecodable file."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(BytesIO(data))
    except Exception as exc:  # pypdf raises many types for broken files
        raise DocumentParseError(shown, f"PDF 文件已损坏或不是有效的 PDF：{brief(exc)}") from exc
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
        raise DocumentParseError(shown, f"PDF 文件已损坏或不是有效的 PDF：{brief(exc)}") from exc
    if not raw_pages:
        raise DocumentParseError(shown, "PDF 没有页面")
    undecodable = [i for i, raw in enumerate(raw_pages) if is_undecodable(raw)]
    page_lines = [[] if i in undecodable else _page_lines(fix_pdf_chars(raw)) for i, raw in enumerate(raw_pages)]
    if not any(page_lines):
        raise DocumentParseError(shown, UNDECODABLE if undecodable else SCANNED)
    page_lines = strip_running_lines(page_lines)
    warnings = []
    blank = [i + 1 for i, lines in enumerate(page_lines) if not lines and i not in undecodable]
    if blank:
        warnings.append(f"第 {_pages(blank)} 页没有文字层（可能是扫描页），这些页的内容无法检索，请进行文字识别（OCR）")
    if undecodable:
        warnings.append(f"第 {_pages([i + 1 for i in undecodable])} 页的文字无法解码（字体缺少 Unicode 映射），这些页的内容无法检索")
    for warning in warnings:
        logger.warning("%s：%s", shown, warning)
    text, pages = join_pages(page_lines)  # already normalised lines, so the recorded offsets stay valid
    return PdfText(text, pages, tuple(warnings))


def _pages(numbers: list[int]) -> str:
    return "、".join(map(str, numbers))


def is_undecodable(raw: str) -> bool:
    """Text a font without a Unicode map produced: mostly control characters (``\\x01\\x02…``, C1
    ``\\x80…``), private-use or unassigned code points, U+FFFD — or, with no Chinese at all, mostly
    Latin-1 letters (``ÕþÎñ``, GBK bytes shown as Latin-1)."""
    chars = [ch for ch in raw if not ch.isspace()]
    if not chars:
        return False
    bad = sum(1 for ch in chars if ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs"))
    if bad >= GARBAGE_SHARE * len(chars):
        return True
    if any("\u3400" <= ch <= "\u9fff" for ch in chars):
        return False
    latin = sum(1 for ch in chars if "\u00c0" <= ch <= "\u024f")
    letters = sum(1 for ch in chars if ch.isalpha())
    return letters >= 10 and latin >= 0.5 * letters


def _page_lines(raw: str) -> list[str]:
    return [line for line in normalize_text(raw).split("\n") if line]


def _running_key(line: str) -> str | None:
    """What repeats of a header/footer line (digits ignored: ``第 2 页``), ``None`` for a line that
    cannot be one (a sentence, a long line)."""
    if len(line) > RUNNING_CHARS or _SENTENCE_END.search(line):
        return None
    return re.sub(r"\d+", "#", fold(line).replace(" ", ""))


def strip_running_lines(page_lines: list[list[str]]) -> list[list[str]]:
    """Drop page numbers and running headers/footers: lines (digits ignored) repeated within the first
    or the last ``EDGE_LINES`` lines of at least two pages and ``RUNNING_SHARE`` of the pages with text."""
    with_text = sum(1 for lines in page_lines if lines)
    top: Counter[str] = Counter()
    bottom: Counter[str] = Counter()
    for lines in page_lines:
        top.update({_running_key(line) for line in lines[:EDGE_LINES]})
        bottom.update({_running_key(line) for line in lines[-EDGE_LINES:]})
    need = max(2, RUNNING_SHARE * with_text)
    running_top = {k for k, n in top.items() if n >= need and k is not None}
    running_bottom = {k for k, n in bottom.items() if n >= need and k is not None}
    out = []
    for lines in page_lines:
        lines = list(lines)
        for _ in range(EDGE_LINES):  # from the top edge inwards, while lines run
            if lines and (_PAGE_NUMBER.match(lines[0]) or _running_key(lines[0]) in running_top):
                lines.pop(0)
        for _ in range(EDGE_LINES):
            if lines and (_PAGE_NUMBER.match(lines[-1]) or _running_key(lines[-1]) in running_bottom):
                lines.pop()
        out.append(lines)
    return out


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def join_pages(page_lines: list[list[str]]) -> tuple[str, tuple[PageSpan, ...]]:
    """Join visual lines into paragraphs (also across page breaks) and record page spans."""
    widths = sorted(_width(line) for lines in page_lines for line in lines)
    full = widths[int(0.9 * (len(widths) - 1))]
    out: list[str] = []
    length = 0
    prev: str | None = None
    starts: list[int | None] = []
    numbering: dict[str, int] = {}
    for lines in page_lines:
        if not lines:
            starts.append(None)
            continue
        for j, line in enumerate(lines):
            sep = "\n" if prev is None else _separator(prev, line, full, numbering)
            if prev is not None:
                out.append(sep)
                length += len(sep)
            if sep == "\n":
                _count(line, numbering)
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


def _marker(line: str) -> tuple[str, int] | None:
    m = _MARKER.match(fold(line[:16]))  # 第十條 (traditional), １． (full width)
    if m is None or m.lastgroup is None:
        return None
    value = m.group(m.lastgroup)
    n = ord(value) - ord("①") + 1 if m.lastgroup == "circled" else cn_number(value)
    return None if n is None else (m.lastgroup, n)


def _count(line: str, numbering: dict[str, int]) -> None:
    """Record the numbering a new paragraph starts with (and restart the levels below it)."""
    marker = _marker(line)
    if marker:
        kind, n = marker
        numbering[kind] = n
        for inner in _OUTER.get(kind, ()):
            numbering.pop(inner, None)


def _separator(prev: str, line: str, full: int, numbering: dict[str, int]) -> str:
    """``"\\n"`` when ``prev`` ends a paragraph, else how to glue the two visual lines."""
    if _FINAL.search(prev):
        return "\n"
    # A clearly short line (title, heading, date, signature) ends its paragraph unless
    # it stops at a comma or an opening bracket.
    if _width(prev) < 0.8 * full and not _CONTINUES.search(prev):
        return "\n"
    # ``prev`` stops mid-sentence: the line wraps, even when it begins like numbering (…第 / 1.),
    # unless that numbering is the next of its sequence (（二） after （一）, 1. before any 1.).
    marker = _marker(line)
    if marker and marker[1] == numbering.get(marker[0], 0) + 1:
        return "\n"
    return " " if _ASCII_END.search(prev) and _ASCII_START.match(line) else ""
