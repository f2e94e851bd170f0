"""An :class:`~policyqa.models.Answer` as a WeChat text reply: plain text for a phone (no
Markdown), each quote followed by its citation line, at most :data:`MAX_REPLY_BYTES` UTF-8 bytes
— trimmed by whole sentences, never inside a character, citation lines kept."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from ..models import Answer

#: WeChat's limit for the ``Content`` of a passive text reply, in UTF-8 bytes.
MAX_REPLY_BYTES = 2048

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_MARKDOWN = [
    (re.compile(r"\*\*(.+?)\*\*", re.DOTALL), r"\1"),
    (re.compile(r"__(.+?)__", re.DOTALL), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE), ""),
    (re.compile(r"^\s*>\s?", re.MULTILINE), ""),
    (re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE), r"\1· "),
    (re.compile(r"\[([^\]]+)\]\(([^)]+)\)"), r"\1 \2"),
]


def strip_markdown(text: str) -> str:
    """Plain text for a phone: drop Markdown emphasis, headings, quotes; bullets become ``·``."""
    for pattern, repl in _MARKDOWN:
        text = pattern.sub(repl, text)
    return text.strip()


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def split_sentences(text: str) -> list[str]:
    """Split after Chinese/ASCII sentence enders (。！？；) keeping them, and after newlines."""
    parts: list[str] = []
    for line in text.splitlines(keepends=True):
        parts.extend(p for p in _SENTENCE_END.split(line) if p)
    return parts


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits ``max_bytes`` (never splits a character)."""
    if max_bytes <= 0:
        return ""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def trim_sentences(text: str, max_bytes: int, ellipsis: str = "…") -> str:
    """``text`` if it fits; else as many whole leading sentences as fit, plus ``ellipsis``.

    If not even the first sentence fits, it is cut at a character boundary.
    """
    if utf8_len(text) <= max_bytes:
        return text
    room = max_bytes - utf8_len(ellipsis)
    if room <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        size = utf8_len(sentence)
        if used + size > room:
            break
        kept.append(sentence)
        used += size
    body = "".join(kept).rstrip() if kept else truncate_utf8(text, room)
    return body + ellipsis


def clause_url(public_base_url: str, doc_id: str, clause: int, sub: int = 0) -> str:
    ref = f"{clause}-{sub}" if sub else str(clause)
    return f"{public_base_url.rstrip('/')}/clause/{quote(doc_id, safe='')}/{ref}"


@dataclass
class _Block:
    """The quotes of one cited clause, its compact reference and (optionally) a link."""

    quote: str
    reference: str
    link: str


def _blocks(answer: Answer, public_base_url: str) -> list[_Block]:
    blocks: dict[tuple[str, int], _Block] = {}
    for c in answer.citations:
        key = (c.doc_id, c.clause, c.sub)
        quote = strip_markdown(c.quote)
        if key in blocks:
            if quote not in blocks[key].quote:
                blocks[key].quote += quote
            continue
        link = clause_url(public_base_url, c.doc_id, c.clause, c.sub) if public_base_url else ""
        blocks[key] = _Block(quote, c.reference(), link)
    return list(blocks.values())


def _render_blocks(blocks: Sequence[_Block], notes: Sequence[str], with_links: bool) -> str:
    parts = []
    for block in blocks:
        lines = [block.quote, f"——{block.reference}"] if block.quote else [f"——{block.reference}"]
        if with_links and block.link:
            lines.append(f"原文：{block.link}")
        parts.append("\n".join(lines))
    if notes:
        parts.append("\n".join(f"提示：{n}" for n in notes))
    return "\n\n".join(parts)


def _fit_quotes(blocks: list[_Block], notes: Sequence[str], with_links: bool, max_bytes: int,
                ellipsis: str = "…") -> str | None:
    """Keep whole sentences of the quotes, in order, until the reply is full; blocks whose
    quote is dropped entirely go (the first always stays).  ``None`` if not even the
    first sentence fits."""
    text = _render_blocks(blocks, notes, with_links)
    if utf8_len(text) <= max_bytes:
        return text
    kept: list[_Block] = []
    for block in blocks:
        trial_blocks = [*kept, _Block("", block.reference, block.link)]
        room = max_bytes - utf8_len(_render_blocks(trial_blocks, notes, with_links)) - utf8_len(ellipsis)
        taken = ""
        for sentence in split_sentences(block.quote):
            if utf8_len(taken + sentence) > room:
                break
            taken += sentence
        if taken == block.quote:
            kept.append(block)
            continue
        if taken.strip():
            kept.append(_Block(taken.rstrip() + ellipsis, block.reference, block.link))
        elif not kept:
            return None
        else:  # nothing of this quote fits: mark the end of the previous one
            last = kept[-1]
            kept[-1] = _Block(last.quote + ellipsis, last.reference, last.link)
        break
    text = _render_blocks(kept, notes, with_links)
    return text if utf8_len(text) <= max_bytes else None


def format_answer(answer: Answer, public_base_url: str = "", max_bytes: int = MAX_REPLY_BYTES) -> str:
    """The answer as a plain-text WeChat reply of at most ``max_bytes`` UTF-8 bytes.

    Layout, for a phone screen (no Markdown)::

        <quote(s) of the first cited clause>
        ——《文件》第N条「标题」
        原文：<public_base_url>/clause/<doc_id>/<N>      (only when a public URL is set)

        <quote(s) of the next cited clause>
        ——《文件》第M条「标题」

        提示：<note>                                    (figures to be confirmed, missing documents)

    Too long → whole sentences of the quotes are kept, in order, with "…" where cut;
    citation lines stay.  Only if even one sentence does not fit are the links, then the
    notes, given up (and as a last resort the first sentence is cut at a character
    boundary).  A refused answer, or one without citations, is ``answer.answer`` as plain
    text (a refusal already carries the contact line).
    """
    if answer.refused or not answer.citations:
        return trim_sentences(strip_markdown(answer.answer), max_bytes)
    blocks = _blocks(answer, public_base_url)
    notes = [strip_markdown(n) for n in answer.notes if n.strip()]
    # a partial answer says first what the documents do not state
    head = f"所收录的文件没有写明您问的{answer.missing}。最相关的规定：\n\n" if answer.status == "partial" else ""
    for with_links, with_notes in ((True, True), (False, True), (False, False)):
        text = _fit_quotes(blocks, notes if with_notes else (), with_links, max_bytes - utf8_len(head))
        if text is not None:
            return head + text
    # a single enormous sentence: cut it at a character boundary, keeping its citation line
    first = blocks[0]
    room = max_bytes - utf8_len(_render_blocks([_Block("x", first.reference, "")], (), False))
    if room <= 0:
        return trim_sentences(_render_blocks([first], (), False), max_bytes)
    quote = truncate_utf8(first.quote, room - utf8_len("…")) + "…"
    return _render_blocks([_Block(quote, first.reference, "")], (), False)
