"""Unit tests of retrieval helpers that read a clause's structure."""

from __future__ import annotations

from policyqa.documents.structure import split_sentences
from policyqa.models import Clause, ClausePart
from policyqa.retrieval import HybridRetriever, _list_leads

TEXT = (
    "违反本条例规定，有下列行为之一的，责令限期改正，处以罚款；所得收益，用于共用部位的维修：\n"
    "（一）擅自改变公共建筑用途的；\n"
    "（二）擅自利用共用部位进行经营的。\n"
    "个人有前款规定行为之一的，处一千元以上一万元以下的罚款。"
)


def _clause() -> Clause:
    def part(kind: str, label: str, piece: str) -> ClausePart:
        start = TEXT.index(piece)
        return ClausePart(kind, label, start, start + len(piece))

    lines = TEXT.split("\n")
    parts = (
        part("paragraph", "", lines[0]),
        part("item", "（一）", lines[1]),
        part("item", "（二）", lines[2]),
        part("paragraph", "", lines[3]),
    )
    return Clause("d", 54, "第五十四条", "", "", "", TEXT, 0, len(TEXT), split_sentences(TEXT), parts=parts)


def test_an_item_is_read_with_the_sentence_that_introduces_its_list():
    clause = _clause()
    leads = _list_leads(clause)
    item = next(s for s in clause.sentences if s.text.startswith("（二）"))
    assert leads[item.start].endswith("用于共用部位的维修：")
    # sentences outside the list have no lead-in
    assert all(not s.text.startswith("个人") for s in clause.sentences if s.start in leads)


def test_the_best_sentence_counts_the_lead_in_words_for_an_item():
    # 收益 is in the lead-in, 经营 in item (二): together they are one sentence's words
    weights = {"收益": 1.0, "经营": 1.0}
    share, sentence = HybridRetriever.best_sentence(weights, (), _clause())
    assert share == 1.0 and sentence.text.startswith("（二）")


def test_a_clause_without_items_has_no_lead_ins():
    text = "供热单位应当保证室温。室温不低于二十摄氏度。"
    clause = Clause("d", 23, "第二十三条", "", "", "", text, 0, len(text), split_sentences(text))
    assert _list_leads(clause) == {}
