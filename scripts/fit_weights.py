"""Fit the retriever's fusion weights (``policyqa.fusion.FusionWeights`` + ``dense_weight``) on the
evaluation sets and compare them with the hand-set ones, cross-validated.

For every question with a gold article (out-of-scope rows and dialogues left out), the retriever's
own unweighted components (``HybridRetriever.components``: BM25 of clause / best chunk / document
scaled to the best, scaled dense cosine, the document-prior parts) and, for the clauses that reach
the re-ranking head, ``HybridRetriever.rerank_features`` (coverage, best sentence, answer type,
glossary penalty) are
computed once.  A set of weights is then scored *exactly as* ``HybridRetriever.retrieve`` ranks:
the prior is added where the base score is positive, the top ``RERANK_DEPTH`` get the re-ranking
features, ties go to the lower position.  (The follow-up weights need dialogues and are not fitted.)

Two fits, each from the training questions only:

* ``pairwise``: logistic regression on gold-minus-other feature differences, the others being the
  top ``CANDIDATES`` clauses by the current fused score (scikit-learn; no intercept; L2);
* ``ascent``: coordinate ascent over a grid of multipliers of each weight, maximising
  hit@1 + MRR of the exact ranking; a move must strictly improve the objective.

Reported: 5-fold cross-validated hit@1 / hit@3 (folds over questions, the sets mixed) of the
current and of the fitted weights, per set and pooled, and the weights fitted on all questions
with their (in-sample) figures per set.  Usage (figures: docs/weights.md):

    PYTHONPATH=src python scripts/fit_weights.py --corpus corpus --index /tmp/ltridx \\
        /work/shared/eval/kb_questions.jsonl /work/shared/eval/dev_questions.jsonl \\
        tests/data/kb_everyday_questions.jsonl [--holdout tests/data/kb_heldout_questions.jsonl] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from policyqa.config import Settings
from policyqa.engine import QAEngine
from policyqa.evaluation import _gold_keys, read_rows
from policyqa.fusion import FusionWeights
from policyqa.retrieval import RERANK_DEPTH

# the weights fitted, in vector order; ``dense`` is ``HybridRetriever.dense_weight``
NAMES = ("clause", "chunk", "doc", "dense", "kind", "local", "title", "coverage", "sentence", "answer_type", "glossary", "act")
BASE = ("clause", "chunk", "doc", "dense")
PRIOR = ("kind", "local", "title")
RERANK = ("coverage", "sentence", "answer_type", "glossary", "act")  # the glossary feature is -1 or 0 (a penalty)
SIGN = np.array([1.0, 1.0, 1.0, -1.0, 1.0])
CANDIDATES = 30  # the pairwise fit's negatives: this many top clauses by the current fused score
K = 5  # the engine's hits (``policyqa eval`` asks for top_k=5)
MULTIPLIERS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
ZERO_STEP = 0.05  # a weight at 0 is tried at these multiples instead
FOLDS = 5


@dataclass
class Question:
    set: str
    q: str
    gold: np.ndarray  # bool per clause
    base: np.ndarray  # (len(BASE), n_clauses)
    prior: np.ndarray  # (len(PRIOR), n_clauses)
    allowed: np.ndarray
    feature: Callable[[int], np.ndarray]  # clause position -> RERANK features (computed once, on demand)


def current_vector(engine) -> np.ndarray:
    w = asdict(engine.retriever.weights)
    return np.array([engine.retriever.dense_weight if n == "dense" else w[n] for n in NAMES], dtype=np.float64)


def load_questions(engine, files: list[str]) -> list[Question]:
    r = engine.retriever
    clauses = engine.store.clauses
    keys = [(c.doc_id, c.number) for c in clauses]
    out = []
    for f in files:
        for row in read_rows(Path(f)):
            if "turns" in row or row.get("kind") == "oos" or not row.get("gold"):
                continue
            gold_keys = _gold_keys(engine, row)
            gold = np.array([k in gold_keys for k in keys], dtype=bool)
            if not gold.any():
                raise SystemExit(f"{f}: no clause for the gold of {row['q']}")
            c = r.components(row["q"], docs=engine.answer_docs)
            a = c.analysis
            sentence_weights = r.sentence_weights(a)
            cache: dict[int, np.ndarray] = {}

            def feature(pos: int, a=a, sw=sentence_weights, cache=cache) -> np.ndarray:
                if pos not in cache:
                    cache[pos] = SIGN * np.array(r.rerank_features(a, sw, clauses[pos]), dtype=np.float64)
                return cache[pos]

            out.append(Question(Path(f).stem, row["q"], gold,
                                np.stack([c.clause, c.chunk, c.doc, c.dense]).astype(np.float64),
                                np.stack([c.prior[p] for p in PRIOR]).astype(np.float64), c.allowed, feature))
    return out


def _top(scores: np.ndarray, m: int) -> np.ndarray:
    part = np.argpartition(-scores, m - 1)[:m] if m < len(scores) else np.arange(len(scores))
    return part[np.lexsort((part, -scores[part]))]


def rank_of_gold(qn: Question, w: np.ndarray) -> int | None:
    """The gold's rank (1-based, within the top ``K``) under weights ``w``, as ``retrieve`` ranks."""
    base = w[:4] @ qn.base
    fused = np.where(base > 0, base + w[4:7] @ qn.prior, base)
    fused = np.where(qn.allowed, fused, -1.0)
    head = _top(fused, max(K, RERANK_DEPTH))
    for pos in head:
        if fused[pos] > 0:
            fused[pos] += w[7:] @ qn.feature(int(pos))
    for i, pos in enumerate(_top(fused, K), 1):
        if fused[pos] <= 0:
            return None
        if qn.gold[pos]:
            return i
    return None


def figures(qs: list[Question], w: np.ndarray) -> dict[str, float]:
    ranks = [rank_of_gold(q, w) for q in qs]
    n = max(len(ranks), 1)
    return {"n": len(ranks), "hit_at_1": sum(r == 1 for r in ranks) / n,
            "hit_at_3": sum(r is not None and r <= 3 for r in ranks) / n,
            "mrr": sum(1 / r for r in ranks if r) / n}


def objective(qs: list[Question], w: np.ndarray) -> float:
    f = figures(qs, w)
    return f["hit_at_1"] + f["mrr"]


def fit_ascent(
    qs: list[Question], start: np.ndarray, rounds: int = 3, multipliers=MULTIPLIERS, names: tuple[str, ...] = NAMES
) -> np.ndarray:
    """Coordinate ascent from ``start`` over ``multipliers`` of each weight in ``names`` (a zero
    weight tries multiples of ``ZERO_STEP``); a move must strictly improve hit@1 + MRR."""
    w = start.copy()
    best = objective(qs, w)
    for _ in range(rounds):
        moved = False
        for i in (NAMES.index(n) for n in names):
            origin = w[i]
            values = [origin * m for m in multipliers] if origin > 0 else [ZERO_STEP * m for m in (1, 2, 4, 8)]
            for v in values:
                if v == w[i]:
                    continue
                trial = w.copy()
                trial[i] = v
                score = objective(qs, trial)
                if score > best + 1e-9:
                    best, w, moved = score, trial, True
        if not moved:
            break
    return w


def pair_features(qs: list[Question], current: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gold-minus-other feature differences (both signs), the others being the top ``CANDIDATES``
    clauses by the current fused score, with labels and weights (each question's pairs weigh 1)."""
    diffs, weights = [], []
    for qn in qs:
        base = current[:4] @ qn.base
        fused = np.where(qn.allowed, np.where(base > 0, base + current[4:7] @ qn.prior, base), -1.0)
        cands = [int(p) for p in _top(fused, CANDIDATES)]
        golds = [int(p) for p in np.flatnonzero(qn.gold & qn.allowed)]

        def vec(p: int) -> np.ndarray:
            return np.concatenate([qn.base[:, p], qn.prior[:, p], qn.feature(p)])

        if not golds:
            continue
        g = max(golds, key=lambda p: fused[p])  # the best-placed gold article
        others = [p for p in cands if not qn.gold[p]]
        diffs += [vec(g) - vec(p) for p in others]
        weights += [1.0 / len(others)] * len(others)
    x, sw = np.array(diffs), np.array(weights)
    return np.concatenate([x, -x]), np.concatenate([np.ones(len(x)), np.zeros(len(x))]), np.concatenate([sw, sw])


def fit_pairwise(qs: list[Question], current: np.ndarray, c: float = 1.0, balanced: bool = False) -> np.ndarray:
    """Pairwise logistic regression (``balanced``: each question's pairs weigh 1 in all)."""
    from sklearn.linear_model import LogisticRegression

    x, y, sw = pair_features(qs, current)
    model = LogisticRegression(fit_intercept=False, C=c, max_iter=5000).fit(x, y, sample_weight=sw if balanced else None)
    w = np.clip(model.coef_[0], 0.0, None)  # a negative weight would be a penalty no one set by hand
    return w * (np.abs(current).sum() / max(w.sum(), 1e-9))  # the current scale (scores, passages)


def cross_validate(qs: list[Question], current: np.ndarray, fitters: dict) -> dict[str, dict]:
    order = list(range(len(qs)))
    random.Random(0).shuffle(order)
    folds = [order[i::FOLDS] for i in range(FOLDS)]
    ranks: dict[str, list] = {name: [None] * len(qs) for name in ["current", *fitters]}
    for fold in folds:
        held = set(fold)
        train = [qs[i] for i in order if i not in held]
        fitted = {name: fit(train, current) for name, fit in fitters.items()}
        for i in fold:
            ranks["current"][i] = rank_of_gold(qs[i], current)
            for name, w in fitted.items():
                ranks[name][i] = rank_of_gold(qs[i], w)
    out = {}
    for name, rs in ranks.items():
        out[name] = {}
        for s in ["all", *dict.fromkeys(q.set for q in qs)]:
            sel = [r for r, q in zip(rs, qs) if s == "all" or q.set == s]
            out[name][s] = {"n": len(sel), "hit_at_1": round(sum(r == 1 for r in sel) / len(sel), 4),
                            "hit_at_3": round(sum(r is not None and r <= 3 for r in sel) / len(sel), 4)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="+")
    ap.add_argument("--corpus", default="corpus")
    ap.add_argument("--index", default="index")
    ap.add_argument("--embedder", default="use")
    ap.add_argument("--holdout", action="append", default=[],
                    help="a set scored, never fitted on, with the current and the weights fitted on all")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    engine = QAEngine.load(Settings(embedder=args.embedder, corpus_dir=Path(args.corpus), index_dir=Path(args.index)))
    qs = load_questions(engine, args.file)
    current = current_vector(engine)
    fitters = {
        "ascent": fit_ascent,
        "ascent-1": lambda qs, w: fit_ascent(qs, w, rounds=1, multipliers=(0.5, 0.75, 1.25, 1.5, 2.0)),
        "ascent-rr": lambda qs, w: fit_ascent(qs, w, names=RERANK),
        "pairwise": fit_pairwise,
        "pair-bal": lambda qs, w: fit_pairwise(qs, w, c=10.0, balanced=True),
        "pair-C.1": lambda qs, w: fit_pairwise(qs, w, c=0.1),
    }
    cv = cross_validate(qs, current, fitters)
    sets = list(dict.fromkeys(q.set for q in qs))
    on_all = {name: fit(qs, current) for name, fit in fitters.items()}
    report = {
        "questions": {s: sum(q.set == s for q in qs) for s in sets},
        "current": dict(zip(NAMES, current.round(4).tolist())),
        "cv": cv,
        "fitted_on_all": {
            name: {"weights": dict(zip(NAMES, w.round(4).tolist())),
                   "in_sample": {s: {k: round(v, 4) for k, v in figures([q for q in qs if s == "all" or q.set == s], w).items()}
                                 for s in ["all", *sets]}}
            for name, w in on_all.items()
        },
        "current_in_sample": {s: {k: round(v, 4) for k, v in figures([q for q in qs if s == "all" or q.set == s], current).items()}
                              for s in ["all", *sets]},
    }
    for f in args.holdout:
        held = load_questions(engine, [f])
        report.setdefault("holdout", {})[Path(f).stem] = {
            name: {k: round(v, 4) for k, v in figures(held, w).items()}
            for name, w in {"current": current, **on_all}.items()
        }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(f"questions: {report['questions']}  (default FusionWeights + dense {engine.retriever.dense_weight}: "
          f"{FusionWeights() == engine.retriever.weights})")
    print(f"{FOLDS}-fold cross-validated (held-out) hit@1 / hit@3:")
    for name, per in cv.items():
        print(f"  {name:10s}" + "  ".join(f"{s} {v['hit_at_1']:.3f}/{v['hit_at_3']:.3f}" for s, v in per.items()))
    print("current weights:", report["current"])
    print("  in sample:", "  ".join(f"{s} {v['hit_at_1']:.3f}/{v['hit_at_3']:.3f}" for s, v in report["current_in_sample"].items()))
    for name, f in report["fitted_on_all"].items():
        print(f"{name} fitted on all:", f["weights"])
        print("  in sample:", "  ".join(f"{s} {v['hit_at_1']:.3f}/{v['hit_at_3']:.3f}" for s, v in f["in_sample"].items()))
    for s, per in report.get("holdout", {}).items():
        print(f"held out {s} (n {per['current']['n']}) hit@1/hit@3:",
              "  ".join(f"{name} {v['hit_at_1']:.3f}/{v['hit_at_3']:.3f}" for name, v in per.items()))


if __name__ == "__main__":
    main()
