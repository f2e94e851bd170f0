import numpy as np

from policyqa.index.dense import DenseIndex
from policyqa.index.sparse import SparseIndex


def test_exact_and_hnsw_indexes_agree_on_the_nearest_vector(tmp_path):
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(300, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    exact = DenseIndex.build(vecs, exact_limit=1000)
    approx = DenseIndex.build(vecs, exact_limit=10)
    assert exact.kind == "IndexFlatIP" and approx.kind == "IndexHNSWFlat"
    ids, scores = exact.search(vecs[42], 3)
    assert ids[0] == 42 and abs(scores[0] - 1) < 1e-5
    assert approx.search(vecs[42], 3)[0][0] == 42
    exact.save(tmp_path / "d.faiss")
    assert DenseIndex.load(tmp_path / "d.faiss").size == 300


def test_bm25_scores_unknown_tokens_and_idf(tmp_path):
    ix = SparseIndex.build([["保障", "住房"], ["供热", "整治"], ["住房", "公积金"]])
    s = ix.scores(["住房", "不存在"])
    assert s[0] > 0 and s[1] == 0 and s[2] > 0
    assert ix.idf("供热") > ix.idf("住房") > 0 and ix.idf("不存在") == 0
    ix.save(tmp_path / "bm")
    assert SparseIndex.load(tmp_path / "bm").scores(["供热"])[1] > 0
