"""The query-independent per-clause priors (``policyqa.prior.DocumentPrior``), on a small hand-made store."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from policyqa.fusion import PRIOR_PARTS, FusionWeights
from policyqa.index.storage import Store
from policyqa.intent import AnswerType, QuestionCues
from policyqa.models import Clause, Document, Turn
from policyqa.prior import DocumentPrior


def _doc(doc_id: str, title: str, level: str) -> Document:
    return Document(doc_id=doc_id, title=title, path=f"{doc_id}.txt", text="", sha256="", level=level)


def _clause(doc_id: str, number: int, text: str, references: tuple[str, ...] = ()) -> Clause:
    return Clause(doc_id=doc_id, number=number, label=f"第{number}条", title="", section="", subsection="",
                  text=text, start=0, end=len(text), references=references)


STORE = Store(
    documents=(
        _doc("heat", "宁夏回族自治区供热条例", "地方性法规"),
        _doc("water", "中华人民共和国水法", "法律"),
        _doc("plan", "2025年住房和城乡建设工作要点", "工作计划"),
        _doc("notice", "交通运输部", "规范性文件"),  # a "title" that is its issuer's name
    ),
    clauses=(
        _clause("heat", 1, "为了规范供热活动，制定本条例。"),
        _clause("heat", 2, "本条例下列用语的含义：（一）供热，是指……"),
        _clause("heat", 3, "供热企业应当保证室温。"),
        _clause("heat", 4, "用户应当按时缴费。"),
        _clause("heat", 5, "违反本条例的，处以罚款。"),
        _clause("water", 1, "为了合理开发水资源，制定本法。", references=("宁夏回族自治区供热条例",)),
        _clause("water", 2, "本法所称水资源，包括地表水和地下水。"),
        _clause("plan", 1, "今年推进城市更新。"),
        _clause("notice", 1, "交通运输部关于道路运输的通知。"),
    ),
    chunks=(),
)
CUES = QuestionCues(plan=("今年",), law=("罚款", "合法吗"), elliptical=("那",))
N = len(STORE.clauses)


def _positions(doc_id: str) -> list[int]:
    return [i for i, c in enumerate(STORE.clauses) if c.doc_id == doc_id]


@pytest.fixture(scope="module")
def prior() -> DocumentPrior:
    return DocumentPrior(STORE, CUES)


def test_the_arrays_are_over_the_clauses_in_store_order(prior):
    assert prior.clause_doc.tolist() == [0, 0, 0, 0, 0, 1, 1, 2, 3]
    assert prior.clause_pos[("water", 2, 0)] == 6
    assert prior.bonus("什么问题", None, False).shape == (N,)
    assert prior.bonus("什么问题", None, False).dtype == np.float32


def test_a_glossary_article_is_marked(prior):
    assert prior.glossary.tolist() == [False, True] + [False] * (N - 2)


def test_a_question_naming_a_document_favours_it_and_the_clauses_citing_it(prior):
    w = FusionWeights()
    named = prior.bonus("供热条例 规定室温多少度", None, False)  # the short title of 宁夏回族自治区供热条例
    plain = prior.bonus("规定室温多少度", None, False)
    gain = named - plain
    assert gain[_positions("heat")] == pytest.approx(w.title)
    assert gain[5] == pytest.approx(w.title)  # the water-law article citing it
    assert gain[[6, 7, 8]] == pytest.approx(0.0)
    # 中华人民共和国水法 goes by 水法 too, but names under four characters are not looked for
    assert prior.mentioned("中华人民共和国水法第一条") == {"中华人民共和国水法"}
    # a notice whose "title" is its issuer is not named by a question mentioning that body
    assert not prior.mentioned("交通运输部管什么")


def test_the_lean_to_plans_or_laws_and_the_local_lead(prior):
    w = FusionWeights()
    plan = prior.bonus("今年有什么打算", None, False)
    assert plan[7] == pytest.approx(w.kind + w.local)  # the work plan (local too: not a national level)
    assert plan[6] == pytest.approx(0.0)  # a national law
    assert plan[7] - plan[6] == pytest.approx(w.kind + w.local)
    law = prior.bonus("不缴费会被罚款吗", None, False)
    assert law[6] == pytest.approx(w.kind)  # a national law: the lean only
    assert law[0] == pytest.approx(w.kind + w.local)  # a local regulation: the lean and the local lead


def test_a_follow_up_favours_the_cited_document_and_the_articles_next_to_the_cited_one(prior):
    w = FusionWeights()
    history = [Turn("供热企业要保证多少度？", ("heat#3",))]
    fresh = prior.bonus("那用户呢", history, False)
    follow = prior.bonus("那用户呢", history, True) - fresh
    assert follow[2] == pytest.approx(w.follow_doc)  # the cited article: its document only
    assert follow[[0, 1, 3, 4]] == pytest.approx(w.follow_doc + w.follow_near)  # within FOLLOW_NEAR_SPAN
    assert follow[5:] == pytest.approx(0.0)
    penalty = AnswerType("penalty", ("罚",), (re.compile("罚款"),))
    asked = prior.bonus("那用户呢", history, True, (penalty,)) - fresh
    assert asked[[0, 1, 3, 4]] == pytest.approx(w.follow_doc)  # a penalty is not looked for next to the duty


def test_cited_positions_and_unknown_references(prior):
    assert prior.cited_position("water#2") == 6
    assert prior.cited_position("water#9") is None and prior.cited_position("nodoc#1") is None
    assert prior.cited_position("water#x") is None
    assert not prior.near_cited(["water#9", "heat#x"]).any()


def test_the_parts_at_unit_weight_add_up_to_the_bonus(prior):
    w = FusionWeights()
    zero = FusionWeights(**{f: 0.0 for f in FusionWeights.__dataclass_fields__})
    history = [Turn("供热企业要保证多少度？", ("heat#3",))]
    q = "那供热条例今年呢"
    parts = sum(getattr(w, p) * prior.bonus(q, history, True, (), replace(zero, **{p: 1.0})) for p in PRIOR_PARTS)
    assert prior.bonus(q, history, True) == pytest.approx(parts)


def test_a_keyword_search_favours_the_clauses_printing_its_keywords_verbatim(prior):
    heat = _positions("heat")
    share = prior.verbatim("室温 不存在的词")  # 不存在的词 is printed nowhere: 室温 alone counts
    assert share[heat[2]] == 1.0 and share.sum() == 1.0
    assert prior.verbatim("供热 罚款")[heat[4]] == 0.5  # prints 罚款, not 供热
    assert not prior.verbatim("不存在的词").any()
    w = replace(FusionWeights(), **{p: 0.0 for p in PRIOR_PARTS if p != "verbatim"})
    assert prior.bonus("室温 不存在的词", None, False, (), w)[heat[2]] == pytest.approx(w.verbatim)
    # a question (it asks in words) is not a keyword search
    assert not prior.bonus("室温是多少度？", None, False, (), w).any()
