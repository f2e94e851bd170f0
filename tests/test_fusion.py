"""The fusion's weights and components (``policyqa.fusion``): the components, weighted, give the
scores ``HybridRetriever.retrieve`` ranks by (``scripts/fit_weights.py`` relies on it)."""

from __future__ import annotations

from dataclasses import asdict, replace

import pytest

from policyqa import fusion
from policyqa.engine import QAEngine
from policyqa.fusion import PRIOR_PARTS, FusionWeights
from pqtest import make_settings


@pytest.fixture(scope="module")
def kb_engine(tmp_path_factory):
    return QAEngine.load(make_settings(tmp_path_factory.mktemp("kb"), kb=True))


def test_the_default_weights_are_the_module_constants():
    w = FusionWeights()
    assert w.clause == fusion.W_CLAUSE and w.doc == fusion.W_DOC and w.sentence == fusion.W_SENTENCE
    assert set(PRIOR_PARTS) <= set(asdict(w))


QUESTIONS = ["供热条例 室温 不低于多少度", "物业公司把电梯广告位租出去赚钱罚多少", "公积金贷款多少天内答复", "今年住建工作的主线是什么", "物业服务人 是指",
             "本条例下列用语的含义"]  # the last one ranks glossary articles first: their penalty counts


@pytest.mark.parametrize("q", QUESTIONS)
def test_the_weighted_components_are_the_scores_retrieve_ranks_by(kb_engine, q):
    r = kb_engine.retriever
    got = r.retrieve(q, k=5, docs=kb_engine.answer_docs)
    c = r.components(q, docs=kb_engine.answer_docs)
    w = r.weights
    sentence_weights = r.sentence_weights(c.analysis)
    for hit in got.hits:
        p = r._clause_pos[hit.clause.key]
        base = w.clause * c.clause[p] + w.chunk * c.chunk[p] + w.doc * c.doc[p] + r.dense_weight * c.dense[p]
        prior = sum(getattr(w, part) * c.prior[part][p] for part in PRIOR_PARTS)
        cov, sentence, said, glossary, act = r.rerank_features(c.analysis, sentence_weights, hit.clause)
        score = (base + prior + w.coverage * cov + w.sentence * sentence + w.answer_type * said - w.glossary * glossary
                 + w.act * act)
        assert hit.score == pytest.approx(score, abs=1e-5)


def test_other_weights_change_the_ranking(kb_engine):
    r = kb_engine.retriever
    q = "供热条例 室温 不低于多少度"
    before = [h.clause.key for h in r.retrieve(q, k=5).hits]
    try:
        r.weights = replace(FusionWeights(), title=0.0, doc=0.0, kind=0.0, local=0.0, coverage=0.0,
                            sentence=0.0, answer_type=0.0, glossary=0.0, chunk=0.0)
        only_clause = r.retrieve(q, k=5, use_dense=False)
    finally:
        r.weights = FusionWeights()
    bm25 = r.components(q).clause
    assert [h.score for h in only_clause.hits] == pytest.approx(sorted(fusion.W_CLAUSE * bm25, reverse=True)[:5])
    assert [h.clause.key for h in r.retrieve(q, k=5).hits] == before


def test_a_question_leaning_to_plans_counts_the_work_plan_as_on_topic_at_the_document_level(kb_engine):
    r = kb_engine.retriever
    plan = r.prior.plan_clauses
    assert r.prior.plans_and_laws and plan.any()
    leaning = r.components("老城区的燃气管道太旧了，政府今年会不会换新的？", docs=kb_engine.answer_docs)
    assert (leaning.doc[plan] == 1.0).all()
    neutral = r.components("燃气管道由谁负责维护？", docs=kb_engine.answer_docs)
    assert (neutral.doc[plan] < 1.0).all()


def test_a_penalty_question_ranks_the_article_sanctioning_the_act_it_describes(kb_engine):
    """广告位租出去赚钱 is the act of 宁夏物业条例 第五十四条(三) (擅自利用物业共用部位、共用设施设备进行经营的),
    though 第五十三条 (未经业主大会同意，物业服务企业擅自改变物业服务用房的用途) shares more of the words."""
    r = kb_engine.retriever
    q = "物业公司没经过业主同意，把电梯里的广告位租出去自己赚钱，对物业公司能罚多少？"
    a = r.analyse(q)
    doc = next(d.doc_id for d in kb_engine.store.documents if "物业管理条例（2025" in d.path)
    by_number = {c.number: c for c in kb_engine.store.clauses if c.doc_id == doc}
    assert r.act_share(a, by_number[54]) > 0.6 > 0.4 > r.act_share(a, by_number[53])
    assert r.sanctions.of(by_number[54]) and not r.sanctions.of(kb_engine.store.clauses[0])  # the plan sanctions nothing
    # the feature lifts 第五十四条 over 第五十三条 by W_ACT times the difference of their shares (the
    # ranking itself is checked with the real embedder: tests/test_kb_quality.py, version rows)
    def margin():
        hits = {h.clause.number: h.score for h in r.retrieve(q, k=10, docs=kb_engine.answer_docs).hits if h.clause.doc_id == doc}
        return hits[54] - hits[53]

    with_act = margin()
    try:
        r.weights = replace(FusionWeights(), act=0.0)
        without = margin()
    finally:
        r.weights = FusionWeights()
    gain = fusion.W_ACT * (r.act_share(a, by_number[54]) - r.act_share(a, by_number[53]))
    assert with_act - without == pytest.approx(gain, abs=1e-4) and gain > 0.1
    # not a penalty question: the feature is 0 (how to apply is not about a sanctioned act)
    assert r.rerank_features(r.analyse("物业公司把电梯广告位租出去合法吗"), {}, by_number[54])[4] == 0.0
