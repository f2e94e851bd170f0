"""Answerer: retrieved clauses → a short extractive answer whose every sentence is a cited quote.

No text is generated: the answer is 1–3 sentences copied verbatim from the best clauses, each
followed by its citation marker, plus fixed framing words and notes (placeholder figures to be
confirmed; cited documents missing from the corpus).  When the evidence is weak the answer is
refused — a normal ``Answer`` with ``refused=True`` — with advice on how to ask and whom to contact.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .confidence import calibration_for
from .folding import fold
from .intent import default_other_topics
from .lead import direct_lead
from .models import Answer, Citation, Clause, Document, Hit, RelatedClause, Sentence, Validity, clause_reference
from .retrieval import HybridRetriever, QueryAnalysis, Retrieval

PLACEHOLDER_RE = re.compile(r"(?<![A-Za-z])x{1,4}(?:[—\-–]x{1,4})?(?![A-Za-z])")
THANKS_RE = re.compile(r"^(谢谢|多谢|感谢|好的谢谢|thank)", re.IGNORECASE)
GREETING_RE = re.compile(r"^(你好|您好|hi|hello|嗨|在吗|在不在|谢谢|感谢|你是谁|你是真人|你是机器人)", re.IGNORECASE)
LONG_SENTENCE = 110
FRAGMENT_CHARS = 70
SECOND_QUOTE_RATIO = 0.8
TOP_CLAUSE_RATIO = 0.5  # the best-ranked clause leads when its best sentence scores this share of the best one
ANSWER_TYPE_BONUS = 0.3  # a sentence that says what kind of thing was asked (intent.AnswerType)
# kinds of detail whose absence makes an answer partial, and how the answer names what is missing
PARTIAL_TYPES = {"contact": "联系电话或办公地址", "duration": "具体期限", "authority": "具体负责的部门或单位",
                 "amount": "具体数额或标准"}  # most specific first
# confidence of an answer whose quotes miss the asked detail: a partial answer stays below the
# answer threshold (×0.95 of it); an answer whose quotes do not say the kind of thing asked is scaled
UNSAID_CONFIDENCE = 0.85
# an elliptical follow-up that continues a grounded answer (``Answerer._continues``) is answered at
# this share of the way from the answer threshold to 1
FOLLOW_UP_SHARE = 0.3
# an answer's confidence loses up to this share when its quotes carry none of the question's words
QUOTE_SUPPORT_WEIGHT = 0.3
CUE_WEIGHT = 0.1  # question words at or below this weight ask (多少, 罚多少), they are not the topic
OTHER_TOPIC_CONFIDENCE = 0.5  # a question about another department's topic: half the answer threshold at most
PARTIAL_CONFIDENCE = 0.95
# a quote answering "which measures / how" runs on into the clause's next sentences up to this
# many characters (measured on ncp: answer span in the quote 0.50 → 0.57; dev set unchanged)
CONTINUE_CHARS = 160
LIST_CHARS = 220  # a list introduced by 下列… is quoted whole up to this many characters
# a legal article this short is quoted whole: its paragraphs qualify each other (the exception
# follows the rule, the figure follows the condition), and half an article misleads (kb_questions:
# key in answer 0.47 → see README); longer articles are quoted by their best sentences and items
WHOLE_ARTICLE_CHARS = 200
_INTRODUCES_LIST = re.compile(r"[：:]$|下列[^。；]*[：:]?$")
_ENDS_SENTENCE = re.compile(r"[。！？；!?;][”’」』）)]*$")
LIST_QUESTION_RE = re.compile(r"哪些|什么|如何|怎么|怎样|措施|举措|要求|条件|政策|规定|内容|办法|流程|程序")

PLACEHOLDER_NOTE = "引文中的“xx”“x—x”等为原文中未公开的具体数字，请以官方正式发布的文件为准。"
MISSING_DOC_NOTE = "文中提到的{titles}未收录在本知识库中，如需查阅请以官方发布的全文为准。"


@dataclass(frozen=True)
class _Candidate:
    hit: Hit
    sentence: Sentence
    score: float


class Answerer:
    def __init__(
        self,
        retriever: HybridRetriever,
        corpus_titles: set[str],
        *,
        refusal_threshold: float | None,
        contact: str,
        max_quotes: int = 3,
        page_of: Callable[[str, int], int | None] | None = None,
        documents: Mapping[str, Document] | None = None,
        validity: Mapping[str, Validity] | None = None,
    ) -> None:
        self.retriever = retriever
        self.corpus_titles = corpus_titles
        embedder = getattr(retriever, "embedder", None)
        self.calibration = calibration_for(embedder.model_id if embedder is not None else "")
        self.refusal_threshold = self.calibration.threshold if refusal_threshold is None else refusal_threshold
        self.contact = contact
        self.max_quotes = max_quotes
        self.page_of = page_of or (lambda doc_id, offset: None)
        self.documents = documents or {}
        self.validity = validity or {}

    # -- confidence ---------------------------------------------------------------

    def confidence(self, r: Retrieval) -> float:
        """0..1: the calibrated probability that the corpus addresses the question, from the best
        clause's coverage of the question's words, the best passage cosine and the everyday phrases
        used (``policyqa.confidence``; coverage alone for an embedder without a calibration)."""
        if not r.hits:
            return 0.0
        return round(self.calibration.score(r.coverage, r.best_dense, len(r.analysis.synonyms)), 4)

    # -- answering ----------------------------------------------------------------

    def answer(self, question: str, r: Retrieval) -> Answer:
        conf = self.confidence(r)
        related = tuple(
            RelatedClause(h.doc_title, h.clause.doc_id, h.clause.section, h.clause.number, h.clause.title,
                          round(h.score, 4), h.clause.label, h.clause.sub, self._status(h.clause.doc_id).status)
            for h in r.hits
        )
        resolved = r.analysis.query_text
        other = self.other_topic(question, r)
        if other:
            conf = min(conf, round(self.refusal_threshold * OTHER_TOPIC_CONFIDENCE, 4))
            text = self._refusal(question, r, conf, other)
            return Answer(question, text, True, conf, (), related, (), resolved)
        if r.hits and conf < self.refusal_threshold and self._continues(r):
            conf = round(self.refusal_threshold + (1 - self.refusal_threshold) * FOLLOW_UP_SHARE, 4)
        if not r.hits or conf < self.refusal_threshold:
            return Answer(question, self._refusal(question, r, conf), True, conf, (), related, (), resolved)

        picks = self._select(r)
        if not picks:
            return Answer(question, self._refusal(question, r, conf), True, conf, (), related, (), resolved)
        citations = tuple(
            Citation(
                doc=c.hit.doc_title,
                doc_id=c.hit.clause.doc_id,
                section=c.hit.clause.section,
                clause=c.hit.clause.number,
                label=c.hit.clause.label,
                title=c.hit.clause.title,
                quote=c.sentence.text,
                start=c.sentence.start,
                end=c.sentence.end,
                page=self.page_of(c.hit.clause.doc_id, c.hit.clause.start + c.sentence.start) or c.hit.clause.page,
                sub=c.hit.clause.sub,
                status=self._status(c.hit.clause.doc_id).status,
                effective=self._doc_field(c.hit.clause.doc_id, "effective"),
                version=self._doc_field(c.hit.clause.doc_id, "version"),
            )
            for c in picks
        )
        notes = self._notes(citations) + self._version_notes(citations) + self._named_notes(question, citations)
        missing = self._missing_detail(r, picks)
        if missing:
            # the topic is there, the detail is not: say so plainly, quote the closest, give the contact
            lead = f"所收录的文件没有写明您问的{missing}。以下是最相关的规定，供参考："
            # not an answer: the confidence stays below the answer threshold (the topic is there,
            # the asked detail is not)
            conf = min(conf, round(self.refusal_threshold * PARTIAL_CONFIDENCE, 4))
            return Answer(question, lead + _render(citations) + self.contact, False, conf, citations, related, notes,
                          resolved, "partial", missing)
        if any(not any(t.said(c.sentence.text, question) for c in picks) for t in r.analysis.answer_types):
            # the quotes do not say the kind of thing asked (a penalty, a procedure, a permission):
            # the topic may be right, the answer less sure
            conf = round(conf * UNSAID_CONFIDENCE, 4)
        # the quotes, not only their clause, must carry the question's words for full confidence
        # (an answer stays at or above the answer threshold: below it, it would have been refused)
        support = 1 - QUOTE_SUPPORT_WEIGHT * (1 - self._quote_support(r, picks))
        conf = max(round(conf * support, 4), round(self.refusal_threshold, 4))
        lead = direct_lead(question, r.analysis.answer_types, citations, r.analysis.weights)
        return Answer(question, lead + _render(citations), False, conf, citations, related, notes, resolved)

    def other_topic(self, question: str, r: Retrieval) -> tuple[str, str] | None:
        """(topic word, department) when ``question`` is about a topic another department handles
        (身份证, 医保, 个税: ``data/other_topics.txt``) that the best clause does not mention as a
        word of its own (身份证 is not mentioned by 身份证明)."""
        found = default_other_topics().found_all(fold(question))
        if not found:
            return None
        text = fold(r.hits[0].clause.text).lower() if r.hits else ""
        longer = [w for w in self.retriever.segmenter.words(text)] if text else []

        def mentioned(word: str) -> bool:  # an occurrence that is not part of a longer word
            return text.count(word) > sum(w.count(word) for w in longer if w != word and word in w)

        return next((t for t in found if not mentioned(t[0])), None)

    def _quote_support(self, r: Retrieval, picks: list[_Candidate]) -> float:
        """0..1: the IDF-weighted share of the question's own words (or their policy terms) that
        the quotes contain."""
        a = r.analysis
        idf = self._idf_weights(a)
        text = fold("".join(c.sentence.text for c in picks)).lower()
        via = {t for phrase, targets in a.synonyms if any(x in text for x in targets) for t in a.tokens if t in phrase or phrase in t}
        words = {t: w for t, w in idf.items() if t in a.tokens and a.weights.get(t, 1.0) > CUE_WEIGHT}
        total = sum(words.values())
        return sum(w for t, w in words.items() if t in text or t in via) / total if total else 1.0

    def _continues(self, r: Retrieval) -> bool:
        """An elliptical follow-up (那会罚多少？ 交上去以后多久能批？) carries the grounding of the answer
        before it when its best clause is in a document that answer cited and says what is asked
        now — the kind of thing (a penalty, a time limit) or, without one, the new words."""
        a = r.analysis
        top = r.hits[0].clause
        if not a.follow_up or top.doc_id not in {p.split("#", 1)[0] for p in a.previous}:
            return False
        if a.answer_types:
            return any(t.said(top.text, a.question) for t in a.answer_types)
        text = fold(top.text + top.section).lower()
        words = [t for t in a.tokens if len(t) > 1 and a.weights.get(t, 1.0) >= 1.0]
        return bool(words) and sum(t in text for t in words) * 2 >= len(words)

    @staticmethod
    def _missing_detail(r: Retrieval, picks: list[_Candidate]) -> str:
        """The detail a question asks for that no quote states: a figure (多少钱), a time limit
        (多久), a responsible body (谁负责) — ``""`` when the quotes state it or nothing specific was asked."""
        # the most specific kind names what is missing (电话是多少: a phone number, not 数额)
        asked = sorted((t for t in r.analysis.answer_types if t.name in PARTIAL_TYPES), key=lambda t: list(PARTIAL_TYPES).index(t.name))
        # judged on the leading quote's clause: a figure in a weaker clause quoted after it (a fine
        # of 1万元 under 贷多少万) does not answer
        lead = [c for c in picks if c.hit.clause.clause_id == picks[0].hit.clause.clause_id]
        # the most specific kind asked decides (多少天: a number of days, not any figure)
        if not asked or any(asked[0].said(c.sentence.text, r.analysis.question) for c in lead):
            return ""  # nothing specific asked, or a quote states one of the details asked
        return PARTIAL_TYPES[asked[0].name]

    def _status(self, doc_id: str) -> Validity:
        return self.validity.get(doc_id) or Validity()

    def _doc_field(self, doc_id: str, name: str) -> str:
        doc = self.documents.get(doc_id)
        return getattr(doc, name) if doc is not None else ""

    def _named_notes(self, question: str, citations: tuple[Citation, ...]) -> tuple[str, ...]:
        """A question that names a text no longer in force (《城市供水条例》还有效吗) is told its status."""
        cited = {c.doc_id for c in citations}
        notes = []
        for doc_id, doc in self.documents.items():
            v = self._status(doc_id)
            if v.in_force or doc_id in cited or not (doc.title in question or f"《{doc.title}》" in question):
                continue
            if any(self._status(d).in_force and self.documents[d].title == doc.title for d in v.versions if d in self.documents):
                continue  # the question names the regulation, whose text in force answers
            notes.append(f"《{doc.title}》{_no_longer_in_force(v)}。")
        return tuple(notes)

    def _version_notes(self, citations: tuple[Citation, ...]) -> tuple[str, ...]:
        """For a cited text that replaced an older one: which version is quoted and since when; for
        a cited text no longer in force (only when nothing in force answers): what replaced it."""
        notes = []
        for doc_id in dict.fromkeys(c.doc_id for c in citations):
            v = self._status(doc_id)
            doc = self.documents.get(doc_id)
            if doc is None:
                continue
            if v.in_force:
                older = [self.documents[d] for d in v.versions if d != doc_id and d in self.documents]
                if older:
                    olds = "、".join(f"{o.version or o.effective[:4] + '年'}文本" for o in older)
                    notes.append(
                        f"以上依据现行有效的《{doc.title}》（{doc.version or '现行文本'}，自{_cn_date(doc.effective)}起施行）；"
                        f"此前的{olds}已被取代，不再适用。"
                    )
            else:
                version = f"（{doc.version}）" if doc.version else ""
                replaced = _no_longer_in_force(v, "被废止", "被修订后的文本取代")
                notes.append(f"《{doc.title}》{version}{replaced}，以上引文仅供了解历史规定。")
        return tuple(notes)

    def _select(self, r: Retrieval) -> list[_Candidate]:
        a = r.analysis
        top = r.hits[0].score or 1.0
        idf = self._idf_weights(a)
        cands: list[_Candidate] = []
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
                said = sum(t.said(sent.text, a.question) for t in a.answer_types) / len(a.answer_types) if a.answer_types else 0.0
                score = 0.75 * lex + 0.25 * dense + ANSWER_TYPE_BONUS * said
                cands.append(_Candidate(hit, sent, score * (0.5 + 0.5 * factor)))
        if not cands:
            first = r.hits[0]
            sents = quotable_sentences(first.clause)
            return [_Candidate(first, sents[0], 0.0)] if sents else []
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
        whole = self._whole_article(best)
        if whole is not None:
            others = [p for p in picks if p.hit.clause.clause_id != best.hit.clause.clause_id]
            # another short article is quoted whole too (its remedy follows its rule: 协商不成的，…)
            others = [self._whole_article(p) or p for p in others]
            return [whole] + self._with_listed_items(others, idf)[: self.max_quotes - 1]
        # quotes from the same clause read best in document order
        picks.sort(key=lambda c: (c.hit.score != best.hit.score, -c.hit.score, c.sentence.start))
        if LIST_QUESTION_RE.search(a.question) or len(best.sentence.text) < 30:
            picks = [self._continued(c, picks, CONTINUE_CHARS) if c is best else c for c in picks]
        return self._with_listed_items(picks, idf)

    @staticmethod
    def _whole_article(c: _Candidate) -> _Candidate | None:
        """The whole body of the quote's article (label left out) when it is a legal article of at
        most ``WHOLE_ARTICLE_CHARS`` characters; ``None`` otherwise."""
        clause = c.hit.clause
        if not clause.is_article or not clause.sentences:
            return None
        start, end = clause.sentences[0].start, clause.sentences[-1].end
        if end - start > WHOLE_ARTICLE_CHARS:
            return None
        return _Candidate(c.hit, Sentence(clause.text[start:end], start, end), c.score)

    @staticmethod
    def _list_intro(c: _Candidate) -> _Candidate | None:
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
        return _Candidate(c.hit, Sentence(clause.text[start : s.end], start, s.end), c.score)

    def _with_listed_items(self, picks: list[_Candidate], weights: dict) -> list[_Candidate]:
        """A quote that introduces a list (``职工有下列情形之一的，可以提取…：``) is not an answer on its
        own: a short list (≤ ``LIST_CHARS``) is quoted whole, a long one by its items that share the
        most words with the question (up to ``max_quotes`` quotes in all)."""
        out: list[_Candidate] = []
        for i, c in enumerate(picks):
            c = self._list_intro(c) or c  # an item quoted alone gets the sentence that introduces it
            if any(_overlaps(c, o) for o in out):
                continue  # two items of one list share their introduction: quote it once
            if not _INTRODUCES_LIST.search(c.sentence.text) or any(o.hit.clause.clause_id == c.hit.clause.clause_id for o in out):
                out.append(c)
                continue
            items = [p for p in c.hit.clause.parts if p.kind in ("item", "subitem") and p.start >= c.sentence.end]
            if not items:
                out.append(c)
                continue
            text = c.hit.clause.text
            end = items[-1].end
            if end - c.sentence.start <= LIST_CHARS:
                out.append(_Candidate(c.hit, Sentence(text[c.sentence.start : end], c.sentence.start, end), c.score))
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
                out.append(_Candidate(c.hit, Sentence(text[p.start : p.end], p.start, p.end), c.score))
        return out[: max(self.max_quotes, len(picks))]

    @staticmethod
    def _continued(c: _Candidate, picks: list[_Candidate], limit: int) -> _Candidate:
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
        return _Candidate(c.hit, Sentence(text[start:end], start, end), c.score)

    def _idf_weights(self, a: QueryAnalysis) -> dict[str, float]:
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

    def _notes(self, citations: tuple[Citation, ...]) -> tuple[str, ...]:
        notes = []
        quotes = "".join(c.quote for c in citations)
        if PLACEHOLDER_RE.search(quotes):
            notes.append(PLACEHOLDER_NOTE)
        missing = [t for t in dict.fromkeys(re.findall(r"《([^《》]+)》", quotes)) if t not in self.corpus_titles]
        if missing:
            notes.append(MISSING_DOC_NOTE.format(titles="".join(f"《{t}》" for t in missing)))
        return tuple(notes)

    def _refusal(self, question: str, r: Retrieval, conf: float, other: tuple[str, str] | None = None) -> str:
        if THANKS_RE.search(question.strip()):
            return f"不客气，很高兴能帮到您。还有其他住房城乡建设方面的问题，可以继续问我。{self.contact}"
        if GREETING_RE.search(question.strip()):
            head = "您好！我是住房城乡建设政策问答助手，可以根据已收录的政策文件回答住房保障、公积金、老旧小区改造、物业、城市建设等方面的问题，并注明出处。"
            return f"{head}请直接输入您想了解的问题，例如“保障性租赁住房主要解决哪些人的住房困难？”。{self.contact}"
        if other:
            word, dept = other
            who = f"一般由{dept}负责，" if dept else ""
            return (f"抱歉，您问的“{word}”相关事项不在本知识库所收录的住房城乡建设政策文件范围内，{who}"
                    f"这里不作推测。{self.contact}")
        parts = ["抱歉，在已收录的政策文件中没有找到能直接回答这个问题的条款，为避免误导，这里不作推测。"]
        near = [h for h in r.hits[:2] if h.score > 0 and r.coverage > 0]
        if near:
            names = "、".join(
                clause_reference(h.doc_title, h.clause.label, h.clause.number, h.clause.title) for h in near
            )
            parts.append(f"可能相关的条款：{names}。")
        titles = list(dict.fromkeys(f"《{h.doc_title}》" for h in near))
        hint = f"，或写明政策名称（如{'、'.join(titles)}）" if titles else ""
        parts.append(f"建议换个说法，说清具体事项{hint}再问一次。")
        parts.append(self.contact)
        return "".join(parts)


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


def _overlaps(a: _Candidate, b: _Candidate) -> bool:
    return a.hit.clause.clause_id == b.hit.clause.clause_id and a.sentence.start < b.sentence.end and b.sentence.start < a.sentence.end


def _render(citations: tuple[Citation, ...]) -> str:
    """Each quote attributed to its own document and article: 根据《住房租赁条例》第十条：「…」[1]；
    《物业管理条例》第五条：「…」[2] — a quote from the same clause as the one before it follows on."""
    if not citations:
        return ""
    out = []
    prev = None
    for i, c in enumerate(citations, 1):
        key = (c.doc_id, c.clause, c.sub)
        if key != prev:
            out.append(("根据" if i == 1 else "；") + f"{c.reference()}：")
        out.append(f"「{c.quote}」[{i}]")
        prev = key
    return "".join(out)


def _no_longer_in_force(v: Validity, repealed: str = "废止", superseded: str = "取代") -> str:
    """已自2026年6月1日起由《供水条例》废止 / 已自…起由《…》取代 / 尚未施行 (the verbs as the note words them)."""
    if v.status == "not_yet_in_force":
        return "尚未施行"
    since = f"自{_cn_date(v.since)}起" if v.since else ""
    by = f"由《{v.replaced_by_title}》" if v.replaced_by_title else ""
    return f"已{since}{by}{repealed if v.status == 'repealed' else superseded}"


def _cn_date(iso: str) -> str:
    """``2025-11-01`` → ``2025年11月1日``."""
    try:
        y, m, d = iso.split("-")
        return f"{int(y)}年{int(m)}月{int(d)}日"
    except ValueError:
        return iso


__all__ = ["Answerer", "quotable_sentences"]
