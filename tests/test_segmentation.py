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


# -- typo table (data/typos.txt) and the regulations' everyday words (data/synonyms.txt) -----------


@pytest.mark.parametrize(
    "question,meant,term",
    [("公祖房怎么申请", "公租房", "公共租赁住房"), ("公基金能取吗", "公积金", "住房公积金"),
     ("房东不退压金", "押金", None), ("暖器不热", "暖气", "供热"), ("天燃气怎么开户", "天然气", "燃气管网")],
)
def test_typos_are_corrected_and_then_expanded(seg, question, meant, term):
    e = seg.expand(question)
    assert meant in e.added
    assert term is None or term in e.added
    assert e.original == question  # the question itself is kept


def test_a_typo_is_reported_once_under_the_misspelling(seg):
    # one everyday phrase for the confidence model, not one for the typo and one for its synonym
    assert seg.expand("公祖房的收入线").matches == (("公祖房", ("公租房", "公共租赁住房")),)


@pytest.mark.parametrize("question", ["挤压金属", "最低包装标准", "家里天然气漏了"])
def test_typos_are_corrected_only_as_whole_words(seg, question):
    e = seg.expand(question)
    assert "押金" not in e.added and "低保" not in e.added  # 挤压|金属, 最低|包装
    assert not any(m[0] in {"然气", "压金", "低包"} for m in e.matches)  # 然气 inside 天然气


def test_extra_typo_file_extends_the_table(tmp_path):
    extra = tmp_path / "typos.txt"
    extra.write_text("# 注释\n公积精 => 公积金\n", encoding="utf-8")
    assert "住房公积金" in Segmenter(typos_file=extra).expand("公积精怎么提取").added


@pytest.mark.parametrize(
    "question,terms",
    [("邻居在楼顶加盖了一层", {"建设工程规划许可证", "屋面"}),
     ("小区里有违建", {"违反城乡规划"}),
     ("新房卫生间漏水", {"渗漏", "防水", "保修"}),
     ("保修期过了怎么办", {"保修期限"}),
     ("老人去世了公积金怎么办", {"死亡", "继承人"}),
     ("租房能用公积金吗", {"房租", "住房公积金"}),
     ("征收没谈好就停水停电", {"中断供水", "供电"}),
     ("阳台外面晾晒衣物", {"吊挂", "有碍市容"}),
     ("门口又在挖路", {"挖掘城市道路"}),
     ("收房时开发商该给什么", {"住宅质量保证书", "住宅使用说明书"}),
     ("业委会不作为", {"业主委员会"}),
     ("那房东要是直接把我东西扔出去呢", {"迫使承租人", "腾退"}),
     ("那不同意搬怎么办", {"补偿决定", "强制执行"}),
     ("隔壁工地打桩把我家墙震出裂缝了", {"毗邻", "安全防护措施"}),
     ("灶具用了十几年，管子老化了要换吗", {"燃气燃烧器具", "连接管", "使用年限"}),
     ("那搬家的费用谁出", {"搬迁费"}),
     ("房东自己开门进我租的屋子", {"擅自进入租赁住房"}),
     ("施工单位一直拖着不给修", {"拖延履行保修义务"}),
     ("新小区物业公司是谁来选的", {"选聘"}),
     ("租了个老破小没暖气，我能自己找人装暖气吗", {"拆改室内设施", "出租人同意"})],
)
def test_everyday_words_reach_the_regulations_terms(seg, question, terms):
    assert terms <= set(seg.expand(question).added)


def test_expansions_stay_precise(seg):
    leak = seg.expand("新买的房子漏水怎么办").added
    assert not any("漏损" in t for t in leak)  # 漏水 is not 漏损 (water-supply network losses)
    assert "最低生活保障" not in seg.expand("防水的最低保修期限").added  # 最低|保修 is not 低保
    assert "租金" not in seg.expand("租赁合同怎么备案").added  # nothing fires on a shared character


def test_a_phrase_on_several_lines_is_one_everyday_phrase(seg):
    matches = seg.expand("卫生间渗水了").matches  # 渗水 is listed under repairs and under warranty
    assert [m[0] for m in matches].count("渗水") == 1
    assert {"渗漏", "防水", "保修"} <= set(dict(matches)["渗水"])


def test_table_phrases_do_not_break_common_words_out_of_the_cut(seg):
    # every phrase is added to jieba's dictionary: one that ends in the half of a word cuts it apart
    assert "提取" in seg.words("能提取公积金吗")  # not 提|取公积金
    assert "提取" not in seg.expand("业主提出来的意见").added  # 提出 (raise) is not 提取 (withdraw)


def test_a_phrase_does_not_fire_inside_its_own_term_the_question_prints(seg):
    # 污水 => 污水处理 污水厂: a question saying 污水处理费 already uses the printed term, so 污水 is not
    # the everyday word there (and 污水厂 would steer it to the treatment plants)
    assert "污水" not in dict(seg.expand("哪些企业可以办理停征污水处理费").matches)
    assert "污水厂" in seg.expand("小区污水往外冒怎么办").added


def test_a_word_common_in_other_policy_texts_is_not_a_left_side(seg):
    # 复工 is every epidemic-era notice's word (resume work); the building law's sense is a site's
    assert not seg.expand("企业复工复产应做好什么准备").added
    assert {"恢复施工", "施工许可"} <= set(seg.expand("工地复工要办什么手续").added)


def test_words_held_as_words_not_straddling_two():
    from policyqa.segmentation import Segmenter

    seg = Segmenter()
    assert seg.found_as_words("职工可以提取住房公积金", ["公积金", "住房", "提取", "工可"]) == {"公积金", "住房", "提取"}
    assert seg.found_as_words("迫使承租人解除住房租赁合同", ["房租", "承租人", "合同"]) == {"承租人", "合同"}
    assert seg.found_as_words("文本", []) == set()


def test_a_figure_with_its_unit_is_expanded_by_a_pattern_line():
    from policyqa.segmentation import Segmenter

    seg = Segmenter()
    e = seg.expand("我家暖气才16度，正常吗？")
    assert ("16度", ("室内温度", "温度", "摄氏度")) in e.matches and "室内温度" in e.added
    assert not any(p == "2度电" for p, _ in seg.expand("一天用了2度电").matches)  # kilowatt-hours
    assert all(not p.startswith("re:") for p, _ in seg.synonyms)


def test_pattern_lines_from_an_extra_file(tmp_path):
    from policyqa.segmentation import Segmenter

    extra = tmp_path / "synonyms.txt"
    extra.write_text("re:\\d+平米 => 建筑面积\n", encoding="utf-8")
    e = Segmenter(synonyms_file=extra).expand("房子120平米")
    assert ("120平米", ("建筑面积",)) in e.matches


def test_a_plus_term_joins_the_query_word_by_word_and_counts_only_whole(tmp_path):
    from policyqa.retrieval import word_share
    from policyqa.segmentation import term_in, term_words

    extra = tmp_path / "synonyms.txt"
    extra.write_text("灯箱位 => 共用部位+经营\n", encoding="utf-8")
    e = Segmenter(synonyms_file=extra).expand("灯箱位出租")
    assert {"共用部位", "经营"} <= set(e.added) and "共用部位+经营" not in e.added
    assert ("灯箱位", ("共用部位+经营",)) in e.matches
    assert term_words("共用部位+经营") == ("共用部位", "经营") and term_words("出租") == ("出租",)
    item = "擅自利用物业共用部位、共用设施设备进行经营的"
    boilerplate = "所得收益用于物业共用部位、共用设施设备的维修、养护"
    assert term_in("共用部位+经营", item) and not term_in("共用部位+经营", boilerplate)
    assert word_share({"灯箱位": 1.0}, item, e.matches) == 1.0
    assert word_share({"灯箱位": 1.0}, boilerplate, e.matches) == 0.0


def test_the_lift_advertising_lines_need_the_business_word(seg):
    """广告位 means running a business on the common parts (宁夏物业条例 第五十四条(三)), not every
    article that spends proceeds on the common parts."""
    matches = dict(seg.expand("电梯里的广告位租出去赚钱").matches)
    assert all("经营" in term_words_of for term_words_of in matches["广告位"])
    assert "出租" in dict(seg.expand("把房子租出去").matches)["租出去"]
