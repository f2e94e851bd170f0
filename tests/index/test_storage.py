"""Index persistence: manifest checks, stale corpus, atomic rebuild, embedding cache."""

import json
import shutil

import numpy as np
import pytest

from policyqa.engine import QAEngine
from policyqa.errors import IndexBusyError, IndexMismatchError, IndexNotFoundError, IndexStaleError
from policyqa.index.embedders import HashEmbedder
from policyqa.index.storage import IndexStorage

from pqtest import make_settings


class CountingEmbedder(HashEmbedder):
    def __init__(self):
        super().__init__()
        self.embedded = 0

    def _embed(self, texts, is_query):
        if not is_query:
            self.embedded += len(texts)
        return super()._embed(texts, is_query)


class OtherEmbedder(HashEmbedder):
    model_id = "hash/other"


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


def test_manifest_records_versions_hashes_and_counts(settings):
    QAEngine.load(settings)
    manifest = json.loads((IndexStorage(settings.index_dir).current() / "manifest.json").read_text())
    assert manifest["embedder_id"] == "hash/char-ngram-512" and manifest["dimension"] == 512
    assert manifest["clauses"] == 19 and manifest["documents"] == 1
    assert list(manifest["corpus"]) == ["2022年全区住房城乡建设工作要点.txt"]
    assert manifest["package_version"] and manifest["built_at"]


def test_missing_index_without_build_is_an_error(settings):
    with pytest.raises(IndexNotFoundError):
        QAEngine.load(settings, build=False)


def test_different_embedder_is_a_mismatch(settings):
    QAEngine.load(settings)
    with pytest.raises(IndexMismatchError, match="--force"):
        QAEngine.load(settings, embedder=OtherEmbedder())


def test_changed_corpus_rebuilds_or_reports_stale(settings):
    QAEngine.load(settings)
    (settings.corpus_dir / "新增通知.txt").write_text("一、总则\n1.物业服务收费应当公开透明。", encoding="utf-8")
    with pytest.raises(IndexStaleError):
        QAEngine.load(settings, build=False)
    engine = QAEngine.load(settings)
    assert len(engine.documents()) == 2
    assert engine.ask("物业服务收费公开透明").citations[0].doc == "新增通知"


def test_interrupted_build_leaves_previous_index_live(settings, monkeypatch):
    QAEngine.load(settings)
    before = IndexStorage(settings.index_dir).current()
    (settings.corpus_dir / "新增.txt").write_text("1.新的条款内容。", encoding="utf-8")

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # e.g. Ctrl-C while the build writes its files

    monkeypatch.setattr("policyqa.index.dense.DenseIndex.save", boom)
    with pytest.raises(KeyboardInterrupt):
        QAEngine.build(settings)
    monkeypatch.undo()
    storage = IndexStorage(settings.index_dir)
    assert storage.current() == before
    assert list(settings.index_dir.glob("build-*")) == [before]
    shutil.move(settings.corpus_dir / "新增.txt", settings.index_dir.parent / "moved.txt")
    assert QAEngine.load(settings, build=False).manifest.documents == 1


def test_concurrent_build_is_refused(settings):
    storage = IndexStorage(settings.index_dir)
    with storage.new_build():
        with pytest.raises(IndexBusyError):
            with storage.new_build():
                pass


def test_rebuild_reuses_embeddings_of_unchanged_passages(settings):
    first = CountingEmbedder()
    QAEngine.build(settings, embedder=first)
    assert first.embedded > 0
    (settings.corpus_dir / "新增.txt").write_text("1.新的条款内容。", encoding="utf-8")
    second = CountingEmbedder()
    engine = QAEngine.build(settings, embedder=second)
    assert second.embedded == 1  # only the new passage
    vectors = np.load(IndexStorage(settings.index_dir).current() / "vectors.npy")
    assert vectors.shape == (engine.manifest.chunks, 512)


def test_bad_file_is_skipped_and_reported(settings):
    (settings.corpus_dir / "坏文件.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    engine = QAEngine.load(settings, force=True)
    assert engine.manifest.documents == 1
    assert any("坏文件.pdf" in e for e in engine.stats()["errors"])


def test_empty_corpus_builds_an_empty_index_that_refuses(tmp_path):
    s = make_settings(tmp_path)
    for f in s.corpus_dir.iterdir():
        f.unlink()
    engine = QAEngine.load(s)
    assert engine.documents() == [] and engine.ask("保租房").refused
