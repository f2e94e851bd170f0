"""Document metadata read from the texts, staff overrides, and validity as of a date."""

import datetime as dt

import pytest

from policyqa.documents.loaders import load_bytes, load_corpus
from policyqa.documents.validity import compute_validity

from pqtest import CORPUS


@pytest.fixture(scope="module")
def kb():
    return load_corpus(CORPUS).documents


def by(kb, title, version=""):
    return next(d for d in kb if d.title == title and d.version == version)


def test_title_comes_from_the_text_and_the_file_suffix_is_the_version(kb):
    d = by(kb, "宁夏回族自治区供热条例", "2025年修订")
    assert d.level == "地方性法规" and d.effective == "2025-11-01"
    assert d.issuer == "宁夏回族自治区人民代表大会常务委员会"
    assert "2025-09-29 修订" in d.history


def test_levels_numbers_and_repeals_are_read(kb):
    assert by(kb, "中华人民共和国建筑法").level == "法律"
    fund = by(kb, "住房公积金管理条例")
    assert fund.level == "行政法规" and fund.number == "国务院令第262号"
    assert "城市供水条例" in by(kb, "供水条例").repeals
    assert by(kb, "2022年全区住房城乡建设工作要点").level == "工作计划"


def test_validity_as_of_the_evaluation_date(kb):
    v = compute_validity(kb, dt.date(2026, 11, 30))
    assert v[by(kb, "宁夏回族自治区供热条例", "2011年").doc_id].status == "superseded"
    assert v[by(kb, "宁夏回族自治区供热条例", "2011年").doc_id].since == "2025-11-01"
    assert v[by(kb, "宁夏回族自治区供热条例", "2025年修订").doc_id].status == "in_force"
    assert v[by(kb, "宁夏回族自治区物业管理条例", "2010年").doc_id].status == "superseded"
    old_water = v[by(kb, "城市供水条例").doc_id]
    assert (old_water.status, old_water.since) == ("repealed", "2026-06-01")


def test_before_a_revision_takes_effect_the_old_text_is_in_force(kb):
    v = compute_validity(kb, dt.date(2025, 10, 1))
    assert v[by(kb, "宁夏回族自治区供热条例", "2011年").doc_id].status == "in_force"
    assert v[by(kb, "宁夏回族自治区供热条例", "2025年修订").doc_id].status == "not_yet_in_force"
    assert v[by(kb, "城市供水条例").doc_id].status == "in_force"  # 供水条例 starts 2026-06-01


def test_front_matter_overrides_and_is_not_body_text():
    text = "---\nlevel: 规范性文件\nnumber: 宁建发〔2024〕3号\neffective: 2024年3月1日\n---\n某市租赁补贴办法\n一、总则\n1.为规范补贴发放，制定本办法。"
    d = load_bytes("补贴.txt", text.encode())
    assert (d.level, d.number, d.effective) == ("规范性文件", "宁建发〔2024〕3号", "2024-03-01")
    assert not d.text.startswith("---") and d.title == "某市租赁补贴办法"


def test_a_revision_added_by_staff_moves_the_effective_date(kb):
    fund = by(kb, "住房公积金管理条例")
    assert "2019-03-24 修订" in fund.history and fund.effective == "2019-03-24"


def test_a_header_line_wrapped_in_the_middle_of_an_act_is_read_whole(kb):
    # 2019年8月26日 …《关于修改〈中华人民共和国土地管理法〉 / 〈中华人民共和国城市房地产管理法〉的决定》第三次修正
    d = by(kb, "中华人民共和国城市房地产管理法")
    assert "2019-08-26 修正" in d.history and d.effective >= "2019-08-26"
