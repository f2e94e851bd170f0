"""Legal texts: official article numbers, 编/章/节 paths, 款/项 parts, the 目录 skipped — on every
document of the shipped knowledge base and on the ingestion cases (../shared/cases/ingestion)."""

import re
from pathlib import Path

import pytest

from policyqa.documents.loaders import load_corpus, load_document
from policyqa.documents.numbering import article_label, cn_to_int, int_to_cn
from policyqa.documents.structure import parse_clauses
from policyqa.models import Document

from pqtest import CORPUS

DATA = Path(__file__).resolve().parents[1] / "data" / "ingestion"
ARTICLE_HEAD = re.compile(r"(?m)^第[零〇一二三四五六七八九十百千]+条(?!之)")


@pytest.fixture(scope="module")
def kb():
    return load_corpus(CORPUS)


def test_every_shipped_regulation_numbers_its_articles_1_to_n(kb):
    regulations = [d for d in kb.documents if "regulations" in d.path]
    assert len(regulations) == 25
    for doc in regulations:
        clauses = parse_clauses(doc)
        numbers = [c.number for c in clauses if not c.sub]
        body_headings = len(ARTICLE_HEAD.findall(doc.text))
        assert numbers == list(range(1, len(numbers) + 1)), doc.title
        assert len(numbers) == body_headings, doc.title
        assert all(c.label == article_label(c.number, c.sub) for c in clauses)


@pytest.mark.parametrize("n", [1, 9, 10, 11, 20, 23, 99, 100, 101, 110, 123])
def test_chinese_numerals_round_trip(n):
    assert cn_to_int(int_to_cn(n)) == n


def test_heating_article_23_is_cited_by_its_official_number(kb):
    doc = next(d for d in kb.documents if d.version == "2025年修订")
    c = next(c for c in parse_clauses(doc) if c.number == 23)
    assert c.label == "第二十三条" and c.section == "第三章\u3000供热与用热"
    assert "不低于二十摄氏度" in c.text
    assert not c.sentences[0].text.startswith("第二十三条")  # quotes never start with the label


def test_toc_is_skipped_and_chapters_read_naturally(kb):
    doc = next(d for d in kb.documents if d.version == "2025年修订")
    clauses = parse_clauses(doc)
    assert clauses[0].number == 1 and clauses[0].section == "第一章\u3000总则"
    assert "目" not in clauses[0].text[:2]


def test_items_stay_inside_their_article(kb):
    doc = next(d for d in kb.documents if d.title == "住房公积金管理条例")
    c24 = next(c for c in parse_clauses(doc) if c.number == 24)
    items = [p for p in c24.parts if p.kind == "item"]
    assert [p.label.strip("()（）") for p in items][:2] == ["一", "二"]  # printed （一） or (一)
    assert c24.text[items[0].start : items[0].end].startswith(items[0].label)


def test_zhiyi_article_is_its_own_article_after_its_base():
    clauses = parse_clauses(load_document(DATA / "article-zhiyi_物业管理条例节选.txt"))
    assert [(c.number, c.sub, c.label) for c in clauses] == [
        (10, 0, "第十条"), (11, 0, "第十一条"), (11, 1, "第十一条之一"), (12, 0, "第十二条")]
    assert clauses[2].ref == "11-1" and clauses[2].sentences[0].text.startswith("业主委员会委员不得")


def test_spaced_article_and_chapter_numbers_parse():
    clauses = parse_clauses(load_document(DATA / "spaced-article-numbers_物业服务管理办法.txt"))
    assert [c.number for c in clauses] == [1, 2, 3, 4, 5, 6]
    assert len({c.section for c in clauses}) == 3
    assert clauses[3].section == "第二章 业主大会" and clauses[3].label == "第4条"  # as printed: 第 4 条


def test_fullwidth_plan_numbers_parse():
    text = "一、申请条件\n１．申请人应连续缴纳社会保险满１２个月。\n２．申请人无自有住房。"
    clauses = parse_clauses(Document("t", "t", "t.txt", text, "x"))
    assert [c.number for c in clauses] == [1, 2]


def test_plan_numbering_restarting_per_section_falls_back_to_ordinals():
    text = "一、甲\n1.第一项工作。\n2.第二项工作。\n二、乙\n1.第三项工作。"
    clauses = parse_clauses(Document("t", "t", "t.txt", text, "x"))
    assert [c.number for c in clauses] == [1, 2, 3]
