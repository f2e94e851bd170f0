"""Answerer: retrieved clauses → a short extractive answer whose every sentence is a cited quote.

No text is generated: the answer is 1–3 sentences copied verbatim from the best clauses, each
followed by its citation marker, plus fixed framing words and notes (placeholder figures to be
confirmed; cited documents missing from the corpus).  When the evidence is weak the answer is
refused — a normal ``Answer`` with ``refused=True`` — with advice on how to ask and whom to contact.
Which sentences are quoted is decided by ``policyqa.quoting.Quoter``; this module decides whether
to answer (confidence, partial answers, follow-ups, other departments' topics) and renders the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .config import CONTACT_TEMPLATE, DEFAULT_CONTACT
from .confidence import calibration_for, certainty_for
from .documents.structure import is_document_title
from .folding import fold
from .intent import AnswerType, default_departments, default_other_topics
from .former import FormerTexts
from .lead import direct_lead
from .models import Answer, Citation, Document, RelatedClause, Validity, clause_reference
from .quoting import DETAIL_NAMES, Candidate, Quoter, quotable_sentences
from .query import QueryAnalysis
from .retrieval import HybridRetriever, Retrieval, word_share
from .versions import VersionNotes

PLACEHOLDER_RE = re.compile(r"(?<![A-Za-z])x{1,4}(?:[—\-–]x{1,4})?(?![A-Za-z])")
THANKS_RE = re.compile(r"^(谢谢|多谢|感谢|好的谢谢|thank)", re.IGNORECASE)
GREETING_RE = re.compile(r"^(你好|您好|hi|hello|嗨|在吗|在不在|谢谢|感谢|你是谁|你是真人|你是机器人)", re.IGNORECASE)
# kinds of detail whose absence makes an answer partial, and how the answer names what is missing
PARTIAL_TYPES = DETAIL_NAMES  # ``quoting.DETAIL_NAMES``, most specific first
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
# a quoted article that states the detail asked leads when it ranks this close to the best one, which
# does not (保修几年: 第四十条's 为5年 at 0.99 of 第三十条's 保修期 without a figure)
DETAIL_LEAD_RATIO = 0.97
# an answer whose best article leads the others only weakly (``Answerer.certain``) is given as partial
UNCERTAIN_LEAD = "所收录的文件中没有找到确定回答这个问题的规定。以下是最接近的条款，未必直接回答您的问题，供参考："
UNCERTAIN_DETAIL = "确定适用的规定"
# a question after the specific or local value (具体是多少, 我们当地), and an article that leaves that
# value to another body (具体缴存比例由住房公积金管理委员会拟订; 具体标准由…人民政府规定)
LOCAL_VALUE_RE = re.compile(r"具体|当地|本地|我们这|我们那|咱们这|这边")
DELEGATED_RE = re.compile(r"具体[^。；，]{0,12}由[^。；]{1,60}?(?:拟订|拟定|制定|确定|规定|核定)")

PLACEHOLDER_NOTE = "引文中的“xx”“x—x”等为原文中未公开的具体数字，请以官方正式发布的文件为准。"
MISSING_DOC_NOTE = "文中提到的{titles}未收录在本知识库中，如需查阅请以官方发布的全文为准。"


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
        self.certainty = certainty_for(embedder.model_id if embedder is not None else "")
        self.contact = contact
        self.max_quotes = max_quotes
        self.quoter = Quoter(retriever, max_quotes)  # which sentences are quoted (``policyqa.quoting``)
        self.page_of = page_of or (lambda doc_id, offset: None)
        self.documents = documents or {}
        # each document's validity; which version is quoted, what replaced a text, what the old text
        # said (``policyqa.versions``)
        self.versions = VersionNotes(self.documents, validity or {},
                                     FormerTexts(getattr(getattr(retriever, "store", None), "clauses", ())))

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

        picks = self.quoter.select(r)
        if not picks:
            return Answer(question, self._refusal(question, r, conf), True, conf, (), related, (), resolved)
        picks = _detail_first(r, picks)
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
        notes = self._notes(citations) + self.versions.of_citations(citations) + self.versions.named(question, citations)
        missing = self._missing_detail(r, picks)
        if missing and missing != UNCERTAIN_DETAIL:
            # the topic is there, the detail is not: say so plainly, quote the closest, give the contact
            lead = f"所收录的文件没有写明您问的{missing}。以下是最相关的规定，供参考："
            # not an answer: the confidence stays below the answer threshold (the topic is there,
            # the asked detail is not)
            conf = min(conf, round(self.refusal_threshold * PARTIAL_CONFIDENCE, 4))
            return Answer(question, lead + _render(citations) + self._contact_for(citations), False, conf, citations, related, notes,
                          resolved, "partial", missing)
        if missing == UNCERTAIN_DETAIL or not self.certain(r):
            # the topic is found, but the best article may well not be the answer (a weak lead over
            # the next one, or only a weaker article states the detail asked): say so, quote the
            # closest provisions, give the contact
            conf = min(conf, round(self.refusal_threshold * PARTIAL_CONFIDENCE, 4))
            return Answer(question, UNCERTAIN_LEAD + _render(citations) + self._contact_for(citations), False, conf, citations,
                          related, notes, resolved, "partial", UNCERTAIN_DETAIL)
        if any(not any(t.said(c.sentence.text, question) for c in picks) for t in r.analysis.answer_types):
            # the quotes do not say the kind of thing asked (a penalty, a procedure, a permission):
            # the topic may be right, the answer less sure
            conf = round(conf * UNSAID_CONFIDENCE, 4)
        # the quotes, not only their clause, must carry the question's words for full confidence
        # (an answer stays at or above the answer threshold: below it, it would have been refused)
        support = 1 - QUOTE_SUPPORT_WEIGHT * (1 - self._quote_support(r, picks))
        conf = max(round(conf * support, 4), round(self.refusal_threshold, 4))
        lead = direct_lead(question, r.analysis.answer_types, citations, r.analysis.weights, self.retriever.segmenter.found_as_words)
        return Answer(question, lead + _render(citations), False, conf, citations, related, notes, resolved)

    def _contact_for(self, citations: tuple[Citation, ...]) -> str:
        """The contact line, naming the department of the leading quote's document when it is not the
        housing department's (``data/departments.txt``: 低保 → 民政部门) and the default line is in use."""
        dept = default_departments().get(citations[0].doc) if citations else None
        if not dept or self.contact != DEFAULT_CONTACT:
            return self.contact
        return CONTACT_TEMPLATE.format(department=dept)

    def certain(self, r: Retrieval) -> bool:
        """Is the best-ranked article likely the answer (``confidence.Certainty``)?  Its fused score
        is read as if its document scored best: with one document the document prior is inert."""
        if self.certainty is None or not r.hits:
            return True
        top = r.hits[0].score + (0.0 if len(self.retriever.store.documents) > 1 else self.retriever.weights.doc)
        margin = r.hits[0].score - (r.hits[1].score if len(r.hits) > 1 else 0.0)
        return self.certainty.score(top, margin) >= self.certainty.threshold

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

    def _quote_support(self, r: Retrieval, picks: list[Candidate]) -> float:
        """0..1: the IDF-weighted share of the question's own words (or their policy terms) that
        the quotes contain."""
        a = r.analysis
        idf = self.quoter.idf_weights(a)
        words = {t: w for t, w in idf.items() if t in a.tokens and a.weights.get(t, 1.0) > CUE_WEIGHT}
        share = word_share(words, fold("".join(c.sentence.text for c in picks)).lower(), a.synonyms)
        return 1.0 if share is None else share

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
    def _missing_detail(r: Retrieval, picks: list[Candidate]) -> str:
        """The detail a question asks for that no quote states: a figure (多少钱), a time limit
        (多久), a responsible body (谁负责) — ``""`` when the quotes state it or nothing specific was asked."""
        # the most specific kind names what is missing (电话是多少: a phone number, not 数额)
        asked = _asked_details(r.analysis)
        # judged on the leading quote's clause: a figure in a weaker clause quoted after it (a fine
        # of 1万元 under 贷多少万) does not answer
        lead = [c for c in picks if c.hit.clause.clause_id == picks[0].hit.clause.clause_id]
        # the most specific kind asked decides (多少天: a number of days, not any figure)
        if not asked:
            return ""  # nothing specific asked
        question = r.analysis.question
        if not any(asked[0].said(c.sentence.text, question) for c in lead):
            stated = [t for t in asked if any(t.said(c.sentence.text, question) for c in picks)]
            if len(stated) == len(asked) and any(t.said(c.sentence.text, question) for t in asked for c in lead):
                return ""  # 找谁…多少度: the leading article says one, another quote the other
            if asked[0] in stated:
                # a weaker article quoted after it states it: not "not stated" (its own quote would
                # contradict that), but not a sure answer either
                return UNCERTAIN_DETAIL
            return PARTIAL_TYPES[asked[0].name]
        if asked[0].name == "amount" and LOCAL_VALUE_RE.search(r.analysis.question) and DELEGATED_RE.search(lead[0].hit.clause.text):
            # 宁夏的缴存比例具体是多少 under 「…不得低于…5%…具体缴存比例由住房公积金管理委员会拟订」:
            # the figure quoted is a floor or frame, the specific (local) value is set elsewhere
            return PARTIAL_TYPES[asked[0].name]
        return ""  # a quote states the detail asked

    def _status(self, doc_id: str) -> Validity:
        return self.versions.status(doc_id)

    def _doc_field(self, doc_id: str, name: str) -> str:
        doc = self.documents.get(doc_id)
        return getattr(doc, name) if doc is not None else ""

    def _notes(self, citations: tuple[Citation, ...]) -> tuple[str, ...]:
        notes = []
        quotes = "".join(c.quote for c in citations)
        if PLACEHOLDER_RE.search(quotes):
            notes.append(PLACEHOLDER_NOTE)
        missing = [t for t in dict.fromkeys(re.findall(r"《([^《》]+)》", quotes))
                   if t not in self.corpus_titles and is_document_title(t)]
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


__all__ = ["Answerer", "quotable_sentences"]


def _detail_first(r: Retrieval, picks: list[Candidate]) -> list[Candidate]:
    """``picks`` with the quotes of the first other article that states the most specific detail
    asked (``PARTIAL_TYPES``) moved to the front, when the leading article's quotes do not state it and
    that article scores at least ``DETAIL_LEAD_RATIO`` of the best; else ``picks`` unchanged."""
    asked = _asked_details(r.analysis)
    if not asked or not r.hits:
        return picks
    kind, question = asked[0], r.analysis.question
    lead_id = picks[0].hit.clause.clause_id
    if any(kind.said(c.sentence.text, question) for c in picks if c.hit.clause.clause_id == lead_id):
        return picks
    bar = DETAIL_LEAD_RATIO * r.hits[0].score
    stating = next((c for c in picks if c.hit.clause.clause_id != lead_id and c.hit.score >= bar
                    and kind.said(c.sentence.text, question)), None)
    if stating is None:
        return picks
    first = stating.hit.clause.clause_id
    return [c for c in picks if c.hit.clause.clause_id == first] + [c for c in picks if c.hit.clause.clause_id != first]


def _asked_details(a: QueryAnalysis) -> list[AnswerType]:
    """The kinds of detail ``a`` asks for whose absence makes an answer partial (``PARTIAL_TYPES``),
    in that table's order (most specific first)."""
    order = list(PARTIAL_TYPES)
    return sorted((t for t in a.answer_types if t.name in PARTIAL_TYPES), key=lambda t: order.index(t.name))
