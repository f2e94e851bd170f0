"""Fit the answer-confidence model (``policyqa.confidence``) for one embedder and report it.

Positives are in-scope rows (every kind but ``oos``, gap rows included: their topic is in the
corpus), negatives the out-of-scope rows.  Questions about another department's topic
(``data/other_topics.txt``) are refused whatever their score.  The threshold is the higher of the
lowest one reaching the out-of-scope refusal target and the highest one whose false refusals stay
within ``FALSE_REFUSAL_BUDGET``: refuse as much out-of-scope as the budget allows.  Prints 10-fold cross-validated figures (false refusals
at the chosen out-of-scope refusal rate) and, with ``--write``, stores the model fitted on all rows
in ``src/policyqa/data/confidence.json``.  Usage:

    python scripts/calibrate_refusal.py ../shared/eval/dev_questions.jsonl ../shared/eval/kb_questions.jsonl \\
        ../shared/eval/dev_dialogues.jsonl ../shared/eval/kb_dialogues.jsonl tests/data/hard_questions.jsonl \\
        --corpus corpus --index /tmp/kbidx [--embedder use] [--write]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from policyqa.confidence import fit_logistic
from policyqa.config import Settings
from policyqa.engine import QAEngine
from policyqa.models import Turn

ROOT = Path(__file__).resolve().parents[1]
TARGET_OOS_REFUSAL = 0.92
# the threshold refuses as many out-of-scope questions as a false-refusal budget allows: the highest
# threshold refusing at most this share of the in-scope rows, unless the target above needs less
FALSE_REFUSAL_BUDGET = 0.02


def threshold_within_budget(scores_pos: list[float], budget: float) -> float:
    """The highest threshold refusing at most ``budget`` of the in-scope scores."""
    pos = sorted(scores_pos)
    k = int(budget * len(pos))  # this many may fall below the threshold
    return pos[min(k, len(pos) - 1)]


def threshold_for(scores_neg: list[float], target: float, refused_anyway: int = 0) -> float:
    """The lowest threshold refusing at least ``target`` of the negatives, ``refused_anyway`` more
    of which (another department's topic) are refused whatever their score."""
    total = len(scores_neg) + refused_anyway
    target = max(0.0, (target * total - refused_anyway) / max(len(scores_neg), 1))
    neg = sorted(scores_neg)
    k = min(len(neg) - 1, max(0, int(round(target * len(neg))) - 1))
    return neg[k] + 1e-4


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="+")
    ap.add_argument("--embedder", default="use")
    ap.add_argument("--corpus", default="corpus")
    ap.add_argument("--index", default="index")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    engine = QAEngine.load(Settings(embedder=args.embedder, corpus_dir=Path(args.corpus), index_dir=Path(args.index)))
    rows, labels, other = [], [], []  # other: refused anyway, as another department's topic
    for f in args.file:
        for line in Path(f).read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if "q" not in row and "turns" not in row:
                continue
            turns = row.get("turns") or [row["q"]]
            history: list[Turn] = []
            for prev in turns[:-1]:  # a dialogue's last turn is read with the turns before it
                answer = engine.ask(prev, history)
                history.append(Turn(prev, tuple(f"{x.doc_id}#{x.clause}" for x in answer.related[:1])))
            r = engine.retriever.retrieve(turns[-1], history or None, docs=engine.answer_docs)
            rows.append((r.coverage, r.best_dense, len(r.analysis.synonyms)))
            labels.append(0 if row.get("kind") == "oos" or not (row.get("gold") or row.get("gold_doc")) else 1)
            other.append(engine.answerer.other_topic(turns[-1], r) is not None)
    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    folds = [order[i::10] for i in range(10)]
    cv = [0.0] * len(rows)
    for fold in folds:
        held = set(fold)
        model = fit_logistic([rows[i] for i in order if i not in held], [labels[i] for i in order if i not in held])
        for i in fold:
            cv[i] = model.score(*rows[i])
    n_other = sum(1 for y, o in zip(labels, other) if y == 0 and o)
    t_cv = threshold_for([cv[i] for i in order if labels[i] == 0 and not other[i]], TARGET_OOS_REFUSAL, n_other)
    t_cv = max(t_cv, threshold_within_budget([0.0 if other[i] else cv[i] for i in order if labels[i] == 1], FALSE_REFUSAL_BUDGET))
    pos = [0.0 if other[i] else cv[i] for i in order if labels[i] == 1]
    neg = [0.0 if other[i] else cv[i] for i in order if labels[i] == 0]
    print(f"{len(pos)} in scope, {len(neg)} out of scope ({n_other} another department's topic); "
          f"embedder {engine.embedder.model_id}")
    print(f"10-fold CV: threshold {t_cv:.3f} refuses {sum(s < t_cv for s in neg) / len(neg):.3f} of out-of-scope, "
          f"false refusals {sum(s < t_cv for s in pos) / len(pos):.3f}")
    model = fit_logistic(rows, labels)
    scores = [0.0 if o else model.score(*x) for x, o in zip(rows, other)]
    t = threshold_for([s for s, y, o in zip(scores, labels, other) if y == 0 and not o], TARGET_OOS_REFUSAL, n_other)
    t = max(t, threshold_within_budget([s for s, y in zip(scores, labels) if y == 1], FALSE_REFUSAL_BUDGET))
    fitted = dict(model.to_dict(), threshold=round(t, 4))
    fitted = {k: round(v, 4) for k, v in fitted.items()}
    print("fitted on all rows:", fitted)
    print("threshold  oos_refusal  false_refusal")
    for x in sorted({round(t, 2), 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}):
        print(f"{x:9.2f}  {sum(s < x for s, y in zip(scores, labels) if y == 0) / max(len(neg), 1):11.3f}  "
              f"{sum(s < x for s, y in zip(scores, labels) if y == 1) / max(len(pos), 1):13.3f}")
    if args.write:
        path = ROOT / "src" / "policyqa" / "data" / "confidence.json"
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"embedders": {}}
        data["embedders"][engine.embedder.model_id] = fitted
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print("wrote", path)


if __name__ == "__main__":
    main()
