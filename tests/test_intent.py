"""Question cues: plan vs law lean, elliptical follow-ups (data/question_cues.txt)."""

import pytest

from policyqa.intent import default_cues, parse_cues


@pytest.mark.parametrize(
    "question,kind",
    [
        ("今年政府有没有打算整治供热不达标？", "plan"),
        ("物业公司把广告位租出去，能罚多少？", "law"),
        ("公租房", ""),
    ],
)
def test_document_kind(question, kind):
    assert default_cues().document_kind(question) == kind


def test_elliptical_questions_lean_on_the_previous_one():
    cues = default_cues()
    knows = lambda q: "公积金" in q  # noqa: E731 - the corpus knows only 公积金 here
    assert cues.is_elliptical("那我要是一直租房住呢？", knows)
    assert cues.is_elliptical("交上去以后多久能批？", knows)  # names nothing the corpus knows
    assert not cues.is_elliptical("租房可以提取公积金吗？", knows)  # complete: starts fresh


def test_cue_file_format():
    cues = parse_cues(["# comment", "[plan]", "今年", "[law]", "罚款 # inline", "[unknown]", "x", "[new_topic]", "另外问一下",
                       "[generic]", "收费标准"])
    assert cues.plan == ("今年",) and cues.law == ("罚款",) and cues.elliptical == ()
    assert cues.new_topic == ("另外问一下",) and cues.generic == frozenset({"收费标准"})
    assert "收费标准" in default_cues().generic and "供热" not in default_cues().generic


def test_an_opening_that_announces_a_new_question_is_set_aside():
    cues = default_cues()
    knows = lambda q: "供热" in q or "用热" in q  # noqa: E731
    # 另外 alone opens a follow-up; 另外问一下 announces a question judged on its own
    assert not cues.is_elliptical("另外问一下，热用户想停止用热要提前多久申请？", knows)
    assert not cues.is_elliptical("还有个问题：供热单位能不能随便停暖？", knows)
    assert cues.is_elliptical("另外问一下，那个呢？", knows)
    assert cues.is_elliptical("另外问一下，要多久？", knows)  # names nothing, asks a detail
    assert cues.is_elliptical("另外，用热的呢？", knows)


def test_answer_types_from_the_data_file():
    from policyqa.intent import asked_types

    names = lambda q: {t.name for t in asked_types(q)}  # noqa: E731
    assert "duration" in names("加装电梯审查要多长时间？")
    assert "amount" in names("公积金缴存比例最低是多少？")
    assert "penalty" in names("对物业公司能罚多少？")
    duration = next(t for t in asked_types("要多久") if t.name == "duration")
    assert duration.said("街道办事处应当在十个工作日内组织审查") and not duration.said("加装电梯的业主可以提取公积金")


def test_a_new_topic_that_names_nothing_known_is_not_a_follow_up():
    cues = default_cues()
    assert not cues.is_elliptical("今天天气怎么样", lambda q: False)


def test_a_question_asking_in_a_unit_is_answered_only_in_that_unit():
    from policyqa.intent import asked_types

    (amount,) = [t for t in asked_types("暖气费一平米收多少钱？") if t.name == "amount"]
    assert not amount.said("按照供热面积的百分之三十收取", "暖气费一平米收多少钱？")  # a share, not a price
    assert amount.said("每平方米二十五元", "暖气费一平米收多少钱？")
    assert amount.said("按照供热面积的百分之三十收取")  # without a unit asked any figure counts
    (people,) = [t for t in asked_types("一个单间最多能住几个人？") if t.name == "amount"]
    assert not people.said("单间租住人数上限由设区的市人民政府规定", "一个单间最多能住几个人？")
    (days,) = [t for t in asked_types("业主大会要提前几天通知？") if t.name == "duration"]
    assert days.said("应当于会议召开15日以前通知全体业主", "业主大会要提前几天通知？")
    assert not days.said("应当在合同期限届满前书面通知", "业主大会要提前几天通知？")


def test_a_part_ending_in_ne_makes_a_follow_up():
    from policyqa.intent import default_cues

    cues = default_cues()
    assert cues.is_elliptical("要是测出来真不达标呢，钱怎么算？", lambda q: True)
    assert not cues.is_elliptical("房东不退押金怎么办？", lambda q: True)


def test_other_departments_topics_are_data():
    from policyqa.intent import default_other_topics, parse_other_topics

    assert default_other_topics().found("身份证丢了在哪补办？") == ("身份证", "公安机关")
    assert default_other_topics().found("公租房怎么申请？") is None
    parsed = parse_other_topics(["# comment", "护照 => 出入境", "签证"])
    assert parsed.found("办签证") == ("签证", "") and parsed.found("护照丢了") == ("护照", "出入境")


def test_a_share_of_a_fee_or_a_count_of_heating_seasons_is_in_the_unit_asked():
    from policyqa.intent import asked_types

    q = "暖气不热，这段时间的暖气费能退多少？"
    (amount,) = [t for t in asked_types(q) if t.name == "amount"]
    assert amount.said("供热单位应当按日向热用户退还日标准采暖费的百分之五十", q)
    q = "暖气设施保修管几年？"
    (years,) = [t for t in asked_types(q) if t.name == "duration"]
    assert years.said("供热设施的保修期为两个供热期", q) and not years.said("保修期内由建设单位负责维护", q)


def test_a_scope_question_is_answered_by_the_scope_article():
    from policyqa.intent import asked_types

    q = "农村的自来水也归供水条例管吗？"
    (scope,) = [t for t in asked_types(q) if t.name == "scope"]
    assert scope.said("从事供水工作、使用供水及其相关管理活动，适用本条例。")
    assert not scope.said("县级以上地方人民政府应当采取措施，推动农村供水规范化建设")


def test_a_vague_number_does_not_ask_for_one():
    from policyqa.intent import asked_types

    names = lambda q: {t.name for t in asked_types(q)}  # noqa: E731
    assert "duration" not in names("小区交房好几年了一直没有业主大会，什么条件下开发商该申请成立？")
    assert "amount" not in names("有十几户业主不交物业费，物业公司能怎么办？")
    assert "duration" in names("暖气设施保修管几年？") and "amount" in names("一个单间最多能住几个人？")


def test_where_to_look_and_how_far_are_details_asked():
    from policyqa.intent import asked_types

    q = "水质检测报告在哪个网站能查到？"
    (contact,) = [t for t in asked_types(q) if t.name == "contact"]
    assert not contact.said("供水单位应当按照规定公开水质信息") and contact.said("可登录 https://zjt.nx.gov.cn 查询")
    q = "暖气管道的安全保护距离是几米？"
    (amount,) = [t for t in asked_types(q) if t.name == "amount"]
    assert amount.said("管道两侧各五米范围内", q) and not amount.said("在供热设施安全保护范围内不得建设建筑物", q)


def test_the_most_specific_kind_asked_comes_first():
    from policyqa.intent import asked_types

    names = [t.name for t in asked_types("低保申请被驳回了，我觉得条件够，不服的话怎么办？")]
    assert names[0] == "remedy" and "procedure" in names
    assert asked_types("物业费一平米最多能收多少？")[0].name == "amount"


def test_a_question_for_a_technical_standard_is_answered_by_a_cited_standard():
    from policyqa.intent import asked_types

    (std,) = [t for t in asked_types("新房墙面开裂，有没有专门的标准管这个？") if t.name == "standard"]
    assert std.said("发布实施《xx住宅工程渗漏、裂缝常见问题防治技术标准》")
    assert not std.said("建设单位应当按照合同约定支付工程款")


def test_a_threshold_sentence_states_a_condition_and_everyday_permission_cues_ask():
    from policyqa.intent import asked_types

    (condition,) = [t for t in asked_types("什么条件下开发商就该申请成立业主大会？") if t.name == "condition"]
    assert condition.said("交付业主的专有部分建筑面积达到建筑总面积百分之五十以上的，建设单位应当…书面申请成立业主大会")
    assert not condition.said("业主大会应当代表和维护全体业主的合法权益")
    assert "permission" in {t.name for t in asked_types("自己扯根线多接几个插座，这样行不行")}
    # an asks: pattern — 能/可以 … 吗 with a few words between
    assert "permission" in {t.name for t in asked_types("燃气热水器能装在浴室里吗")}
    assert "permission" not in {t.name for t in asked_types("燃气热水器装在哪里")}


def test_a_question_asking_which_papers_is_answered_by_a_sentence_naming_papers_handed_over():
    from policyqa.intent import asked_types

    types = asked_types("交房的时候开发商要给我哪些文件？")
    assert types and types[0].name == "documents"
    kind = types[0]
    assert kind.said("房地产开发企业应当在商品房交付使用时，向购买人提供住宅质量保证书和住宅使用说明书。")
    # 交付 (the house handed over) and a paper named after a comma are not papers handed over
    assert not kind.said("房地产开发企业预售商品房，应当已交付全部土地使用权出让金，取得土地使用权证书。")


def test_who_pays_is_said_by_the_payer_and_a_floor_by_what_it_is_measured_against():
    from policyqa.intent import asked_types

    q = "那搬家的费用谁出？"
    (who,) = [t for t in asked_types(q) if t.name == "authority"]
    assert who.said("因征收房屋造成搬迁的，房屋征收部门应当向被征收人支付搬迁费。", q)
    assert not who.said("就补偿方式、补偿金额和支付期限等事项，订立补偿协议。", q)
    q = "房子被征收，补偿款最少不能低于什么标准？"
    (amount,) = [t for t in asked_types(q) if t.name == "amount"]
    assert amount.said("对被征收房屋价值的补偿，不得低于房屋征收决定公告之日被征收房屋类似房地产的市场价格。", q)
