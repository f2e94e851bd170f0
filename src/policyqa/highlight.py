"""Highlighting: where a search's terms occur in a clause, as character spans for the staff page."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .folding import fold
from .models import Span


def highlight_spans(text: str, terms: Sequence[str]) -> tuple[Span, ...]:
    """Non-overlapping spans of ``terms`` in ``text`` (longest terms win), matched in both texts' matching
    form (``2500元`` marks ``２５００元``, ``申请`` marks ``申請``; :func:`~policyqa.folding.fold` keeps offsets)."""
    taken = [False] * len(text)
    spans = []
    folded = fold(text)
    for term in sorted({fold(t) for t in terms}, key=len, reverse=True):
        if not term.strip():
            continue
        for m in re.finditer(re.escape(term), folded, flags=re.IGNORECASE):
            if any(taken[m.start() : m.end()]):
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            spans.append(Span(m.start(), m.end(), term))
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):  # 施工图|免审|范围 → one mark
        if merged and merged[-1].end == span.start:
            merged[-1] = Span(merged[-1].start, span.end, merged[-1].term + span.term)
        else:
            merged.append(span)
    return tuple(merged)
