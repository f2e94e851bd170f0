"""Smoke runs of ``policyqa bench`` on a tiny subset of the shared datasets (hash embedder).

The full runs (all questions, the default embedder, 100k–1M chunks) are not for CI; their
results live in ``docs/benchmarks/``.  Skips cleanly when the datasets are absent.
"""

from __future__ import annotations

import json
import os
from argparse import Namespace
from pathlib import Path

import pytest

DATASETS = Path(os.environ.get("POLICYQA_DATASETS") or Path(__file__).resolve().parents[1].parent / "shared" / "datasets")

pytestmark = [
    pytest.mark.datasets,
    pytest.mark.skipif(not (DATASETS / "ncp_policy_qa" / "corpus.jsonl").is_file(), reason=f"no datasets in {DATASETS}"),
]


def test_readers_count_questions_and_equivalent_documents():
    from policyqa.bench.datasets import read

    ncp = read("ncp_policy_qa", DATASETS)
    assert len(ncp.docs) == 599 and len(ncp.questions) == 1262
    assert len(set(ncp.canonical.values())) == 599 - 6  # 5 groups of identical texts (one of three)
    # stored as one line each; the product's loader gives them their paragraphs back
    from policyqa.documents.loaders import restore_paragraphs

    assert all("\n" in restore_paragraphs(t) for t in list(ncp.docs.values())[:20])
    assert all(q.answer and q.gold for q in ncp.questions)
    msga = read("msgabench_gov_qa", DATASETS)
    assert len(msga.docs) == 2058 and len(msga.questions) >= 2068
    stard = read("stard", DATASETS)
    assert len(stard.docs) == 1445 and all(q.gold <= set(stard.docs) for q in stard.questions)


def test_quality_smoke_engine_and_baselines(tmp_path):
    from policyqa.bench import quality
    from policyqa.bench.datasets import read

    ds = read("ncp_policy_qa", DATASETS).limited(20, doc_limit=40)
    assert len(ds.questions) == 20 and len(ds.docs) == 40
    emb = quality.make_embedder("hash", tmp_path / "cache")
    res = quality.run_dataset(ds, emb, "hash", tmp_path)
    assert set(res["systems"]) == {"policyqa", "bm25", "dense", "langchain"}
    for name, m in res["systems"].items():
        assert m["n"] == 20
        assert 0.0 <= m["doc_hit@1"] <= m["doc_hit@5"] <= 1.0, name
        assert 0.0 <= m["span_top1"] <= m["span_top3"] <= 1.0, name
    # 40 documents is an easy corpus: the engine must find most gold documents
    assert res["systems"]["policyqa"]["doc_hit@5"] >= 0.8
    assert 0.5 <= res["span_ceiling"] <= 1.0
    emb.save()
    assert (tmp_path / "cache").is_dir()
    again = quality.make_embedder("hash", tmp_path / "cache")
    again.embed_query("企业复工")  # cached texts are not re-embedded
    assert again.embedded <= 1


def test_bench_main_writes_results_table_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from policyqa.bench import main

    args = Namespace(kind="quality", datasets=str(DATASETS), out=str(tmp_path / "out"), embedder="hash",
                     limit=10, doc_limit=30, sizes="", json=False, only="stard", systems="policyqa,bm25",
                     cache=None, workdir=str(tmp_path), tag="smoke", variant="")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "| policyqa |" in out and "| bm25 |" in out
    results = list((tmp_path / "out" / "results").glob("quality-smoke-*.json"))
    assert len(results) == 1
    payload = json.loads(results[0].read_text(encoding="utf-8"))
    assert payload["datasets"][0]["dataset"] == "stard" and payload["command"]
    assert list((tmp_path / "out" / "plots").glob("*.png"))


def test_corpus_builder_reaches_the_target(tmp_path):
    from policyqa.bench.corpus_builder import build_corpus

    built = build_corpus(DATASETS, 300, tmp_path / "c")
    assert 300 <= built.chunks < 400
    assert built.documents == len(list((tmp_path / "c").glob("*.txt")))
