"""Hybrid retrieval: BM25 (chunks and whole clauses) + dense (FAISS) fused per clause, with filters.

Scoring, per clause ``c`` of the candidate set:

    score(c) = W_CLAUSE * bm25_clause(c)/max + W_CHUNK * max_chunk bm25(c)/max + W_DOC * bm25_doc(c)/max
               + w_dense * dense(c)

where ``dense(c)`` is the best cosine of the clause's chunks, min–max scaled over the dense
candidates, and ``w_dense`` is ``Settings.dense_weight``.  BM25 query tokens are the
question's own words (weight 1) plus the synonym expansion (weight ``EXPANSION_WEIGHT``) plus,
for elliptical follow-ups, the previous question (weight ``HISTORY_WEIGHT``): the question is read
by ``policyqa.query.QueryAnalyser``.  Where the fused score is positive the query-independent
prior of ``policyqa.prior.DocumentPrior`` is added: the question's lean to plans or laws, the local
lead, the documents it names, and for a follow-up the documents cited before (``W_FOLLOW_DOC``) and
the articles next to the cited one (``W_FOLLOW_NEAR``); a follow-up without an asked kind of its own
asks what the previous question asked.  Weights were chosen by measurement on the
development set (``policyqa eval``; see README); fitted weights did no better out of sample
(``scripts/fit_weights.py``, docs/weights.md).

``Retrieval.coverage`` — the IDF-weighted share of the question's content words found in
the best clause — and the best dense cosine feed the answerer's refusal decision.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .fusion import PRIOR_PARTS, W_DENSE, Components, FusionWeights
from .index.dense import DenseIndex
from .index.embedders import Embedder
from .index.sparse import SparseIndex
from .index.storage import Store
from .folding import fold
from .models import Chunk, Clause, Hit, Sentence, Turn
from .intent import default_cues
from .prior import DocumentPrior
from .query import HISTORY_COVERAGE_WEIGHT, QueryAnalyser, QueryAnalysis
from .sanctions import SanctionedActs
from .segmentation import Segmenter, term_in

# passages: a chunk of a top clause scores its clause's fused score plus its own evidence
# (a chunk's BM25 scaled to the best chunk's, plus its cosine at the fusion's dense weight)
W_PASSAGE_SPARSE = 1.0
PASSAGE_CLAUSES = 5  # passages are drawn from this many top clauses
RERANK_DEPTH = 30
# a province's article stating the rule of the best (national) article takes the lead: it is among the
# next TWIN_DEPTH and holds TWIN_SHARE of the bigrams of the national article's best sentence (at least
# TWIN_MIN_BIGRAMS of them: not a boilerplate line)
TWIN_DEPTH = 5
TWIN_SHARE = 0.7
TWIN_MIN_BIGRAMS = 12
UNKNOWN_IDF_FACTOR = 1.5
QUERY_CACHE_SIZE = 2048
DENSE_CANDIDATES = 100
PLAN_DOC_FLOOR = 1.0  # document-level evidence of a work plan for a question leaning to plans (``_doc_evidence``)


@dataclass(frozen=True)
class Retrieval:
    analysis: QueryAnalysis
    hits: tuple[Hit, ...]
    coverage: float  # IDF-weighted share of the question's words found in the best clause
    best_dense: float  # best raw cosine of any chunk
    chunk_dense: dict[int, float]  # chunk_id -> cosine, for the dense candidates
    passages: tuple[Chunk, ...] = ()  # best passages (chunks) of the top clauses, best first


class HybridRetriever:
    def __init__(
        self,
        store: Store,
        chunk_index: SparseIndex,
        clause_index: SparseIndex,
        dense: DenseIndex | None,
        embedder: Embedder | None,
        segmenter: Segmenter,
        doc_titles: dict[str, str],
        doc_index: SparseIndex | None = None,
        dense_weight: float = W_DENSE,
    ) -> None:
        self.store = store
        self.chunks = chunk_index
        self.clauses = clause_index
        self.dense = dense
        self.embedder = embedder
        self.segmenter = segmenter
        self.doc_titles = doc_titles
        self.docs = doc_index
        self.dense_weight = dense_weight
        self.weights = FusionWeights()
        self.cues = default_cues()
        self.analyser = QueryAnalyser(segmenter, self.cues, clause_index)  # ``policyqa.query``
        # per-clause priors that do not depend on the query's scores (``policyqa.prior``)
        self.prior = DocumentPrior(store, self.cues, self.weights)
        self._clause_doc = self.prior.clause_doc  # clause position -> document position
        self._clause_pos = self.prior.clause_pos  # Clause.key -> clause position
        self._docs_mask: tuple[frozenset[str], np.ndarray] | None = None  # the last ``docs`` filter, built once
        # the acts each clause sanctions, read as penalty questions reach it (``act_share``)
        self.sanctions = SanctionedActs(segmenter.cut, lambda w: clause_index.idf(w) if clause_index.has(w) else None)
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self.clause_chunks: list[list[int]] = [[] for _ in store.clauses]  # clause position -> chunk ids
        self._cache_lock = threading.Lock()
        self._chunk_clause = np.array(
            [self._clause_pos[ch.clause_key] for ch in store.chunks], dtype=np.int64
        )
        for chunk_id, pos in enumerate(self._chunk_clause.tolist()):
            self.clause_chunks[pos].append(chunk_id)
        # chunks are stored clause by clause, so a clause's best chunk score is a segment maximum
        # (np.maximum.reduceat; np.maximum.at is ~50x slower at 100k chunks)
        self._with_chunks = np.array([bool(ids) for ids in self.clause_chunks], dtype=bool)
        starts = [ids[0] for ids in self.clause_chunks if ids]
        contiguous = all(ids == list(range(ids[0], ids[0] + len(ids))) for ids in self.clause_chunks if ids)
        ordered = all(a < b for a, b in zip(starts, starts[1:]))
        self._chunk_starts = np.array(starts, dtype=np.int64) if contiguous and ordered else None

    # -- query understanding ------------------------------------------------------

    def analyse(self, question: str, history: Sequence[Turn] | None = None) -> QueryAnalysis:
        """What ``question`` asks, read with ``history`` (``QueryAnalyser.analyse``)."""
        return self.analyser.analyse(question, history)

    # -- retrieval ----------------------------------------------------------------

    def retrieve(
        self,
        question: str,
        history: Sequence[Turn] | None = None,
        *,
        k: int = 5,
        doc: str | None = None,
        section: str | None = None,
        use_dense: bool = True,
        docs: frozenset[str] | None = None,
    ) -> Retrieval:
        """Best clauses for ``question``.  Filters: ``doc`` (id or title substring), ``section``
        (chapter/section substring), ``docs`` (the doc_ids allowed, e.g. the texts in force)."""
        a = self.analyse(question, history)
        clauses = self.store.clauses
        n_cl = len(clauses)
        if not n_cl:
            return Retrieval(a, (), 0.0, 0.0, {})
        allowed = self._filter_mask(doc, section, docs)
        s_clause, s_chunk_all, s_chunk, s_doc, dense_cl, chunk_dense, best_dense = self._scores(a, use_dense)
        w = self.weights
        fused = w.clause * _scaled(s_clause, allowed) + w.chunk * _scaled(s_chunk, allowed) + w.doc * self._doc_evidence(question, s_doc, allowed)
        if chunk_dense:
            fused = fused + self.dense_weight * dense_cl
        fused = np.where(fused > 0, fused + self.prior.bonus(question, history, a.follow_up, a.answer_types, w), fused)
        fused = np.where(allowed, fused, -1.0)
        # coordination: reward clauses that cover more of the question's (IDF-weighted) words
        head = _top(fused, max(k, RERANK_DEPTH))
        sentence_weights = self.sentence_weights(a) if w.sentence else {}
        for pos in head:
            if fused[pos] > 0:
                cov, sentence, said, glossary, act = self.rerank_features(a, sentence_weights, clauses[pos])
                fused[pos] += w.coverage * cov + w.act * act
                if sentence_weights:
                    fused[pos] += w.sentence * sentence
                if a.answer_types:
                    fused[pos] += w.answer_type * said
                if glossary:
                    fused[pos] -= w.glossary
        if sentence_weights and self.prior.has_local_and_national:
            self._local_twin_first(a, sentence_weights, fused, head, question)
        order = _top(fused, max(k, 1))
        chunk_evidence = self._chunk_evidence(s_chunk_all, chunk_dense)
        hits = []
        for pos in order:
            if fused[pos] <= 0:
                break
            clause = clauses[pos]
            ids = self.clause_chunks[pos]
            hits.append(
                Hit(
                    clause=clause,
                    doc_title=self.doc_titles.get(clause.doc_id, clause.doc_id),
                    score=float(fused[pos]),
                    sparse_score=float(s_clause[pos]),
                    dense_score=float(dense_cl[pos]),
                    best_chunk=self.store.chunks[max(ids, key=chunk_evidence)] if ids else None,
                )
            )
        coverage = self.coverage(a, hits[0].clause) if hits else 0.0
        return Retrieval(a, tuple(hits), coverage, best_dense, chunk_dense, self._passages(hits, chunk_evidence))

    def _scores(self, a: QueryAnalysis, use_dense: bool = True):
        """Raw per-clause evidence of ``a``: (BM25 of clauses, of all chunks, best chunk per clause, of
        the clause's document; scaled dense per clause, chunk_id → cosine, best cosine)."""
        clauses = self.store.clauses
        n_cl = len(clauses)
        terms = self.query_terms(a)
        q_tokens = list(terms)
        s_clause = self.clauses.scores(q_tokens, terms) if q_tokens else np.zeros(n_cl, np.float32)
        s_chunk_all = self.chunks.scores(q_tokens, terms) if q_tokens else np.zeros(len(self.store.chunks))
        s_doc = np.zeros(n_cl, dtype=np.float32)
        if self.docs is not None and q_tokens and len(self.store.documents) > 1:
            s_doc = self.docs.scores(q_tokens, terms)[self._clause_doc]
        s_chunk = np.zeros(n_cl, dtype=np.float32)
        if self._chunk_starts is not None and len(self._chunk_starts):
            s_chunk[self._with_chunks] = np.maximum.reduceat(s_chunk_all, self._chunk_starts)
        else:
            np.maximum.at(s_chunk, self._chunk_clause, s_chunk_all)

        dense_cl = np.zeros(n_cl, dtype=np.float32)
        chunk_dense: dict[int, float] = {}
        best_dense = 0.0
        if use_dense and self.dense is not None and self.embedder is not None and self.dense.size:
            qv = self._embed_query(a.query_text)
            ids, sims = self.dense.search(qv, DENSE_CANDIDATES)
            if len(ids):
                best_dense = float(sims[0])
                lo = float(sims[-1]) if len(sims) > 1 else 0.0
                span = max(best_dense - lo, 1e-6)
                for cid, sim in zip(ids.tolist(), sims.tolist()):
                    chunk_dense[cid] = sim
                    pos = self._chunk_clause[cid]
                    dense_cl[pos] = max(dense_cl[pos], (sim - lo) / span)
        return s_clause, s_chunk_all, s_chunk, s_doc, dense_cl, chunk_dense, best_dense

    def _local_twin_first(
        self, a: QueryAnalysis, sentence_weights: dict[str, float], fused: np.ndarray, head: np.ndarray, question: str
    ) -> None:
        """When the best clause is a national text's and a province's text among the next
        ``TWIN_DEPTH`` states the same rule — it holds ``TWIN_SHARE`` of the character bigrams of the
        national clause's sentence that best matches the question — the province's clause takes the
        lead (by ``weights.local``) and the national one its place: the local text is the more
        specific rule for its citizens (物业管理条例 第十条 and 宁夏回族自治区物业管理条例 第十二条 on
        not forming an owners' assembly).  Not when the question names the national document.
        ``fused`` is changed in place."""
        ranked = [int(p) for p in head[np.argsort(-fused[head], kind="stable")] if fused[p] > 0][: TWIN_DEPTH + 1]
        if len(ranked) < 2 or self.prior.is_local(ranked[0]):
            return
        local = [pos for pos in ranked[1:] if self.prior.is_local(pos)]
        clauses = self.store.clauses
        top = clauses[ranked[0]]
        if not local or self.prior.names_document(question, top.doc_id):
            return
        _, best = self.best_sentence(sentence_weights, a.synonyms, top)
        grams = set(Segmenter.bigrams(best.text)) if best is not None else set()
        if len(grams) < TWIN_MIN_BIGRAMS:
            return
        for pos in local:
            if len(grams.intersection(Segmenter.bigrams(clauses[pos].text))) >= TWIN_SHARE * len(grams):
                fused[ranked[0]], fused[pos] = fused[pos], fused[ranked[0]] + self.weights.local
                return

    def rerank_features(
        self, a: QueryAnalysis, sentence_weights: dict[str, float], clause: Clause
    ) -> tuple[float, float, float, float, float]:
        """The re-ranking features of a head clause, each 0..1: coverage (:meth:`coverage`), best
        sentence coverage (:meth:`sentence_coverage`; 0 without ``sentence_weights``), 1 when it says
        the most specific kind of answer asked (``intent.SPECIFICITY``; 0 when none is asked), 1 for a
        glossary article when no definition or scope is asked (a penalty: ``FusionWeights.glossary``
        is subtracted), and for a question asking a penalty the share of a sanctioned act it
        describes (:meth:`act_share`; 0 otherwise)."""
        sentence = self.sentence_coverage(sentence_weights, a.synonyms, clause) if sentence_weights else 0.0
        said = float(a.answer_types[0].said(clause.text, a.question)) if a.answer_types else 0.0
        defining = any(t.name in ("definition", "scope") for t in a.answer_types)
        glossary = float(bool(self.prior.glossary[self._clause_pos[clause.key]]) and not defining)
        act = self.act_share(a, clause) if any(t.name == "penalty" for t in a.answer_types) else 0.0
        return self.coverage(a, clause), sentence, said, glossary, act

    def components(
        self, question: str, history: Sequence[Turn] | None = None, *, docs: frozenset[str] | None = None,
    ) -> Components:
        """The unweighted components :meth:`retrieve` fuses for ``question`` (:class:`Components`), for
        fitting the weights (``scripts/fit_weights.py``)."""
        a = self.analyse(question, history)
        allowed = self._filter_mask(None, None, docs)
        s_clause, _, s_chunk, s_doc, dense_cl, _, _ = self._scores(a)
        zero = FusionWeights(**{f: 0.0 for f in FusionWeights.__dataclass_fields__})
        prior = {
            part: self.prior.bonus(question, history, a.follow_up, a.answer_types, replace(zero, **{part: 1.0}))
            for part in PRIOR_PARTS
        }
        return Components(a, allowed, _scaled(s_clause, allowed), _scaled(s_chunk, allowed),
                          self._doc_evidence(question, s_doc, allowed), dense_cl, prior)

    def _doc_evidence(self, question: str, s_doc: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """The document-level BM25 per clause, scaled to the best allowed (0..1); for a question that
        leans to plans (``intent.QuestionCues.lean``: 今年政府有没有打算…, 会不会换新的) a work plan counts
        as wholly on topic (``PLAN_DOC_FLOOR``): its eighteen topics spread its words over many clauses,
        so its document-level score understates it beside a regulation about that one topic."""
        scaled = _scaled(s_doc, allowed)
        if self.prior.plans_and_laws and self.cues.lean(question)[0] == "plan":
            scaled = np.where(self.prior.plan_clauses, np.maximum(scaled, PLAN_DOC_FLOOR), scaled)
        return scaled

    def _chunk_evidence(self, s_chunk_all: np.ndarray, chunk_dense: dict[int, float]) -> Callable[[int], float]:
        """A chunk's own evidence: its BM25 score (scaled to the best chunk) plus its cosine."""
        top = float(s_chunk_all.max()) if len(s_chunk_all) else 0.0
        scale = 1.0 / top if top > 0 else 0.0
        dense_weight = self.dense_weight

        def evidence(chunk_id: int) -> float:
            return W_PASSAGE_SPARSE * float(s_chunk_all[chunk_id]) * scale + dense_weight * chunk_dense.get(chunk_id, 0.0)

        return evidence

    def _passages(self, hits: list[Hit], evidence: Callable[[int], float], n: int = 5) -> tuple[Chunk, ...]:
        """Passage ranking: every chunk of the top clauses, by clause score plus its own evidence, so
        two passages of one strong clause can both come before a weaker clause's best passage."""
        scored = [(h.score + evidence(ch.chunk_id), ch) for h in hits[:PASSAGE_CLAUSES] for ch in self.chunks_of(h.clause)]
        scored.sort(key=lambda x: (-x[0], x[1].chunk_id))
        return tuple(ch for _, ch in scored[:n])

    def query_terms(self, a: QueryAnalysis) -> dict[str, float]:
        """The weighted BM25 query of ``a`` (``QueryAnalyser.query_terms``)."""
        return self.analyser.query_terms(a)

    def _embed_query(self, text: str) -> np.ndarray:
        """Query embedding with a small LRU cache: citizens ask the same questions again and again."""
        with self._cache_lock:
            hit = self._query_vectors.get(text)
            if hit is not None:
                self._query_vectors.move_to_end(text)
                return hit
        vector = self.embedder.embed_query(text)
        with self._cache_lock:
            self._query_vectors[text] = vector
            while len(self._query_vectors) > QUERY_CACHE_SIZE:
                self._query_vectors.popitem(last=False)
        return vector

    def coverage(self, a: QueryAnalysis, clause: Clause) -> float:
        """IDF-weighted share of the question's own words (or their expansions) present in ``clause``.

        A word unknown to the corpus counts with a high IDF: questions about things the
        documents never mention (护照, 天气) get a low coverage.
        """
        if not a.tokens and not a.history_tokens:
            return 0.0
        # the clause with its headings: chapter/section and the document's title (物业服务的通知)
        text = fold(clause.text + clause.section + clause.subsection + self.doc_titles.get(clause.doc_id, "")).lower()
        # a word the corpus never uses (护照, 天气) weighs 1.5x its rarest word
        unknown_idf = UNKNOWN_IDF_FACTOR * math.log(1 + (self.clauses.size - 0.5) / 1.5)
        history = set(a.history_tokens)
        weights = {
            t: (self.clauses.idf(t) if self.clauses.has(t) else unknown_idf)
            * (HISTORY_COVERAGE_WEIGHT if t in history else a.weights.get(t, 1.0))
            for t in (*a.tokens, *a.history_tokens)  # a follow-up is read together with the question before it
        }
        return word_share(weights, text, a.synonyms) or 0.0

    def act_share(self, a: QueryAnalysis, clause: Clause) -> float:
        """How much of an act ``clause`` sanctions the question itself describes (0..1): the best
        IDF-weighted share of an act's words (two characters or more; ``sanctions.ACT_STOP`` apart) that
        the question or its expansion uses.  An act is a list item, or what a sentence sanctions
        (``sanctions.ACT``: 违反本条例规定，<act>的，由…).  广告位租出去赚钱 is 擅自利用物业共用部位、共用设施设备进行
        经营的 (item 三 of 宁夏物业条例 第五十四条) almost whole, and hardly 未经业主大会同意，物业服务企业
        擅自改变物业服务用房的用途 (第五十三条), though that sentence shares more of its words.  The
        question alone counts, not the one before a follow-up: 那会罚多少？ describes no act.  0 for an
        article that sanctions nothing (``sanctions.SanctionedActs``)."""
        return self.sanctions.share(set(a.tokens) | set(a.expansion), clause)

    def sentence_weights(self, a: QueryAnalysis) -> dict[str, float]:
        """The question's own content words (two characters or more, full weight) by IDF, for
        :meth:`sentence_coverage`; computed once per question."""
        words = [t for t in a.tokens if len(t) > 1 and a.weights.get(t, 1.0) >= 1.0]
        return {t: (self.clauses.idf(t) if self.clauses.has(t) else 0.0) for t in words}

    @staticmethod
    def sentence_coverage(weights: dict[str, float], synonyms, clause: Clause) -> float:
        """The best single sentence's share of ``weights`` (:meth:`sentence_weights`): an article
        whose one sentence says what was asked beats a long one that mentions the words apart."""
        return HybridRetriever.best_sentence(weights, synonyms, clause)[0]

    @staticmethod
    def best_sentence(weights: dict[str, float], synonyms, clause: Clause) -> tuple[float, Sentence | None]:
        """(share, sentence) of ``clause``'s sentence with the largest share of ``weights`` (the first
        on ties); (0.0, None) for a clause without sentences."""
        best: tuple[float, Sentence | None] = (0.0, None)
        leads = _list_leads(clause)
        for s in clause.sentences:
            share = word_share(weights, fold(leads.get(s.start, "") + s.text).lower(), synonyms) or 0.0
            if best[1] is None or share > best[0]:
                best = (share, s)
        return best

    def _filter_mask(self, doc: str | None, section: str | None, docs: frozenset[str] | None = None) -> np.ndarray:
        clauses = self.store.clauses
        mask = np.ones(len(clauses), dtype=bool)
        if docs is not None:
            mask &= self._mask_of_docs(docs)
        if doc:
            mask &= np.array([c.doc_id == doc or doc in self.doc_titles.get(c.doc_id, "") for c in clauses])
        if section:
            mask &= np.array([section in c.section or section in c.subsection for c in clauses])
        return mask

    def _mask_of_docs(self, docs: frozenset[str]) -> np.ndarray:
        """Clauses of the documents in ``docs``; the engine passes the same set (the texts in force)
        with every question, so it is built once, not per question."""
        cached = self._docs_mask
        if cached is not None and cached[0] == docs:
            return cached[1]
        wanted = [i for i, d in enumerate(self.store.documents) if d.doc_id in docs]
        mask = np.isin(self._clause_doc, np.array(wanted, dtype=np.int64))
        self._docs_mask = (docs, mask)
        return mask

    def chunks_of(self, clause: Clause) -> list[Chunk]:
        return [self.store.chunks[i] for i in self.clause_chunks[self._clause_pos[clause.key]]]


def _list_leads(clause: Clause) -> dict[int, str]:
    """Sentence start → the lead-in of the list it is an item of (``有下列行为之一的，…罚款：``),
    for the items of ``clause``: an item means what its lead-in says of it (an item 擅自利用共用部位
    进行经营的 is a penalised act only with its lead-in).  Empty without items."""
    items = [p for p in clause.parts if p.kind == "item"]
    if not items:
        return {}
    out: dict[int, str] = {}
    lead = ""  # the sentence before the run of items (…之一的，…：)
    for s in clause.sentences:
        if any(p.start <= s.start < p.end for p in items):
            out[s.start] = lead
        else:
            lead = s.text
    return out


def word_share(weights: dict[str, float], text: str, synonyms) -> float | None:
    """The share of ``weights`` (word → weight) whose word ``text`` contains, itself or through one
    of its policy terms (暖气 counts where 供热 is: ``QueryAnalysis.synonyms``); ``None`` when the
    weights sum to 0.  ``text`` is in matching form (folded, lower-case)."""
    total = sum(weights.values())
    if not total:
        return None
    via = {t for phrase, targets in synonyms if any(term_in(x, text) for x in targets) for t in weights if t in phrase or phrase in t}
    return sum(w for t, w in weights.items() if t in text or t in via) / total


def _top(scores: np.ndarray, m: int) -> np.ndarray:
    """Positions of the ``m`` highest scores, best first (ties: lower position first) — a
    partial sort: a full argsort of 100k clauses costs ~6 ms per call."""
    if m >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, m - 1)[:m]
    return part[np.lexsort((part, -scores[part]))]


def _scaled(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    top = float(scores[allowed].max()) if allowed.any() else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)
