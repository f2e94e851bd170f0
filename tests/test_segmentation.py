import pytest

from policyqa.segmentation import Segmenter


@pytest.fixture(scope="module")
def seg():
    return Segmenter()


def test_policy_terms_are_kept_whole(seg):
    toks = seg.cut("全区筹集和新建保障性租赁住房")
    assert "保障性租赁住房" in toks
    assert "海绵城市" in seg.cut("建成一批海绵城市项目")


def test_stopwords_and_punctuation_removed(seg):
    toks = seg.cut("请问，公租房怎么申请呢？")
    assert "请问" not in toks and "？" not in toks and "公租房" in toks


@pytest.mark.parametrize(
    "question,term",
    [("保租房是给谁的", "保障性租赁住房"), ("公租房排队", "公共租赁住房"), ("棚改", "棚户区改造"),
     ("公积金", "住房公积金"), ("暖气不热", "供热"), ("期房", "预售"), ("臭水沟", "黑臭水体")],
)
def test_synonyms_expand_everyday_words(seg, question, term):
    assert term in seg.expand(question).added


def test_extra_synonym_file_extends_the_table(tmp_path):
    extra = tmp_path / "syn.txt"
    extra.write_text("# 注释\n电梯加装 => 老旧小区改造\n坏行\n", encoding="utf-8")
    seg = Segmenter(synonyms_file=extra)
    assert "老旧小区改造" in seg.expand("电梯加装补贴").added


def test_latin_is_lower_cased(seg):
    assert "bim" in "".join(seg.cut("推广BIM技术"))


def test_index_terms_are_the_same_cut_whole_or_sentence_by_sentence(seg):
    import functools
    from collections import Counter

    text = "一、总体要求\n全年筹集保障性租赁住房x万套；推进老旧小区改造。加快建设海绵城市！APP 办理？是的"
    whole = seg.cut(text) + ["#" + g for g in seg.bigrams(text)]
    assert Counter(seg.index_terms(text)) == Counter(whole)
    assert Counter(seg.index_terms(text, functools.lru_cache(seg.sentence_terms))) == Counter(whole)  # memoised


def test_synonyms_do_not_fire_on_a_fragment_across_two_words():
    seg = Segmenter()
    assert "最低生活保障" not in seg.expand("建设工程最低保修期限是多久").added  # 最低|保修, not 低保
    assert "最低生活保障" in seg.expand("我家是低保户，暖气费有补贴吗").added  # the word 低保(户)
    assert "漏损率" not in seg.expand("新买的房子漏水怎么办").added
