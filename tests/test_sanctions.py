"""The acts a penalty article sanctions (``policyqa.sanctions``)."""

from policyqa.documents.structure import split_sentences
from policyqa.models import Clause, ClausePart
from policyqa.sanctions import SanctionedActs
from policyqa.segmentation import Segmenter

SEG = Segmenter()


def _clause(number: int, text: str, items: tuple[str, ...] = ()) -> Clause:
    parts = tuple(ClausePart("item", "", text.index(i), text.index(i) + len(i)) for i in items)
    return Clause("d", number, f"第{number}条", "", "", "", text, 0, len(text), split_sentences(text), parts=parts)


def _acts(cut=SEG.cut):
    return SanctionedActs(cut, lambda w: 1.0)  # every word weighs the same


def test_the_act_of_a_sanction_sentence_and_of_list_items():
    acts = _acts()
    clause = _clause(53, "违反本条例规定，未经业主大会同意，物业服务企业擅自改变物业服务用房的用途的，由主管部门责令限期改正，并处一万元以上十万元以下的罚款。")
    (act,) = acts.of(clause)
    words = {w for w, _ in act[0]}
    assert "用途" in words and "罚款" not in words and "违反" not in words  # the act, not its sanction
    item = "（三）擅自利用物业共用部位、共用设施设备进行经营的。"
    listed = _clause(54, "违反本条例规定，有下列行为之一的，由主管部门责令限期改正，处以罚款：\n" + item, (item,))
    asked = {"共用部位", "共用设施设备", "经营", "物业"}
    assert acts.share(asked, listed) > 0.3 > acts.share(asked, clause)  # every word at the same IDF here


def test_an_article_that_sanctions_nothing_has_no_acts_and_each_clause_is_read_once():
    calls = []

    def cut(text):
        calls.append(text)
        return SEG.cut(text)

    acts = _acts(cut)
    item = "（一）管道燃气经营者临时调整供气量的；"
    plain = _clause(21, "有下列情况之一的，燃气管理部门应当采取措施，保障燃气用户的正常用气：\n" + item, (item,))
    assert acts.of(plain) == () and acts.share({"燃气"}, plain) == 0.0 and not calls
    fined = _clause(49, "违反本条例规定，燃气用户擅自改装燃气设施的，由燃气管理部门责令限期改正。")
    acts.of(fined)
    acts.of(fined)
    assert len(calls) == 1
