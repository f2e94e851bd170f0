"""PDF fixtures for the loader tests: reportlab pages of lines, and a CJK font pypdf reads back."""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def make_pdf(pages: list[list[str]], font: str = "Helvetica", size: int = 12) -> bytes:
    """One PDF page per list of lines (an empty list is a page without text, like a scanned page)."""
    from reportlab.pdfgen import canvas

    buf = BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(595, 842))
    for lines in pages:
        if lines:
            pdf.setFont(font, size)
        else:
            pdf.rect(40, 400, 500, 300, fill=1)  # a "scan": something drawn, no text
        y = 780
        for line in lines:
            pdf.drawString(40, y, line)
            y -= 20
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


@functools.cache
def cjk_font() -> str | None:
    """A reportlab font whose Chinese text pypdf extracts again, or ``None``."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    from policyqa.documents.loaders import load_bytes

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    candidates = ["STSong-Light"]
    if WQY.exists():
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont("WenQuanYi", str(WQY), subfontIndex=0))
        candidates.append("WenQuanYi")
    for font in candidates:
        if load_bytes("probe.pdf", make_pdf([["住房保障（一）“两个维护”。"]], font)).text == "住房保障（一）“两个维护”。":
            return font
    return None


def merge_pdfs(*parts: bytes) -> bytes:
    """The pages of ``parts`` in order, in one PDF (pypdf)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in parts:
        for page in PdfReader(BytesIO(data)).pages:
            writer.add_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
