"""PDF loading: running headers/footers and page numbers, line wraps that begin like numbering,
undecodable text layers, pages without a text layer reported as warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_fixtures import cjk_font, make_pdf, merge_pdfs

from policyqa.documents.loaders import load_bytes
from policyqa.documents.loaders.pdf import is_undecodable, join_pages, strip_running_lines
from policyqa.errors import DocumentParseError

CASES = Path(__file__).resolve().parents[1] / "data" / "ingestion"
FULL = "深入贯彻党的十九大和十九届历次全会精神认真贯彻重要讲话"  # a line that runs to the margin


@pytest.fixture(scope="module")
def font() -> str:
    name = cjk_font()
    if name is None:
        pytest.skip("no CJK font whose text pypdf extracts")
    return name


# --------------------------------------------------------------------------- running headers and footers


def test_running_header_footer_and_page_numbers_are_dropped(font):
    header, number = "某市住房和城乡建设局文件", "宁建发〔2024〕3号"
    body = [
        ["关于做好住房保障工作的通知", "各区住房城乡建设局：", "一、总体要求", "1.做好住房保障工作，落实各项措施。"],
        ["2.加强组织领导，明确责任分工。", "二、工作措施"],
        ["3.开展监督检查，及时通报进展，" + FULL],  # a line to the margin sets the full width
        ["4.做好宣传引导。"],
    ]
    pages = []
    for i, lines in enumerate(body, start=1):
        footer = [f"第 {i} 页 共 4 页"] if i % 2 else [f"- {i} -"]
        pages.append([header, number, *lines, *footer])
    doc = load_bytes("notice.pdf", make_pdf(pages, font))
    assert header not in doc.text and "宁建发" not in doc.text and "页" not in doc.text
    assert "- 2 -" not in doc.text
    assert doc.text.split("\n") == [line for lines in body for line in lines]
    assert doc.title == "关于做好住房保障工作的通知"
    assert doc.warnings == ()


def test_running_lines_need_two_pages_and_a_share_of_them():
    pages = [["标题", "正文一。"], ["二、标题", "正文二。"], ["正文三。"], ["正文四。"], ["正文五。"]]
    assert strip_running_lines(pages) == pages  # nothing repeats
    two_of_five = [["小节", "正文一。"], ["小节", "正文二。"], ["正文三。"], ["正文四。"], ["正文五。"]]
    assert strip_running_lines(two_of_five) == [["正文一。"], ["正文二。"], ["正文三。"], ["正文四。"], ["正文五。"]]
    rare = [["小节", f"正文{i}。"] if i < 2 else [f"正文{i}。"] for i in range(10)]  # 2 of 10 pages: a heading
    assert strip_running_lines(rare) == rare
    single = [["某市住房公积金管理中心文件", "正文。"]]
    assert strip_running_lines(single) == single  # one page: nothing runs


@pytest.mark.parametrize(
    "number", ["- 2 -", "— 2 —", "－２－", "第2页", "第 2 页 共 9 页", "第 2 頁", "2/9", "·2·", "Page 2 of 9", "2"]
)
def test_page_number_forms(number):
    assert strip_running_lines([[number, "正文一。"], ["正文二。", number]]) == [["正文一。"], ["正文二。"]]


def test_a_repeated_sentence_is_not_a_running_line():
    pages = [["正文1。", "小节"], ["正文2。", "小节"]]
    assert strip_running_lines(pages) == [["正文1。"], ["正文2。"]]


def test_running_header_case_file():
    doc = load_bytes("running-header_公积金提取通知.pdf", (CASES / "running-header_公积金提取通知.pdf").read_bytes())
    assert "某市住房公积金管理中心文件" not in doc.text
    assert "提取周期最短为三个月，职工可以通过线上渠道办理" in doc.text  # joined across the page break
    assert [p.page for p in doc.pages] == [1, 2]


# --------------------------------------------------------------------------- wraps that begin like numbering


def test_wrapped_lines_that_begin_like_numbering_are_joined():
    text, _ = join_pages(
        [
            [
                "一、总体要求",
                "1.申请人应当符合本办法规定的条件，具体条件按照本办法第三条",
                "（二）项的规定执行，不符合条件的不予受理，由街道办事处",
                "1.日内书面告知申请人并说明理由，申请人可以申请复核。",
                "2.补贴按季度发放，每年3月、6月、9月、12月各发放一次，按照",
                "第十二条规定的标准执行，逾期不申请的视为自动放弃。",
                "3.对违反本办法规定的，由主管部门责令改正。",
            ]
        ]
    )
    assert text.split("\n") == [
        "一、总体要求",
        "1.申请人应当符合本办法规定的条件，具体条件按照本办法第三条（二）项的规定执行，不符合条件的不予受理，"
        "由街道办事处1.日内书面告知申请人并说明理由，申请人可以申请复核。",
        "2.补贴按季度发放，每年3月、6月、9月、12月各发放一次，按照第十二条规定的标准执行，逾期不申请的视为自动放弃。",
        "3.对违反本办法规定的，由主管部门责令改正。",
    ]


def test_numbering_that_continues_its_sequence_still_starts_a_paragraph():
    text, _ = join_pages([[FULL + "，", "（一）新的小节", FULL, "（二）下一个小节，" + FULL[:20], FULL, "2.第二条款。"]])
    # （二） is the next of its sequence → a new paragraph, even after a line to the margin; 2. before any 1. wraps
    assert text.split("\n") == [FULL + "，", "（一）新的小节", FULL, "（二）下一个小节，" + FULL[:20] + FULL + "2.第二条款。"]


def test_traditional_and_full_width_numbering_continue_their_sequence():
    text, _ = join_pages([["第一條 本辦法適用於本市。", FULL, "第二條 申請人須年滿六十五歲。", FULL, "１．第一項。", FULL, "２．第二項。"]])
    assert text.split("\n") == ["第一條 本辦法適用於本市。", FULL, "第二條 申請人須年滿六十五歲。", FULL, "１．第一項。", FULL, "２．第二項。"]


def test_numbered_wrap_in_a_real_pdf(font):
    first = "1.职工连续足额缴存住房公积金满三个月的，可以按照本通知第"
    pdf = make_pdf([["一、提取条件", first, "（二）项申请提取，每年提取一次。", "2.职工购房的，可以申请提取。"]], font)
    doc = load_bytes("wrap.pdf", pdf)
    assert doc.text.split("\n") == ["一、提取条件", first + "（二）项申请提取，每年提取一次。", "2.职工购房的，可以申请提取。"]


# --------------------------------------------------------------------------- undecodable text layers


@pytest.mark.parametrize(
    ("raw", "bad"),
    [
        ("\x01\x02\x03\x04\x05\x06\x07\x08\n1.\x05\x06\x0f\x10\x11\x12\x80\x81", True),  # control characters
        ("\ue000\ue001\ue002\ue003 第一条 \ue004\ue005", True),  # private use
        ("ÕþÎñÐÅÏ¢¹«¿ª¹ÜÀí°ì·¨µÚÒ»Ìõ", True),  # GBK bytes shown as Latin-1
        ("第一条 为了加强城镇燃气管理，制定本规定。", False),
        ("Café owners must register. Naïve résumé.", False),
        ("", False),
    ],
)
def test_undecodable_text(raw, bad):
    assert is_undecodable(raw) is bad


def test_undecodable_font_case_file_is_rejected():
    with pytest.raises(DocumentParseError) as excinfo:
        load_bytes("燃气.pdf", (CASES / "undecodable-font_燃气安全规定.pdf").read_bytes())
    assert "无法解码" in excinfo.value.reason


def test_one_undecodable_page_is_left_out_with_a_warning(font):
    good = make_pdf([["第一条 为了加强城镇燃气管理，制定本规定。"]], font)
    garbage = (CASES / "undecodable-font_燃气安全规定.pdf").read_bytes()
    doc = load_bytes("mixed.pdf", merge_pdfs(good, garbage))
    assert doc.text == "第一条 为了加强城镇燃气管理，制定本规定。"
    assert not any("\x80" <= ch <= "\x9f" for ch in doc.text)
    assert len(doc.warnings) == 1 and "第 2 页" in doc.warnings[0] and "无法解码" in doc.warnings[0]


# --------------------------------------------------------------------------- pages without a text layer


def test_partly_scanned_pdf_reports_its_pages_without_text(font, caplog):
    pdf = make_pdf([["第一页正文。"], [], [], ["第四页正文。"]], font)
    doc = load_bytes("partly-scanned.pdf", pdf)
    assert doc.text == "第一页正文。\n第四页正文。"
    assert len(doc.warnings) == 1
    assert "第 2、3 页没有文字层" in doc.warnings[0]
    assert "没有文字层" in caplog.text


def test_wholly_scanned_pdf_is_a_parse_error():
    with pytest.raises(DocumentParseError) as excinfo:
        load_bytes("scan.pdf", make_pdf([[], []]))
    assert "没有文字层" in excinfo.value.reason
