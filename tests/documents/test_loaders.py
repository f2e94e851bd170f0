"""Loaders: each supported format → normalised ``Document``; each failure → a clear ``DocumentParseError``."""

from __future__ import annotations

import hashlib
import logging
import random
from io import BytesIO
from pathlib import Path

import pytest

from policyqa.documents.loaders import (
    SUPPORTED_SUFFIXES,
    CorpusLoad,
    doc_id_for,
    load_bytes,
    load_corpus,
    load_document,
    normalize_text,
)
from policyqa.documents.loaders.pdf import fix_pdf_chars, join_pages
from policyqa.errors import DocumentParseError
from policyqa.models import PageSpan

import pdf_fixtures
from pdf_fixtures import make_pdf

ROOT = Path(__file__).resolve().parents[2]
WORK_PLAN = ROOT / "corpus" / "2022年全区住房城乡建设工作要点.txt"

SAMPLE = (
    "2022年全区住房城乡建设工作的总体要求是：深入贯彻党的十九大精神。\n"
    "一、全面加强党的建设\n"
    "（一）强化思想政治建设，坚决做到“两个维护”。\n"
    "1.完成《海绵城市建设技术标准》修订，继续支持xx个高标准重点小城镇，改造x—x户。"
)


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def reason_of(excinfo: pytest.ExceptionInfo[DocumentParseError]) -> str:
    return excinfo.value.reason


# --------------------------------------------------------------------------- text files


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_text_encodings_load_to_identical_text(tmp_path, encoding):
    doc = load_document(write(tmp_path, "sample.txt", SAMPLE.encode(encoding)))
    assert doc.text == SAMPLE
    assert doc.sha256 == hashlib.sha256(SAMPLE.encode("utf-8")).hexdigest()
    assert doc.format == "txt"
    assert doc.pages == ()
    assert doc.page_at(0) is None


def test_gb18030_only_characters(tmp_path):
    text = "𠮷野家与䶮字均在 GB18030 中。"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    assert load_document(write(tmp_path, "g.txt", text.encode("gb18030"))).text == text


def test_line_endings_and_edge_whitespace_are_normalised(tmp_path):
    raw = "\ufeff\u3000\u3000第一段。\r\n\r\n\xa0第二段 内有空格。\t \r第三段。\n\n   \n\u3000\n"
    doc = load_document(write(tmp_path, "crlf.txt", raw))
    assert doc.text == "第一段。\n第二段 内有空格。\n第三段。"


def test_full_width_punctuation_and_placeholders_kept_verbatim(tmp_path):
    raw = "（一）住房，保障：《条例》“两个确立”！？；（1）１２３ＡＢ xx个 x—x户 ①"
    assert load_document(write(tmp_path, "p.txt", raw)).text == raw


def test_damaged_utf8_is_not_read_as_gb18030_mojibake(tmp_path):
    body = ("深入贯彻党的十九大和十九届历次全会精神，认真贯彻。" * 3).encode("utf-8")
    truncated = load_document(write(tmp_path, "cut.txt", body[:-1])).text
    assert (
        truncated
        == "深入贯彻党的十九大和十九届历次全会精神，认真贯彻。" * 2
        + "深入贯彻党的十九大和十九届历次全会精神，认真贯彻"
    )
    damaged = load_document(write(tmp_path, "bad.txt", body[:12] + b"\xff" + body[12:])).text
    assert damaged.startswith("深入贯彻\ufffd党的十九大")


def test_markdown_headings_lose_their_marks(tmp_path):
    raw = "# 2022年工作要点\n\n## 一、全面加强党的建设 ##\n\n正文 #不是标题。\n\n---\n1.强化思想政治建设。"
    doc = load_document(write(tmp_path, "plan.md", raw))
    assert doc.format == "md"
    assert doc.text == "2022年工作要点\n一、全面加强党的建设\n正文 #不是标题。\n1.强化思想政治建设。"


def test_shipped_work_plan_loads():
    doc = load_document(WORK_PLAN)
    assert doc.title == "2022年全区住房城乡建设工作要点"
    assert doc.text.startswith("2022年全区住房城乡建设工作的总体要求是")
    assert "1.强化思想政治建设。" in doc.text
    assert "\n二、提升住房工作水平\n4.稳定房地产业发展。" in doc.text
    assert (
        doc.doc_id
        == doc_id_for(WORK_PLAN.name)
        == "d" + hashlib.sha1(WORK_PLAN.stem.encode()).hexdigest()[:10]
    )
    assert doc.path == str(WORK_PLAN)
    assert doc.sha256 == hashlib.sha256(doc.text.encode("utf-8")).hexdigest()


def test_binary_garbage_txt_is_rejected(tmp_path):
    with pytest.raises(DocumentParseError) as excinfo:
        load_document(write(tmp_path, "garbage.txt", random.Random(0).randbytes(2048)))
    assert "无法识别文件编码" in reason_of(excinfo)
    assert "UTF-8" in reason_of(excinfo)


# --------------------------------------------------------------------------- generic failures


@pytest.mark.parametrize("name", ["report.xlsx", "old.doc", "noext"])
def test_unsupported_suffix(tmp_path, name):
    with pytest.raises(DocumentParseError) as excinfo:
        load_document(write(tmp_path, name, "内容"))
    assert "不支持的文件类型" in reason_of(excinfo)
    assert ".docx" in reason_of(excinfo)
    assert excinfo.value.path == str(tmp_path / name)
    with pytest.raises(DocumentParseError, match="不支持的文件类型"):
        load_bytes(name, b"x")


@pytest.mark.parametrize("data", [b"", b"   \r\n\t\n", "\u3000\u3000\n\ufeff".encode()])
@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.html"])
def test_empty_file(tmp_path, name, data):
    with pytest.raises(DocumentParseError) as excinfo:
        load_document(write(tmp_path, name, data))
    assert reason_of(excinfo) == "文件为空"


def test_missing_file(tmp_path):
    with pytest.raises(DocumentParseError) as excinfo:
        load_document(tmp_path / "nope.txt")
    assert reason_of(excinfo) == "文件不存在"
    assert str(tmp_path / "nope.txt") in str(excinfo.value)
    assert excinfo.value.code == "document_parse_error"


def test_supported_suffixes():
    assert frozenset({".txt", ".md", ".pdf", ".docx", ".html", ".htm"}) == SUPPORTED_SUFFIXES


def test_suffix_is_case_insensitive(tmp_path):
    assert load_document(write(tmp_path, "UPPER.TXT", "正文。")).format == "txt"


# --------------------------------------------------------------------------- PDF

@pytest.fixture(scope="module")
def cjk_font() -> str:
    font = pdf_fixtures.cjk_font()
    if font is None:
        pytest.skip("no CJK font whose text pypdf extracts")
    return font


def wrap(paragraph: str, width: int = 30) -> list[str]:
    return [paragraph[i : i + width] for i in range(0, len(paragraph), width)]


TITLE = "2022年全区住房城乡建设工作要点"
OPENING = "2022年全区住房城乡建设工作的总体要求是深入贯彻党的十九大和十九届历次全会精神，认真贯彻重要讲话精神，全面落实自治区第十二次党代会部署。"  # noqa: E501
CLAUSE1 = "1.强化思想政治建设。深入开展主题实践活动，激发各级党组织和广大党员奋进新征程、建功新时代的实干精神，坚持习近平新时代中国特色社会主义思想的指导地位。"  # noqa: E501
CLAUSE2 = (
    "2.夯实党建工作基础。压紧压实党建工作主体责任，推动党建工作与业务工作深度融合，持续开展模范机关创建。"
)


@pytest.fixture(scope="module")
def plan_pdf(cjk_font) -> bytes:
    page1 = [TITLE, *wrap(OPENING), "一、全面加强党的建设", *wrap(CLAUSE1)[:2], "— 1 —"]
    page2 = ["— 2 —", *wrap(CLAUSE1)[2:], *wrap(CLAUSE2)]
    return make_pdf([page1, page2], cjk_font)


def test_pdf_text_is_extracted_and_lines_joined(tmp_path, plan_pdf):
    doc = load_document(write(tmp_path, "plan.pdf", plan_pdf))
    assert doc.format == "pdf"
    assert doc.title == TITLE  # "plan" names nothing: the first line is the title
    # Visual lines are joined back into paragraphs (also across the page break); the
    # short title and heading lines stay on their own lines; page numbers are dropped.
    assert doc.text == "\n".join([TITLE, OPENING, "一、全面加强党的建设", CLAUSE1, CLAUSE2])
    assert normalize_text(doc.text) == doc.text


def test_pdf_page_spans(tmp_path, plan_pdf):
    doc = load_document(write(tmp_path, "plan.pdf", plan_pdf))
    assert [span.page for span in doc.pages] == [1, 2]
    assert doc.pages[0].start == 0
    assert doc.pages[0].end == doc.pages[1].start
    assert doc.pages[1].end == len(doc.text)
    assert doc.page_at(doc.text.index("一、全面加强党的建设")) == 1
    assert doc.page_at(doc.text.index("1.强化思想政治建设")) == 1
    continued = wrap(CLAUSE1)[2]
    assert doc.page_at(doc.text.index(continued)) == 2
    assert doc.page_at(doc.text.index(continued) - 1) == 1
    assert doc.page_at(doc.text.index("2.夯实党建工作基础")) == 2
    assert doc.page_at(len(doc.text) - 1) == 2


def test_pdf_blank_middle_page_gets_empty_span(tmp_path, cjk_font, caplog):
    data = make_pdf([["第一页。"], [], ["第三页。"]], cjk_font)
    with caplog.at_level(logging.WARNING, logger="policyqa.documents.loaders"):
        doc = load_bytes("gap.pdf", data)
    assert doc.text == "第一页。\n第三页。"
    assert [(s.page, s.start, s.end) for s in doc.pages] == [(1, 0, 5), (2, 5, 5), (3, 5, 9)]
    assert doc.page_at(5) == 3
    assert "没有文字层" in caplog.text


def test_pdf_random_bytes_is_corrupt(tmp_path):
    with pytest.raises(DocumentParseError) as excinfo:
        load_document(write(tmp_path, "broken.pdf", random.Random(1).randbytes(4096)))
    assert "PDF 文件已损坏或不是有效的 PDF" in reason_of(excinfo)


def test_pdf_truncated_is_corrupt(tmp_path, plan_pdf):
    with pytest.raises(DocumentParseError) as excinfo:
        load_document(write(tmp_path, "cut.pdf", plan_pdf[: len(plan_pdf) // 2]))
    assert "PDF 文件已损坏" in reason_of(excinfo)


def _encrypt(data: bytes, user: str, owner: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(BytesIO(data)))
    writer.encrypt(user_password=user, owner_password=owner)
    buf = BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_encrypted_with_password(tmp_path, plan_pdf):
    with pytest.raises(DocumentParseError) as excinfo:
        load_document(write(tmp_path, "secret.pdf", _encrypt(plan_pdf, "secret", "secret")))
    assert "PDF 已加密" in reason_of(excinfo)


def test_pdf_with_only_owner_password_still_loads(plan_pdf):
    open_doc = load_bytes("plan.pdf", plan_pdf)
    assert load_bytes("plan.pdf", _encrypt(plan_pdf, "", "owner-secret")).text == open_doc.text


def test_pdf_without_text_layer_is_a_scan(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    buf = BytesIO()
    writer.write(buf)
    with pytest.raises(DocumentParseError) as excinfo:
        load_document(write(tmp_path, "scan.pdf", buf.getvalue()))
    assert "扫描件" in reason_of(excinfo)
    assert "OCR" in reason_of(excinfo)


def test_pdf_without_pages(tmp_path):
    from pypdf import PdfWriter

    buf = BytesIO()
    PdfWriter().write(buf)
    with pytest.raises(DocumentParseError) as excinfo:
        load_document(write(tmp_path, "none.pdf", buf.getvalue()))
    assert reason_of(excinfo) == "PDF 没有页面"


def test_pdf_line_join_rules():
    full = "深入贯彻党的十九大和十九届历次全会精神认真贯彻重要讲话"
    text, pages = join_pages(
        [
            [
                "标题行",  # short, no punctuation → own paragraph
                full,  # full width, no punctuation → joined to the next line
                "继续写完。",  # sentence end → break
                full + "，",
                "（一）新的小节",  # the next number of its sequence → break even after a comma
                full,
                "第一条 内容。",
                "English words at the end of a full width line in",
                "the next line.",
                full,
                "1.5亿元的投资。",  # "1.5" is a number, not a marker
                full[:-2] + "、x",  # a placeholder split over two lines: no space
                "x个传统村落。",
            ]
        ]
    )
    assert text.split("\n") == [
        "标题行",
        full + "继续写完。",
        full + "，",
        "（一）新的小节",
        full,
        "第一条 内容。",
        "English words at the end of a full width line in the next line.",
        full + "1.5亿元的投资。",
        full[:-2] + "、xx个传统村落。",
    ]
    assert pages == (PageSpan(page=1, start=0, end=len(text)),)


def test_pdf_radical_code_points_are_mapped_to_ideographs():
    assert fix_pdf_chars("⻓期⽬标，⻔户（一）") == "长期目标，门户（一）"


# --------------------------------------------------------------------------- DOCX


def make_docx(title: str | None = "住房保障办法") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("一、总体要求")
    document.add_paragraph("\u3000\u3000（一）加强住房保障，落实“两个维护”。")
    table = document.add_table(rows=2, cols=3)
    for j, value in enumerate(["项目", "目标", "责任单位"]):
        table.cell(0, j).text = value
    table.cell(1, 0).text = "老旧小区改造"
    table.cell(1, 1).text = "xx个"
    table.cell(1, 2).text = "住建厅"
    document.add_paragraph("")
    document.add_paragraph("二、保障措施")
    if title is not None:
        document.core_properties.title = title
    buf = BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    doc = load_document(write(tmp_path, "办法.docx", make_docx()))
    assert doc.format == "docx"
    assert doc.title == "住房保障办法"
    assert doc.text == (
        "一、总体要求\n（一）加强住房保障，落实“两个维护”。\n"
        "项目\t目标\t责任单位\n老旧小区改造\txx个\t住建厅\n二、保障措施"
    )


def test_docx_merged_cells_are_not_repeated():
    import docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "横向合并"
    table.cell(0, 2).text = "甲"
    table.cell(1, 0).merge(table.cell(2, 0)).text = "纵向合并"
    table.cell(1, 1).text = "乙"
    table.cell(2, 1).text = "丙"
    buf = BytesIO()
    document.save(buf)
    assert (
        load_bytes("t.docx", buf.getvalue()).text == "横向合并\t甲\n纵向合并\t乙\n丙"
    )  # edge tabs are stripped


def test_docx_title_falls_back_to_stem(tmp_path):
    assert load_document(write(tmp_path, "办法.docx", make_docx(title=""))).title == "办法"


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", b"\xd0\xcf\x11\xe0 old word binary"])
def test_docx_corrupt(tmp_path, data):
    with pytest.raises(DocumentParseError) as excinfo:
        load_document(write(tmp_path, "bad.docx", data))
    assert "DOCX 文件已损坏" in reason_of(excinfo)


# --------------------------------------------------------------------------- HTML

HTML = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title> 关于印发工作要点的通知 </title>
<style>p {{ color: red }}</style><script>var secret = "脚本";</script></head>
<body><header>网站首页</header><nav>导航栏</nav>
<div class="content">
<h1>2022年工作要点</h1>
<p>&nbsp;&nbsp;一、按照<a href="#">《通知》</a>要求，
   认真落实<strong>“两个维护”</strong>。</p>
<!-- 注释不应出现 -->
<p>二、第一行<br>第二行</p>
<table><tr><td>项目</td><td>目标</td></tr></table>
</div>
<footer>版权所有</footer><script>track();</script></body></html>
"""


@pytest.mark.parametrize(("charset", "encoding"), [("utf-8", "utf-8"), ("gb2312", "gbk")])
def test_html_visible_text_and_title(tmp_path, charset, encoding):
    doc = load_document(write(tmp_path, "notice.html", HTML.format(charset=charset).encode(encoding)))
    assert doc.format == "html"
    assert doc.title == "关于印发工作要点的通知"
    assert (
        doc.text
        == "2022年工作要点\n一、按照《通知》要求，认真落实“两个维护”。\n二、第一行\n第二行\n项目\t目标"
    )
    for hidden in ("脚本", "color", "网站首页", "导航栏", "版权所有", "注释", "track"):
        assert hidden not in doc.text


def test_htm_without_title_uses_stem(tmp_path):
    doc = load_document(write(tmp_path, "page.htm", "<html><body><p>正文。</p></body></html>"))
    assert (doc.title, doc.format, doc.text) == ("page", "html", "正文。")


# --------------------------------------------------------------------------- corpus


def test_load_corpus_keeps_going_after_a_bad_file(tmp_path, caplog):
    write(tmp_path, "a_good.txt", "一、总体要求\n1.第一条。")
    write(tmp_path, "b_broken.pdf", b"%PDF-1.7 this is not a pdf")
    write(tmp_path, ".hidden.txt", "隐藏文件。")
    write(tmp_path, "~$lock.docx", b"\x00lock")
    write(tmp_path, "notes.xlsx", b"ignored")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "nested.txt", "子文件夹里的文件也是语料。")
    write(tmp_path, "README.md", "语料说明，不是文档。")
    with caplog.at_level(logging.WARNING, logger="policyqa.documents.loaders"):
        result = load_corpus(tmp_path)
    assert isinstance(result, CorpusLoad)
    assert [d.title for d in result.documents] == ["a_good", "nested"]
    assert len(result.errors) == 1
    assert result.errors[0].path == str(tmp_path / "b_broken.pdf")
    assert "PDF 文件已损坏" in result.errors[0].reason
    assert "b_broken.pdf" in caplog.text


def test_load_corpus_sorted_and_deduplicated(tmp_path, caplog):
    write(tmp_path, "c.txt", "第三份。")
    write(tmp_path, "a.txt", "相同内容。")
    write(tmp_path, "b.md", "\ufeff相同内容。\r\n")
    write(tmp_path, "a.html", "<p>另一种格式，同名。</p>")
    with caplog.at_level(logging.WARNING, logger="policyqa.documents.loaders"):
        result = load_corpus(tmp_path)
    # a.html sorts first; a.txt has the same id ("a") → skipped and reported;
    # b.md has the same text as a.txt, but a.txt was skipped, so b.md is kept.
    assert [Path(d.path).name for d in result.documents] == ["a.html", "b.md", "c.txt"]
    assert [Path(e.path).name for e in result.errors] == ["a.txt"]
    assert "文档编号" in result.errors[0].reason


def test_load_corpus_skips_duplicate_text(tmp_path, caplog):
    write(tmp_path, "first.txt", "相同内容。")
    write(tmp_path, "second.txt", "相同内容。\n")
    with caplog.at_level(logging.WARNING, logger="policyqa.documents.loaders"):
        result = load_corpus(tmp_path)
    assert [d.title for d in result.documents] == ["first"]
    assert result.errors == ()
    assert "second.txt" in caplog.text
    assert "重复" in caplog.text


def test_load_corpus_missing_directory(tmp_path):
    with pytest.raises(DocumentParseError, match="语料目录不存在"):
        load_corpus(tmp_path / "missing")


# --------------------------------------------------------------------------- bytes and ids


def test_load_bytes_matches_load_document(tmp_path, plan_pdf):
    for name, data in [("plan.pdf", plan_pdf), ("办法.docx", make_docx()), ("s.txt", SAMPLE.encode("gbk"))]:
        from_disk = load_document(write(tmp_path, name, data))
        from_memory = load_bytes(name, data)
        assert from_memory.path == name
        assert from_memory == from_disk.__class__(**{**from_disk.__dict__, "path": name})


def test_load_bytes_errors_name_the_upload():
    with pytest.raises(DocumentParseError) as excinfo:
        load_bytes("上传.pdf", b"not a pdf")
    assert excinfo.value.path == "上传.pdf"
    assert str(excinfo.value).startswith("上传.pdf: PDF 文件已损坏")


def test_doc_id_for():
    assert doc_id_for("Plan_2022-v1.PDF") == "plan_2022-v1"
    assert doc_id_for("plan.txt") == doc_id_for("plan") == doc_id_for("some/dir/plan.md") == "plan"
    chinese = doc_id_for("2022年全区住房城乡建设工作要点.txt")
    assert chinese == doc_id_for("2022年全区住房城乡建设工作要点") == "dd586106056"  # stable across releases
    assert chinese == "d" + hashlib.sha1("2022年全区住房城乡建设工作要点".encode()).hexdigest()[:10]
    assert len(chinese) == 11
    assert chinese.isalnum()
    assert doc_id_for("a" * 64) == "a" * 64
    assert doc_id_for("a" * 65) == "d" + hashlib.sha1(b"a" * 65).hexdigest()[:10]
    assert doc_id_for("v1.2 draft.txt") != doc_id_for("v1.2 draft2.txt")


# --------------------------------------------------------------------------- titles and lost paragraphs


def test_a_file_name_that_names_nothing_gives_way_to_the_first_line(tmp_path):
    text = "关于做好住房保障工作的通知\n各区住房城乡建设局：\n现将有关事项通知如下。"
    assert load_document(write(tmp_path, "4262b3f6.txt", text)).title == "关于做好住房保障工作的通知"
    # a first line that calls itself a document (…的通知, …办法, …条例) is the title, whatever the file name
    assert load_document(write(tmp_path, "住房保障通知.txt", text)).title == "关于做好住房保障工作的通知"
    # a file name that names something wins over a first line that is not a document's title
    assert load_document(write(tmp_path, "住房保障通知.txt", "住房保障\n现将有关事项通知如下。")).title == "住房保障通知"
    # a first line that is a sentence is not a title
    assert load_document(write(tmp_path, "scan_001.txt", "现将有关事项通知如下。")).title == "scan_001"


def test_single_line_text_gets_its_paragraphs_back(tmp_path):
    body = "为做好疫情防控工作，现通知如下。" * 10
    one_line = f"关于做好疫情防控工作的通知 {body} \u3000\u3000一、加强组织领导。{body} \u3000\u3000二、落实 iPhone App 预约。{body}"
    doc = load_document(write(tmp_path, "notice.txt", one_line))
    lines = doc.text.split("\n")
    assert lines[0] == "关于做好疫情防控工作的通知"
    assert lines[2].startswith("一、加强组织领导。") and lines[3].startswith("二、落实 iPhone App 预约。")
    assert doc.title == "关于做好疫情防控工作的通知"
    # text that keeps its line breaks, and short text, are left alone
    kept = "第一段 内容。\n第二段 内容。" + body
    assert load_document(write(tmp_path, "kept.txt", kept)).text == kept
    assert load_document(write(tmp_path, "short.txt", "短 文本。")).text == "短 文本。"
