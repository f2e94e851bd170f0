"""Query understanding (policyqa.query): words, weights, follow-ups, the BM25 query."""

from policyqa import query, retrieval
from policyqa.models import Turn
from policyqa.query import BIGRAM_WEIGHT, HISTORY_WEIGHT, QueryAnalyser


def test_retrieval_re_exports_query_analysis():
    assert retrieval.QueryAnalysis is query.QueryAnalysis


def test_the_retriever_reads_questions_with_its_analyser(engine):
    r = engine.retriever
    analyser = QueryAnalyser(r.segmenter, r.cues, r.clauses)
    history = [Turn("保障性租赁住房主要解决哪些人的住房困难")]
    for question, turns in (("公租房怎么分配", None), ("那农村的呢？", history)):
        a = analyser.analyse(question, turns)
        assert a == r.analyse(question, turns)
        assert analyser.query_terms(a) == r.query_terms(a)


def test_an_elliptical_follow_up_carries_the_previous_words(engine):
    a = engine.retriever.analyse("那农村的呢？", [Turn("保障性租赁住房主要解决哪些人的住房困难")])
    assert a.follow_up and a.history_tokens
    assert all(a.weights[t] == HISTORY_WEIGHT for t in a.history_tokens)
    terms = engine.retriever.query_terms(a)
    assert all(terms[t] == w for t, w in a.weights.items())
    assert any(k.startswith("#") and v == BIGRAM_WEIGHT for k, v in terms.items())  # the question's bigrams


def test_a_keyword_search_is_told_from_a_question(engine):
    r = engine.retriever
    for search in ("住房公积金 提取情形", "施工图免审范围", "物业服务企业 退出 移交资料"):
        assert r.analyse(search).keyword_search, search
    for question in ("公积金怎么提取？", "租房可以提取公积金吗", "我家暖气不热", "供热期间卧室最低温度是多少摄氏度"):
        assert not r.analyse(question).keyword_search, question


def test_policy_terms_the_corpus_never_prints_are_not_added_to_the_query(tmp_path):
    # a lexicon written for one corpus over another: 公积金 → 住房公积金 is kept where the corpus
    # prints 住房公积金, dropped (with its phrase) where it does not
    from policyqa.index.sparse import SparseIndex
    from policyqa.intent import default_cues
    from policyqa.query import QueryAnalyser
    from policyqa.segmentation import Segmenter

    seg = Segmenter()
    printed = QueryAnalyser(seg, default_cues(), SparseIndex.build([seg.index_terms("职工可以提取住房公积金")]))
    a = printed.analyse("公积金能取吗")
    assert "住房公积金" in a.expansion and a.synonyms
    elsewhere = QueryAnalyser(seg, default_cues(), SparseIndex.build([seg.index_terms("疫情期间企业复工复产")]))
    b = elsewhere.analyse("公积金能取吗")
    assert "住房公积金" not in b.expansion and not b.synonyms and b.query_text == "公积金能取吗"


def test_the_words_that_ask_weigh_little_in_a_question_but_fully_in_a_keyword_search(engine):
    r = engine.retriever
    question = r.analyse("污水处理厂执行什么排放标准？")
    assert question.weights["排放标准"] == query.CUE_WORD_WEIGHT  # describes the answer sought
    search = r.analyse("污水处理厂排放标准 一级A")
    assert search.keyword_search and search.weights["排放标准"] == 1.0  # a keyword the staff typed
