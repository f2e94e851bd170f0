"""Bench-only retrieval variants (``policyqa bench quality --variant``): measured here, applied
to the engine by its owner.

A variant is ``name=value`` pairs (:func:`parse_variant`); :func:`variant_patches` changes the
module-level names the engine builds and scores with for the duration of a ``with`` block and
restores them after.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def parse_variant(spec: str) -> dict[str, float]:
    """``"chunk=300,docprior=0.3,dense_weight=0.4,k1=1.5,b=0.9"`` → {name: value}."""
    out: dict[str, float] = {}
    for item in filter(None, (x.strip() for x in (spec or "").split(","))):
        key, _, value = item.partition("=")
        out[key.strip()] = float(value)
    return out


@contextlib.contextmanager
def variant_patches(variant: dict[str, float]) -> Iterator[None]:
    """Temporarily change what the engine builds and scores with (module-level names only):
    ``chunk`` (chunk size in characters), ``k1``/``b`` (BM25), ``bigram`` (index and query
    character bigrams besides jieba words), any upper-case constant of
    :mod:`policyqa.retrieval` (fusion weights) or :mod:`policyqa.query` (query word weights).  ``docprior`` is applied by :class:`DocPriorRunner`,
    ``dense_weight`` (``Settings.dense_weight``) by :func:`run_dataset`."""
    import policyqa.engine as engine
    import policyqa.indexer as eng  # the build's names (the engine opens with its own Segmenter)
    import policyqa.query as query
    import policyqa.retrieval as retr

    saved_chunk, saved_sparse = eng.chunk_clauses, eng.SparseIndex
    saved_consts = {(m, k): getattr(m, k) for m in (retr, query) for k in variant if k.isupper() and hasattr(m, k)}
    if "chunk" in variant:
        size = int(variant["chunk"])
        eng.chunk_clauses = lambda clauses, titles, *_a, **_k: saved_chunk(clauses, titles, max_chars=size)
    if "k1" in variant or "b" in variant:
        k1, b = variant.get("k1", 1.2), variant.get("b", 0.75)

        class _Sparse(saved_sparse):
            @classmethod
            def build(cls, token_lists, k1=k1, b=b):  # noqa: D102 - same signature, other defaults
                return saved_sparse.build(token_lists, k1=k1, b=b)

        eng.SparseIndex = _Sparse
    saved_seg = eng.Segmenter
    if variant.get("bigram"):

        class _BigramSegmenter(saved_seg):
            """Words plus the character bigrams of every CJK run (robust to segmentation mismatch)."""

            def cut(self, text):
                words = super().cut(text)
                return words + [a + b for run in _CJK_RUN.findall(text) for a, b in zip(run, run[1:])]

        eng.Segmenter = engine.Segmenter = _BigramSegmenter
    for m, k in saved_consts:
        setattr(m, k, variant[k])
    try:
        yield
    finally:
        eng.chunk_clauses, eng.SparseIndex, eng.Segmenter = saved_chunk, saved_sparse, saved_seg
        engine.Segmenter = saved_seg
        for (m, k), v in saved_consts.items():
            setattr(m, k, v)
