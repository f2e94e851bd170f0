"""Parsing limits: decompression bombs and oversized documents are refused, naming the limit."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest
from bombs import MIB, docx_bomb, pdf_pages, pdf_stream_bomb, small_docx

from policyqa.config import Settings
from policyqa.documents.limits import DEFAULT_LIMITS, DocumentLimits, check_docx
from policyqa.documents.loaders import load_bytes, load_corpus
from policyqa.errors import DocumentLimitError, DocumentParseError

SMALL = DocumentLimits(max_expanded_bytes=2 * MIB, max_document_chars=2_000, max_pdf_pages=10)


def refused(name: str, data: bytes, limits: DocumentLimits = SMALL) -> DocumentLimitError:
    with pytest.raises(DocumentLimitError) as info:
        load_bytes(name, data, limits=limits)
    return info.value


def test_settings_carry_the_limits_with_sane_defaults():
    settings = Settings(max_expanded_bytes=123, max_document_chars=45, max_pdf_pages=6, max_compression_ratio=7)
    assert DocumentLimits.from_settings(settings) == DocumentLimits(123, 45, 6, 7)
    assert DocumentLimits.from_settings(Settings()) == DEFAULT_LIMITS
    assert DEFAULT_LIMITS.max_expanded_bytes == 64 * MIB and DEFAULT_LIMITS.max_document_chars == 1_000_000


def test_a_normal_docx_and_text_pass():
    assert "物业服务" in load_bytes("物业.docx", small_docx(), limits=SMALL).text
    assert load_bytes("a.txt", "1.内容。".encode(), limits=SMALL).text == "1.内容。"


def test_docx_bomb_refused_before_parsing_by_its_declared_size():
    bomb = docx_bomb(8 * MIB)
    assert len(bomb) < 64 * 1024  # ~8 KB on the wire
    error = refused("bomb.docx", bomb)
    assert error.setting == "POLICYQA_MAX_EXPANDED_BYTES" and error.limit == 2 * MIB
    assert "POLICYQA_MAX_EXPANDED_BYTES" in error.reason and "解压后过大" in error.reason
    assert isinstance(error, DocumentParseError) and error.code == "document_limit_exceeded"


def test_the_issue_bomb_100_mb_of_xml_is_refused_with_the_default_limits():
    bomb = docx_bomb(100 * MIB)  # the issue's 268 KB .docx expanding to 100 MB of XML
    assert len(bomb) < 400 * 1024
    assert refused("bomb.docx", bomb, DEFAULT_LIMITS).setting == "POLICYQA_MAX_EXPANDED_BYTES"


def test_docx_member_with_a_bomb_ratio_refused_under_the_size_limit():
    error = refused("ratio.docx", docx_bomb(int(1.5 * MIB)), DocumentLimits(max_expanded_bytes=4 * MIB))
    assert error.setting == "POLICYQA_MAX_COMPRESSION_RATIO" and "word/document.xml" in error.reason


def test_docx_whose_declared_sizes_lie_is_never_inflated_past_them(monkeypatch):
    """zipfile (python-docx's reader too) stops a member at its declared size and then fails its CRC,
    so checking the declared sizes bounds the parse: a lying bomb is refused as corrupt."""
    bomb = docx_bomb(8 * MIB)
    real = zipfile.ZipFile._RealGetContents

    def lying(self):
        real(self)
        for info in self.filelist:
            info.file_size = min(info.file_size, 1_000)

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lying)
    check_docx("liar.docx", bomb, SMALL)  # the declared sizes pass
    with pytest.raises(DocumentParseError, match="DOCX") as info:
        load_bytes("liar.docx", bomb, limits=SMALL)
    assert not isinstance(info.value, DocumentLimitError)


def test_not_a_zip_is_left_to_the_loader():
    check_docx("x.docx", b"not a zip at all", SMALL)  # no limit error
    with pytest.raises(DocumentParseError, match="DOCX") as info:
        load_bytes("x.docx", b"not a zip at all", limits=SMALL)
    assert not isinstance(info.value, DocumentLimitError)


def test_too_many_pdf_pages_refused_before_extracting():
    error = refused("pages.pdf", pdf_pages(11))
    assert error.setting == "POLICYQA_MAX_PDF_PAGES" and "11" in error.reason


def test_pdf_stream_bomb_refused_while_decoding():
    error = refused("stream.pdf", pdf_stream_bomb(8 * MIB))
    assert error.setting == "POLICYQA_MAX_EXPANDED_BYTES"


def test_pdf_streams_under_pypdf_limit_still_count_towards_the_document_budget():
    limits = DocumentLimits(max_expanded_bytes=3 * MIB)  # each page's 2 MiB stream passes pypdf's limit
    with pytest.raises(DocumentLimitError, match="POLICYQA_MAX_EXPANDED_BYTES"):
        load_bytes("two.pdf", _two_page_stream_pdf(2 * MIB), limits=limits)


def _two_page_stream_pdf(per_page: int) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for _ in range(2):
        writer.append(PdfReader(BytesIO(pdf_stream_bomb(per_page))))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_extracted_text_over_the_limit_refused_for_every_format():
    long_text = "1.超长文件。" + "内容。" * 1_000
    assert refused("long.txt", long_text.encode()).setting == "POLICYQA_MAX_DOCUMENT_CHARS"
    assert refused("long.md", long_text.encode()).setting == "POLICYQA_MAX_DOCUMENT_CHARS"
    assert refused("long.html", f"<p>{long_text}</p>".encode()).setting == "POLICYQA_MAX_DOCUMENT_CHARS"
    assert refused("long.docx", small_docx(long_text)).setting == "POLICYQA_MAX_DOCUMENT_CHARS"


def test_pdf_text_counted_page_by_page():
    pytest.importorskip("reportlab")
    from reportlab.pdfgen import canvas

    out = BytesIO()
    c = canvas.Canvas(out)
    for _ in range(5):
        for row in range(40):
            c.drawString(40, 800 - 18 * row, "policy text " * 8)
        c.showPage()
    c.save()
    error = refused("text.pdf", out.getvalue(), DocumentLimits(max_document_chars=5_000))
    assert error.setting == "POLICYQA_MAX_DOCUMENT_CHARS" and "页" in error.reason


def test_a_bomb_in_the_corpus_folder_is_skipped_with_the_reason(tmp_path):
    (tmp_path / "bomb.docx").write_bytes(docx_bomb(8 * MIB))
    (tmp_path / "ok.txt").write_text("1.正常文件。内容。", encoding="utf-8")
    loaded = load_corpus(tmp_path, limits=SMALL)
    assert [d.path for d in loaded.documents] == [str(tmp_path / "ok.txt")]
    assert isinstance(loaded.errors[0], DocumentLimitError)
