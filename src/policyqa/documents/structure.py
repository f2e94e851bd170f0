"""Chinese official-document numbering (GB/T 9704 style) → a flat list of citable clauses.

Recognised headings, one per line (paragraph):

* ``第X章`` chapter and ``一、`` section (部分) → the clause's ``section``;
* ``（一）`` subsection → ``subsection`` (or the clause itself when a document has no finer level);
* ``1.`` / ``1．`` / ``1、`` clause (with or without a following space) and ``第X条`` article (条) → a clause;
* ``（1）`` / ``1）`` items (项) stay inside their clause's text.

The text before the first heading is clause 0 (总体要求, the opening paragraph).  Clause numbers
are the printed ``1.``–``18.`` when they run straight through the document, else ordinals in
reading order; the printed marker is kept as ``label``.  When a document has no clause-level
markers, the finest level present becomes the clause level; when it has no headings at all,
paragraphs are grouped into clauses of bounded length.

Legal texts (any line starting ``第X条``) are parsed by article instead: ``第X编/章/节`` headings
give the path (``第三章　供热与用热``), each article is numbered by its **official** number
(``第二十三条`` → 23; ``第十一条之一`` → 11 with ``sub=1``, ordered after 第十一条), its 款/项/目
stay inside it as ``ClausePart`` offsets, and the 目录 and the header lines under the title are
skipped.  Markers match in their spaced and full-width forms (``第 1 条``, ``第 一 章``, ``１．``).
Sentences start after the clause's marker, so a quote never begins with ``第二十三条``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..folding import fold
from ..models import Clause, ClausePart, Document, Sentence
from .numbering import (
    ARTICLE_RE,
    CN_NUM,
    LEGAL_HEADING_RE,
    LEVEL_OF,
    TOC_RE,
    article_label,
    cn_to_int,
    compact_heading,
)

# matched on half-width-folded lines (１． → 1.), so printed full-width markers parse too
SECTION_RE = re.compile(rf"^(?:[{CN_NUM}]+、|第\s*[{CN_NUM}\d]+\s*[章编部分])\s*")
SUBSECTION_RE = re.compile(rf"^[（(][{CN_NUM}]+[）)]\s*")
CLAUSE_RE = re.compile(r"^(?:\d{1,3}[.、](?!\d)|第\s*[" + CN_NUM + r"\d]+\s*条)\s*")
ITEM_RE = re.compile(rf"^[（(][{CN_NUM}]+[）)]")
SUBITEM_RE = re.compile(r"^(?:\d{1,3}[.、](?!\d)|[（(]\d{1,3}[）)])")
REFERENCE_RE = re.compile(r"《([^《》\n]{1,80})》")
# a 《…》 that names a form, a contract or a certificate (《城市居民最低生活保障待遇审批表》, 《房屋买卖合同》,
# 《住宅使用说明书》) is not a document the knowledge base could hold
_FORM_TITLE = re.compile(r"(?:表|合同|协议|协议书|说明书|保证书|承诺书|申请书|证明|证书|证|登记簿|票据|凭证|回执)$")


def is_document_title(title: str) -> bool:
    """Does a cited 《title》 name a document (a law, regulation, plan, standard), not a form or a contract?"""
    return not _FORM_TITLE.search(title.strip())
SENTENCE_END = "。！？；!?;"
_CLOSERS = "”’」』）)"
TITLE_MAX = 40
GROUP_MAX_CHARS = 600


@dataclass(frozen=True)
class _Line:
    text: str
    start: int
    kind: str  # section | subsection | clause | text
    marker: str
    norm: str = ""  # ``text`` with full-width ASCII folded (same length): what markers are matched on


def _classify(text: str, start: int) -> _Line:
    norm = fold(text)  # same length: 第十一條 → 第十一条, １． → 1.
    for kind, rx in (("section", SECTION_RE), ("clause", CLAUSE_RE), ("subsection", SUBSECTION_RE)):
        m = rx.match(norm)
        if m and len(text) > len(m.group(0)):
            return _Line(text, start, kind, text[: m.end()].strip(), norm)
    return _Line(text, start, "text", "", norm)


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            out.append(_classify(stripped, pos + raw.index(stripped)))
        pos += len(raw) + 1
    return out


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Sentences ending in 。！？； (closing quotes/brackets stay with their sentence); offsets into ``text``."""
    out: list[Sentence] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in SENTENCE_END or ch == "\n":
            end = i + 1
            while end < n and text[end] in _CLOSERS:
                end += 1
            _add_sentence(out, text, start, end)
            start = i = end
            continue
        i += 1
    _add_sentence(out, text, start, n)
    return tuple(out)


def _add_sentence(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(text[start:end], start, end))


def clause_title(body: str) -> str:
    """The short phrase before the first 。 (e.g. ``完善住房保障体系``), when it is short enough."""
    for i, ch in enumerate(body):
        if ch in "。；;！？\n":
            head = body[:i].strip()
            return head if 0 < len(head) <= TITLE_MAX else ""
    return body.strip() if len(body.strip()) <= TITLE_MAX else ""


def _heading_name(line: _Line) -> str:
    """A section/subsection heading, without trailing body text after its first sentence."""
    title = clause_title(line.text[len(line.marker) :].lstrip()) if line.marker else ""
    return (line.marker + title) if title else line.text[:TITLE_MAX]


def parse_clauses(doc: Document) -> tuple[Clause, ...]:
    """Split ``doc.text`` into clauses (see module docstring).

    A text with ``第X条`` articles at line starts is parsed as a legal text (``_parse_legal``);
    anything else by the plan numbering (``一、`` / ``（一）`` / ``1.``).
    """
    lines = _lines(doc.text)
    # a document title line (the file title alone on the first line) is not clause text
    if lines and lines[0].kind == "text" and lines[0].text.strip("《》 ") == doc.title:
        lines = lines[1:]
    if not lines:
        return ()
    if sum(1 for ln in lines if ARTICLE_RE.match(ln.norm)) >= 1:
        return _parse_legal(doc, lines)
    kinds = {ln.kind for ln in lines}
    unit = next((k for k in ("clause", "subsection", "section") if k in kinds), None)
    if unit is None:
        return _group_paragraphs(doc, lines)
    above = {"clause": ("section", "subsection"), "subsection": ("section",), "section": ()}[unit]

    groups: list[tuple[list[_Line], tuple[str, str], bool]] = []
    section = subsection = ""
    for ln in lines:
        if ln.kind in above or ln.kind == unit:
            if ln.kind == "section":
                section, subsection = _heading_name(ln), ""
            elif ln.kind == "subsection":
                subsection = _heading_name(ln)
            has_body = len(ln.text) - len(ln.marker) > TITLE_MAX
            if ln.kind == unit or has_body:
                # a clause, or a heading with body text of its own (一、总体要求。……): citable
                groups.append(([ln], (section, subsection), True))
            else:
                groups.append(([], (section, subsection), False))  # closes the previous clause
            continue
        if not groups or (not groups[-1][0] and groups[-1][2] is False and groups[-1][1] != (section, subsection)):
            groups.append(([], (section, subsection), False))
        groups[-1][0].append(ln)
    groups = [g for g in groups if g[0]]
    first = 0 if groups and not groups[0][2] else 1
    numbers = _printed_numbers(groups, unit) or [first + i for i in range(len(groups))]
    return tuple(_make_clause(doc, n, *g) for n, g in zip(numbers, groups))


def _printed_numbers(groups: list[tuple[list[_Line], tuple[str, str], bool]], unit: str) -> list[int] | None:
    """The printed ``1.``–``18.`` as clause numbers when they are unique and increasing (a plan
    numbered straight through); ``None`` (use ordinals) when numbering restarts per section."""
    if unit != "clause":
        return None
    out, prev = [], -1
    for i, (lines, _, is_unit) in enumerate(groups):
        if not is_unit:
            if i != 0:
                return None
            out.append(0)
            prev = 0
            continue
        n = cn_to_int(re.sub(r"[.．、\s]", "", lines[0].marker))
        if n is None or n <= prev:
            return None
        out.append(n)
        prev = n
    return out


def _parse_legal(doc: Document, lines: list[_Line]) -> tuple[Clause, ...]:
    """A legal text: 编/章/节 headings set the path, each ``第X条`` starts an article numbered by its
    official number; the 目录 (table of contents) and the header lines before the first heading
    (title, adoption/revision notes) are not clauses; every other line belongs to its article."""
    part = chapter = node = ""
    articles: list[tuple[list[_Line], tuple[str, str], int, int]] = []
    seen: set[tuple[int, int]] = set()
    toc: list[str] | None = None
    toc_done = False
    for ln in lines:
        if not toc_done and toc is None and TOC_RE.match(ln.norm.replace(" ", "")):
            toc = []
            continue
        art = ARTICLE_RE.match(ln.norm)
        head = None if art else LEGAL_HEADING_RE.match(ln.norm)
        if toc is not None and not toc_done:
            # the 目录 lists the headings once more before the body: skip it until the first
            # heading comes round again (or an article starts)
            name = _legal_heading(ln, head) if head else ln.text
            if art or (toc and name == toc[0]):
                toc_done = True
            else:
                toc.append(name)
                continue
        if head:
            name = _legal_heading(ln, head)
            level = LEVEL_OF[head.group(2)]
            if level == "part":
                part, chapter, node = name, "", ""
            elif level == "chapter":
                chapter, node = name, ""
            else:
                node = name
            continue
        if art:
            number = cn_to_int(art.group(1)) or 0
            sub = cn_to_int(art.group(2)) if art.group(2) else 0
            if (number, sub) not in seen:
                seen.add((number, sub))
                path = " ".join(p for p in (part, chapter) if p)
                articles.append(([ln], (path, node), number, sub or 0))
                continue
        if articles:
            articles[-1][0].append(ln)
    return tuple(_make_article(doc, *a) for a in articles)


def _legal_heading(ln: _Line, m: re.Match) -> str:
    n = cn_to_int(m.group(1)) or 0
    return compact_heading(ln.text, m.end(), m.group(2), n)


def _make_article(doc: Document, lines: list[_Line], ctx: tuple[str, str], number: int, sub: int) -> Clause:
    first = lines[0]
    start = first.start
    text = _text_of(doc, lines)
    heading = ARTICLE_RE.match(first.norm)
    body_start = _skip_spaces(text, heading.end())
    arabic = not re.search(f"[{CN_NUM}]", heading.group(1))  # 第 4 条 is cited 第4条, as printed
    parts: list[ClausePart] = []
    for ln in lines:
        off = ln.start - start
        if ln is first:
            parts.append(ClausePart("paragraph", "", body_start, off + len(ln.text)))
            continue
        m = ITEM_RE.match(ln.norm)
        if m:
            parts.append(ClausePart("item", ln.text[: m.end()].strip(), off, off + len(ln.text)))
            continue
        m = SUBITEM_RE.match(ln.norm)
        if m and parts and parts[-1].kind in ("item", "subitem"):
            parts.append(ClausePart("subitem", ln.text[: m.end()].strip(), off, off + len(ln.text)))
            continue
        parts.append(ClausePart("paragraph", "", off, off + len(ln.text)))
    return _clause(doc, start, text, body_start, ctx, number, article_label(number, sub, arabic), _short(text[body_start:]),
                   sub=sub, parts=tuple(parts))


def _make_clause(doc: Document, number: int, lines: list[_Line], ctx: tuple[str, str], is_unit: bool) -> Clause:
    first = lines[0]
    text = _text_of(doc, lines)
    marker = first.marker if is_unit else ""
    body = first.text[len(marker) :].lstrip() if marker else first.text
    title = clause_title(body) if is_unit else ""
    if not is_unit and number == 0:
        title = "总体要求"
    elif not title:
        title = _short(body)
    label = marker or ("总体要求" if number == 0 else "")
    return _clause(doc, first.start, text, _skip_spaces(text, len(marker)), ctx, number, label, title)


def _text_of(doc: Document, lines: list[_Line]) -> str:
    """The document text from the first line's start to the last line's end."""
    return doc.text[lines[0].start : lines[-1].start + len(lines[-1].text)]


def _clause(
    doc: Document, start: int, text: str, body_start: int, ctx: tuple[str, str], number: int, label: str, title: str,
    **extra: object,
) -> Clause:
    """A clause of ``doc`` whose ``text`` starts at document offset ``start`` and whose sentences
    start at ``body_start`` (after its marker); ``extra``: ``sub``/``parts`` of an article."""
    section, subsection = ctx
    return Clause(
        doc_id=doc.doc_id,
        number=number,
        label=label,
        title=title,
        section=section,
        subsection=subsection,
        text=text,
        start=start,
        end=start + len(text),
        sentences=_sentences_from(text, body_start),
        references=tuple(dict.fromkeys(REFERENCE_RE.findall(text))),
        page=doc.page_at(start),
        **extra,  # type: ignore[arg-type]
    )


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\u3000":
        i += 1
    return i


def _sentences_from(text: str, start: int) -> tuple[Sentence, ...]:
    """The sentences of ``text[start:]`` (after the clause's marker) with offsets into ``text``."""
    return tuple(Sentence(s.text, s.start + start, s.end + start) for s in split_sentences(text[start:]))


def _short(text: str, n: int = 20) -> str:
    first = split_sentences(text)
    head = first[0].text if first else text
    head = head.rstrip(SENTENCE_END)
    return head if len(head) <= n else head[:n] + "…"


def _group_paragraphs(doc: Document, lines: list[_Line]) -> tuple[Clause, ...]:
    """No headings at all: consecutive paragraphs grouped up to ~GROUP_MAX_CHARS characters."""
    groups: list[list[_Line]] = []
    size = 0
    for ln in lines:
        if not groups or size + len(ln.text) > GROUP_MAX_CHARS:
            groups.append([])
            size = 0
        groups[-1].append(ln)
        size += len(ln.text)
    return tuple(_make_clause(doc, i + 1, g, ("", ""), False) for i, g in enumerate(groups))
