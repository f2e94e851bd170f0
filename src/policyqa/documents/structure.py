"""Chinese official-document numbering (GB/T 9704 style) → a flat list of citable clauses.

Recognised headings, one per line (paragraph):

* ``第X章`` chapter and ``一、`` section (部分) → the clause's ``section``;
* ``（一）`` subsection → ``subsection`` (or the clause itself when a document has no finer level);
* ``1.`` / ``1．`` / ``1、`` clause (with or without a following space) and ``第X条`` article (条) → a clause;
* ``（1）`` / ``1）`` items (项) stay inside their clause's text.

The text before the first heading is clause 0 (总体要求, the opening paragraph).  Clause numbers
are ordinals in reading order (the work plan's printed ``1.``–``18.`` are already ordinals); the
printed marker is kept as ``label``.  When a document has no clause-level markers, the finest level
present becomes the clause level; when it has no headings at all, paragraphs are grouped into
clauses of bounded length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import Clause, Document, Sentence

CN_NUM = "零〇一二三四五六七八九十百千两"
SECTION_RE = re.compile(rf"^(?:[{CN_NUM}]+、|第[{CN_NUM}\d]+[章编部分])\s*")
SUBSECTION_RE = re.compile(rf"^[（(][{CN_NUM}]+[）)]\s*")
CLAUSE_RE = re.compile(r"^(?:\d{1,3}[.．、](?!\d)|第[" + CN_NUM + r"\d]+条)\s*")
REFERENCE_RE = re.compile(r"《([^《》\n]{1,80})》")
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


def _classify(text: str, start: int) -> _Line:
    for kind, rx in (("section", SECTION_RE), ("clause", CLAUSE_RE), ("subsection", SUBSECTION_RE)):
        m = rx.match(text)
        if m and len(text) > len(m.group(0)):
            return _Line(text, start, kind, m.group(0).strip())
    return _Line(text, start, "text", "")


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
    """Split ``doc.text`` into clauses (see module docstring)."""
    lines = _lines(doc.text)
    # a document title line (the file title alone on the first line) is not clause text
    if lines and lines[0].kind == "text" and lines[0].text.strip("《》 ") == doc.title:
        lines = lines[1:]
    if not lines:
        return ()
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
    return tuple(_make_clause(doc, first + i, *g) for i, g in enumerate(groups))


def _make_clause(doc: Document, number: int, lines: list[_Line], ctx: tuple[str, str], is_unit: bool) -> Clause:
    first, last = lines[0], lines[-1]
    start, end = first.start, last.start + len(last.text)
    text = doc.text[start:end]
    marker = first.marker if is_unit else ""
    body = first.text[len(marker) :].lstrip() if marker else first.text
    title = clause_title(body) if is_unit else ""
    if not is_unit and number == 0:
        title = "总体要求"
    elif not title:
        title = _short(body)
    section, subsection = ctx
    return Clause(
        doc_id=doc.doc_id,
        number=number,
        label=marker or ("总体要求" if number == 0 else ""),
        title=title,
        section=section,
        subsection=subsection,
        text=text,
        start=start,
        end=end,
        sentences=split_sentences(text),
        references=tuple(dict.fromkeys(REFERENCE_RE.findall(text))),
        page=doc.page_at(start),
    )


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
