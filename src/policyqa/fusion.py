"""The fusion's weights (``policyqa.retrieval``): the hand-set constants, :class:`FusionWeights`
holding one set of them, and :class:`Components`, the unweighted per-clause evidence they weigh.

``scripts/fit_weights.py`` fits other weights on the evaluation sets from the components and
scores them against these (figures: docs/weights.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .query import QueryAnalysis

W_CLAUSE = 0.30
W_CHUNK = 0.30
W_DENSE = 0.25  # default dense weight (``Settings.dense_weight``)
W_COVERAGE = 0.15
W_DOC = 0.5  # document-level BM25 prior (whole document as one field); inert with one document
W_KIND = 0.3  # a question's lean (plan vs law, ``intent.QuestionCues``) favours that kind of document
W_FOLLOW_DOC = 0.15  # an elliptical follow-up favours the document(s) the previous answer cited
# … and the articles next to the one it cited (not that one: it already has the previous question's
# words), unless a penalty is asked (set out in the 法律责任 chapter, not beside the duty)
W_FOLLOW_NEAR = 0.1
W_LOCAL = 0.03  # a local regulation (地方性法规) is the more specific rule where it applies: a slight lead over national ones
W_TITLE = 0.2  # a question that names a document (供热条例, 《城市供水条例》) favours it, or the clauses citing it
W_ANSWER_TYPE = 0.2  # a clause that says what kind of thing was asked (a figure, a time limit, a penalty)
W_GLOSSARY = 0.15  # a glossary article (本条例下列用语的含义) names every term: it answers only "what is …?"
W_ACT = 0.5  # a penalty question: the share of the sanctioned act it describes (``HybridRetriever.act_share``)
W_SENTENCE = 0.2  # the best single sentence's coverage of the question (``HybridRetriever.sentence_coverage``)
# a keyword search's typed keywords printed verbatim (一级A, 免审范围): what a staff search for an exact
# term expects first, though a long multi-topic clause's BM25 and cosine are low
W_VERBATIM = 0.8


@dataclass(frozen=True)
class FusionWeights:
    """The fusion's weights (the module constants above; ``HybridRetriever.dense_weight`` apart):
    ``scripts/fit_weights.py`` scores other sets of them against the hand-set ones."""

    clause: float = W_CLAUSE
    chunk: float = W_CHUNK
    doc: float = W_DOC
    coverage: float = W_COVERAGE
    sentence: float = W_SENTENCE
    answer_type: float = W_ANSWER_TYPE
    kind: float = W_KIND
    title: float = W_TITLE
    local: float = W_LOCAL
    glossary: float = W_GLOSSARY  # subtracted
    act: float = W_ACT
    follow_doc: float = W_FOLLOW_DOC
    follow_near: float = W_FOLLOW_NEAR
    verbatim: float = W_VERBATIM


PRIOR_PARTS = ("kind", "local", "follow_doc", "follow_near", "title", "verbatim")  # the ``FusionWeights`` of ``prior.DocumentPrior.bonus``


@dataclass(frozen=True)
class Components:
    """Per-clause evidence of one question before weighting (arrays over all clauses, float32).

    ``clause``/``chunk``/``doc``: BM25 of the clause, of its best chunk and of its whole document,
    each scaled to its best allowed score (0..1); ``dense``: best chunk cosine, min–max scaled over
    the dense candidates (0 outside them); ``prior``: the ``DocumentPrior.bonus`` parts at unit weight
    (``PRIOR_PARTS`` → array); ``allowed``: the filter mask.  The re-ranking features of a clause are
    :meth:`HybridRetriever.rerank_features`."""

    analysis: QueryAnalysis
    allowed: np.ndarray
    clause: np.ndarray
    chunk: np.ndarray
    doc: np.ndarray
    dense: np.ndarray
    prior: dict[str, np.ndarray]
