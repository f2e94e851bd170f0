"""Scoring a ranked list against a question's gold documents and answer span.

Metrics (documents with identical text count as the same document; the caller maps ids to
their canonical document first):

* ``doc_hit@1`` / ``doc_hit@5`` / ``mrr@10``: rank of the first gold document among the
  distinct documents of the ranked list.
* ``span_top1`` / ``span_top3``: the verbatim answer span (whitespace ignored) is inside the
  top-1 / any of the top-3 passages; ``span_answer``: inside the extractive answer.
* :func:`span_ceiling`: the share of spans that fit inside one engine chunk of the gold document;
  :func:`miss_analysis`: what the engine's rank-1 misses retrieved instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .datasets import Dataset
from .runners import Ranked


def _squash(text: str) -> str:
    return "".join(text.split())


@dataclass
class Tally:
    """Running counts of one system over one dataset; :meth:`metrics` gives the shares."""

    n: int = 0
    hit1: int = 0
    hit5: int = 0
    rr: float = 0.0
    span_top1: int = 0
    span_top3: int = 0
    span_answer: int = 0
    with_span: int = 0
    refused: int = 0

    def add(self, ranked: Ranked, gold: set[str], answer: str) -> int | None:
        self.n += 1
        self.refused += ranked.refused
        rank = next((i + 1 for i, d in enumerate(ranked.docs[:10]) if d in gold), None)
        self.hit1 += rank == 1
        self.hit5 += rank is not None and rank <= 5
        self.rr += 1.0 / rank if rank else 0.0
        if answer:
            span = _squash(answer)
            self.with_span += 1
            p = [_squash(x) for x in ranked.passages[:3]]
            self.span_top1 += bool(p) and span in p[0]
            self.span_top3 += any(span in x for x in p)
            self.span_answer += bool(ranked.answer) and span in _squash(ranked.answer)
        return rank

    def metrics(self) -> dict[str, float | int | None]:
        n = max(self.n, 1)
        out: dict[str, float | int | None] = {
            "n": self.n,
            "doc_hit@1": round(self.hit1 / n, 4),
            "doc_hit@5": round(self.hit5 / n, 4),
            "mrr@10": round(self.rr / n, 4),
        }
        if self.with_span:
            w = self.with_span
            out.update({
                "span_top1": round(self.span_top1 / w, 4),
                "span_top3": round(self.span_top3 / w, 4),
                "span_answer": round(self.span_answer / w, 4),
            })
        out["refused"] = round(self.refused / n, 4)
        return out


NEAR_DUPLICATE = 0.8  # Jaccard similarity of character 8-gram sets


def _grams(text: str, n: int = 8) -> set[str]:
    t = _squash(text)
    return {t[i : i + n] for i in range(max(len(t) - n + 1, 1))}


def miss_analysis(ds: Dataset, misses: Sequence[dict[str, Any]]) -> dict[str, int]:
    """What the engine's rank-1 misses retrieved instead: a near-identical copy of the gold
    document (the same notice republished with another header: 8-gram Jaccard ≥ 0.8), or at
    least a document that contains the gold answer verbatim."""
    near = answer_bearing = 0
    for m in misses:
        if not m["got"]:
            continue
        top = ds.docs.get(m["got"][0], "")
        if m.get("answer") and _squash(m["answer"]) in _squash(top):
            answer_bearing += 1
        g = _grams(top)
        if any(len(g & (h := _grams(ds.docs.get(gold, "")))) / max(len(g | h), 1) >= NEAR_DUPLICATE for gold in m["gold"]):
            near += 1
    return {"misses": len(misses), "near_duplicate_of_gold": near, "answer_in_top_document": answer_bearing}


def span_ceiling(ds: Dataset, engine, ids: dict[str, str]) -> float:
    """Share of answer spans that fit inside at least one engine chunk of the gold document."""
    by_doc: dict[str, list[str]] = {}
    for ch in engine.store.chunks:
        by_doc.setdefault(ds.canon(ids.get(ch.doc_id, ch.doc_id)), []).append(_squash(ch.text))
    ok = n = 0
    for q in ds.questions:
        if not q.answer:
            continue
        n += 1
        span = _squash(q.answer)
        ok += any(span in t for g in q.gold for t in by_doc.get(ds.canon(g), ()))
    return ok / max(n, 1)
