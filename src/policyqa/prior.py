"""Per-clause priors that do not depend on the query's BM25 or dense scores (``policyqa.retrieval``).

:class:`DocumentPrior` is built once from the store and the question cues.  Its :meth:`~DocumentPrior.bonus`
is added to a clause's fused score where that score is positive:

* ``kind``: a question's lean to plans or laws (``intent.QuestionCues.lean``) favours that kind of
  document, once per cue it leads by, up to ``MAX_KIND_VOTES`` (only when the corpus has both kinds);
* ``local``: a local regulation (not ``NATIONAL_LEVELS``) leads national ones slightly;
* ``follow_doc``: an elliptical follow-up favours the documents the previous answer cited;
* ``follow_near``: … and the articles within ``FOLLOW_NEAR_SPAN`` of a cited one (not the cited one
  itself; not when a penalty is asked, which sits in the 法律责任 chapter);
* ``title``: a question that names a document (供热条例, 《城市供水条例》) favours its clauses and the
  clauses citing it;
* ``verbatim``: a keyword search (``query.is_keyword_search``) favours the clauses printing its typed
  keywords verbatim, by the share of those the corpus prints anywhere (:meth:`DocumentPrior.verbatim`).

Each part is weighed by the ``policyqa.fusion.FusionWeights`` field of its name (``PRIOR_PARTS``).
The prior also marks glossary articles (本条例下列用语的含义：…), which the re-ranking penalises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .fusion import FusionWeights
from .index.storage import Store
from .intent import LAW_LEVELS, NATIONAL_LEVELS, PLAN_LEVELS, AnswerType, QuestionCues
from .folding import fold
from .models import Turn
from .query import is_keyword_search

MAX_KIND_VOTES = 3  # the lean counts once per cue it leads by, up to this many
FOLLOW_NEAR_SPAN = 2  # articles within this many numbers of a cited one are "next to" it

# a "title" that is only an organisation's name (a notice whose first line is its issuer)
_ORGANISATION = re.compile(r"(?:部|局|厅|委|办|署|院|会|政府|办公室|办公厅)$")

# the glossary article of a law: 本条例下列用语的含义：… / 本条例中，下列用语的含义是：…
_GLOSSARY = re.compile(r"本(?:条例|法|办法|规定)(?:中，)?下列用语")


def _short_title(title: str) -> str:
    """The name a title goes by: without 中华人民共和国 or a province's or city's name
    (宁夏回族自治区供热条例 → 供热条例; 城市市容和环境卫生管理条例 keeps its 城市)."""
    return re.sub(r"^(?:中华人民共和国|(?!城市)[\u4e00-\u9fff]{2,8}?(?:自治区|省|市))", "", title)


class DocumentPrior:
    """The query-independent per-clause priors of one store (see the module docstring).

    Arrays are over the store's clauses in store order (``n_clauses``) or its documents
    (``n_documents``); a clause's *position* is its index in ``store.clauses``.

    ``clause_doc``: clause position → document position (int64, ``n_clauses``);
    ``clause_pos``: ``Clause.key`` → clause position; ``plan_clauses``: clause position → in a work
    plan (bool, ``n_clauses``); ``plans_and_laws``: the corpus holds both kinds; ``glossary``: clause position → is a glossary
    article (bool, ``n_clauses``; ``[False]`` for an empty store); ``weights``: the default weights
    of :meth:`bonus` and :meth:`near_cited`.
    """

    def __init__(self, store: Store, cues: QuestionCues, weights: FusionWeights | None = None) -> None:
        self.store = store
        self._folded: list[str] | None = None  # clause texts in matching form (:meth:`_folded_texts`)
        self.cues = cues
        self.weights = FusionWeights() if weights is None else weights
        documents = store.documents
        self._doc_pos = {d.doc_id: i for i, d in enumerate(documents)}
        self._doc_plan = np.array([d.level in PLAN_LEVELS for d in documents] or [False], dtype=bool)
        self._doc_law = np.array([d.level in LAW_LEVELS for d in documents] or [False], dtype=bool)
        self._doc_local = np.array([d.level not in NATIONAL_LEVELS for d in documents] or [False], dtype=bool)
        self.plans_and_laws = bool(self._doc_plan.any() and self._doc_law.any())
        # the province's own laws and regulations (not its plans) beside national ones
        self._doc_local_law = self._doc_local & self._doc_law
        self.has_local_and_national = bool(self._doc_local_law.any() and (self._doc_law & ~self._doc_local).any())
        # names a question may call a document by: 中华人民共和国建筑法 → 建筑法; 宁夏回族自治区供热条例 → 供热条例
        self._doc_names = [
            (i, tuple(dict.fromkeys(n for n in (d.title, _short_title(d.title)) if len(n) >= 4)))
            for i, d in enumerate(documents)
            if not _ORGANISATION.search(d.title)  # a notice titled 交通运输部 is not named by "交通运输部"
        ]
        self._names_longest_first = sorted((n for _, names in self._doc_names for n in names), key=len, reverse=True)
        self._citing: dict[str, list[int]] = {}  # cited title → clause positions citing it
        for pos, c in enumerate(store.clauses):
            for ref in c.references:
                self._citing.setdefault(ref, []).append(pos)
        self.clause_doc = np.array([self._doc_pos.get(c.doc_id, 0) for c in store.clauses], dtype=np.int64)
        self.plan_clauses = self._doc_plan[self.clause_doc] if len(store.clauses) else np.zeros(0, dtype=bool)
        self.clause_pos = {c.key: i for i, c in enumerate(store.clauses)}
        self.glossary = np.array([bool(_GLOSSARY.search(c.text[:40])) for c in store.clauses] or [False], dtype=bool)
        self._doc_clauses: dict[str, list[int]] = {}  # doc_id -> its clause positions, in order
        for pos, c in enumerate(store.clauses):
            self._doc_clauses.setdefault(c.doc_id, []).append(pos)

    def is_local(self, pos: int) -> bool:
        """Is the clause at position ``pos`` in a law or regulation of the province's own (not a
        national one, not a plan)?"""
        return bool(self._doc_local_law[self.clause_doc[pos]])

    def names_document(self, question: str, doc_id: str) -> bool:
        """Does ``question`` name the document ``doc_id`` (its title or short title)?"""
        i = self._doc_pos.get(doc_id)
        mentioned = self.mentioned(question)
        return any(n in mentioned for j, names in self._doc_names if j == i for n in names)

    def cited_position(self, ref: str) -> int | None:
        """The clause position of a cited ``"doc_id#number"`` (``"doc_id#11-1"`` for 第十一条之一);
        ``None`` for an unknown document or article or a malformed number."""
        doc_id, _, number = ref.partition("#")
        num, _, sub = number.partition("-")
        try:
            return self.clause_pos.get((doc_id, int(num), int(sub or 0)))
        except ValueError:
            return None

    def near_cited(self, refs: Sequence[str], weight: float | None = None) -> np.ndarray:
        """Per-clause bonus (float32, ``n_clauses``): ``weight`` (default ``weights.follow_near``) for
        the articles within ``FOLLOW_NEAR_SPAN`` of a cited one in its document (那光是提取呢？ after the
        loan article 第二十六条 → 第二十五条), the cited article itself left out; ``refs`` as in
        :meth:`cited_position` (unknown ones are skipped)."""
        near = np.zeros(len(self.store.clauses), dtype=np.float32)
        for ref in refs:
            cited = self.cited_position(ref)
            if cited is None:
                continue
            number = self.store.clauses[cited].number
            for pos in self._doc_clauses.get(self.store.clauses[cited].doc_id, ()):
                if pos != cited and abs(self.store.clauses[pos].number - number) <= FOLLOW_NEAR_SPAN:
                    near[pos] = self.weights.follow_near if weight is None else weight
        return near

    def mentioned(self, question: str) -> set[str]:
        """The document names (titles and short titles) ``question`` uses; a name inside a longer
        name the question uses is not a mention (供水条例 in 《城市供水条例》)."""
        rest = question
        mentioned = set()
        for n in self._names_longest_first:
            if n in rest:
                mentioned.add(n)
                rest = rest.replace(n, "\u3000")
        return mentioned

    def bonus(
        self,
        question: str,
        history: Sequence[Turn] | None,
        follow_up: bool,
        types: Sequence[AnswerType] = (),
        w: FusionWeights | None = None,
    ) -> np.ndarray:
        """Per-clause bonus (float32, ``n_clauses``, in fused-score units): the question's lean to
        plans or laws, the local lead, the documents ``question`` names and the clauses citing them,
        and for a follow-up (``follow_up`` with ``history``) the documents the previous answer cited
        and the articles next to the cited ones (``types``: what the follow-up asks for; a penalty is
        not looked for next to the duty), at the weights ``w`` (default ``self.weights``; the parts
        are its ``PRIOR_PARTS`` fields)."""
        w = self.weights if w is None else w
        bonus = np.zeros(len(self.store.documents), dtype=np.float32)
        if len(self.store.documents) > 1:
            kind, lead = self.cues.lean(question)
            if kind and self.plans_and_laws:
                bonus[self._doc_plan if kind == "plan" else self._doc_law] += w.kind * min(lead, MAX_KIND_VOTES)
            if self._doc_local.any() and not self._doc_local.all():
                bonus[self._doc_local] += w.local
            if follow_up and history:
                for ref in history[-1].clauses:
                    pos = self._doc_pos.get(ref.split("#", 1)[0])
                    if pos is not None:
                        bonus[pos] = max(bonus[pos], 0) + w.follow_doc
        per_clause = bonus[self.clause_doc]
        if follow_up and history and not any(t.name == "penalty" for t in types):
            per_clause = per_clause + self.near_cited(history[-1].clauses, w.follow_near)
        mentioned = self.mentioned(question)
        for i, names in self._doc_names:
            if any(n in mentioned for n in names):
                per_clause[self.clause_doc == i] += w.title
                for pos in self._citing.get(self.store.documents[i].title, ()):
                    per_clause[pos] += w.title  # 《城市供水条例》同时废止 answers "is it still valid?"
        if w.verbatim and not follow_up and is_keyword_search(question):
            per_clause = per_clause + w.verbatim * self.verbatim(question)
        return per_clause

    def verbatim(self, query: str) -> np.ndarray:
        """Per clause (float32, ``n_clauses``): the share of ``query``'s space-separated keywords of two
        characters or more that the clause prints verbatim (folded, case-insensitive), among those
        the corpus prints anywhere (污水处理厂排放标准 一级A: only 一级A is printed, so a clause with
        一级A gets 1); zeros when it prints none."""
        keywords = list(dict.fromkeys(k for k in (fold(x).lower() for x in query.split()) if len(k) >= 2))
        texts = self._folded_texts()
        hits = [np.fromiter((k in t for t in texts), dtype=bool, count=len(texts)) for k in keywords]
        printed = [h for h in hits if h.any()]
        if not printed:
            return np.zeros(len(texts), dtype=np.float32)
        return (np.sum(printed, axis=0) / len(printed)).astype(np.float32)

    def _folded_texts(self) -> list[str]:
        """The clauses' texts in matching form (folded, lower-case), built on the first keyword search."""
        if self._folded is None:
            self._folded = [fold(c.text).lower() for c in self.store.clauses]
        return self._folded
