"""The matching form of a text: what indexing, queries and highlighting compare, never what is quoted.

:func:`fold` maps a text to a string **of the same length** whose characters can be compared
with a question's, so an offset found in the folded text is an offset into the original:

* full-width ASCII (U+FF01–U+FF5E: ``２５００元``, ``ＡＢＣ``, ``１．``) → ASCII (``2500元``);
  the ideographic space U+3000 → a space;
* traditional characters → simplified (``申請資格`` → ``申请资格``) with OpenCC's ``t2s``
  conversion (``opencc-python-reimplemented``: phrase table, then character table); when a
  phrase conversion would change the length, the text is converted character by character.

Documents keep their characters as printed (quotes and offsets are verbatim); the segmenter folds
every passage and question before cutting it, and the highlighter folds the clause text before
looking for the question's terms.
"""

from __future__ import annotations

import functools

__all__ = ["fold", "fold_width", "to_simplified"]

# full-width ASCII variants → ASCII, ideographic space → space (one character each)
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20


def fold_width(text: str) -> str:
    """Full-width ASCII → ASCII and U+3000 → space; same length."""
    return text.translate(_WIDTH)


def fold(text: str) -> str:
    """The matching form of ``text`` (see module docstring); ``len(fold(t)) == len(t)``."""
    return to_simplified(text.translate(_WIDTH))


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese of the same length; text without traditional characters is
    returned as is (the common case costs one set test)."""
    tables = _tables()
    if tables.traditional.isdisjoint(text):
        return text
    converted = tables.converter.convert(text)  # a fresh parse tree per call: thread-safe once loaded
    if len(converted) == len(text):
        return converted
    chars = tables.chars
    return "".join(chars.get(ch, ch) for ch in text)


class _Tables:
    def __init__(self) -> None:
        from opencc import OpenCC

        self.converter = OpenCC("t2s")
        self.converter.convert("乾")  # loads the dictionaries now, not in a racing first call
        self.chars: dict[str, str] = {}
        for line in _dictionary("TSCharacters.txt").splitlines():
            key, _, values = line.partition("\t")
            value = values.split(" ")[0]
            if len(key) == 1 and len(value) == 1 and value != key:
                self.chars[key] = value
        # a text without any character the table changes is left alone (one set test)
        self.traditional = frozenset(self.chars)


def _dictionary(name: str) -> str:
    from importlib import resources

    return (resources.files("opencc") / "dictionary" / name).read_text(encoding="utf-8")


@functools.cache
def _tables() -> _Tables:
    return _Tables()
