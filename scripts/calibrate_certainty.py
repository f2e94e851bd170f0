"""Fit the answer-certainty model (``policyqa.confidence.Certainty``) for one embedder and report it.

Rows: the in-scope questions the refusal model answers (gap and out-of-scope rows left out: the
first are made partial by the asked detail, the second refused).  Label 1 when the best-ranked
article is a gold one (document and article).  Features: the fused top score (read as if its
document scored best, ``Answerer.certain``) and its margin over the second clause.  The threshold
is the highest one that keeps at least ``KEEP`` of the right answers answered: below it an answer
is given as ``partial`` (the closest provisions, said plainly to be possibly not the answer).
Prints 5-fold cross-validated figures (right answers kept, wrong answers caught) and, with
``--write``, stores the model fitted on all rows in ``src/policyqa/data/confidence.json``.  Usage:

    python scripts/calibrate_certainty.py ../shared/eval/kb_questions.jsonl ../shared/eval/dev_questions.jsonl \\
        tests/data/kb_everyday_questions.jsonl --corpus corpus --index /tmp/kbidx [--embedder use] [--write]

Rows of ``dev_questions.jsonl`` (no ``gold_doc``) are gold in the work plan.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from policyqa.config import Settings
from policyqa.confidence import Certainty, newton_logistic
from policyqa.engine import QAEngine

ROOT = Path(__file__).resolve().parents[1]
KEEP = 0.95  # share of the right answers that stay ``answered``
PLAN = "2022年全区住房城乡建设工作要点"


def fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Logistic fit (``confidence.newton_logistic``): the weights, bias first."""
    return newton_logistic(x, y)


def prob(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(w[0] + x @ w[1:])))


def keep_threshold(p_right: np.ndarray, keep: float = KEEP) -> float:
    """The highest threshold under which at most ``1 - keep`` of the right answers fall."""
    p = np.sort(p_right)
    return float(p[min(int((1 - keep) * len(p)), len(p) - 1)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="+")
    ap.add_argument("--embedder", default="use")
    ap.add_argument("--corpus", default="corpus")
    ap.add_argument("--index", default="index")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    engine = QAEngine.load(Settings(embedder=args.embedder, corpus_dir=Path(args.corpus), index_dir=Path(args.index)))
    answerer = engine.answerer
    stems = {d.doc_id: Path(d.path).stem for d in engine.store.documents}
    single = len(engine.store.documents) <= 1
    feats, labels = [], []
    for f in args.file:
        for line in Path(f).read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            kind = row.get("kind") or {"answered": "citizen", "partial": "gap", "refused": "oos"}.get(row.get("expect"), "")
            if "q" not in row or kind in ("gap", "oos") or not row.get("gold"):
                continue
            r = engine.retriever.retrieve(row["q"], docs=engine.answer_docs)
            if not r.hits or answerer.confidence(r) < answerer.refusal_threshold:
                continue
            top = r.hits[0]
            gold_doc = row.get("gold_doc") or PLAN
            labels.append(int(stems.get(top.clause.doc_id) == gold_doc and top.clause.number in row["gold"]))
            second = r.hits[1].score if len(r.hits) > 1 else 0.0
            feats.append((top.score + (engine.retriever.weights.doc if single else 0.0), top.score - second))
    x, y = np.array(feats), np.array(labels, dtype=np.float64)
    order = list(range(len(y)))
    random.Random(0).shuffle(order)
    cv = np.zeros(len(y))
    for k in range(5):
        held = order[k::5]
        train = [i for i in order if i not in set(held)]
        cv[held] = prob(fit(x[train], y[train]), x[held])
    t_cv = keep_threshold(cv[y == 1])
    right, wrong = y == 1, y == 0
    print(f"{len(y)} answered in-scope rows: {int(right.sum())} right, {int(wrong.sum())} wrong; embedder {engine.embedder.model_id}")
    print(f"5-fold CV: threshold {t_cv:.3f} keeps {np.mean(cv[right] >= t_cv):.3f} of the right answers, "
          f"makes {np.mean(cv[wrong] < t_cv):.3f} of the wrong ones partial")
    w = fit(x, y)
    p = prob(w, x)
    t = keep_threshold(p[right])
    model = Certainty(round(float(w[0]), 4), round(float(w[1]), 4), round(float(w[2]), 4), round(t, 4))
    print("fitted on all rows:", model.to_dict(),
          f"keeps {np.mean(p[right] >= t):.3f} of the right, catches {np.mean(p[wrong] < t):.3f} of the wrong")
    if args.write:
        path = ROOT / "src" / "policyqa" / "data" / "confidence.json"
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"embedders": {}}
        data.setdefault("certainty", {})[engine.embedder.model_id] = model.to_dict()
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print("wrote", path)


if __name__ == "__main__":
    main()
