"""What a superseded text said on the point quoted from the text in force (``policyqa.former``)."""

from policyqa.documents.structure import split_sentences
from policyqa.former import FormerTexts
from policyqa.models import Clause


def _clause(doc: str, number: int, label: str, text: str) -> Clause:
    return Clause(doc, number, label, "", "", "", text, 0, len(text), split_sentences(text))


OLD = [
    _clause("old", 21, "第二十一条", "供热期间，居民用户卧室、起居室温度不得低于18℃，其他部位温度应当符合设计规范标准要求。"),
    _clause("old", 22, "第二十二条", "违反本条例规定，业主、物业使用人有下列行为之一的，由主管部门责令限期改正，并可以给予处罚；"),
    _clause("old", 30, "第三十条", "热用户应当按时交纳采暖费。"),
]


def test_the_counterpart_is_the_old_sentence_sharing_most_of_the_quoted_one():
    former = FormerTexts(OLD)
    new = "供热期间，供热单位应当保证居民热用户卧室、起居室温度不低于二十摄氏度，其他部位温度应当符合设计规范标准要求。"
    found = former.counterpart(new, "old")
    assert found is not None and found.clause.label == "第二十一条" and "18℃" in found.sentence


def test_no_counterpart_for_the_same_words_a_list_introduction_or_another_text():
    former = FormerTexts(OLD)
    assert former.counterpart("热用户应当按时交纳采暖费。", "old") is None  # said the same
    intro = "违反本条例规定，有下列行为之一的，由主管部门责令限期改正，给予警告，并按照本条第二款的规定处以罚款；"
    assert former.counterpart(intro, "old") is None
    assert former.counterpart("城市供水单位应当保证城市供水水质符合国家规定的饮用水卫生标准。", "old") is None
    assert former.counterpart("供热期间卧室温度不低于二十摄氏度。", "missing") is None
