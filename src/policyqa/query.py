"""Query understanding: a question (and the conversation before it) → the words to look for.

``QueryAnalyser.analyse`` segments the question (jieba with the policy dictionary), adds the
policy terms of the everyday phrases it uses (synonym expansion, weight ``EXPANSION_WEIGHT``),
tells what kind of thing it asks for (``intent.AnswerType``: a figure, a time limit, a penalty …)
and, for an elliptical follow-up that cannot stand alone (那…呢, 这个…, or it names nothing the
corpus knows), carries over the previous question's words (weight ``HISTORY_WEIGHT``).
``QueryAnalyser.query_terms`` turns the analysis into the weighted BM25 query (words plus
character bigrams).  ``HybridRetriever`` (``policyqa.retrieval``) uses both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .index.sparse import SparseIndex
from .intent import AnswerType, QuestionCues, asked_types
from .models import Turn
from .segmentation import Expansion, Segmenter, term_words

BIGRAM_WEIGHT = 0.5
EXPANSION_WEIGHT = 0.7
SINGLE_CHAR_WEIGHT = 0.3  # one-character words (年, 房, 建) carry little meaning on their own
# a follow-up's words carried over from the question before: their weight in the search (0.45 let
# 押金 of the turn before outrank 那房东…自己开门进我租的屋子呢's own 擅自进入租赁住房) and in the
# coverage that ranks and calibrates confidence (the refusal model was fitted at 0.45)
HISTORY_WEIGHT = 0.3
HISTORY_COVERAGE_WEIGHT = 0.45
CUE_WORD_WEIGHT = 0.1  # words of the question's answer-type cue (多长时间, 罚多少)
# the acts a cue names (怎么申请, 去哪投诉, 如何办理): the answering article says them too, so they keep their weight
CUE_CONTENT_WORDS = frozenset({"申请", "办理", "投诉", "举报", "提取", "备案", "登记", "复议", "起诉", "维权"})
KEYWORD_SEARCH_CHARS = 24
PRINTED_CACHE = 8192  # policy terms remembered as printed or not in the corpus (the lexicon has ~3k)
# words and marks that make a query a question, not a keyword search
_ASKS = re.compile(r"[？?吗呢吧么]|怎|什么|啥|多少|几[个天年月号次岁]|哪|谁|能不能|可不可以|可以|是否|有没有|如何|为何|为什么|我|咱")


@dataclass(frozen=True)
class QueryAnalysis:
    """What the retriever made of a question."""

    question: str
    query_text: str  # text embedded for dense retrieval
    tokens: tuple[str, ...]  # the question's own content words
    expansion: tuple[str, ...]  # synonym terms added
    history_tokens: tuple[str, ...]  # words carried over from the previous question
    weights: dict[str, float]
    follow_up: bool
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (everyday phrase, policy terms) found
    answer_types: tuple[AnswerType, ...] = ()  # what the question asks for (amount, duration …)
    previous: tuple[str, ...] = ()  # a follow-up's previous answer: its clauses (``doc_id#number``)

    @property
    def keyword_search(self) -> bool:
        """True for a staff-style keyword search (``住房公积金 提取情形``, ``施工图免审范围``): a short
        query (≤ ``KEYWORD_SEARCH_CHARS``) that asks nothing in words; its answer is the article itself."""
        return is_keyword_search(self.question) and not self.follow_up


def is_keyword_search(question: str) -> bool:
    """A short query (≤ ``KEYWORD_SEARCH_CHARS``) that asks nothing in words (``施工图免审范围``)."""
    q = question.strip()
    return len(q) <= KEYWORD_SEARCH_CHARS and not _ASKS.search(q)


class QueryAnalyser:
    """Reads questions with ``segmenter`` and ``cues`` (``intent.QuestionCues``); ``clause_index``
    (the clauses' BM25 index) tells which words the corpus knows."""

    def __init__(self, segmenter: Segmenter, cues: QuestionCues, clause_index: SparseIndex) -> None:
        self.segmenter = segmenter
        self.cues = cues
        self.clauses = clause_index
        # is a policy term printed in this corpus (one of its words is indexed)? bounded by the lexicon
        self._printed = lru_cache(maxsize=PRINTED_CACHE)(
            lambda term: any(clause_index.has(w) for w in segmenter.cut(term) if len(w) > 1 or w.isascii())
        )

    def analyse(self, question: str, history: Sequence[Turn] | None = None) -> QueryAnalysis:
        """What ``question`` asks: its words and their weights (own words 1, one-character words
        ``SINGLE_CHAR_WEIGHT``, synonym terms ``EXPANSION_WEIGHT``, the words that ask ``CUE_WORD_WEIGHT``),
        the kinds of thing asked, and — when it cannot stand alone after ``history`` (earlier turns,
        oldest first) — the previous question's words (``HISTORY_WEIGHT``) and cited clauses."""
        seg = self.segmenter
        expansion = self._known(seg.expand(question))
        tokens = tuple(dict.fromkeys(seg.cut(question)))
        exp_tokens = [t for t in dict.fromkeys(seg.cut(" ".join(expansion.added))) if t not in tokens]
        # merge with the previous question only when this one cannot stand alone (那…呢, 这个…,
        # or it names nothing the corpus knows): a complete new question starts fresh
        follow_up = bool(history) and (
            len(tokens) <= 1
            # a question names something when the corpus knows one of its words, or the lexicon
            # maps one of its everyday phrases to printed terms (养鸡 → 饲养家畜家禽)
            or self.cues.is_elliptical(question, lambda q: self._names_something(seg.cut(q)) or bool(
                (expansion if q == question else self._known(seg.expand(q))).matches))
        )
        hist_tokens: list[str] = []
        query_text = expansion.text
        if follow_up and history:
            prev = history[-1].question
            prev_exp = self._known(seg.expand(prev))
            hist_tokens = [t for t in dict.fromkeys(seg.cut(prev_exp.text)) if t not in tokens and t not in exp_tokens]
            query_text = prev + " " + expansion.text
        weights = {t: HISTORY_WEIGHT for t in hist_tokens}
        weights.update({t: EXPANSION_WEIGHT for t in exp_tokens})
        weights.update({t: 1.0 if len(t) > 1 or t.isascii() else SINGLE_CHAR_WEIGHT for t in tokens})
        # the words that ask (多长时间, 罚多少, 哪个部门) describe the answer, not the topic: the text
        # is not expected to contain them
        types = asked_types(question)
        # a keyword search asks nothing in words: its words (排放标准, 提取情形) are all topic
        cues = [] if is_keyword_search(question) else [c for t in types for c in t.cues if c in question]
        for t in tokens:
            if t not in CUE_CONTENT_WORDS and any(t in c for c in cues):
                weights[t] = min(weights[t], CUE_WORD_WEIGHT)
        if follow_up and history and not types:
            # 那要是饭店这种单位私改呢？ after 私改燃气管道会罚吗？ asks the same thing (a penalty) of the new subject
            types = asked_types(history[-1].question)
        return QueryAnalysis(
            question, query_text, tokens, tuple(exp_tokens), tuple(hist_tokens), weights, follow_up, expansion.matches,
            types, tuple(history[-1].clauses) if follow_up and history else (),
        )

    def _known(self, expansion: Expansion) -> Expansion:
        """``expansion`` without the policy terms this corpus never prints (a term no document uses
        only adds noise, above all to the embedded query: a housing lexicon over another corpus),
        and without the everyday phrases none of whose terms it prints."""
        printed = self._printed
        if all(printed(t) for t in expansion.added):
            return expansion
        matches = tuple(
            (p, kept) for p, ts in expansion.matches if (kept := tuple(t for t in ts if all(map(printed, term_words(t)))))
        )
        return Expansion(expansion.original, tuple(t for t in expansion.added if printed(t)), matches)

    def _names_something(self, tokens: Sequence[str]) -> bool:
        """Does the question name a thing the corpus knows (a word of two or more characters that is
        not generic: 收费标准是谁定的？ names no fee, 要是养了被发现会怎么处理？ nothing kept)?"""
        return any(len(t) > 1 and t not in self.cues.generic and self.clauses.has(t) for t in tokens)

    def query_terms(self, a: QueryAnalysis) -> dict[str, float]:
        """BM25 query: the weighted words plus the character bigrams of the question and its expansion."""
        terms = dict(a.weights)
        seg = self.segmenter
        for g in seg.bigrams(a.question):
            terms.setdefault("#" + g, BIGRAM_WEIGHT)
        for g in seg.bigrams(" ".join(a.expansion)):
            terms.setdefault("#" + g, BIGRAM_WEIGHT * EXPANSION_WEIGHT)
        for g in seg.bigrams(" ".join(a.history_tokens)):
            terms.setdefault("#" + g, BIGRAM_WEIGHT * HISTORY_WEIGHT)
        return terms


__all__ = ["QueryAnalyser", "QueryAnalysis"]
