"""Decompression bombs and oversized documents, built in memory (no large files in the repository)."""

from __future__ import annotations

import zipfile
import zlib
from io import BytesIO

MIB = 1024 * 1024


def small_docx(text: str = "1.加强物业服务监管。街道办事处负责指导监督。") -> bytes:
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def docx_bomb(expanded_bytes: int, *, member: str = "word/document.xml") -> bytes:
    """A valid .docx whose ``member`` carries ``expanded_bytes`` of XML whitespace (compresses ~1000x).

    Written as a stream, so building a 100 MB bomb never holds 100 MB."""
    source = zipfile.ZipFile(BytesIO(small_docx()))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in source.infolist():
            data = source.read(info)
            if info.filename != member:
                z.writestr(info.filename, data)
                continue
            head, sep, tail = data.partition(b"<w:body>")
            info = zipfile.ZipInfo(member)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as fh:
                fh.write(head + sep)
                left = expanded_bytes
                block = b" " * MIB
                while left > 0:
                    fh.write(block[: min(left, MIB)])
                    left -= MIB
                fh.write(tail)
    return out.getvalue()


def pdf_pages(count: int) -> bytes:
    """A PDF of ``count`` blank pages."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(100, 100)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_stream_bomb(expanded_bytes: int) -> bytes:
    """A one-page PDF whose content stream (FlateDecode) inflates to ``expanded_bytes``."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    stream = StreamObject()
    stream._data = zlib.compress(b"BT /F1 12 Tf (x) Tj ET\n" + b" " * expanded_bytes, 9)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
