"""Markdown tables and matplotlib PNG plots for benchmark results (``bench quality|perf``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

QUALITY_COLUMNS = (
    ("doc_hit@1", "doc hit@1"),
    ("doc_hit@5", "doc hit@5"),
    ("mrr@10", "MRR@10"),
    ("span_top1", "span in top-1 passage"),
    ("span_top3", "span in top-3 passages"),
    ("span_answer", "span in answer"),
    ("latency_ms_p50", "p50 ms"),
)


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}" if v <= 1.0 else f"{v:.1f}"
    return str(v)


def quality_markdown(payload: dict[str, Any]) -> str:
    lines = [f"Embedder: `{payload.get('embedder')}`"]
    for res in payload["datasets"]:
        cols = [(k, h) for k, h in QUALITY_COLUMNS if any(k in m for m in res["systems"].values())]
        lines += [
            "",
            f"### {res['dataset']} — {res['questions']} questions, {res['documents']} documents "
            f"({res['clauses']} clauses, {res['chunks']} chunks)",
            "",
            "| system | " + " | ".join(h for _, h in cols) + " |",
            "|---|" + "---:|" * len(cols),
        ]
        best = {k: max((m.get(k) or 0) for m in res["systems"].values()) for k, _ in cols}
        for name, m in res["systems"].items():
            cells = []
            for k, _ in cols:
                cell = _fmt(m.get(k))
                if k != "latency_ms_p50" and m.get(k) is not None and m.get(k) == best[k]:
                    cell = f"**{cell}**"
                cells.append(cell)
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        if "span_ceiling" in res:
            lines.append("")
            lines.append(f"Answer spans that fit inside one engine chunk of the gold document: {res['span_ceiling']:.3f}.")
        ma = res.get("miss_analysis")
        if ma and ma.get("misses"):
            lines.append("")
            lines.append(
                f"Of the engine's {ma['misses']} rank-1 misses, {ma['near_duplicate_of_gold']} ranked first a "
                f"near-identical copy of the gold document (the same text republished, character 8-gram "
                f"Jaccard ≥ 0.8) and {ma['answer_in_top_document']} a document that contains the gold answer verbatim."
            )
    return "\n".join(lines)


def perf_markdown(payload: dict[str, Any]) -> str:
    lines = []
    rows = payload.get("sizes", [])
    if rows:
        lines += [
            "| chunks | docs | segment s | BM25 build s | embed s (hash, measured) | FAISS build s | total build s "
            "| index MB | serving RSS MB | cold start s | query p50 ms | p95 ms | p99 ms |",
            "|---:|" + "---:|" * 12,
        ]
        for r in rows:
            b, s = r.get("build", {}), r.get("serving", {})
            lines.append(
                "| " + " | ".join(_fmt(x) for x in (
                    r.get("chunks"), r.get("documents"), b.get("segment_s"), b.get("bm25_s"), b.get("embed_s"),
                    b.get("faiss_s"), b.get("total_s"), r.get("index_mb"), s.get("rss_mb"), s.get("cold_start_s"),
                    s.get("p50_ms"), s.get("p95_ms"), s.get("p99_ms"),
                )) + " |"
            )
        lines += ["", "Warm query latency by stage (ms, mean / p99):", ""]
        stages = ("segmentation", "bm25", "query_embedding", "faiss", "fusion", "answer")
        lines += ["| chunks | " + " | ".join(stages) + " |", "|---:|" + "---:|" * len(stages)]
        for r in rows:
            st = r.get("serving", {}).get("stages", {})
            lines.append(f"| {r.get('chunks')} | " + " | ".join(
                f"{st[k]['mean']:.2f} / {st[k]['p99']:.2f}" if k in st else "–" for k in stages) + " |")
    if any("serving_omp1" in r for r in rows):
        lines += ["", "Same queries with `OMP_NUM_THREADS=1` in the serving process (FAISS single-query search "
                  "without OpenMP fan-out):", "",
                  "| chunks | p50 ms | p95 ms | p99 ms | FAISS mean ms | RSS MB | cold start s |", "|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            s1 = r.get("serving_omp1")
            if s1:
                lines.append("| " + " | ".join(_fmt(x) for x in (
                    r["chunks"], s1["p50_ms"], s1["p95_ms"], s1["p99_ms"], s1["stages"].get("faiss", {}).get("mean"),
                    s1["rss_mb"], s1["cold_start_s"])) + " |")
    emb = payload.get("embedding_throughput")
    if emb:
        lines += ["", "Embedding throughput (measured on a sample of real chunks):", "",
                  "| embedder | OMP threads | batch | chunks/s | tokens/s | query ms p50 | ncp corpus 7,841 chunks (s, extrapolated) "
                  "| 100k chunks (h, extrapolated) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for e in emb:
            lines.append("| " + " | ".join(_fmt(x) for x in (
                e["embedder"], e.get("threads"), e.get("batch"), e["chunks_per_s"], e.get("tokens_per_s"),
                e.get("query_ms_p50"), e.get("ncp_seconds"), e.get("hours_100k"))) + " |")
    ann = payload.get("faiss")
    if ann:
        lines += ["", "FAISS exact vs approximate (top-10 recall against exact search):", "",
                  "| vectors | data | index | build s | search p50 ms | p99 ms | recall@10 | MB |",
                  "|---:|---|---|---:|---:|---:|---:|---:|"]
        for a in ann:
            lines.append("| " + " | ".join(_fmt(x) for x in (
                a["n"], a["data"], a["index"], a["build_s"], a["p50_ms"], a["p99_ms"], a["recall@10"], a.get("mb"))) + " |")
    big = payload.get("million")
    if big:
        lines += ["", "1M chunks (measured parts):", ""]
        for k, v in big.items():
            lines.append(f"- {k}: {v}")
    return "\n".join(lines)


def plots(payload: dict[str, Any], out: Path, stem: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out) / "plots"
    out.mkdir(parents=True, exist_ok=True)
    made = []
    if "datasets" in payload:
        metrics = [("doc_hit@1", "doc hit@1"), ("doc_hit@5", "doc hit@5"), ("span_top3", "span in top-3")]
        sets = payload["datasets"]
        fig, axes = plt.subplots(1, len(sets), figsize=(4.2 * len(sets), 3.6), squeeze=False)
        for ax, res in zip(axes[0], sets):
            names = list(res["systems"])
            ms = [(k, h) for k, h in metrics if any(k in res["systems"][n] for n in names)]
            width = 0.8 / max(len(names), 1)
            for i, n in enumerate(names):
                vals = [res["systems"][n].get(k) or 0 for k, _ in ms]
                ax.bar([j + i * width for j in range(len(ms))], vals, width, label=n)
            ax.set_xticks([j + 0.4 - width / 2 for j in range(len(ms))], [h for _, h in ms])
            ax.set_ylim(0, 1)
            ax.set_title(res["dataset"])
            ax.grid(axis="y", alpha=0.3)
        axes[0][-1].legend(fontsize=8, loc="upper right", framealpha=0.9)
        fig.suptitle(f"policyqa vs baselines ({payload.get('embedder')})", fontsize=10)
        fig.tight_layout()
        path = out / f"{stem}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    if payload.get("sizes"):
        rows = payload["sizes"]
        xs = [r["chunks"] for r in rows]
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.6))
        for key, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
            a1.plot(xs, [r.get("serving", {}).get(key, 0) for r in rows], marker="o", label=label)
        a1.set_xscale("log")
        a1.set_xlabel("chunks")
        a1.set_ylabel("warm query latency (ms)")
        a1.legend()
        a1.grid(alpha=0.3)
        stages = ("segmentation", "bm25", "query_embedding", "faiss", "fusion", "answer")
        bottom = [0.0] * len(rows)
        for st in stages:
            vals = [r.get("serving", {}).get("stages", {}).get(st, {}).get("mean", 0.0) for r in rows]
            a2.bar([str(x) for x in xs], vals, bottom=bottom, label=st)
            bottom = [b + v for b, v in zip(bottom, vals)]
        a2.set_ylabel("mean ms per stage")
        a2.set_xlabel("chunks")
        a2.legend(fontsize=7)
        fig.tight_layout()
        path = out / f"{stem}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    return made
