"""BM25 over ``Segmenter.cut`` tokens, using ``bm25s`` (its default regex tokenizer does not split Chinese)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


def _bm25s():
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG on import
    return bm25s


class SparseIndex:
    """A BM25 index over pre-tokenised passages; ``scores`` gives every passage's score."""

    def __init__(self, retriever) -> None:  # bm25s.BM25
        self._bm25 = retriever
        self._vocab: dict[str, int] = retriever.vocab_dict

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> "SparseIndex":
        retriever = _bm25s().BM25(k1=k1, b=b)
        lists = [list(t) for t in token_lists if t] and [list(t) or ["\u0000"] for t in token_lists]
        retriever.index(lists or [["\u0000"]], show_progress=False)  # bm25s cannot index nothing
        return cls(retriever)

    def scores(self, tokens: Sequence[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """BM25 score of every passage; ``weights`` optionally scales query tokens (default 1)."""
        n = self.size
        total = np.zeros(n, dtype=np.float32)
        counts: dict[str, float] = {}
        for t in tokens:
            if t in self._vocab:
                counts[t] = counts.get(t, 0.0) + (weights or {}).get(t, 1.0)
        for t, w in counts.items():
            total += w * self._bm25.get_scores([t])
        return total

    def idf(self, token: str) -> float:
        """Inverse document frequency of ``token`` (0 for unknown tokens)."""
        if token not in self._vocab:
            return 0.0
        df = self.document_frequency(token)
        n = self.size
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def document_frequency(self, token: str) -> int:
        idx = self._vocab.get(token)
        if idx is None:
            return 0
        indptr = self._bm25.scores["indptr"]
        return int(indptr[idx + 1] - indptr[idx])

    def has(self, token: str) -> bool:
        return token in self._vocab

    @property
    def size(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> "SparseIndex":
        return cls(_bm25s().BM25.load(str(directory), show_progress=False, mmap=False))
