"""The shipped knowledge base end to end (hash embedder): citations name the official article of
the text in force, each quote is attributed to its own document, staff filters by level/status."""

import json

import pytest

from policyqa.engine import QAEngine
from policyqa.models import Turn

from pqtest import ROOT, make_settings

SWITCH = ROOT / "tests" / "data" / "kb_switch_dialogues.jsonl"


@pytest.fixture(scope="module")
def kb_engine(tmp_path_factory):
    return QAEngine.load(make_settings(tmp_path_factory.mktemp("kb"), kb=True))


def test_answers_cite_the_official_article_of_the_text_in_force(kb_engine):
    a = kb_engine.ask("供热期间卧室最低温度是多少摄氏度")
    assert not a.refused
    c = a.citations[0]
    assert c.doc == "宁夏回族自治区供热条例" and c.version == "2025年修订" and c.status == "in_force"
    assert c.label == "第二十三条" and c.number == 23 and c.effective == "2025-11-01"
    assert "《宁夏回族自治区供热条例》第二十三条" in a.answer
    assert not c.quote.startswith("第二十三条")
    assert any("2011年" in n and "不再适用" in n for n in a.notes)
    # and what the 2011 text said, quoted with its article (the example: 18℃ until 2025-11-01)
    assert any("2011年文本第二十一条原规定：「" in n and "不得低于18℃" in n for n in a.notes)


def test_superseded_and_repealed_texts_do_not_answer(kb_engine):
    for q in ("城市供水条例 停止供水 批准", "供热期间卧室最低温度"):
        a = kb_engine.ask(q)
        assert all(c.status == "in_force" for c in a.citations)


def test_every_quote_names_its_own_document_in_the_answer_text(kb_engine):
    a = kb_engine.ask("物业服务企业 业主委员会 住房公积金 提取")
    for c in a.citations:
        assert c.reference() in a.answer


def test_documents_show_metadata_and_status(kb_engine):
    docs = {(d.title, d.version): d for d in kb_engine.documents()}
    old = docs[("宁夏回族自治区供热条例", "2011年")]
    assert old.status == "superseded" and old.status_since == "2025-11-01" and len(old.versions) == 2
    assert docs[("城市供水条例", "")].status == "repealed"


def test_staff_search_filters_by_level_and_status(kb_engine):
    hits = kb_engine.search("供热", status="superseded", limit=20)
    assert hits and all(h.status == "superseded" for h in hits)
    laws = kb_engine.search("建筑", level="法律", limit=20)
    assert laws and all(h.level == "法律" for h in laws)
    assert kb_engine.search("供热", status="已被修订")  # Chinese labels work too


def test_zhiyi_clause_is_addressable(kb_engine):
    c = kb_engine.clause(kb_engine.documents()[1].doc_id, 1)
    assert c.ref == "1"


def test_a_list_article_is_quoted_with_its_items(kb_engine):
    a = kb_engine.ask("退休了住房公积金能提取吗")
    quote = "".join(c.quote for c in a.citations if c.label == "第二十四条")
    assert "下列情形之一" in quote and "退休" in quote


def test_a_duration_question_quotes_the_time_limit(tmp_path):
    import shutil

    from pqtest import ROOT

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "ingestion" / "duration-question_老旧小区加装电梯办法.txt", corpus)
    engine = QAEngine.load(make_settings(tmp_path))
    a = engine.ask("加装电梯审查要多长时间？")
    assert not a.refused and a.citations[0].clause == 4 and "十个工作日内" in a.answer


def test_a_question_about_a_repealed_text_is_told_what_replaced_it(kb_engine):
    a = kb_engine.ask("《城市供水条例》现在还有效吗？")
    assert not a.refused
    assert any(c.doc == "供水条例" and c.label == "第五十条" for c in a.citations)
    assert any("《城市供水条例》已自2026年6月1日起由《供水条例》废止" in n for n in a.notes)


def test_an_answer_without_the_asked_detail_is_partial_and_says_so(kb_engine):
    a = kb_engine.ask("公积金贷款最多能贷多少万？")
    assert a.status == "partial" and a.missing == "具体数额或标准" and not a.refused
    assert a.answer.startswith("所收录的文件没有写明您问的具体数额或标准") and a.citations
    assert "12345" in a.answer
    full = kb_engine.ask("供热期间卧室温度最低是多少度？")
    assert full.status == "answered" and "二十摄氏度" in full.answer
    # which papers to hand in: the plan's rental-housing clause names none
    papers = kb_engine.ask("申请公租房需要提交哪些材料？")
    assert papers.status == "partial" and papers.missing == "需要提交或提供的具体材料"


def test_refused_answers_carry_the_refused_status(kb_engine):
    a = kb_engine.ask("明天银川下不下雪啊，要不要提前给车换防冻液？")
    assert a.refused and a.status == "refused"


def test_a_short_article_is_quoted_whole_without_its_label(kb_engine):
    # 第二十三条 of the heating regulation: the temperature and the condition around it, in full
    a = kb_engine.ask("供热期间卧室最低温度是多少摄氏度")
    c = a.citations[0]
    clause = kb_engine.clause(c.doc_id, c.number)
    body = clause.text[clause.sentences[0].start : clause.sentences[-1].end]
    assert len(body) <= 200 and c.quote == body and not c.quote.startswith("第")
    assert c.quote == clause.text[c.start : c.end]


def test_a_long_list_article_quotes_its_matching_items(kb_engine):
    # 第十八条 of 城镇燃气管理条例 lists what a gas company must not do; a question naming one of the
    # acts gets the introduction and that item, not just the first items
    a = kb_engine.ask("燃气公司要求燃气用户购买其指定的产品，这合法吗？")
    quotes = [c.quote for c in a.citations if c.doc == "城镇燃气管理条例" and c.number == 18]
    assert any("下列行为" in q for q in quotes) and any("指定的产品" in q for q in quotes)


def test_another_departments_topic_is_refused_with_whom_to_ask(kb_engine):
    a = kb_engine.ask("医保异地报销要准备哪些材料？")
    assert a.refused and a.status == "refused" and "医疗保障部门" in a.answer and "12345" in a.answer


def test_an_elliptical_follow_up_keeps_the_grounding_of_the_answer_before_it(kb_engine):
    from policyqa.models import Turn

    first = kb_engine.ask("开发商没拿到预售许可证就收钱卖房，归哪个部门管？")
    history = [Turn("开发商没拿到预售许可证就收钱卖房，归哪个部门管？",
                    tuple(f"{c.doc_id}#{c.clause}" for c in first.citations[:1]))]
    a = kb_engine.ask("那会罚多少？", history)
    assert a.citations and all(c.doc == first.citations[0].doc for c in a.citations[:1])
    off_topic = kb_engine.ask("那驾照换证呢？", history)
    assert off_topic.refused


def test_a_complete_new_question_starts_fresh_and_an_elliptical_one_leans_on_the_one_before(kb_engine):
    # the team-written dialogues: a complete question after an unrelated one (kind "switch", some
    # opening with 另外问一下 / 还有个问题) is not merged; 那…呢 and the like are
    rows = [json.loads(line) for line in SWITCH.read_text(encoding="utf-8").splitlines() if line.strip()]
    switches = [r for r in rows if r["kind"] == "switch"]
    elliptical = [r for r in rows if r["kind"] == "dialogue"]
    assert len(switches) >= 12 and len(elliptical) >= 8
    analyse = kb_engine.retriever.analyse
    for r in switches:
        a = analyse(r["turns"][-1], [Turn(r["turns"][0])])
        assert a.follow_up is False and not a.history_tokens and not a.previous, r["turns"][-1]
    for r in elliptical:  # 那…呢, or naming nothing specific (收费标准是谁定的？ 要是养了被发现会怎么处理？)
        assert analyse(r["turns"][-1], [Turn(r["turns"][0])]).follow_up is True, r["turns"][-1]
    a = analyse("那要是饭店这种单位私改呢？", [Turn("自己在家私改燃气管道，被燃气公司查到会罚吗？")])
    assert a.follow_up is True and "燃气" in a.history_tokens


def test_a_follow_up_that_asks_nothing_of_its_own_asks_what_the_previous_question_asked(kb_engine):
    analyse = kb_engine.retriever.analyse
    a = analyse("那要是饭店这种单位私改呢？", [Turn("自己在家私改燃气管道，被燃气公司查到会罚吗？")])
    assert [t.name for t in a.answer_types] == ["penalty"]
    assert not analyse("那要是饭店这种单位私改呢？").answer_types  # without history: nothing asked
    own = analyse("那光是提取呢，要多久？", [Turn("申请公积金贷款，交了材料中心多少天内给答复？")])
    assert [t.name for t in own.answer_types] == ["duration"]  # its own kind, not the previous one's


def test_a_follow_up_favours_the_articles_next_to_the_one_cited_before(kb_engine):
    from policyqa.fusion import W_FOLLOW_NEAR

    r = kb_engine.retriever
    doc_id = next(d.doc_id for d in kb_engine.store.documents if d.title == "住房公积金管理条例")
    near = r.prior.near_cited([f"{doc_id}#26"])
    number = {pos: r.store.clauses[pos].number for pos in range(len(near)) if near[pos]}
    assert sorted(number.values()) == [24, 25, 27, 28]  # within two articles, not 第二十六条 itself
    assert near[list(number)] == pytest.approx(W_FOLLOW_NEAR)
    assert not r.prior.near_cited([f"{doc_id}#999", "nodoc#1", f"{doc_id}#x"]).any()


def test_document_names_a_question_may_use():
    from policyqa.prior import _ORGANISATION, _short_title

    assert _short_title("宁夏回族自治区供热条例") == "供热条例"
    assert _short_title("中华人民共和国建筑法") == "建筑法"
    assert _short_title("城市市容和环境卫生管理条例") == "城市市容和环境卫生管理条例"
    # a notice whose "title" is its issuer is not named by a question mentioning that body
    assert _ORGANISATION.search("交通运输部") and _ORGANISATION.search("某市人民政府")
    assert not _ORGANISATION.search("住房公积金管理条例")


def test_a_topic_word_inside_a_longer_word_is_not_a_mention(kb_engine):
    # 《住房租赁条例》 speaks of 身份证明材料; that does not make 身份证 a housing topic
    a = kb_engine.ask("身份证丢了怎么补办")
    assert a.refused and "公安机关" in a.answer


def test_a_list_is_introduced_by_its_whole_introduction(kb_engine):
    # 城镇燃气管理条例 第四十九条: the penalties come before 构成犯罪的，依法追究刑事责任：
    a = kb_engine.ask("燃气用户擅自改装户内燃气设施会被怎么处罚")
    intro = [c.quote for c in a.citations if c.number == 49 and c.doc == "城镇燃气管理条例" and c.quote.endswith("：")]
    assert not intro or intro[0].startswith("违反本条例规定")


def test_an_article_whose_one_sentence_says_it_ranks_first(kb_engine):
    # 城镇燃气管理条例 第十五条 「国家对燃气经营实行许可证制度」 — not 第十八条, which only mentions 燃气经营者
    hits = kb_engine.retriever.retrieve("燃气经营 许可证制度", k=3).hits
    assert (hits[0].doc_title, hits[0].clause.number) == ("城镇燃气管理条例", 15)


def test_a_keyword_search_quotes_the_whole_article(kb_engine):
    # staff searching 移交资料 get 第二十四条 whole: its list of what is handed over, not one paragraph
    a = kb_engine.ask("物业服务企业 退出 移交资料")
    c = a.citations[0]
    assert (c.doc, c.number) == ("宁夏回族自治区物业管理条例", 24)
    assert "移交下列材料和财物" in c.quote and "（五）" in c.quote and not c.quote.startswith("第")


def test_a_list_after_another_sentence_of_its_article_keeps_its_items(kb_engine):
    # 第六条: 建设单位应当…配置物业服务用房。物业服务用房的配置应当符合下列规定：（一）…千分之四…
    a = kb_engine.ask("新建小区的物业服务用房要按多大比例配？")
    quotes = "".join(c.quote for c in a.citations if c.number == 6)
    assert "千分之四" in quotes and a.status == "answered"
    assert not any(c.quote.endswith("：") for c in a.citations)


def test_a_share_of_a_fee_answers_how_much_is_refunded(kb_engine):
    # 供热条例 第二十四条: 退还日标准采暖费的百分之五十 answers 暖气费…退多少 (a share, not a sum in 元)
    a = kb_engine.ask("温度不达标，这段时间的暖气费能退吗，退多少")
    assert a.status == "answered" and "百分之五十" in a.answer


def test_a_number_of_heating_seasons_answers_how_many_years(kb_engine):
    a = kb_engine.ask("新房的供热设施保修期是几年？")
    assert a.status == "answered" and "两个供热期" in a.answer


def test_a_question_about_when_a_period_starts_quotes_the_start(kb_engine):
    # 建设工程质量管理条例 第四十条: the list of minimum periods, and 保修期，自竣工验收合格之日起计算
    a = kb_engine.ask("防水保修5年，是从拿钥匙那天开始算吗？")
    assert not a.refused and "自竣工验收合格之日起计算" in a.answer


def test_a_glossary_article_answers_only_what_a_term_means(kb_engine):
    # 城镇燃气管理条例 第五十三条 (本条例下列用语的含义) names every term of the regulation
    def first(q):
        h = kb_engine.retriever.retrieve(q, k=3, docs=kb_engine.answer_docs).hits[0]
        return (h.doc_title, h.clause.number)

    assert first("燃气设施是指什么？") == ("城镇燃气管理条例", 53)
    assert first("今年政府有没有老燃气管网更新改造的计划？") != ("城镇燃气管理条例", 53)


def test_an_uncertain_best_article_is_given_as_partial_with_its_quotes(kb_engine):
    from policyqa.answering import UNCERTAIN_DETAIL, UNCERTAIN_LEAD
    from policyqa.confidence import Certainty

    question = "房东收了押金到期不退怎么办"
    sure = kb_engine.ask(question)
    saved = kb_engine.answerer.certainty
    try:
        kb_engine.answerer.certainty = Certainty(bias=-50.0, w_top=0.0, w_margin=0.0, threshold=0.5)
        unsure = kb_engine.ask(question)
        kb_engine.answerer.certainty = Certainty(bias=50.0, w_top=0.0, w_margin=0.0, threshold=0.5)
        certain = kb_engine.ask(question)
    finally:
        kb_engine.answerer.certainty = saved
    assert unsure.status == "partial" and unsure.answer.startswith(UNCERTAIN_LEAD) and unsure.missing == UNCERTAIN_DETAIL
    assert [c.quote for c in unsure.citations] == [c.quote for c in sure.citations] and not unsure.refused
    assert unsure.confidence < kb_engine.answerer.refusal_threshold
    assert certain.status == sure.status and certain.answer == sure.answer


def test_a_cited_form_or_contract_is_not_a_missing_document(kb_engine):
    from policyqa.documents.structure import is_document_title

    (dibao,) = [d for d in kb_engine.documents() if d.title == "城市居民最低生活保障条例"]
    assert "城市居民最低生活保障待遇审批表" in dibao.references
    assert "城市居民最低生活保障待遇审批表" not in dibao.missing_references
    assert not is_document_title("房屋买卖合同") and is_document_title("关于加快发展保障性租赁住房的实施意见")


def test_a_partial_answer_names_the_department_of_its_document(kb_engine):
    from types import SimpleNamespace

    from policyqa.intent import default_departments

    assert default_departments()["城市居民最低生活保障条例"] == "民政部门"
    contact = kb_engine.answerer._contact_for
    assert "或向当地民政部门咨询" in contact((SimpleNamespace(doc="城市居民最低生活保障条例"),))
    assert "住房和城乡建设主管部门" in contact((SimpleNamespace(doc="宁夏回族自治区供热条例"),)) and "12345" in contact(())


def test_the_act_a_procedure_question_names_is_searched(kb_engine):
    # 怎么申请: 申请 is what 城市居民最低生活保障条例 第七条 is about (申请享受…由户主…提出书面申请)
    hits = kb_engine.retriever.retrieve("低保怎么申请", k=3, docs=kb_engine.answer_docs).hits
    assert "申请" in kb_engine.retriever.analyse("低保怎么申请").weights
    assert ("城市居民最低生活保障条例", 7) in [(h.doc_title, h.clause.number) for h in hits]


def test_a_specific_value_the_article_leaves_to_another_body_is_partial(kb_engine):
    # 住房公积金管理条例 第十八条 states a floor (不得低于…5%) and leaves the specific ratio to the
    # 住房公积金管理委员会: asked for the specific (local) ratio, the answer says it is not written
    a = kb_engine.ask("我们这边单位给交公积金到底是按百分之几交的，宁夏的缴存比例具体是多少？")
    assert a.status == "partial" and a.missing == "具体数额或标准"
    assert any("具体缴存比例由住房公积金管理委员会拟订" in c.quote for c in a.citations)
    floor = kb_engine.ask("公积金缴存比例最低是多少？")  # the floor is what the article states
    assert floor.status == "answered" and "5%" in floor.answer


def test_a_question_after_a_things_classes_is_partial_when_the_quote_only_names_it(kb_engine):
    # the work plan names 「两次六分」 but never lists the six classes
    a = kb_engine.ask("村里推行的“两次六分”，到底是分哪六类？")
    assert a.status == "partial" and a.missing == "具体分类或组成"
    listed = kb_engine.ask("城市规划分为哪几类？")  # 城乡规划法 第二条: 分为总体规划和详细规划
    assert listed.status == "answered" and "分为总体规划和详细规划" in listed.answer


def test_a_provinces_article_stating_the_national_rule_leads(kb_engine):
    # 物业管理条例 第十条 and 宁夏回族自治区物业管理条例 第十二条 state the same rule (业主人数较少且经
    # 全体业主一致同意，决定不成立业主大会的…): the province's text is cited first
    hits = kb_engine.retriever.retrieve("业主人数较少，全体业主一致同意不成立业主大会的，由谁履行职责？", k=3,
                                        docs=kb_engine.answer_docs).hits
    assert hits[0].doc_title == "宁夏回族自治区物业管理条例" and hits[0].clause.number == 12
    named = kb_engine.retriever.retrieve("国务院《物业管理条例》规定业主人数较少且经全体业主一致同意，决定不成立业主大会的怎么办？",
                                         k=3, docs=kb_engine.answer_docs).hits
    assert named[0].doc_title == "物业管理条例"


def test_a_question_after_how_many_people_is_answered_by_a_share_of_them():
    from policyqa.intent import asked_types

    q = "需要多少户同意才行？"
    (amount,) = [t for t in asked_types(q) if t.name == "amount"]
    assert amount.said("业主人数较少且经全体业主一致同意，决定不成立业主大会的", q)
    assert amount.said("经20%以上的业主提议，业主委员会应当组织召开业主大会临时会议", "得有多少人牵头提出来？")
    assert not amount.said("业主大会应当代表和维护全体业主的合法权益", q)


def test_how_to_do_a_named_act_ranks_that_acts_procedure(kb_engine):
    # 怎么提取 is answered by the withdrawal procedure (住房公积金管理条例 第二十五条: 出具提取证明…申请提取),
    # not by another act's procedure (第十三条: 办理住房公积金缴存登记)
    a = kb_engine.ask("公积金怎么提取")
    assert a.citations[0].doc == "住房公积金管理条例" and a.citations[0].clause in (24, 25)


def test_whom_to_go_to_is_answered_by_the_sentence_naming_them(kb_engine):
    # 供热条例 第二十四条: 「热用户认为室内温度不达标的，可以向供热单位反映。」, not only who pays for the test
    a = kb_engine.ask("暖气不热找谁")
    assert any("可以向供热单位反映" in c.quote for c in a.citations)


def test_a_question_asking_which_papers_gets_the_list_of_them(kb_engine):
    # 宁夏回族自治区物业管理条例 第二十四条: the paragraph listing what is handed over, with its items
    a = kb_engine.ask("物业公司要退出小区，要交接什么资料")
    (quote,) = [c.quote for c in a.citations if c.clause == 24 and "移交下列材料和财物" in c.quote]
    assert "（一）" in quote
    text = next(cl.text for cl in kb_engine.store.clauses if cl.doc_id == a.citations[0].doc_id and cl.number == 24)
    assert quote in text  # still verbatim, one span


def test_a_question_asking_two_details_gets_each_from_the_articles_found(kb_engine):
    # 找谁 and 多少度: 第二十三条 states the temperature, 第二十四条 whom to tell
    a = kb_engine.ask("暖气不热找谁，屋里应该多少度")
    assert a.status == "answered"
    assert "二十摄氏度" in a.answer and "向供热单位反映" in a.answer


@pytest.mark.parametrize("first,follow_up,label", [
    ("房东不退押金怎么办", "那房东没跟我说一声就自己开门进我租的屋子呢？", "第九条"),  # was 第十条 of the turn before
    ("房子被征收补偿怎么算", "那搬家的费用谁出？", "第二十二条"),
])
def test_a_follow_up_on_a_new_point_of_the_same_regulation_leaves_the_article_before(kb_engine, first, follow_up, label):
    before = kb_engine.ask(first)
    a = kb_engine.ask(follow_up, [Turn(first, tuple(f"{c.doc_id}#{c.clause}" for c in before.citations))])
    assert not a.refused and a.citations[0].label == label


@pytest.mark.parametrize("question,doc,label", [
    ("新小区还没成立业主大会，物业公司是谁来选的？", "宁夏回族自治区物业管理条例", "第七条"),
    ("施工单位一直拖着不给修房子的质量问题，对施工单位能罚多少？", "建设工程质量管理条例", "第六十六条"),
    ("房子被征收，补偿款最少不能低于什么标准？", "国有土地上房屋征收与补偿条例", "第十九条"),
])
def test_newcomer_questions_answered_from_their_article(kb_engine, question, doc, label):
    a = kb_engine.ask(question)
    assert a.status == "answered" and (a.citations[0].doc, a.citations[0].label) == (doc, label)
