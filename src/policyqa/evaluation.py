"""Evaluation on a JSONL question set (``policyqa eval``).

Row format (as ``../shared/eval/dev_questions.jsonl``): ``q``, ``gold`` (clause numbers),
``key`` (verbatim phrase the answer must contain), ``kind`` (citizen/staff/oos); optional
``doc`` (substring of the gold document's title; default: the work plan) or ``gold_doc``
(gold document's file name without extension; with ``gold`` the article must match too).  Rows
with ``expect`` (answered / partial / refused) are also judged useful / honest / misleading.  Dialogue rows
(``turns``: list of questions, the last one scored) exercise follow-up handling.

Confidence (``report["calibration"]``, policyqa only: baselines have no confidence).
``Answer.confidence`` is the calibrated probability that the corpus addresses the question: the
answerer refuses below ``refusal_threshold`` and caps a ``partial`` answer (the detail asked is not
stated) half-way between the threshold and 1.  So a confidence is a claim that *the reply answers
the question from the documents*, and that is the event it is scored against:

* **correct** (primary, ``calibration["answer"]``): an answerable row (citizen, staff, version,
  dialogue: anything with a gold article and not ``gap``/``oos``) that is not refused and whose
  answer contains the ``key`` (the asked detail, verbatim) — the same test as ``key_in_answer``;
* ``calibration["hit_at_1"]``: the same with "the gold article ranked first" instead of the key;
* a ``gap`` or ``oos`` row is never correct: the documents do not state what was asked, so the
  honest reply (partial or refused) is right *because* the confidence should be low.  Scoring a
  refusal as "correct" would make a low confidence on a correct refusal look miscalibrated, and
  the threshold rule (refuse when confidence is low) meaningless.

Reported: the reliability table and the ECE (``policyqa.reliability``), the gap/oos rows at or
above the answer threshold (``unanswerable_above_threshold``: each should be refused), and the
answers that miss the asked detail at a confidence shown as 1.00 (≥ ``FULL_CONFIDENCE``).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
import time
from pathlib import Path
from typing import Any

from .baselines import BASELINES, EngineSystem
from .errors import PolicyQAError
from .models import Turn
from .reliability import format_table, summary

DEFAULT_DOC = "住房城乡建设工作要点"
FULL_CONFIDENCE = 0.995  # shown as 1.00 by the CLI and the pages


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PolicyQAError(f"{path}:{n}: not JSON ({exc.msg})", code="bad_eval_file") from exc
        if "q" not in row and "turns" not in row:
            raise PolicyQAError(f"{path}:{n}: a row needs 'q' or 'turns'", code="bad_eval_file")
        rows.append(row)
    return rows


def _gold_keys(engine, row: dict[str, Any]) -> set[tuple[str, int]] | set[str]:
    """(doc_id, article number) pairs; with ``gold_doc`` and no ``gold`` any article of that document."""
    if row.get("gold_doc"):
        docs = {d.doc_id for d in engine.store.documents if Path(d.path).stem == row["gold_doc"]}
        if not row.get("gold"):
            return docs
        return {(d, n) for d in docs for n in row["gold"]}
    want = row.get("doc") or DEFAULT_DOC
    docs = [d for d in engine.store.documents if want in d.title] or (
        list(engine.store.documents) if len(engine.store.documents) == 1 else []
    )
    return {(d.doc_id, n) for d in docs for n in row.get("gold", [])}


def _rank_of(ranked: tuple[tuple[str, int], ...], gold, doc_level: bool) -> int | None:
    for i, key in enumerate(ranked, 1):
        if (key[0] in gold) if doc_level else (key in gold):
            return i
    return None


_EXPECT_KIND = {"answered": "citizen", "partial": "gap", "refused": "oos"}


def _judge(row: dict[str, Any], out) -> str:
    """A row with ``expect`` (answered / partial / refused) → ``useful`` (answered with the key, or
    the honest partial/refusal expected), ``honest`` (a refusal or partial answer where an answer was
    expected: no help, but nothing false) or ``misleading`` (an answer that lacks the key, or any
    answer where the documents hold none)."""
    status = "refused" if out.refused else out.status
    key = "".join(str(row.get("key", "")).split())
    expect = row["expect"]
    if expect == "answered":
        if status != "refused" and key and key in "".join(out.answer.split()):
            return "useful"
        return "misleading" if status == "answered" else "honest"
    if expect == "partial":
        return "useful" if status in ("partial", "refused") else "misleading"
    return "useful" if status == "refused" else "misleading"


def _behaviour(judged: list[str]) -> dict[str, float] | None:
    if not judged:
        return None
    n = len(judged)
    return {"n": n, **{k: round(judged.count(k) / n, 4) for k in ("useful", "honest", "misleading")},
            "useful_or_honest": round((judged.count("useful") + judged.count("honest")) / n, 4)}


def _title(engine, doc_id: str) -> str:
    for d in engine.store.documents:
        if d.doc_id == doc_id:
            return Path(d.path).stem
    return doc_id


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    idx = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[idx]


def evaluate(engine, path: Path, baseline: str | None = None) -> dict[str, Any]:
    system = BASELINES[baseline](engine) if baseline else EngineSystem(engine)
    rows = read_rows(path)
    in_scope = oos = hits1 = hits3 = hits5 = keys_ok = refused_oos = refused_in = 0
    versions = version_ok = gaps = gap_honest = gap_cited = answerable = 0
    refused_by_kind: dict[str, list[int]] = {}
    keys_by_kind: dict[str, list[int]] = {}
    rr = 0.0
    latencies: list[float] = []
    judged: list[str] = []  # useful | honest | misleading, for rows with an expected behaviour
    by_kind: dict[str, list[int]] = {}
    failures = []
    scored: list[dict[str, Any]] = []  # per row: confidence, kind, status and both notions of correct
    for row in rows:
        turns = row.get("turns") or [row["q"]]
        history: list[Turn] = []
        for prev in turns[:-1]:
            out = system.run(prev, history)
            history.append(Turn(prev, tuple(f"{d}#{n}" for d, n in out.clauses[:1])))
        t0 = time.perf_counter()
        out = system.run(turns[-1], history or None)
        latencies.append((time.perf_counter() - t0) * 1000)
        kind = row.get("kind") or _EXPECT_KIND.get(row.get("expect", ""), "dialogue" if "turns" in row else "")
        if row.get("expect"):
            judged.append(_judge(row, out))
        status = "refused" if out.refused else out.status
        seen = {"q": turns[-1], "kind": kind, "status": status, "confidence": out.confidence, "answer": 0, "hit_at_1": 0}
        scored.append(seen)
        if kind == "oos" or not (row.get("gold") or row.get("gold_doc")):
            seen["kind"] = "oos"
            oos += 1
            refused_oos += out.refused
            continue
        in_scope += 1
        refused_by_kind.setdefault(kind, []).append(int(out.refused))
        if kind != "gap":  # a gap row's honest answer is a refusal or a partial answer
            refused_in += out.refused
            answerable += 1
        doc_level = bool(row.get("gold_doc")) and not row.get("gold")
        rank = _rank_of(out.clauses, _gold_keys(engine, row), doc_level)
        hits1 += rank == 1
        hits3 += rank is not None and rank <= 3
        hits5 += rank is not None and rank <= 5
        rr += 1.0 / rank if rank else 0.0
        key = "".join(str(row.get("key", "")).split())
        key_ok = bool(key) and not out.refused and key in "".join(out.answer.split())
        keys_ok += key_ok
        if key:
            keys_by_kind.setdefault(kind, []).append(int(key_ok))
        by_kind.setdefault(kind, []).append(int(rank == 1))
        if kind != "gap":
            seen["hit_at_1"] = int(rank == 1 and not out.refused)
            seen["answer"] = int(key_ok) if key else seen["hit_at_1"]
        if kind == "version":
            # the answer cites the gold text (the version in force) first, and no other version of it
            version_ok += int(rank == 1 and not out.refused)
            versions += 1
        if kind == "gap":
            gaps += 1
            gap_honest += int(out.refused or out.status == "partial")
            gap_cited += int(rank is not None and rank <= 3)
        if rank != 1 or not key_ok:
            failures.append({"q": turns[-1], "gold": row.get("gold") or row.get("gold_doc"), "kind": kind,
                             "gold_doc": row.get("gold_doc", ""),
                             "got": [f"{_title(engine, d)}#{n}" for d, n in out.clauses[:3]], "key_ok": key_ok,
                             "refused": out.refused})
    n_in = max(in_scope, 1)
    return {
        "system": system.name,
        "file": str(path),
        "n": len(rows),
        "in_scope": in_scope,
        "oos": oos,
        "hit_at_1": round(hits1 / n_in, 4),
        "hit_at_3": round(hits3 / n_in, 4),
        "hit_at_5": round(hits5 / n_in, 4),
        "mrr": round(rr / n_in, 4),
        "key_in_answer": round(keys_ok / n_in, 4),
        "oos_refusal": round(refused_oos / oos, 4) if oos else None,
        "false_refusal": round(refused_in / max(answerable, 1), 4),
        "latency_ms_p50": round(statistics.median(latencies), 2) if latencies else 0.0,
        "latency_ms_p95": round(_percentile(latencies, 0.95), 2),
        "hit_at_1_by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_kind.items())},
        "behaviour": _behaviour(judged),
        "key_in_answer_by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(keys_by_kind.items())},
        "refused_by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(refused_by_kind.items())},
        "version_in_force": round(version_ok / versions, 4) if versions else None,
        "gap_honest": round(gap_honest / gaps, 4) if gaps else None,
        "gap_closest_cited_top3": round(gap_cited / gaps, 4) if gaps else None,
        "embedder": engine.embedder.model_id,
        "calibration": _calibration(scored, getattr(getattr(engine, "answerer", None), "refusal_threshold", None)),
        "failures": failures,
    }


def _calibration(scored: list[dict[str, Any]], threshold: float | None) -> dict[str, Any] | None:
    """How well ``Answer.confidence`` predicts a correct answer (module docstring); ``None`` without
    confidences (the baselines)."""
    if not scored or any(s["confidence"] is None for s in scored):
        return None
    unanswerable = [s for s in scored if s["kind"] in ("gap", "oos")]
    above = [s for s in unanswerable if threshold is not None and s["confidence"] >= threshold]
    full = [s for s in scored if s["confidence"] >= FULL_CONFIDENCE and s["status"] != "refused"]
    flagged = above + [s for s in full if not s["answer"] and all(s is not x for x in above)]
    return {
        "threshold": threshold,
        "answer": summary((s["confidence"], s["answer"]) for s in scored),
        "hit_at_1": summary((s["confidence"], s["hit_at_1"]) for s in scored),
        # the confidence shown beside an answer or a partial answer (refusals left out)
        "replied": summary((s["confidence"], s["answer"]) for s in scored if s["status"] != "refused"),
        "unanswerable": len(unanswerable),
        "unanswerable_above_threshold": len(above),
        "unanswerable_above_threshold_by_status": dict(sorted(Counter(f"{s['kind']}/{s['status']}" for s in above).items())),
        "full_confidence": len(full),
        "misses_at_full_confidence": sum(1 for s in full if not s["answer"]),
        "flagged": [{k: s[k] for k in ("q", "kind", "status", "confidence", "answer")} for s in flagged],
    }


def format_calibration(c: dict[str, Any]) -> list[str]:
    """The calibration part of ``format_report``."""
    a, h, g = c["answer"], c["hit_at_1"], c["replied"]
    threshold = "–" if c["threshold"] is None else f"{c['threshold']:.3f}"
    replied = (f"; on the {g['n']} replies not refused: ECE {g['ece']:.3f}, mean confidence "
               f"{g['mean_confidence']:.3f}, accuracy {g['accuracy']:.3f}" if g["n"] else "")
    lines = [
        f"confidence vs a correct answer (answered with the key; gap/oos rows never correct): ECE {a['ece']:.3f} "
        f"over {a['bins']} bins, mean confidence {a['mean_confidence']:.3f}, accuracy {a['accuracy']:.3f} "
        f"(vs gold article first: ECE {h['ece']:.3f}, accuracy {h['accuracy']:.3f}){replied}",
        format_table(a),
        f"gap/oos rows at or above the answer threshold {threshold}: {c['unanswerable_above_threshold']} of "
        f"{c['unanswerable']} {c['unanswerable_above_threshold_by_status'] or ''}".rstrip(),
        f"answers at confidence >= {FULL_CONFIDENCE} (shown as 1.00): {c['full_confidence']}, of which missing the "
        f"asked detail: {c['misses_at_full_confidence']}",
    ]
    lines += [f"  sure[{f['kind']}/{f['status']} {f['confidence']:.3f}]: {f['q']}" for f in c["flagged"]]
    return lines


def format_report(r: dict[str, Any]) -> str:
    lines = [
        f"system {r['system']} on {r['file']} ({r['n']} rows: {r['in_scope']} in scope, {r['oos']} out of scope)",
        f"embedder {r['embedder']}",
        f"hit@1 {r['hit_at_1']:.3f}  hit@3 {r['hit_at_3']:.3f}  hit@5 {r['hit_at_5']:.3f}  MRR {r['mrr']:.3f}",
        f"key_in_answer {r['key_in_answer']:.3f}  oos_refusal {r['oos_refusal']}  false_refusal {r['false_refusal']:.3f}",
        f"latency p50 {r['latency_ms_p50']} ms  p95 {r['latency_ms_p95']} ms",
        f"hit@1 by kind: {r['hit_at_1_by_kind']}",
        *([f"behaviour (rows with 'expect'): {r['behaviour']}"] if r.get("behaviour") else []),
        f"key in answer by kind: {r['key_in_answer_by_kind']}  refused by kind: {r['refused_by_kind']}",
        f"version rows citing the text in force: {r['version_in_force']}  gap rows refused/partial: "
        f"{r['gap_honest']} (closest article in top 3: {r['gap_closest_cited_top3']})",
        *(format_calibration(r["calibration"]) if r.get("calibration") else []),
    ]
    for f in r["failures"]:
        lines.append(f"  miss[{f.get('kind', '')}]: {f['q']}  gold={f.get('gold_doc', '')}#{f['gold']} got={f['got']} "
                     f"key_ok={f['key_ok']} refused={f['refused']}")
    return "\n".join(lines)
