"""The direct lead (``policyqa.lead``): built only from the quotes, checked against them."""

import json
import re

import pytest

from policyqa.intent import asked_types
from policyqa.lead import direct_lead
from policyqa.models import Citation

from pqtest import ROOT, make_settings

LEAD_RE = re.compile(r"^简要回答：「(.+?)」\[(\d+)\]。")


def _citation(quote: str) -> Citation:
    return Citation(doc="宁夏回族自治区供热条例", doc_id="d", section="", clause=23, label="第二十三条", title="",
                    quote=quote, start=0, end=len(quote))


def test_a_figure_question_is_led_by_the_figure_in_the_quote():
    q = "供热期间卧室温度最低多少度"
    c = _citation("供热期间，供热单位应当保证居民热用户卧室、起居室温度不低于二十摄氏度，其他部位温度应当符合设计规范标准要求。")
    lead = direct_lead(q, asked_types(q), [c], {"供热": 1.0, "卧室": 1.0, "温度": 1.0, "最低": 1.0})
    assert lead == "简要回答：「供热单位应当保证居民热用户卧室、起居室温度不低于二十摄氏度」[1]。"


def test_no_lead_without_the_asked_figure_or_shared_words():
    q = "暖气费一平米多少钱"
    c = _citation("供热单位应当按照规定收取采暖费，不得擅自提高收费标准。")
    assert direct_lead(q, asked_types(q), [c], {"暖气费": 1.0, "一平米": 1.0}) == ""
    q = "房东能不能随便扣押金"
    c = _citation("出租人应当按照约定返还押金。")  # obliges, does not permit or forbid
    assert direct_lead(q, asked_types(q), [c], {"出租人": 0.7, "扣": 0.3, "押金": 1.0}) == ""


def test_a_printed_word_counts_once_when_fragments_compete():
    # the handed running-header case beside the shipped corpus: 住房公积金 holds 住房 and 公积金, so
    # 「职工连续足额缴存住房公积金满三个月」 does not outweigh 「提取周期最短为三个月」 three times over
    q = "租房提取公积金周期最短多长时间"
    first = _citation("租房提取额度按照实际房租支出确定，提取周期最短为三个月，职工可以通过线上渠道办理。")
    second = _citation("职工连续足额缴存住房公积金满三个月，本人及配偶在本市无自有住房且租赁住房的，可以申请提取住房公积金支付房租。")
    weights = {"租房": 1.0, "提取": 1.0, "公积": 1.0, "公积金": 1.0, "周期": 1.0, "住房": 0.7, "住房公积金": 0.7}
    assert direct_lead(q, asked_types(q), [first, second], weights) == "简要回答：「提取周期最短为三个月」[1]。"


@pytest.fixture(scope="module")
def kb_engine(tmp_path_factory):
    from policyqa.engine import QAEngine

    return QAEngine.load(make_settings(tmp_path_factory.mktemp("kb"), kb=True))


def test_every_lead_is_a_verbatim_piece_of_the_quote_it_cites(kb_engine):
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "kb_everyday_questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    led = 0
    for row in rows:
        a = kb_engine.ask(row["q"])
        m = LEAD_RE.match(a.answer)
        if not m:
            assert not a.answer.startswith("简要回答")
            continue
        led += 1
        fragment, marker = m.group(1), int(m.group(2))
        assert a.status == "answered" and fragment in a.citations[marker - 1].quote
        # nothing else in the lead: the rest of the answer is the attributed quotes
        assert a.answer[m.end():].startswith("根据《")
    assert led  # the set has figure and time-limit questions


def test_a_may_i_lead_reads_to_the_end_of_its_sentence():
    # cut at the comma, 「供热单位不得因部分热用户未支付采暖费」 would say something the article does not
    q = "邻居不交暖气费，供热单位能停我家的暖气吗"
    c = _citation("供热单位不得因部分热用户未支付采暖费，停止向其他热用户供热或者降低供热标准。")
    weights = {"供热单位": 1.0, "暖气费": 1.0, "采暖费": 0.7, "供热": 0.7}
    assert direct_lead(q, asked_types(q), [c], weights) == (
        "简要回答：「供热单位不得因部分热用户未支付采暖费，停止向其他热用户供热或者降低供热标准」[1]。")
    # a long sentence is led by its last piece, which completes it
    long = _citation("在城市人民政府规定的街道的临街建筑物的阳台和窗外以及城市道路两侧的建筑物外墙上，"
                     "未经批准的单位和个人不得堆放、吊挂有碍市容的物品。")
    q = "临街阳台外面能挂东西吗"
    assert direct_lead(q, asked_types(q), [long], {"阳台": 1.0, "临街": 1.0, "吊挂": 0.7, "物品": 0.7}) == (
        "简要回答：「未经批准的单位和个人不得堆放、吊挂有碍市容的物品」[1]。")


def test_a_word_straddling_two_printed_words_is_not_shared():
    from policyqa.segmentation import Segmenter

    q = "房东可以随便涨房租吗"  # 房租 is not in 住房|租赁合同
    c = _citation("出租人不得采取暴力、威胁或者其他非法方式迫使承租人解除住房租赁合同。")
    weights = {"房东": 1.0, "房租": 1.0, "出租人": 0.7, "租金": 0.7}
    assert direct_lead(q, asked_types(q), [c], weights)  # characters alone: 出租人 and 房租
    assert direct_lead(q, asked_types(q), [c], weights, Segmenter().found_as_words) == ""


def test_a_sanction_is_not_a_may_i_lead():
    q = "开发商把绿地改成楼，我们业主能不能管"
    c = _citation("无法采取改正措施消除影响的，限期拆除，不能拆除的，没收实物或者违法收入，可以并处建设工程造价百分之十以下的罚款。")
    assert direct_lead(q, asked_types(q), [c], {"开发商": 1.0, "建设工程": 0.7, "拆除": 0.7}) == ""


def test_a_short_piece_joins_the_piece_before_it_only_across_a_comma_and_never_as_a_premise():
    from policyqa.lead import _fragments

    assert "有防水要求的卫生间、房间和外墙面的防渗漏，为5年" in _fragments("有防水要求的卫生间、房间和外墙面的防渗漏，为5年。")
    # 有收益的 opens the next piece (所得收益用于…); it is not the end of the fine
    pieces = _fragments("给予警告，并处一万元以上十万元以下的罚款；有收益的，所得收益用于维修。")
    assert "并处一万元以上十万元以下的罚款" in pieces
    assert not any(p.endswith("；有收益的") for p in pieces)
    assert not any("。" in p for p in _fragments("保修期为两年。为5年"))


def test_a_reference_to_another_paragraph_is_not_a_figure():
    q = "物业公司擅自利用共用部位经营，能罚多少？"
    c = _citation("给予警告，并按照本条第二款的规定处以罚款。")
    assert direct_lead(q, asked_types(q), [c], {"罚款": 0.7, "物业公司": 1.0}) == ""


@pytest.mark.parametrize("question,party", [
    ("物业公司没经过业主同意，把电梯里的广告位租出去自己赚钱，对物业公司能罚多少？", "单位"),
    ("楼下邻居自己接泵抽水，对他个人能罚多少？", "个人"),
    ("那他一个人这么干，被查到罚多少？", "个人"),
    ("饭店私改燃气管道罚多少", "单位"),
    ("私改燃气管道罚多少", None),
])
def test_the_party_a_penalty_question_asks_about(question, party):
    from policyqa.lead import asked_party

    assert asked_party(question) == party


def test_a_penalty_split_by_party_leads_with_the_party_asked():
    quote = "个人有前款规定行为之一的，处一千元以上一万元以下的罚款；单位有前款规定行为之一的，处五万元以上二十万元以下的罚款。"
    weights = {"罚款": 0.7, "物业公司": 1.0}
    q = "对物业公司能罚多少？"
    assert direct_lead(q, asked_types(q), [_citation(quote)], weights) == "简要回答：「处五万元以上二十万元以下的罚款」[1]。"
    q = "对他个人能罚多少？"
    assert direct_lead(q, asked_types(q), [_citation(quote)], weights) == "简要回答：「处一千元以上一万元以下的罚款」[1]。"


def test_an_item_is_read_with_the_sentence_introducing_its_list_and_a_case_is_no_lead():
    quote = ("在正常使用条件下，建设工程的最低保修期限为：\n（一）基础设施工程，为设计文件规定的合理使用年限；\n"
             "（二）屋面防水工程、有防水要求的卫生间、房间和外墙面的防渗漏，为5年；\n（三）供热与供冷系统，为2个采暖期、供冷期。")
    q = "保修期是多久"
    # 保修期限 is printed in the introduction only; 防水 / 渗漏 come from the question before (a follow-up)
    weights = {"保修": 1.0, "保修期": 1.0, "保修期限": 0.7, "防水": 0.45, "渗漏": 0.45}
    assert direct_lead(q, asked_types(q), [_citation(quote)], weights) == (
        "简要回答：「屋面防水工程、有防水要求的卫生间、房间和外墙面的防渗漏，为5年」[1]。")  # without its label
    quote = "物业服务用房的配置应当符合下列规定：\n（一）建筑面积在五万平方米以内的，按不低于建筑总面积的千分之四配置，最少不低于一百二十平方米；"
    q = "物业用房最少得给多大？"
    lead = direct_lead(q, asked_types(q), [_citation(quote)], {"物业": 1.0, "用房": 1.0, "物业服务用房": 0.7})
    assert lead == "简要回答：「最少不低于一百二十平方米」[1]。"  # an area, and never the case 五万平方米以内的


def test_how_long_is_answered_by_a_length_of_time_not_by_the_word_period():
    (duration,) = [t for t in asked_types("保修期是多久") if t.name == "duration"]
    assert not duration.said("建设工程在保修范围和保修期限内发生质量问题的，施工单位应当履行保修义务。", "保修期是多久")
    assert duration.said("屋面防水工程的防渗漏，为5年。", "保修期是多久")
    assert duration.said("供热与供冷系统，为2个采暖期、供冷期。", "保修期是多久")


def test_a_follow_ups_carried_words_are_heavy_enough_to_share():
    from policyqa.lead import MIN_WORD_WEIGHT
    from policyqa.query import HISTORY_WEIGHT

    assert MIN_WORD_WEIGHT <= HISTORY_WEIGHT
