"""Chinese word segmentation for indexing, queries and highlighting.

``Segmenter`` wraps a private ``jieba.Tokenizer`` (never the global one) loaded with the
project's policy dictionary (``data/policy_terms.txt``), a stopword list, a synonym /
abbreviation table (``data/synonyms.txt``: 保租房 → 保障性租赁住房, 暖气 → 供热, …) that
is applied to questions, and a typo table (``data/typos.txt``: 公祖房 → 公租房, 压金 → 押金)
corrected before it.  All four are plain text files staff can extend; extra files can be
passed in.

Tokens are produced with jieba's search mode (``cut_for_search``) so that long compounds
also yield their parts (保障性租赁住房 → 保障, 租赁, 住房, 保障性租赁住房), plus
Latin/digit runs lower-cased.  Stopwords and punctuation are removed.

Every text is cut in its matching form (:func:`policyqa.folding.fold`: full-width ``２５００`` →
``2500``, traditional ``申請資格`` → ``申请资格``, same length), so a question in one form finds a
passage printed in the other.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .folding import fold

logger = logging.getLogger(__name__)

_DATA = resources.files("policyqa") / "data"
_CJK_OR_WORD = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_jieba_lock = threading.Lock()
# jieba segments each run of Chinese/Latin characters on its own, so cutting a text sentence by
# sentence gives the same tokens as cutting it whole (the index build memoises sentences)
_AFTER_SENTENCE = re.compile(r"(?<=[。！？；!?;\n])")


def _data_lines(name: str, extra: Path | None = None) -> list[str]:
    text = (_DATA / name).read_text(encoding="utf-8")
    if extra is not None and Path(extra).exists():
        text += "\n" + Path(extra).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


@dataclass(frozen=True)
class Expansion:
    """A question after synonym expansion: the original and the appended policy terms."""

    original: str
    added: tuple[str, ...]
    matches: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (everyday phrase, its policy terms)

    @property
    def text(self) -> str:
        return self.original if not self.added else self.original + " " + " ".join(self.added)


PATTERN_PREFIX = "re:"  # a synonyms.txt left side that is a regular expression (a figure with its unit)
CONJUNCTION = "+"  # a synonyms.txt term written 共用部位+经营: its words count only together


def term_words(term: str) -> tuple[str, ...]:
    """The words of a synonym term: ``共用部位+经营`` → (共用部位, 经营); a plain term → (term,)."""
    return tuple(w for w in term.split(CONJUNCTION) if w)


def terms_words(terms: Iterable[str]) -> Iterator[str]:
    """Every word of a line's ``terms``, ``+`` terms word by word (共用部位+经营 → 共用部位, 经营)."""
    return (w for t in terms for w in term_words(t))


def term_in(term: str, text: str) -> bool:
    """Does ``text`` hold the synonym ``term`` — every word of a ``+`` term (共用部位+经营 is held by
    利用物业共用部位…进行经营, not by 收益用于物业共用部位的维修)?"""
    if CONJUNCTION not in term:
        return term in text
    return all(w in text for w in term_words(term))


class Segmenter:
    """jieba + policy dictionary + stopwords + synonyms."""

    def __init__(
        self,
        terms_file: Path | None = None,
        synonyms_file: Path | None = None,
        stopwords_file: Path | None = None,
        typos_file: Path | None = None,
    ) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._tok = jieba.Tokenizer()
        with _jieba_lock:
            self._tok.initialize()
        self.terms: list[str] = []
        for line in _data_lines("policy_terms.txt", terms_file):
            parts = line.split()
            word = parts[0]
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 2000
            self._tok.add_word(word, freq)
            self.terms.append(word)
        self.stopwords: frozenset[str] = frozenset(
            w for line in _data_lines("stopwords.txt", stopwords_file) for w in line.split()
        )
        lines = list(self._parse_synonyms(synonyms_file))
        self.synonyms: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
            (left, right) for left, right in lines if not left.startswith(PATTERN_PREFIX)
        )
        # ``re:`` lines: a figure with its unit (暖气才16度 → 室内温度 温度 摄氏度), matched as a pattern
        self.patterns: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
            (re.compile(left[len(PATTERN_PREFIX):]), right) for left, right in lines if left.startswith(PATTERN_PREFIX)
        )
        # misspelling → the word meant (公祖房 → 公租房), corrected before the synonyms are read
        self.typos: tuple[tuple[str, str], ...] = tuple(
            (wrong, right[0]) for wrong, right in self._parse_table("typos.txt", typos_file) if len(right) == 1
        )
        for wrong, right in self.typos:
            if len(wrong) >= 2 and _is_cjk_word(wrong):
                self._tok.add_word(wrong, 1500)
        for phrase, targets in self.synonyms:
            for word in (phrase, *terms_words(targets)):
                if len(word) >= 2 and _is_cjk_word(word):
                    self._tok.add_word(word, 1500)

    @staticmethod
    def _parse_synonyms(extra: Path | None) -> Iterable[tuple[str, tuple[str, ...]]]:
        return Segmenter._parse_table("synonyms.txt", extra)

    @staticmethod
    def _parse_table(name: str, extra: Path | None) -> Iterable[tuple[str, tuple[str, ...]]]:
        """``phrase => term term …`` lines of a data file (plus an extra file), comments skipped."""
        for line in _data_lines(name, extra):
            if "=>" not in line:
                logger.warning("ignoring %s line without '=>': %s", name, line)
                continue
            left, right = (part.strip() for part in line.split("=>", 1))
            if left and right:
                yield left, tuple(right.split())

    # -- tokenising -----------------------------------------------------------------

    def cut(self, text: str) -> list[str]:
        """Index/query tokens: search-mode words without stopwords/punctuation, Latin lower-cased."""
        out = []
        for word in self._tok.cut_for_search(fold(text)):
            word = word.strip().lower()
            if not word or word in self.stopwords or not _CJK_OR_WORD.search(word):
                continue
            out.append(word)
        return out

    @staticmethod
    def bigrams(text: str) -> list[str]:
        """Character bigrams of every run of Chinese characters (为主线 → 为主, 主线).

        Indexed beside the words so that a word the segmenter splits differently in a question
        and in a document still matches (robust to segmentation mismatch)."""
        return [a + b for run in _CJK_RUN.findall(fold(text)) for a, b in zip(run, run[1:])]

    def index_terms(self, text: str, sentence_terms: Callable[[str], tuple[str, ...]] | None = None) -> list[str]:
        """What the BM25 indexes hold for a passage: words plus character bigrams (prefixed ``#``),
        computed sentence by sentence with ``sentence_terms`` (default :meth:`sentence_terms`; the
        index build passes a memoised one)."""
        terms = sentence_terms or self.sentence_terms
        out: list[str] = []
        for sentence in _AFTER_SENTENCE.split(text):
            if sentence:
                out.extend(terms(sentence))
        return out

    def sentence_terms(self, sentence: str) -> tuple[str, ...]:
        return (*self.cut(sentence), *("#" + g for g in self.bigrams(sentence)))

    def found_as_words(self, text: str, words: Iterable[str]) -> set[str]:
        """The ``words`` (matching form: folded, lower-case) that ``text`` holds as words: a run of its
        whole precise-mode words, or the start or end of one (公积金 in 住房公积金, 出租 in 出租人); not
        a string in the middle of a word or straddling two (房租 in 住房租赁合同)."""
        folded = fold(text).lower()
        present = [w for w in words if w in folded]
        if not present:
            return set()
        spans = self._word_spans(folded)
        return {w for w in present if _edge_words(folded, w, spans)}

    def words(self, text: str) -> list[str]:
        """Precise-mode words (no overlapping parts), stopwords removed; used for highlighting."""
        out = []
        for word in self._tok.cut(fold(text)):
            w = word.strip().lower()
            if w and w not in self.stopwords and _CJK_OR_WORD.search(w):
                out.append(w)
        return out

    def expand(self, question: str) -> Expansion:
        """Append the policy terms for every synonym phrase found in ``question`` (in its matching form).

        Misspellings of the typo table are corrected first (whole words only): the correct word
        is appended with its synonym terms, and the match is reported under the misspelling
        (公祖房 → 公租房 公共租赁住房)."""
        original, question = question, fold(question)
        fixed, fixes = self._correct(question)
        added: list[str] = []
        matches: list[tuple[str, tuple[str, ...]]] = []
        via_fix: dict[str, list[str]] = {wrong: [right] for wrong, right in fixes}
        spans = None
        for phrase, targets in self.synonyms:
            if phrase not in fixed:
                continue
            spans = spans if spans is not None else self._word_spans(fixed)
            if not _fits_words(fixed, phrase, spans):
                continue  # 低保 inside 最低|保修 is a fragment across two words, not the word 低保
            if phrase not in self._outside_longer_terms(fixed, phrase):
                continue  # 垃圾 inside 建筑垃圾
            if phrase not in _outside(fixed, (w for w in terms_words(targets) if phrase in w and w != phrase)):
                continue  # 污水 inside 污水处理费: the question already prints the line's own term
            owner = None if phrase in question else next((w for w, r in fixes if phrase in r), None)
            if owner is not None:
                via_fix[owner].extend(targets)  # the synonym of a corrected word (公租房 in 公祖房)
            else:
                matches.append((phrase, targets))
        for pattern, targets in self.patterns:
            matches.extend((m.group(), targets) for m in pattern.finditer(fixed) if m.group())
        matches.extend((wrong, tuple(dict.fromkeys(via_fix[wrong]))) for wrong, _ in fixes)
        # a phrase listed on several lines (渗水 under two topics) is one everyday phrase
        merged: dict[str, list[str]] = {}
        for phrase, targets in matches:
            merged.setdefault(phrase, []).extend(targets)
        matches = [(phrase, tuple(dict.fromkeys(targets))) for phrase, targets in merged.items()]
        for _, targets in matches:
            for t in terms_words(targets):
                if t not in question and t not in added:
                    added.append(t)
        return Expansion(original, tuple(added), tuple(matches))

    def _correct(self, question: str) -> tuple[str, list[tuple[str, str]]]:
        """``question`` with the typo table's misspellings replaced where they stand as whole words,
        and the (misspelling, correct word) pairs applied."""
        fixes: list[tuple[str, str]] = []
        spans = None
        for wrong, right in self.typos:
            if wrong not in question:
                continue
            spans = spans if spans is not None else self._word_spans(question)
            if _whole_words(question, wrong, spans):
                fixes.append((wrong, right))
        for wrong, right in fixes:
            question = question.replace(wrong, right)
        return question, fixes

    def _word_spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each precise-mode word of ``text``."""
        out, pos = [], 0
        for word in self._tok.cut(text):
            out.append((pos, pos + len(word)))
            pos += len(word)
        return out

    def _outside_longer_terms(self, question: str, phrase: str) -> str:
        """``question`` with longer policy terms that contain ``phrase`` blanked out, so that
        垃圾 → 生活垃圾 does not fire inside 建筑垃圾."""
        return _outside(question, self._longer_terms(phrase))

    def _longer_terms(self, phrase: str) -> list[str]:
        cache = self.__dict__.setdefault("_longer_cache", {})
        if phrase not in cache:
            cache[phrase] = sorted((t for t in self.terms if phrase in t and t != phrase), key=len, reverse=True)
        return cache[phrase]


def _outside(text: str, terms: Iterable[str]) -> str:
    """``text`` with every occurrence of ``terms`` blanked out, longest first."""
    for term in sorted(terms, key=len, reverse=True):
        text = text.replace(term, "　")
    return text


def _occurrences(text: str, phrase: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every occurrence of ``phrase`` in ``text``, overlapping ones included."""
    start = text.find(phrase)
    while start >= 0:
        yield start, start + len(phrase)
        start = text.find(phrase, start + 1)


def _fits_words(text: str, phrase: str, spans: list[tuple[int, int]]) -> bool:
    """Does some occurrence of ``phrase`` in ``text`` respect word boundaries — not start inside one
    word and end inside another (``最低|保修`` holds 低保 only as a fragment)?"""
    def word_at(i: int) -> int:
        return next((k for k, (s, e) in enumerate(spans) if s <= i < e), -1)

    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    return any(start in starts or end in ends or word_at(start) == word_at(end - 1)
               for start, end in _occurrences(text, phrase))


def _whole_words(text: str, phrase: str, spans: list[tuple[int, int]]) -> bool:
    """Does some occurrence of ``phrase`` in ``text`` start and end on word boundaries (然气 is not
    read inside 天|然气 → 天然气, nor 压金 across 挤压|金属)?"""
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    return any(start in starts and end in ends for start, end in _occurrences(text, phrase))


def _edge_words(text: str, phrase: str, spans: list[tuple[int, int]]) -> bool:
    """Does some occurrence of ``phrase`` in ``text`` start on a word boundary and end on one, or lie
    inside one word touching its start or its end (公积金 in 住房公积金)?"""
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    return any(
        (start in starts and end in ends) or any(s <= start and end <= e and (s == start or e == end) for s, e in spans)
        for start, end in _occurrences(text, phrase)
    )


def _is_cjk_word(word: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in word)
