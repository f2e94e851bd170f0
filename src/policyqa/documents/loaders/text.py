"""Text normalisation shared by every format, lost paragraph breaks, titles and Markdown marks.

Normalisation is deliberately light, because the structure parser and the verbatim quotes depend on
the characters as printed:

* line breaks become ``\\n``; every line is stripped at both ends (ASCII spaces, tabs, U+3000
  ideographic spaces, NBSP, zero-width spaces); empty lines are dropped, so a *line is a paragraph*;
* control characters and byte-order marks are removed;
* **no** NFKC: full-width punctuation and digits (``（一）``, ``，``, ``２５００``) and placeholders
  such as ``xx`` or ``x—x`` are kept verbatim (matching folds them: :mod:`policyqa.folding`).
"""

from __future__ import annotations

import re

from ...folding import fold

__all__ = [
    "CONTROL", "SINGLE_LINE_CHARS", "TITLE_LINE_CHARS", "brief", "cn_number", "normalize_text", "restore_paragraphs",
    "strip_markdown", "title_from_text",
]

_NEWLINES = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff]")
_EDGE = r"[\s\u200b\u200c\u200d\u2060\ufeff]"
_EDGES = re.compile(rf"^{_EDGE}+|{_EDGE}+$")


def normalize_text(text: str) -> str:
    """Line-based normalisation shared by every format (idempotent; no NFKC)."""
    text = CONTROL.sub("", _NEWLINES.sub("\n", text))
    lines = (_EDGES.sub("", line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def brief(exc: BaseException) -> str:
    """An exception's message for a parse-error reason (at most 200 characters)."""
    message = str(exc).strip() or type(exc).__name__
    return message if len(message) <= 200 else message[:200] + "…"


# --------------------------------------------------------------------------- lost paragraph breaks

_HAN = re.compile(r"[\u3400-\u9fff]")
_LOST_BREAK = re.compile(r"(?<=[^\x00-\x7f])[ \t\u3000]+(?=[^\x00-\x7f])|[ \t]*\u3000[ \t\u3000]*")
SINGLE_LINE_CHARS = 200
TITLE_LINE_CHARS = 80

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "零〇一二三四五六七八九十百"
# numbering printed inline, in the matching form (full-width digits and ．folded): kind and its number
_INLINE_MARK = re.compile(
    rf"(?P<chapter>第(?P<chapter_n>[{_CN}\d]{{1,6}})章)"
    rf"|(?P<article>第(?P<article_n>[{_CN}\d]{{1,6}})条(?:之[{_CN}]+)?)"
    rf"|(?P<section>(?<![{_CN}第])(?P<section_n>[{_CN}]{{1,3}})、)"
    rf"|(?P<subsection>[（(](?P<subsection_n>[{_CN}]{{1,3}})[）)])"
    r"|(?P<clause>(?<![\d.])(?P<clause_n>\d{1,3})[.、](?!\d))"
)
_SENTENCE_END = "。；！？;!?：:”’」』）)"
_HEADING_CHARS = 40  # a title or heading run straight into the next marker is at most this long


def cn_number(text: str) -> int | None:
    """``二十三`` → 23, ``十一`` → 11, ``105`` → 105 (up to 999); ``None`` when it is not a number."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def restore_paragraphs(text: str) -> str:
    """Paragraph breaks for text that lost them (a whole document on one line).

    * Paragraphs joined by spaces (a web page copied as one line): Chinese uses no spaces between
      words, so in a long text without any line break a space between two Chinese characters, or an
      ideographic space, is a lost break; spaces between Latin words stay.
    * Paragraphs joined with nothing at all (``…办法一、申请条件1.申请人…。2.申请人…``): a break goes
      before each numbering marker that continues its sequence (``一、`` ``二、``; ``1.`` ``2.`` or a
      ``1.`` restarting under a new heading; ``（一）``; ``第X章``/``第X条``) and follows the end of a
      sentence or a short heading (so ``统一、规范`` or ``3、6、9月`` inside a sentence stay) — in a
      document with headings or a title line; a bare numbered list (``1、…2、…`` or
      ``（一）…（二）…``, an FAQ answer) stays one paragraph.

    Text that has line breaks is left alone, and so is short text (spaces: under
    ``SINGLE_LINE_CHARS``; numbering: under ``TITLE_LINE_CHARS``).
    """
    if "\n" in text.strip() or len(text) < TITLE_LINE_CHARS:
        return text
    restored = _LOST_BREAK.sub("\n", text) if len(text) >= SINGLE_LINE_CHARS else text
    if "\n" in restored.strip():
        return restored
    return _break_before_numbering(restored)


_NESTED = {"chapter": (), "section": ("chapter",), "subsection": ("section", "chapter"),
           "clause": ("subsection", "section", "chapter"), "article": ("chapter",)}
_RESETS = {"chapter": ("section", "subsection", "clause"), "section": ("subsection",)}


def _break_before_numbering(line: str) -> str:
    folded = fold(line)
    last = dict.fromkeys(_NESTED, 0)
    prev_kind = ""
    breaks: list[int] = []
    since = 0  # where the current paragraph starts
    for m in _INLINE_MARK.finditer(folded):
        kind = next(k for k in _NESTED if m.group(k))
        n = cn_number(m.group(kind + "_n"))
        start = m.start()
        if n is None or start == since and start or kind in ("clause", "subsection") and last["article"]:
            continue  # items (1. （一）) inside articles stay in their article
        before = folded[since:start]
        heading = (
            (since == 0 or prev_kind in ("chapter", "section", "subsection"))  # a title or a heading
            and len(before) <= _HEADING_CHARS
            and not re.search(r"[，。；：,;:]", before)
        )
        if start and folded[start - 1] not in _SENTENCE_END and not heading:
            continue  # inside a sentence: 统一、规范  按第三条规定
        follows = n == last[kind] + 1 or (n == last[kind] and "之" in m.group(0))  # 第十一条之一
        restart = n == 1 and prev_kind in _NESTED[kind]  # 二、…1.… numbering restarts under a heading
        if not (follows or restart):
            continue
        last[kind] = n
        for deeper in _RESETS.get(kind, ()):
            last[deeper] = 0
        prev_kind = kind
        if start > 0:
            breaks.append(start)
        since = start
    if not breaks:
        return line
    # a bare list (1、…2、…3、… from the first character: an FAQ answer) is one passage, not a document
    headed = any(last[k] for k in ("chapter", "article", "section"))
    titled = not re.search(r"[，。；：,;:!?！？]", folded[: breaks[0]])
    if not headed and not titled:
        return line
    return "\n".join(line[a:b] for a, b in zip([0, *breaks], [*breaks, len(line)]))


# --------------------------------------------------------------------------- titles

_HEADING_START = re.compile(r"[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．、]|第[一二三四五六七八九十百零\d]+[章节条]")
# what an official document calls itself at the end of its title (in the matching form)
_DOCUMENT_KIND = re.compile(
    r"(?:法|条例|规定|办法|细则|规则|决定|命令|通知|通告|公告|公报|意见|方案|规划|计划|要点|须知|指南|纲要|"
    r"标准|章程|批复|报告|决议|纪要|函|指引|守则|准则|制度|目录|清单|实施意见|管理规定)$"
)
_TITLE_SUFFIX = re.compile(r"(?:[（(][^（）()]{1,20}[）)])+$")  # （节选） （试行） （2025年修订）


def title_from_text(stem: str, text: str) -> str:
    """The document's title: its first line when that line is a title, else the file name.

    The first line is a title when it heads a body, contains Chinese, is at most
    ``TITLE_LINE_CHARS`` long, does not end a sentence and is not a numbered heading; and either it
    ends with what official documents call themselves (``…办法``, ``…条例``, ``…的通知``, ``…须知``,
    optionally followed by ``（试行）``/``（节选）``) or the file name names nothing (``scan_001``).
    """
    first, _, body = text.partition("\n")
    first = first.strip()
    titled = bool(
        body.strip()  # a title heads a body
        and _HAN.search(first)
        and len(first) <= TITLE_LINE_CHARS
        and first[-1] not in "。！？；.!?;，,：:"
        and not _HEADING_START.match(first)  # 一、总体要求 is a heading, not the title
    )
    if not titled:
        return stem
    named = _DOCUMENT_KIND.search(_TITLE_SUFFIX.sub("", fold(first.strip("《》 "))))
    if not _HAN.search(stem) or (named and named.start() >= 2):  # 目录 or 通知 alone is a heading
        return first.strip("《》 ") or stem
    return stem


# --------------------------------------------------------------------------- Markdown

_MD_HEADING = re.compile(r"^#{1,6}(?:[ \t]+|$)")
_MD_CLOSING = re.compile(r"[ \t]+#+$")
_MD_RULE = re.compile(r"^(?:={3,}|-{3,}|\*{3,}|_{3,})$")


def strip_markdown(text: str) -> str:
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
