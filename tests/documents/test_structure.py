"""Structure parser on the shipped work plan and on tricky snippets."""

import hashlib

import pytest

from policyqa.documents.structure import clause_title, parse_clauses, split_sentences
from policyqa.models import Document

from pqtest import CORPUS, WORK_PLAN


def doc_of(text: str, title: str = "测试文件") -> Document:
    return Document("t", title, "t.txt", text, hashlib.sha256(text.encode()).hexdigest())


@pytest.fixture(scope="module")
def plan():
    text = (CORPUS / f"{WORK_PLAN}.txt").read_text(encoding="utf-8").strip()
    return parse_clauses(doc_of(text, WORK_PLAN))


def test_work_plan_has_19_clauses_numbered_0_to_18(plan):
    assert [c.number for c in plan] == list(range(19))


def test_clause_zero_is_the_opening_paragraph(plan):
    c0 = plan[0]
    assert c0.title == "总体要求" and c0.section == ""
    assert c0.text.startswith("2022年全区住房城乡建设工作的总体要求是")


@pytest.mark.parametrize(
    "number,title,section",
    [
        (1, "强化思想政治建设", "一、全面加强党的建设"),
        (5, "完善住房保障体系", "二、提升住房工作水平"),
        (11, "大力发展绿色建筑", "五、推动“双碳”目标落实"),
        (14, "提升标准和勘察设计水平", "五、推动“双碳”目标落实"),
        (18, "加大干部队伍建设", "六、加强行政能力建设"),
    ],
)
def test_titles_and_sections(plan, number, title, section):
    c = plan[number]
    assert (c.title, c.section, c.label) == (title, section, f"{number}.")
    assert c.text.startswith(f"{number}.{title}。")  # heading and body stay together


def test_sentence_offsets_index_the_clause_text(plan):
    for c in plan:
        assert c.sentences
        for s in c.sentences:
            assert c.text[s.start : s.end] == s.text


def test_clause_offsets_index_the_document(plan):
    text = (CORPUS / f"{WORK_PLAN}.txt").read_text(encoding="utf-8").strip()
    for c in plan:
        assert text[c.start : c.end] == c.text


def test_references_are_extracted(plan):
    assert "关于加快发展保障性租赁住房的实施意见" in plan[5].references
    assert len(plan[14].references) >= 5
    assert plan[1].references == ()


def test_placeholders_are_kept_verbatim(plan):
    assert "年内新增五星级支部x—x个" in plan[2].text
    assert "xxxx套" in plan[5].text


def test_clause_marker_without_space_and_with_space_and_fullwidth_dot():
    text = "前言段落。\n一、总则\n1.第一条内容。细节。\n2. 第二条内容。\n3．第三条内容。"
    cs = parse_clauses(doc_of(text))
    assert [c.number for c in cs] == [0, 1, 2, 3]
    assert [c.title for c in cs[1:]] == ["第一条内容", "第二条内容", "第三条内容"]
    assert all(c.section == "一、总则" for c in cs[1:])


def test_decimal_numbers_are_not_clause_markers():
    cs = parse_clauses(doc_of("一、目标\n1.提高比例。\n1.5倍的目标写在正文里。"))
    assert len(cs) == 1 and "1.5倍" in cs[0].text


def test_regulation_articles_and_chapters():
    text = "第一章 总则\n第一条 为了规范管理，制定本办法。\n第二条 本办法适用于全区。\n第二章 附则\n第三条 本办法自发布之日起施行。"
    cs = parse_clauses(doc_of(text))
    assert [c.label for c in cs] == ["第一条", "第二条", "第三条"]
    assert [c.number for c in cs] == [1, 2, 3]  # no preamble → numbering starts at 1
    assert cs[2].section.startswith("第二章")


def test_subsections_become_clauses_when_no_finer_level():
    text = "一、总体要求\n（一）指导思想。坚持稳中求进。\n（二）基本原则。坚持以人为本。\n二、主要任务\n（一）加快建设。推进项目。"
    cs = parse_clauses(doc_of(text))
    assert [c.label for c in cs] == ["（一）", "（二）", "（一）"]
    assert [c.number for c in cs] == [1, 2, 3]
    assert cs[2].section == "二、主要任务"


def test_items_stay_inside_their_clause():
    text = "1.加强管理。包括：\n（1）建立台账；\n（2）定期检查。\n2.完善制度。"
    cs = parse_clauses(doc_of(text))
    assert len(cs) == 2 and "（2）定期检查" in cs[0].text


def test_document_without_headings_is_grouped_into_paragraph_clauses():
    text = "\n".join(["这是一个没有编号的段落，内容很长。" * 10] * 5)
    cs = parse_clauses(doc_of(text))
    assert len(cs) >= 2 and cs[0].number == 1


def test_title_line_equal_to_document_title_is_skipped():
    cs = parse_clauses(doc_of("测试文件\n一、总则\n1.内容。", title="测试文件"))
    assert [c.number for c in cs] == [1]


def test_split_sentences_keeps_closing_quotes():
    ss = split_sentences("坚持“房住不炒。”推进改造；加强管理！")
    assert [s.text for s in ss] == ["坚持“房住不炒。”", "推进改造；", "加强管理！"]


def test_clause_title_too_long_is_empty():
    assert clause_title("很" * 50 + "。") == ""
