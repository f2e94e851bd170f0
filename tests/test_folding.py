"""The matching form of a text (full-width ASCII and traditional characters folded, same length)."""

from __future__ import annotations

import pytest

from policyqa.engine import highlight_spans
from policyqa.folding import fold, fold_width, to_simplified


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("２５００元", "2500元"),
        ("自２０２４年１月１日起　执行，ＡＢＣ（１）", "自2024年1月1日起 执行,ABC(1)"),
        ("長者住屋津貼計劃申請須知", "长者住屋津贴计划申请须知"),
        ("申請資格：年滿六十五歲", "申请资格:年满六十五岁"),
        ("乾坤　乾燥", "乾坤 干燥"),  # phrase conversion
        ("2022年全区住房城乡建设工作要点", "2022年全区住房城乡建设工作要点"),  # simplified text is left alone
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded
    assert len(fold(text)) == len(text)


def test_fold_keeps_length_on_every_traditional_character():
    from policyqa.folding import _tables

    chars = "".join(_tables().chars)
    assert len(fold(chars)) == len(chars)
    assert len(to_simplified(chars)) == len(chars)


def test_fold_width_only_touches_full_width_ascii_and_ideographic_space():
    assert fold_width("（一）《条例》“两个维护”，。、") == "(一)《条例》“两个维护”,。、"
    assert fold_width("\u3000") == " "


def test_highlight_marks_the_original_characters():
    text = "1.家庭人均月收入低于２５００元，申請人須年滿六十五歲。"
    spans = highlight_spans(text, ["2500", "元", "申请人"])
    assert [text[s.start : s.end] for s in spans] == ["２５００元", "申請人"]


def test_segmenter_cuts_the_matching_form(engine):
    seg = engine.segmenter
    assert seg.cut("２５００元") == seg.cut("2500元")
    assert seg.cut("申請資格") == seg.cut("申请资格")
    assert seg.bigrams("申請資格") == seg.bigrams("申请资格")
    assert seg.expand("保租房").original == "保租房"
