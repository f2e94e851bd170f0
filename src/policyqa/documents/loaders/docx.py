"""Word ``.docx`` (python-docx) → body text in reading order.

* Paragraphs, tables (a row per line, cells joined by a tab; a vertically merged cell's text on its
  first row) and content controls, in document order.
* Automatic numbering (``w:numPr`` on the paragraph or its style) is printed as Word shows it:
  ``第%1条`` with Chinese counting → ``第一条``, ``（%1）`` → ``（一）``, ``%1.`` → ``1.``, ``%1.%2`` →
  ``1.2``; bullets print nothing.  Without it a document numbered by Word would lose its structure.
* Text boxes (``w:txbxContent``, DrawingML or VML, the fallback copy skipped) follow the paragraph
  that anchors them.
* Headers, footers, footnotes and comments live in other parts and are not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

from ...errors import DocumentParseError
from .text import brief, normalize_text

__all__ = ["docx_text"]

_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_CN_DIGITS = "零一二三四五六七八九"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"


def docx_text(shown: str, data: bytes) -> tuple[str, str]:
    """(text, core-properties title) of a ``.docx``; :class:`DocumentParseError` when it is not one."""
    import docx

    try:
        document = docx.Document(BytesIO(data))
        numbering = _Numbering(document)
        lines = list(_block_lines(document.element.body, numbering))
    except Exception as exc:  # zipfile, lxml and python-docx errors
        raise DocumentParseError(
            shown,
            f"DOCX 文件已损坏或不是有效的 Word 文档：{brief(exc)}（旧版 .doc 文件请用 Word 另存为 .docx）",
        ) from exc
    try:
        # python-docx makes up core properties titled "Word Document" for a file without them
        title = (document.core_properties.title or "").strip() if _has_core_properties(data) else ""
    except Exception:  # noqa: BLE001 - broken core properties only cost the title
        title = ""
    return normalize_text("\n".join(lines)), title


def _has_core_properties(data: bytes) -> bool:
    """Does the package hold its own core properties (``docProps/core.xml``)?"""
    import zipfile

    with zipfile.ZipFile(BytesIO(data)) as package:
        return any(name.lower() == "docprops/core.xml" for name in package.namelist())


def _block_lines(container, numbering: "_Numbering") -> Iterator[str]:
    """Text lines of a body, table cell or text box: paragraphs, tables and content controls in order."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield numbering.label(child) + Paragraph(child, None).text
            for box in _text_boxes(child):
                yield from _block_lines(box, numbering)
        elif child.tag == qn("w:tbl"):
            for row in child.iterchildren(qn("w:tr")):
                cells = []
                for tc in row.iterchildren(qn("w:tc")):
                    if tc.vMerge == "continue":  # the merged cell's text is on the first row
                        cells.append("")
                    else:
                        lines = _block_lines(tc, numbering)
                        cells.append(" ".join(line.strip() for line in lines if line.strip()))
                yield "\t".join(cells)
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _block_lines(content, numbering)


def _text_boxes(paragraph) -> Iterator:
    """The text boxes anchored in ``paragraph`` (not those nested in another box, nor fallback copies)."""
    from docx.oxml.ns import qn

    box_tag, fallback = qn("w:txbxContent"), f"{{{_MC}}}Fallback"
    for box in paragraph.iter(box_tag):
        node = box.getparent()
        while node is not None and node is not paragraph and node.tag not in (box_tag, fallback):
            node = node.getparent()
        if node is paragraph:
            yield box


class _Numbering:
    """Word's automatic list numbering: the label each numbered paragraph shows, in reading order."""

    def __init__(self, document) -> None:
        from docx.oxml.ns import qn

        self._qn = qn
        self._levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId → ilvl → (start, numFmt, lvlText)
        self._counters: dict[str, dict[int, int]] = {}
        self._styles: dict[str, tuple[str, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {a.get(qn("w:abstractNumId")): self._read_levels(a) for a in root.iterchildren(qn("w:abstractNum"))}
        for num in root.iterchildren(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            levels = dict(abstract.get(ref.get(qn("w:val")) if ref is not None else None, {}))
            for override in num.iterchildren(qn("w:lvlOverride")):
                ilvl = int(override.get(qn("w:ilvl"), "0"))
                lvl = override.find(qn("w:lvl"))
                if lvl is not None:
                    levels[ilvl] = self._read_level(lvl)
                start = override.find(qn("w:startOverride"))
                if start is not None and ilvl in levels:
                    levels[ilvl] = (int(start.get(qn("w:val"), "1")), *levels[ilvl][1:])
            self._levels[num.get(qn("w:numId"))] = levels
        for style in document.styles.element.iterchildren(qn("w:style")):
            num_pr = style.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
            if num_pr is not None:
                num_id = num_pr.find(qn("w:numId"))
                ilvl = num_pr.find(qn("w:ilvl"))
                if num_id is not None:
                    self._styles[style.get(qn("w:styleId"))] = (
                        num_id.get(qn("w:val")), int(ilvl.get(qn("w:val"), "0")) if ilvl is not None else 0
                    )

    def _read_levels(self, abstract) -> dict[int, tuple[int, str, str]]:
        qn = self._qn
        return {int(lvl.get(qn("w:ilvl"), "0")): self._read_level(lvl) for lvl in abstract.iterchildren(qn("w:lvl"))}

    def _read_level(self, lvl) -> tuple[int, str, str]:
        qn = self._qn

        def val(tag: str, default: str) -> str:
            node = lvl.find(qn(tag))
            return node.get(qn("w:val"), default) if node is not None else default

        return int(val("w:start", "1") or 1), val("w:numFmt", "decimal"), val("w:lvlText", "")

    def label(self, p) -> str:
        """The label Word shows before paragraph ``p`` (``""`` when it is not numbered)."""
        qn = self._qn
        if not self._levels:
            return ""
        num_pr = p.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        num_id, ilvl = None, 0
        if num_pr is not None:
            node = num_pr.find(qn("w:numId"))
            num_id = node.get(qn("w:val")) if node is not None else None
            node = num_pr.find(qn("w:ilvl"))
            ilvl = int(node.get(qn("w:val"), "0")) if node is not None else 0
        else:
            style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            if style is not None and style.get(qn("w:val")) in self._styles:
                num_id, ilvl = self._styles[style.get(qn("w:val"))]
        levels = self._levels.get(num_id or "")
        if not levels or ilvl not in levels:
            return ""
        counters = self._counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, levels[ilvl][0] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a deeper level restarts under a new parent
        _, fmt, text = levels[ilvl]
        if fmt in ("bullet", "none"):
            return ""
        for k in range(9):
            if f"%{k + 1}" in text:
                level = levels.get(k, (1, "decimal", ""))
                count = counters.get(k, level[0])
                text = text.replace(f"%{k + 1}", _format(count, level[1]))
        return text


def _format(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand",
               "japaneseCounting", "chineseLegalSimplified", "ideographLegalTraditional"):
        return _chinese(n)
    if fmt == "ideographTraditional":
        return _TIANGAN[(n - 1) % 10]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(n)
        return roman if fmt == "upperRoman" else roman.lower()
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _chinese(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三, 105 → 一百零五 (up to 999)."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    if not rest:
        return _CN_DIGITS[hundreds] + "百"
    if rest < 10:
        return _CN_DIGITS[hundreds] + "百零" + _CN_DIGITS[rest]
    return _CN_DIGITS[hundreds] + "百" + (_chinese(rest) if rest >= 20 else "一" + _chinese(rest))  # 一百一十


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += numeral
            n -= value
    return out
