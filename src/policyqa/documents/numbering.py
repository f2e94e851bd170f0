"""Chinese numbering markers: numerals (一百二十三 → 123), article/chapter markers in their printed
variants (``第二十三条``, ``第 1 条``, ``第十一条之一``, ``第 一 章``, ``１．``) and the
length-preserving full-width → ASCII map used to *match* them without changing the text.

Legal hierarchy (立法法 / 立法技术规范): 编 part › 章 chapter › 节 section › 条 article ›
款 paragraph (an unnumbered paragraph inside an article) › 项 item ``（一）`` › 目 sub-item ``1.``.
"""

from __future__ import annotations

import re

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "零〇一二三四五六七八九十百千两"

# full-width ASCII (！…～) → ASCII and the ideographic space → space: one character for one
FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def halfwidth(text: str) -> str:
    """``text`` with full-width ASCII folded to ASCII; same length, so offsets carry over."""
    return text.translate(FULLWIDTH)


def cn_to_int(s: str) -> int | None:
    """``"二十三"`` → 23, ``"一百零五"`` → 105, ``"十"`` → 10, ``"23"`` → 23; ``None`` if not a numeral."""
    s = halfwidth(s).strip()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    total = section = 0
    digit = None
    for ch in s:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            section += (1 if digit is None else digit) * CN_UNITS[ch]
            digit = None
        elif ch == "万":
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def int_to_cn(n: int) -> str:
    """23 → ``"二十三"``, 105 → ``"一百零五"``, 10 → ``"十"`` (the form official article labels use)."""
    digits = "零一二三四五六七八九"
    if n < 0:
        raise ValueError(n)
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        q, n = divmod(n, value)
        if q:
            out += digits[q] + unit
        elif out and n:
            out += "零" if not out.endswith("零") else ""
    if n:
        out += digits[n]
    return out


_SP = r"[ \t\u3000]*"
_NUMERAL = rf"[{CN_NUM}\d０-９]+"
# 第X编/章/节 headings and 第X条 articles, spaces allowed inside (第 1 条, 第 一 章)
LEGAL_HEADING_RE = re.compile(rf"^第{_SP}({_NUMERAL}){_SP}([编章节])")
ARTICLE_RE = re.compile(rf"^第{_SP}({_NUMERAL}){_SP}条(?:{_SP}之{_SP}([{CN_NUM}\d]+))?")
TOC_RE = re.compile(rf"^目{_SP}录$")
LEVEL_OF = {"编": "part", "章": "chapter", "节": "section"}


def article_label(number: int, sub: int = 0, arabic: bool = False) -> str:
    """The official label, in the numerals the document prints: (23, 0) → ``第二十三条``, (11, 1) →
    ``第十一条之一``; ``arabic`` (the heading printed ``第 4 条`` or ``第４条``) → ``第4条``."""
    if arabic:
        return f"第{number}条" + (f"之{sub}" if sub else "")
    return f"第{int_to_cn(number)}条" + (f"之{int_to_cn(sub)}" if sub else "")


def compact_heading(line: str, marker_end: int, level_char: str, number: int) -> str:
    """A 编/章/节 heading as it reads naturally: ``第 二 章  业主 大会`` → ``第二章 业主大会``;
    the separator is the ideographic space when the source used one (``第三章　供热与用热``)."""
    name = re.sub(r"[ \t\u3000]+", "", line[marker_end:])
    sep = "\u3000" if "\u3000" in line else " "
    marker = f"第{int_to_cn(number)}{level_char}"
    return marker + (sep + name if name else "")
