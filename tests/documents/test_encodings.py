"""Text files in the legacy encodings Chinese documents arrive in: GBK/GB18030, Big5, UTF-16 without BOM."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyqa.documents.loaders import load_bytes
from policyqa.documents.loaders.encoding import chinese_score, decode
from policyqa.errors import DocumentParseError

CASES = Path(__file__).resolve().parents[1] / "data" / "ingestion"
TRADITIONAL = (CASES / "traditional_長者住屋津貼計劃.txt").read_text(encoding="utf-8").strip()
SIMPLIFIED = (CASES / "title-line_租赁补贴办法.txt").read_text(encoding="utf-8").strip()
SHORT = "第一条　住房租赁补贴按季度发放。"


@pytest.mark.parametrize("codec", ["big5", "cp950", "big5hkscs", "utf-16-le", "utf-16-be", "gb18030", "utf-8"])
def test_traditional_text_in_every_encoding(codec):
    doc = load_bytes("須知.txt", TRADITIONAL.encode(codec))
    assert doc.text == TRADITIONAL
    assert doc.title == "長者住屋津貼計劃申請須知"


@pytest.mark.parametrize("codec", ["gbk", "gb2312", "gb18030", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-16"])
def test_simplified_text_in_every_encoding(codec):
    assert load_bytes("办法.txt", SIMPLIFIED.encode(codec)).text == SIMPLIFIED


@pytest.mark.parametrize("codec", ["big5", "gbk", "utf-16-le", "utf-16-be"])
def test_a_short_line_is_still_read_right(codec):
    text = "長者住屋津貼按季度發放。" if codec == "big5" else SHORT
    assert decode("short.txt", text.encode(codec)) == text


def test_gb18030_four_byte_characters():
    text = "𠀀住房保障㐀" * 3
    assert load_bytes("rare.txt", text.encode("gb18030")).text == text


def test_big5_is_not_read_as_gbk_mojibake():
    data = TRADITIONAL.encode("big5")
    assert data.decode("gb18030") != TRADITIONAL  # GB18030 accepts the bytes: the reading must be chosen
    assert chinese_score(data.decode("gb18030")) < 0.6 <= chinese_score(TRADITIONAL)


def test_ascii_utf16_without_bom():
    text = "Housing subsidy rules, version 2.\nArticle 1. Scope."
    assert load_bytes("rules.txt", text.encode("utf-16-le")).text == text


def test_binary_data_is_still_rejected():
    with pytest.raises(DocumentParseError):
        load_bytes("blob.txt", bytes(range(256)) * 8)
