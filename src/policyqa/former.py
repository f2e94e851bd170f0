"""What a superseded text said on the point an answer quotes from the text in force.

A citizen who remembers the old rule (我记得条例上写的是18度) is told it: the answer quotes the text in
force, and its version note quotes the old text's corresponding sentence with its article
(2011年文本第二十一条原规定：「…不得低于18℃…」).  The corresponding sentence is the old text's sentence
sharing most of the quoted sentence's character bigrams — revisions keep most of a rule's words
(供热期间…卧室、起居室温度不低于二十摄氏度 / 供热期间…卧室、起居室温度不得低于18℃).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .documents.structure import split_sentences
from .models import Clause
from .segmentation import Segmenter

# the old sentence and the quoted one must share this much of their bigrams (Dice: 2|A∩B| / (|A|+|B|)):
# 0.77 for 供热条例 第二十三条 / 2011年 第二十一条; two penalty-list introductions of different rules share ~0.57
MIN_SHARED = 0.65
MIN_BIGRAMS = 8  # a quoted sentence shorter than this (in bigrams) has no reliable counterpart
_SQUASH = re.compile(r"[\s，,。；;：:、]")


@dataclass(frozen=True)
class FormerWording:
    """The old text's ``clause`` and its ``sentence`` (verbatim) corresponding to a quoted sentence."""

    clause: Clause
    sentence: str


class FormerTexts:
    """Finds, in the clauses of a superseded text, the counterpart of a sentence of the text in force.
    Each old text's sentences are read once (kept per doc_id: at most one entry per document)."""

    def __init__(self, clauses: Iterable[Clause]) -> None:
        self._clauses: dict[str, list[Clause]] = {}
        for c in clauses:
            self._clauses.setdefault(c.doc_id, []).append(c)
        self._sentences: dict[str, list[tuple[Clause, str, frozenset[str]]]] = {}

    def _of(self, doc_id: str) -> list[tuple[Clause, str, frozenset[str]]]:
        got = self._sentences.get(doc_id)
        if got is None:
            got = [(c, s.text, frozenset(Segmenter.bigrams(s.text)))
                   for c in self._clauses.get(doc_id, ()) for s in c.sentences]
            self._sentences[doc_id] = got
        return got

    def counterpart(self, quote: str, old_doc_id: str) -> FormerWording | None:
        """The old text's sentence that best matches a sentence of ``quote`` (sharing at least
        ``MIN_SHARED`` of their bigrams; a list's introduction is not matched), or ``None`` — also when
        the old text says the same thing word for word."""
        best: tuple[float, Clause, str, str] | None = None
        for s in _sentences(quote):
            grams = frozenset(Segmenter.bigrams(s))
            if len(grams) < MIN_BIGRAMS or "下列" in s:
                continue  # a list's introduction says its rule in its items
            for clause, text, old in self._of(old_doc_id):
                share = 2 * len(grams & old) / (len(grams) + len(old))
                if share >= MIN_SHARED and (best is None or share > best[0]):
                    best = (share, clause, text, s)
        if best is None or _SQUASH.sub("", best[2]) == _SQUASH.sub("", best[3]):
            return None
        return FormerWording(best[1], best[2].strip())


def _sentences(quote: str) -> Sequence[str]:
    return [s.text for s in split_sentences(quote)]


__all__ = ["FormerTexts", "FormerWording"]
