"""Shared text handling: paragraphs for a document on one line, the title from the first line."""

from __future__ import annotations

import pytest

from policyqa.documents.loaders import load_bytes, restore_paragraphs
from policyqa.documents.loaders.text import cn_number, title_from_text

NOTICE = (
    "关于做好住房保障工作的通知各区住房城乡建设局：为做好住房保障工作，现将有关事项通知如下。一、加强组织领导。"
    "各区要高度重视，统一、规范推进，做到应保尽保、动态管理、公开公平，切实解决困难群众住房问题。（一）明确责任。"
    "1.建立台账。2.定期调度，每年3、6、9月报送。（二）强化保障。1.落实资金。二、严格监督考核。"
)


def test_one_line_document_breaks_before_its_numbering():
    assert restore_paragraphs(NOTICE).split("\n") == [
        "关于做好住房保障工作的通知各区住房城乡建设局：为做好住房保障工作，现将有关事项通知如下。",
        "一、加强组织领导。各区要高度重视，统一、规范推进，做到应保尽保、动态管理、公开公平，切实解决困难群众住房问题。",
        "（一）明确责任。",
        "1.建立台账。",
        "2.定期调度，每年3、6、9月报送。",  # 3、6、9 inside a sentence stay
        "（二）强化保障。",
        "1.落实资金。",  # numbering restarts under a new heading
        "二、严格监督考核。",
    ]


def test_one_line_regulation_breaks_before_chapters_and_articles_but_keeps_items_and_references():
    text = (
        "某省物业管理条例第一章总则第一条为了规范物业管理活动，制定本条例。第二条本条例适用于本省，依照第三条规定执行。"
        "第三条统一、规范管理。第三条之一业主不得违法。第二章业主第四条业主享有下列权利：1.参加会议；2.提出建议。"
    )
    assert restore_paragraphs(text).split("\n") == [
        "某省物业管理条例",
        "第一章总则",
        "第一条为了规范物业管理活动，制定本条例。",
        "第二条本条例适用于本省，依照第三条规定执行。",  # a reference inside a sentence
        "第三条统一、规范管理。",
        "第三条之一业主不得违法。",
        "第二章业主",
        "第四条业主享有下列权利：1.参加会议；2.提出建议。",  # items stay in their article
    ]


def test_full_width_numbering_on_one_line():
    text = ("某市住房租赁补贴发放办法一、申请条件１．申请人应在本市连续缴纳社会保险满１２个月。"
            "２．申请人在本市无自有住房。二、补贴标准３．补贴标准为每户每月６００元，自２０２４年１月１日起执行。")
    assert restore_paragraphs(text).split("\n") == [
        "某市住房租赁补贴发放办法",
        "一、申请条件",
        "１．申请人应在本市连续缴纳社会保险满１２个月。",
        "２．申请人在本市无自有住房。",
        "二、补贴标准",
        "３．补贴标准为每户每月６００元，自２０２４年１月１日起执行。",
    ]


def test_text_without_numbering_or_with_line_breaks_is_left_alone():
    prose = "本通知自发布之日起施行，各地要结合实际认真贯彻落实，确保各项政策措施落到实处、取得实效。" * 3
    assert restore_paragraphs(prose) == prose
    assert restore_paragraphs("一、总体要求\n1.第一条。2.第二条。" * 5) == "一、总体要求\n1.第一条。2.第二条。" * 5
    assert restore_paragraphs("短文本。1.内容。") == "短文本。1.内容。"


@pytest.mark.parametrize(("text", "n"), [("一", 1), ("十", 10), ("十一", 11), ("二十三", 23), ("一百零五", 105), ("105", 105),
                                         ("两", 2), ("第", None)])
def test_cn_number(text, n):
    assert cn_number(text) == n


@pytest.mark.parametrize(
    ("stem", "text", "title"),
    [
        ("title-line_租赁补贴办法", "某市住房租赁补贴发放办法\n一、申请条件", "某市住房租赁补贴发放办法"),
        ("宁夏回族自治区供热条例（2025年修订）", "宁夏回族自治区供热条例\n（2011年通过）", "宁夏回族自治区供热条例"),
        ("x", "某省物业管理条例（节选）\n第十条 内容。", "某省物业管理条例（节选）"),
        ("x", "《住房租赁条例》\n第一章 总则", "住房租赁条例"),
        ("traditional_長者住屋津貼計劃", "長者住屋津貼計劃申請須知\n一、申請資格", "長者住屋津貼計劃申請須知"),
        ("住房保障通知", "住房保障\n正文。", "住房保障通知"),  # not a document's name: the file name stays
        ("工作要点", "2022年全区住房城乡建设工作的总体要求是：深入贯彻。\n一、总体", "工作要点"),  # a sentence
        ("办法", "一、申请条件\n1.内容。", "办法"),  # a heading
        ("scan_001", "住房保障工作\n正文。", "住房保障工作"),  # the file name names nothing
        ("办法", "某市住房租赁补贴发放办法", "办法"),  # no body under it
        ("供热条例", "目录\n第一章 总则", "供热条例"),  # a table of contents is not a title
        ("会议通知", "通知\n各单位：", "会议通知"),
    ],
)
def test_title_from_text(stem, text, title):
    assert title_from_text(stem, text) == title


def test_title_line_is_not_left_in_a_clause():
    from policyqa.documents.structure import parse_clauses

    doc = load_bytes("title-line_租赁补贴办法.txt", "某市住房租赁补贴发放办法\n一、申请条件\n1.申请人无自有住房。".encode())
    assert doc.title == "某市住房租赁补贴发放办法"
    assert all("发放办法" not in c.text for c in parse_clauses(doc))


def test_a_bare_numbered_list_on_one_line_stays_one_paragraph():
    faq = "1、尽量不要开车出门。2、打开前后雾灯，如果没有雾灯，可开近光灯，但别开远光灯。3、控制车速，与前车保持足够的制动距离，慢速行驶。"
    assert restore_paragraphs(faq) == faq  # an FAQ answer: one passage
    items = "（一）土地登记由国土资源部门负责，林地的登记由林业主管部门负责。（二）当事人应当向土地所在地的主管部门提出申请，并提交材料。"
    assert restore_paragraphs(items) == items


def test_a_titled_numbered_list_on_one_line_is_split():
    text = ("【冬季电器取暖注意事项】1、注意选购合格产品，所购买的取暖电器一定要获得认证；"
            "2、注意工作时间不可过长，睡觉时要断电；3、注意放在不易碰触的地方，远离可燃物，更不能靠近易燃、易爆物品。")
    assert restore_paragraphs(text).split("\n") == [
        "【冬季电器取暖注意事项】",
        "1、注意选购合格产品，所购买的取暖电器一定要获得认证；",
        "2、注意工作时间不可过长，睡觉时要断电；",
        "3、注意放在不易碰触的地方，远离可燃物，更不能靠近易燃、易爆物品。",
    ]
