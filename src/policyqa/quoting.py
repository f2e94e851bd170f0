"""Quote selection: which sentences of the retrieved clauses an answer quotes, verbatim.

``Quoter.select`` scores every quotable sentence of the top clauses by the question's words (IDF
weighted; words of the document's title and headings count less), the dense score of the chunk
it sits in and whether it says the kind of thing asked (``intent.AnswerType``), then shapes the
best ones into quotes: a short legal article whole, a list with its introduction and items, an
answer to "which measures / how" run on into the next sentences.  Every quote is a
``Sentence`` with exact offsets into its clause's text; nothing is generated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .folding import fold
from .models import Clause, Hit, Sentence
from .retrieval import HybridRetriever, QueryAnalysis, Retrieval
from .sanctions import PARTY

LONG_SENTENCE = 110
FRAGMENT_CHARS = 70
SECOND_QUOTE_RATIO = 0.8
TOP_CLAUSE_RATIO = 0.5  # the best-ranked clause leads when its best sentence scores this share of the best one
ANSWER_TYPE_BONUS = 0.3  # a sentence that says what kind of thing was asked (intent.AnswerType)
# a quote answering "which measures / how" runs on into the clause's next sentences up to this
# many characters (measured on ncp: answer span in the quote 0.50 → 0.57; dev set unchanged)
CONTINUE_CHARS = 160
LIST_CHARS = 220  # a list introduced by 下列… is quoted whole up to this many characters
# a quote pointing back (前款…) is quoted from its antecedent paragraph up to this many characters
ANTECEDENT_CHARS = 420
_REFERS_BACK = re.compile(r"前款|前两款|前三款")
# a sentence that opens on the case left over by the one before it (…双方有合同约定的，从其约定；无合同约定的，
# 供热单位应当按日…退还…): quoted with that sentence, or its condition is lost
_PREMISED = re.compile(
    r"^(?:无|没有)[^，。；]{0,8}约定[^，。；]{0,4}的，|^(?:但|但是|其中|协商不成的|约定不明确的|逾期(?:不|未|仍)|情节严重的|拒不)"
    r"|^(?:给[^，。；]{1,12})?造成(?:[^，。；]{0,6})?损失的"  # 造成损失的，依法承担赔偿责任 — whose act?
)
PREMISE_CHARS = 200
_ORDER_END = re.compile(r"责令(?:限期)?改正[；;]$")  # …由主管部门责令限期改正；
_ORDER_SANCTION = re.compile(r"^逾期(?:不|未|仍)")  # 逾期不改正的，处…
PARTY_CHARS = 80  # the other party's sanction is quoted with the first when it is this short
# a legal article this short is quoted whole: its paragraphs qualify each other (the exception
# follows the rule, the figure follows the condition), and half an article misleads (kb_questions:
# key in answer 0.47 → see README); longer articles are quoted by their best sentences and items
WHOLE_ARTICLE_CHARS = 200
# the details a quote states or not, most specific first, and how a partial answer names one it lacks
# (``answering.Answerer._missing_detail``; 电话是多少 needs a phone number, not any figure)
DETAIL_NAMES = {"contact": "联系电话、网址或办理地点", "start": "起算时间", "duration": "具体期限",
                "authority": "具体负责的部门或单位", "categories": "具体分类或组成", "documents": "需要提交或提供的具体材料",
                "amount": "具体数额或标准"}
WHOLE_ARTICLE_CHARS_SEARCH = 420  # a keyword search (``QueryAnalysis.keyword_search``) gets longer articles whole
_INTRODUCES_LIST = re.compile(r"[：:]$|下列[^。；]*[：:]?$")
_ENDS_SENTENCE = re.compile(r"[。！？；!?;][”’」』）)]*$")
LIST_QUESTION_RE = re.compile(r"哪些|什么|如何|怎么|怎样|措施|举措|要求|条件|政策|规定|内容|办法|流程|程序")


@dataclass(frozen=True)
class Candidate:
    """A sentence (or fragment, or run of sentences) of ``hit``'s clause that may be quoted, and its score."""

    hit: Hit
    sentence: Sentence
    score: float


class Quoter:
    """Chooses an answer's quotes (at most ``max_quotes``) from a ``Retrieval`` made by
    ``retriever``, whose clause index gives the words' IDF and whose chunks the dense scores."""

    def __init__(self, retriever: HybridRetriever, max_quotes: int = 3) -> None:
        self.retriever = retriever
        self.max_quotes = max_quotes

    def select(self, r: Retrieval) -> list[Candidate]:
        """The quotes for ``r``, which must have hits: the leading quote first, then the others
        (quotes of one clause in document order); ``[]`` when nothing in the top clauses is quotable."""
        a = r.analysis
        top = r.hits[0].score or 1.0
        idf = self.idf_weights(a)
        cands: list[Candidate] = []
        for hit in r.hits[:3]:
            factor = hit.score / top
            if factor < 0.6:
                continue
            dense_by_span = self._dense_spans(hit, r)
            # words naming the document or clause (titles, section) locate the clause, not the sentence
            heading = fold(hit.doc_title + hit.clause.title + hit.clause.section).lower()  # tokens are lower-case
            local = {t: (w * 0.3 if t in heading else w) for t, w in idf.items()}
            norm = sum(local.values()) or 1.0
            title = _squash(hit.doc_title)
            for sent in quotable_sentences(hit.clause):
                if _echoes_title(_squash(sent.text), title):
                    continue  # the document's title repeated in its text says nothing new
                lowered = fold(sent.text).lower()  # 申請 matches 申请, ２５００ matches 2500
                lex = sum(w for t, w in local.items() if t in lowered) / norm
                dense = max((s for (st, en), s in dense_by_span if st <= sent.start < en), default=0.0)
                # a sentence that says what was asked (the figure, the time limit, the penalty) first
                said = float(a.answer_types[0].said(sent.text, a.question)) if a.answer_types else 0.0
                score = 0.75 * lex + 0.25 * dense + ANSWER_TYPE_BONUS * said
                cands.append(Candidate(hit, sent, score * (0.5 + 0.5 * factor)))
        if not cands:
            first = r.hits[0]
            sents = quotable_sentences(first.clause)
            return [Candidate(first, sents[0], 0.0)] if sents else []
        cands.sort(key=lambda c: -c.score)
        # the first quote comes from the best-ranked clause when one of its sentences comes near
        # the best sentence: retrieval weighs the whole article (title, chapter, the kind of
        # answer asked, the question's document), a sentence score only its own words
        top_id = r.hits[0].clause.clause_id
        bar = TOP_CLAUSE_RATIO * cands[0].score
        best = next((c for c in cands if c.hit.clause.clause_id == top_id and c.score >= bar and c.score > 0), cands[0])
        cands = [best] + [c for c in cands if c is not best]
        picks = [best]
        for c in cands[1:]:
            if len(picks) >= self.max_quotes or c.score < SECOND_QUOTE_RATIO * best.score or c.score <= 0:
                break
            if any(_overlaps(c, p) for p in picks):
                continue
            picks.append(c)
        picks = self._with_stated_detail(picks, cands, a)
        whole = self._whole_article(best, WHOLE_ARTICLE_CHARS_SEARCH if a.keyword_search else WHOLE_ARTICLE_CHARS)
        if whole is not None:
            others = [p for p in picks if p.hit.clause.clause_id != best.hit.clause.clause_id]
            # another short article is quoted whole too (its remedy follows its rule: 协商不成的，…)
            others = [self._whole_article(p) or p for p in others]
            return [whole] + self._with_listed_items(others, idf)[: self.max_quotes - 1]
        # quotes from the same clause read best in document order
        picks.sort(key=lambda c: (c.hit.score != best.hit.score, -c.hit.score, c.sentence.start))
        if LIST_QUESTION_RE.search(a.question) or len(best.sentence.text) < 30:
            picks = [self._continued(c, picks, CONTINUE_CHARS) if c is best else c for c in picks]
        return _with_antecedents(self._with_listed_items(picks, idf))

    def _with_stated_detail(self, picks: list[Candidate], cands: list[Candidate], a: QueryAnalysis) -> list[Candidate]:
        """A question asking for a detail (``DETAIL_NAMES``: a figure, a time limit, a start date, a body,
        a contact) — or else for the most specific kind asked (不服 → a remedy) — gets the leading
        clause's sentence that states it (按不低于建筑总面积的千分之四配置 under 按多大比例配), when no
        quote of that clause does: it joins the quotes after the leading one, in place of the weakest
        other quote if they are full."""
        asked = [t for t in a.answer_types if t.name in DETAIL_NAMES] or list(a.answer_types[:1])
        lead_id = picks[0].hit.clause.clause_id
        if not asked:
            return picks
        if any(t.said(p.sentence.text, a.question) for t in asked for p in picks if p.hit.clause.clause_id == lead_id):
            # a question asking two details (找谁，屋里应该多少度): the other one from the next articles
            for t in asked:
                if any(t.said(p.sentence.text, a.question) for p in picks):
                    continue
                other = next((c for c in cands if c.score > 0 and not any(_overlaps(c, p) for p in picks)
                              and t.said(c.sentence.text, a.question)), None)
                if other is not None:
                    picks = picks + [other] if len(picks) < self.max_quotes else picks[:-1] + [other]
            return picks
        stating = next((c for c in cands if c.hit.clause.clause_id == lead_id and c.score > 0 and not any(_overlaps(c, p) for p in picks)
                        and any(t.said(c.sentence.text, a.question) for t in asked)), None)
        if stating is None:
            return picks
        rest = picks[1:] if len(picks) < self.max_quotes else picks[1:-1]
        return [picks[0], stating] + rest

    @staticmethod
    def _whole_article(c: Candidate, limit: int = WHOLE_ARTICLE_CHARS) -> Candidate | None:
        """The whole body of the quote's article (label left out) when it is a legal article of at
        most ``limit`` characters; ``None`` otherwise."""
        clause = c.hit.clause
        if not clause.is_article or not clause.sentences:
            return None
        start, end = clause.sentences[0].start, clause.sentences[-1].end
        if end - start > limit:
            return None
        return Candidate(c.hit, Sentence(clause.text[start:end], start, end), c.score)

    @staticmethod
    def _list_intro(c: Candidate) -> Candidate | None:
        """For a quote inside a list item: the sentence introducing the list (…下列情形之一的…：), if any."""
        clause = c.hit.clause
        items = [p for p in clause.parts if p.kind in ("item", "subitem")]
        if not any(p.start <= c.sentence.start < p.end for p in items):
            return None
        first_item = min((p.start for p in items), default=0)
        intro = [s for s in clause.sentences if s.end <= first_item and _INTRODUCES_LIST.search(s.text)]
        if not intro:
            return None
        s = intro[-1]
        # the introduction runs from the sentence's full stop before it: 违反本条例规定，有下列行为之一的，
        # …处1000元以下罚款；…构成犯罪的，依法追究刑事责任： is one introduction, not its last clause
        begin = max(clause.text.rfind("。", 0, s.start) + 1, clause.sentences[0].start)
        while begin < s.start and clause.text[begin].isspace():
            begin += 1
        start = begin if s.end - begin <= LIST_CHARS else s.start
        if start == s.start:
            for frag in quotable_sentences(clause):  # a long one: the fragment holding the colon
                if frag.start <= s.end - 1 < frag.end and frag.end == s.end:
                    start = frag.start
        return Candidate(c.hit, Sentence(clause.text[start : s.end], start, s.end), c.score)

    def _with_listed_items(self, picks: list[Candidate], weights: dict) -> list[Candidate]:
        """A quote that introduces a list (``职工有下列情形之一的，可以提取…：``) is not an answer on its
        own: a short list (≤ ``LIST_CHARS``) is quoted whole, a long one by its items that share the
        most words with the question (up to ``max_quotes`` quotes in all)."""
        out: list[Candidate] = []
        listed: set[str] = set()  # clauses whose list is quoted already (one list per clause)
        for i, c in enumerate(picks):
            c = self._list_intro(c) or c  # an item quoted alone gets the sentence that introduces it
            if any(_overlaps(c, o) for o in out):
                continue  # two items of one list share their introduction: quote it once
            clause_id = c.hit.clause.clause_id
            if not _INTRODUCES_LIST.search(c.sentence.text) or clause_id in listed:
                out.append(c)
                continue
            items = [p for p in c.hit.clause.parts if p.kind in ("item", "subitem") and p.start >= c.sentence.end]
            if not items:
                out.append(c)
                continue
            listed.add(clause_id)
            text = c.hit.clause.text
            end = items[-1].end
            if end - c.sentence.start <= LIST_CHARS:
                out.append(Candidate(c.hit, Sentence(text[c.sentence.start : end], c.sentence.start, end), c.score))
                continue
            out.append(c)
            # the items say what the introduction does not: words of the introduction and of the
            # document's title (燃气经营者不得有下列行为 in 城镇燃气管理条例) do not choose an item
            said = fold(c.sentence.text + c.hit.doc_title).lower()
            scored = sorted(
                items,
                key=lambda p: -sum(w for t, w in weights.items() if t not in said and t in fold(text[p.start : p.end]).lower()),
            )
            # the list of the best quote comes before quotes from other clauses
            room = max(2, self.max_quotes - len(picks)) if i == 0 else self.max_quotes - len(out)
            for p in sorted(scored[: max(1, room)], key=lambda p: p.start):
                out.append(Candidate(c.hit, Sentence(text[p.start : p.end], p.start, p.end), c.score))
        return out[: max(self.max_quotes, len(picks))]

    @staticmethod
    def _continued(c: Candidate, picks: list[Candidate], limit: int) -> Candidate:
        """The quote followed by the clause's next sentence(s) while it stays under ``limit``
        characters: answers that list measures or steps run on past one sentence.  It stops at
        the end of a sentence, never inside one, unless the quote itself is part of a long
        sentence (then the rest of that sentence may follow, part by part)."""
        text = c.hit.clause.text
        start, end = c.sentence.start, c.sentence.end
        inside = not _ENDS_SENTENCE.search(c.sentence.text)  # the quote is part of a long sentence
        reach = end
        for u in quotable_sentences(c.hit.clause):
            if u.start < end:
                continue
            if u.start != end or u.end - start > limit or any(
                p is not c and p.hit.clause.clause_id == c.hit.clause.clause_id and p.sentence.start < u.end and u.start < p.sentence.end
                for p in picks
            ):
                break
            end = u.end
            ends = bool(_ENDS_SENTENCE.search(u.text))
            if inside or ends:
                reach = end
            inside = inside and not ends
        end = reach
        if end == c.sentence.end:
            return c
        return Candidate(c.hit, Sentence(text[start:end], start, end), c.score)

    def idf_weights(self, a: QueryAnalysis) -> dict[str, float]:
        """Each of the question's words (``a.weights``) → its weight × its IDF in the clause index
        (carried-over words of a follow-up damped; a word the index lacks counts as a rare one)."""
        ix = self.retriever.clauses
        # in a follow-up (那农村的呢？) the new words choose the sentence; the carried-over ones barely do
        damp = {t: 0.3 for t in a.history_tokens}
        # a word the segmenter split differently in the text (为主线 → 为主/线) still counts where it
        # appears literally, as a rare word
        rare = math.log(1 + (ix.size - 0.5) / 1.5)
        return {t: w * damp.get(t, 1.0) * (max(ix.idf(t), 0.1) if ix.has(t) else rare) for t, w in a.weights.items()}

    def _dense_spans(self, hit: Hit, r: Retrieval) -> list[tuple[tuple[int, int], float]]:
        out = []
        scores = list(r.chunk_dense.values())
        if not scores:
            return out
        lo, hi = min(scores), max(scores)
        for ch in self.retriever.chunks_of(hit.clause):
            if ch.chunk_id in r.chunk_dense:
                out.append(((ch.start, ch.end), (r.chunk_dense[ch.chunk_id] - lo) / ((hi - lo) or 1.0)))
        return out


def quotable_sentences(clause: Clause) -> list[Sentence]:
    """Sentences worth quoting: the heading sentence (``5.完善住房保障体系。``) is skipped and
    very long sentences are cut at commas into fragments (still verbatim, with exact offsets)."""
    out: list[Sentence] = []
    heading = "" if clause.is_article else (clause.label + clause.title).strip()
    for s in clause.sentences:
        if heading and s.text.rstrip("。；;") in (heading, clause.title):
            continue
        if len(s.text) <= LONG_SENTENCE:
            out.append(s)
            continue
        out.extend(_fragments(s))
    if not out and clause.sentences:  # a clause that is only its heading is quoted whole
        out = [s for c in clause.sentences for s in ([c] if len(c.text) <= LONG_SENTENCE else _fragments(c))]
    return out


def _fragments(s: Sentence) -> list[Sentence]:
    parts, start = [], 0
    pieces = re.split(r"(?<=[，,：:])", s.text)
    buf = ""
    for piece in pieces:
        if buf and len(buf) + len(piece) > FRAGMENT_CHARS:
            parts.append(Sentence(buf, s.start + start, s.start + start + len(buf)))
            start += len(buf)
            buf = ""
        buf += piece
    if buf:
        parts.append(Sentence(buf, s.start + start, s.start + start + len(buf)))
    return parts


def _squash(text: str) -> str:
    return re.sub(r"[\s。；;，,：:！!？?、]", "", text)


def _echoes_title(sentence: str, title: str) -> bool:
    if not sentence or not title:
        return False
    sentence = sentence.strip("《》")
    return sentence in title or (sentence.startswith(title) and len(sentence) < len(title) + 12)


def _with_antecedents(picks: list[Candidate]) -> list[Candidate]:
    """A quote that points back to the paragraph before it (前款所列资料, 因实施前款行为) is quoted
    from the start of that paragraph (with its list, if it has one) when the whole stays within
    ``ANTECEDENT_CHARS``: 前款 without its paragraph says nothing.  Quotes the longer one now holds
    are dropped."""
    out: list[Candidate] = []
    for c in picks:
        text = c.hit.clause.text
        while _PREMISED.match(c.sentence.text):  # back to a sentence that does not open on a premise
            before = [s for s in c.hit.clause.sentences if s.end <= c.sentence.start]
            # the sentence before, in the same paragraph (no line break between them)
            if not before or "\n" in text[before[-1].start : c.sentence.start] or c.sentence.end - before[-1].start > PREMISE_CHARS:
                break
            c = Candidate(c.hit, Sentence(text[before[-1].start : c.sentence.end], before[-1].start, c.sentence.end), c.score)
        if _REFERS_BACK.search(c.sentence.text):
            before = [p for p in c.hit.clause.parts if p.kind == "paragraph" and p.end <= c.sentence.start]
            if before and c.sentence.end - before[-1].start <= ANTECEDENT_CHARS:
                start = before[-1].start
                c = Candidate(c.hit, Sentence(text[start : c.sentence.end], start, c.sentence.end), c.score)
        c = _with_other_party(_with_order_sanction(c))
        out = [o for o in out if not _within(o, c)]
        if not any(_within(c, o) for o in out):
            out.append(c)
    return out


def _next_sentence(c: Candidate) -> Sentence | None:
    """The sentence right after the quote in its paragraph, or ``None``."""
    after = [s for s in c.hit.clause.sentences if s.start >= c.sentence.end]
    if not after or "\n" in c.hit.clause.text[c.sentence.end : after[0].start]:
        return None
    return after[0]


def _with_order_sanction(c: Candidate) -> Candidate:
    """A quote ending on an order to correct (…由燃气管理部门责令限期改正；) runs on into the next
    sentence when that one sanctions not correcting (逾期不改正的，对个人可以处1000元以下罚款…): the
    order alone hides the penalty asked about."""
    nxt = _next_sentence(c)
    if nxt is None or not _ORDER_END.search(c.sentence.text) or not _ORDER_SANCTION.match(nxt.text):
        return c
    text = c.hit.clause.text
    end = nxt.end if len(nxt.text) <= PREMISE_CHARS else c.sentence.end
    return Candidate(c.hit, Sentence(text[c.sentence.start : end], c.sentence.start, end), c.score)


def _with_other_party(c: Candidate) -> Candidate:
    """A quote ending on one party's sanction (个人有前款规定行为之一的，处…) runs on into the next
    sentence of its paragraph when that one sanctions the other party (单位…，处…): which of the two
    the asker is, the quote cannot tell, and half the pair gives a wrong amount to the other."""
    text = c.hit.clause.text
    inside = [s for s in c.hit.clause.sentences if c.sentence.start <= s.start and s.end <= c.sentence.end]
    after = _next_sentence(c)
    if not inside or after is None or len(after.text) > PARTY_CHARS:
        return c
    last, nxt = PARTY.match(inside[-1].text), PARTY.match(after.text)
    if not last or not nxt or last.group(1) == nxt.group(1):
        return c
    return Candidate(c.hit, Sentence(text[c.sentence.start : after.end], c.sentence.start, after.end), c.score)


def _within(a: Candidate, b: Candidate) -> bool:
    """Is quote ``a`` inside quote ``b`` (same clause)?"""
    return a.hit.clause.clause_id == b.hit.clause.clause_id and b.sentence.start <= a.sentence.start and a.sentence.end <= b.sentence.end


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.hit.clause.clause_id == b.hit.clause.clause_id and a.sentence.start < b.sentence.end and b.sentence.start < a.sentence.end



__all__ = ["Candidate", "Quoter", "quotable_sentences"]
