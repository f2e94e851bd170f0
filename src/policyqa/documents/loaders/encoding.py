"""Bytes → text for ``.txt``/``.md``/``.html``: BOMs, UTF-8, and the legacy Chinese encodings.

Order: a declared charset (HTML ``<meta>``), a byte-order mark, UTF-8 (also with a cut-off last
character or a few damaged bytes), then the legacy encodings.  GB18030 decodes almost any byte
string, Big5 files included (as mojibake), and UTF-16 without a BOM has no marker at all, so the
legacy step decodes the bytes every plausible way — GB18030 (GBK/GB2312), Big5 (``big5hkscs``),
UTF-16 LE/BE, and whatever ``charset_normalizer`` detects — and keeps the reading whose non-ASCII
characters are most often common Chinese characters (GB2312 or Big5's 常用字) or CJK punctuation.
Text that is not Chinese at all (no reading scores well) takes ``charset_normalizer``'s reading.
"""

from __future__ import annotations

import codecs
import functools
import logging
from collections.abc import Iterator

from ...errors import DocumentParseError

__all__ = ["BAD_ENCODING", "decode"]

logger = logging.getLogger(__name__)

BAD_ENCODING = "无法识别文件编码（请另存为 UTF-8）：文件可能不是文本文件 (unknown encoding or binary file)"

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip
_ALLOWED_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1a")
_LEGACY = ("gb18030", "big5hkscs", "utf-16-le", "utf-16-be")
CHINESE_SCORE = 0.6  # share of common characters a legacy reading needs to count as Chinese text
CLEARLY_CHINESE = 0.9  # a reading this Chinese is taken without trying the others
_SAMPLE_CHARS = 20_000


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text if ch < " " and ch not in _ALLOWED_CONTROLS)
    return controls > max(2, len(text) // 100)


def decode(shown: str, data: bytes, *, declared: str | None = None) -> str:
    """Bytes → str (see module docstring); :class:`DocumentParseError` for binary or undecodable data."""
    for candidate in _decodings(shown, data, declared):
        if candidate is not None and not _looks_binary(candidate):
            return candidate
    raise DocumentParseError(shown, BAD_ENCODING)


def _decodings(shown: str, data: bytes, declared: str | None) -> Iterator[str | None]:
    if declared:
        yield _strict(data, declared)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            yield _strict(data, codec)
            break
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        yield body.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield _mostly_utf8(shown, body, exc)
    yield _legacy(shown, data)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_utf8(shown: str, data: bytes, exc: UnicodeDecodeError) -> str | None:
    """UTF-8 with a cut-off last character or a few stray bytes (GB18030 would turn it into mojibake)."""
    if exc.reason == "unexpected end of data" and exc.end == len(data) and exc.start >= len(data) - 3:
        logger.warning("%s：文件末尾的字符不完整，已忽略 (truncated UTF-8 at end of file)", shown)
        return data[: exc.start].decode("utf-8", errors="replace")
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for ch in text if "\u0080" <= ch != "\ufffd")
    # GBK read as UTF-8 gives about one bad sequence per character; real UTF-8 with a
    # damaged byte or two has far more good multi-byte characters than bad ones.
    if multibyte >= 10 and bad * 20 <= multibyte:
        logger.warning("%s：UTF-8 文本中有 %d 处无效字节，已替换为 U+FFFD", shown, bad)
        return text
    return None


def _legacy(shown: str, data: bytes) -> str | None:
    """The most Chinese-looking reading of non-UTF-8 bytes, else ``charset_normalizer``'s reading."""
    readings: list[tuple[float, int, str, str]] = []
    for rank, codec in enumerate(_LEGACY):
        if codec.startswith("utf-16") and len(data) % 2:
            continue
        text = _strict(data, codec)
        if text is None or _looks_binary(text):
            continue
        score = chinese_score(text)
        if score >= CLEARLY_CHINESE:  # GBK read as GB18030 (the common case) stops here
            return _chosen(shown, codec, score, text)
        readings.append((score, -rank, codec, text))
    detected, codec = _charset_normalizer(data)
    if detected is not None and not _looks_binary(detected):
        readings.append((chinese_score(detected), -len(_LEGACY), codec, detected))
    if readings:
        score, _, codec, text = max(readings)
        if score >= CHINESE_SCORE:
            return _chosen(shown, codec, score, text)
    return detected


def _chosen(shown: str, codec: str, score: float, text: str) -> str:
    if codec != "gb18030":
        logger.info("%s：按 %s 编码读取 (Chinese score %.2f)", shown, codec, score)
    return text


def _charset_normalizer(data: bytes) -> tuple[str | None, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return (None, "") if best is None else (str(best), best.encoding)


def chinese_score(text: str) -> float:
    """Share of the non-ASCII characters (and control characters) of ``text`` that are common in
    Chinese text: CJK punctuation, full-width forms, GB2312 hanzi or Big5 常用字.  1.0 for ASCII."""
    chars = [ch for ch in text[:_SAMPLE_CHARS] if not ch.isascii() or (ch < " " and ch not in _ALLOWED_CONTROLS)]
    if not chars:
        return 1.0
    return sum(map(_common, chars)) / len(chars)


@functools.lru_cache(maxsize=1 << 16)
def _common(ch: str) -> bool:
    cp = ord(ch)
    if 0x3000 <= cp <= 0x303F or 0xFF01 <= cp <= 0xFF5E or ch in "“”‘’—…·－～":
        return True
    if not 0x4E00 <= cp <= 0x9FFF:
        return False
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        pass
    try:
        code = int.from_bytes(ch.encode("big5"), "big")
    except UnicodeEncodeError:
        return False
    return 0xA440 <= code <= 0xC67E  # Big5 常用字 (frequently used characters)
