"""HTML → visible text: a line per block element, inline markup kept in its line, tables as tab rows."""

from __future__ import annotations

import re

from .encoding import decode
from .text import CONTROL, normalize_text

__all__ = ["html_text"]


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


def html_text(shown: str, data: bytes) -> tuple[str, str]:
    """Visible text of an HTML page: a line per block element, inline markup kept in its line."""
    from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction
    from bs4.dammit import EncodingDetector

    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    if declared and declared.lower() in _GB_ALIASES:
        declared = "gb18030"  # pages labelled gb2312 routinely contain GBK/GB18030 characters
    soup = BeautifulSoup(decode(shown, data, declared=declared), "html.parser")
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
                out.append(CONTROL.sub("", str(node)).replace(_BREAK, "").replace(_CELL, ""))
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

