"""Structured content inside ``.docx``: Word's automatic numbering, tables, text boxes; headers and
footers left out."""

from __future__ import annotations

from io import BytesIO

import pytest

from policyqa.documents.loaders import load_bytes

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NUMBERING = f"""
<w:numbering xmlns:w="{W}">
  <w:abstractNum w:abstractNumId="90">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="第%1条"/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="91">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCountingThousand"/><w:lvlText w:val="%1、"/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%2."/></w:lvl>
    <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%2.%3"/></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="92">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl>
  </w:abstractNum>
  <w:num w:numId="90"><w:abstractNumId w:val="90"/></w:num>
  <w:num w:numId="91"><w:abstractNumId w:val="91"/></w:num>
  <w:num w:numId="92"><w:abstractNumId w:val="92"/></w:num>
  <w:num w:numId="93"><w:abstractNumId w:val="90"/>
    <w:lvlOverride w:ilvl="0"><w:startOverride w:val="10"/></w:lvlOverride></w:num>
</w:numbering>"""

TEXT_BOX = f"""
<w:p xmlns:w="{W}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
     xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
     xmlns:v="urn:schemas-microsoft-com:vml">
  <w:r><w:t>正文段落。</w:t></w:r>
  <w:r><mc:AlternateContent>
    <mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:txbx><w:txbxContent>
      <w:p><w:r><w:t>文本框中的提示：补贴按季度发放。</w:t></w:r></w:p>
    </w:txbxContent></wps:txbx></wps:wsp></w:drawing></mc:Choice>
    <mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>
      <w:p><w:r><w:t>文本框中的提示：补贴按季度发放。</w:t></w:r></w:p>
    </w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>
  </mc:AlternateContent></w:r>
</w:p>"""


def numbered(paragraph, num_id: int, ilvl: int = 0) -> None:
    from docx.oxml import parse_xml

    ppr = paragraph._p.get_or_add_pPr()
    ppr.insert(0, parse_xml(f'<w:numPr xmlns:w="{W}"><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))


def build(fill) -> bytes:
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    root = document.part.numbering_part.element
    for child in parse_xml(NUMBERING):
        root.append(child)
    fill(document)
    buf = BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_article_numbering_in_numpr_is_printed():
    def fill(d):
        d.add_paragraph("某市住房租赁管理办法")
        for text in ("为规范住房租赁活动，制定本办法。", "本办法适用于本市。", "出租人应当遵守下列规定："):
            numbered(d.add_paragraph(text), 90)
        for text in ("不得出租违法建筑；", "不得擅自改变房屋用途。"):
            numbered(d.add_paragraph(text), 90, 1)
        numbered(d.add_paragraph("本办法自公布之日起施行。"), 90)

    doc = load_bytes("办法.docx", build(fill))
    assert doc.text.split("\n") == [
        "某市住房租赁管理办法",
        "第一条为规范住房租赁活动，制定本办法。",
        "第二条本办法适用于本市。",
        "第三条出租人应当遵守下列规定：",
        "（一）不得出租违法建筑；",
        "（二）不得擅自改变房屋用途。",
        "第四条本办法自公布之日起施行。",
    ]
    assert doc.title == "某市住房租赁管理办法"


def test_section_and_clause_numbering_restarts_and_multilevel_labels():
    def fill(d):
        numbered(d.add_paragraph("申请条件"), 91)
        numbered(d.add_paragraph("申请人在本市工作。"), 91, 1)
        numbered(d.add_paragraph("细则一。"), 91, 2)
        numbered(d.add_paragraph("细则二。"), 91, 2)
        numbered(d.add_paragraph("申请人无自有住房。"), 91, 1)
        numbered(d.add_paragraph("补贴标准"), 91)
        numbered(d.add_paragraph("每户每月600元。"), 91, 1)
        d.add_paragraph("注意事项：", style="List Bullet")
        numbered(d.add_paragraph("按时申报。"), 92)
        numbered(d.add_paragraph("第十条的内容。"), 93)

    doc = load_bytes("numbers.docx", build(fill))
    assert doc.text.split("\n") == [
        "一、申请条件",
        "1.申请人在本市工作。",
        "1.1细则一。",
        "1.2细则二。",
        "2.申请人无自有住房。",
        "二、补贴标准",
        "1.每户每月600元。",  # a deeper level restarts under a new parent
        "注意事项：",  # bullets print nothing
        "按时申报。",
        "第十条第十条的内容。",  # startOverride
    ]


def test_list_number_style_numbering():
    def fill(d):
        d.add_paragraph("申请人提交身份证明。", style="List Number")
        d.add_paragraph("街道办事处受理。", style="List Number")

    assert load_bytes("style.docx", build(fill)).text == "1.申请人提交身份证明。\n2.街道办事处受理。"


def test_text_box_text_once_after_its_paragraph_and_no_headers_or_footers():
    def fill(d):
        from docx.oxml import parse_xml

        d.sections[0].header.paragraphs[0].text = "某市住房和城乡建设局（页眉）"
        d.sections[0].footer.paragraphs[0].text = "第 1 页（页脚）"
        d.add_paragraph("标题")
        d.element.body.insert(len(d.element.body) - 1, parse_xml(TEXT_BOX))
        d.add_paragraph("结尾。")

    doc = load_bytes("box.docx", build(fill))
    assert doc.text.split("\n") == ["标题", "正文段落。", "文本框中的提示：补贴按季度发放。", "结尾。"]
    assert "页眉" not in doc.text and "页脚" not in doc.text


def test_numbered_paragraphs_inside_table_cells():
    def fill(d):
        table = d.add_table(rows=1, cols=2)
        table.cell(0, 0).text = "事项"
        cell = table.cell(0, 1)
        numbered(cell.paragraphs[0], 91, 1)
        cell.paragraphs[0].add_run("提交材料。")
        numbered(cell.add_paragraph("等待审核。"), 91, 1)

    assert load_bytes("table.docx", build(fill)).text == "事项\t1.提交材料。 2.等待审核。"


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (10, "十"), (11, "十一"), (23, "二十三"), (100, "一百"), (105, "一百零五"),
                                         (110, "一百一十"), (123, "一百二十三")])
def test_chinese_counting(n, text):
    from policyqa.documents.loaders.docx import _chinese

    assert _chinese(n) == text


def _without_core_properties(data: bytes) -> bytes:
    """``data`` re-zipped without ``docProps/core.xml`` (as some generators write a .docx)."""
    import re
    import zipfile

    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename == "docProps/core.xml":
                continue
            body = src.read(item.filename)
            if item.filename in ("_rels/.rels", "[Content_Types].xml"):
                body = re.sub(rb"<(?:Relationship|Override)[^>]*core\.xml\"[^>]*/>", b"", body)
            dst.writestr(item, body)
    return out.getvalue()


def test_the_title_comes_from_core_properties_or_else_the_first_line():
    import docx

    document = docx.Document()
    document.add_paragraph("某市住宅装修管理办法")
    document.add_paragraph("第一条 为了规范住宅装修，制定本办法。")
    document.core_properties.title = "住宅装修管理办法（送审稿）"
    buf = BytesIO()
    document.save(buf)
    assert load_bytes("a.docx", buf.getvalue()).title == "住宅装修管理办法（送审稿）"
    # without core properties python-docx reports the made-up title "Word Document"
    assert load_bytes("a.docx", _without_core_properties(buf.getvalue())).title == "某市住宅装修管理办法"
