"""Answer confidence: a calibrated probability that the corpus addresses the question.

Three signals of a retrieval (``Retrieval``), combined by a logistic model:

* ``coverage`` — the IDF-weighted share of the question's words the best clause contains
  (everyday words count through their policy synonyms);
* ``dense`` — the best cosine between the question and any passage (embedder-specific);
* ``synonyms`` — how many everyday phrases of the synonym table the question uses (capped at 3).

``p = sigmoid(bias + w_coverage·coverage + w_dense·dense + w_synonyms·min(synonyms, 3))``

Coefficients and the refusal threshold are fitted per embedder by
``scripts/calibrate_refusal.py`` on the development, knowledge-base and near-domain negative sets
and stored in ``data/confidence.json`` (cross-validated figures in docs/evaluation.md).  An
embedder without a calibration falls back to coverage alone with ``FALLBACK_THRESHOLD``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

FALLBACK_THRESHOLD = 0.28  # coverage-only threshold (calibrated on the work plan, docs/evaluation.md)
MAX_SYNONYMS = 3


@dataclass(frozen=True)
class Calibration:
    """A fitted logistic model; ``threshold`` is the probability below which the answer is refused."""

    bias: float = 0.0
    w_coverage: float = 1.0
    w_dense: float = 0.0
    w_synonyms: float = 0.0
    threshold: float = FALLBACK_THRESHOLD
    logistic: bool = True

    def score(self, coverage: float, dense: float, synonyms: int) -> float:
        """0..1 confidence for the three signals (coverage alone when not ``logistic``)."""
        if not self.logistic:
            return coverage
        z = self.bias + self.w_coverage * coverage + self.w_dense * dense + self.w_synonyms * min(synonyms, MAX_SYNONYMS)
        return 1.0 / (1.0 + math.exp(-z))

    def to_dict(self) -> dict[str, Any]:
        return {"bias": self.bias, "w_coverage": self.w_coverage, "w_dense": self.w_dense,
                "w_synonyms": self.w_synonyms, "threshold": self.threshold}


COVERAGE_ONLY = Calibration(logistic=False)


@lru_cache(maxsize=1)
def _fitted() -> dict[str, Any]:
    """``data/confidence.json``: ``embedders`` (refusal models) and ``certainty`` (certainty models), by embedder id."""
    try:
        text = resources.files("policyqa").joinpath("data/confidence.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return json.loads(text)


@lru_cache(maxsize=1)
def _calibrations() -> dict[str, Calibration]:
    return {k: Calibration(**v) for k, v in _fitted().get("embedders", {}).items()}


def calibration_for(embedder_id: str) -> Calibration:
    """The fitted model for ``embedder_id``, or coverage alone when there is none."""
    return _calibrations().get(embedder_id, COVERAGE_ONLY)


@dataclass(frozen=True)
class Certainty:
    """A fitted logistic model of P(the best-ranked article is the right one), from the retrieval's
    fused top score (``top``, the fusion's units; see ``policyqa.fusion``) and its margin over the
    second clause (``margin``).  An answer below ``threshold`` is given as ``partial``: the closest
    provisions, said plainly to be possibly not the answer (``scripts/calibrate_certainty.py``)."""

    bias: float
    w_top: float
    w_margin: float
    threshold: float

    def score(self, top: float, margin: float) -> float:
        """0..1: the probability that the best-ranked article answers the question."""
        z = self.bias + self.w_top * top + self.w_margin * margin
        return 1.0 / (1.0 + math.exp(-z))

    def to_dict(self) -> dict[str, Any]:
        return {"bias": self.bias, "w_top": self.w_top, "w_margin": self.w_margin, "threshold": self.threshold}


@lru_cache(maxsize=1)
def _certainties() -> dict[str, Certainty]:
    return {k: Certainty(**v) for k, v in _fitted().get("certainty", {}).items()}


def certainty_for(embedder_id: str) -> Certainty | None:
    """The fitted certainty model for ``embedder_id``, or ``None`` (then every answer counts as certain)."""
    return _certainties().get(embedder_id)


def fit_logistic(rows: list[tuple[float, float, int]], labels: list[int], l2: float = 0.1,
                 iterations: int = 50) -> Calibration:
    """Newton (IRLS) fit of the logistic model on (coverage, dense, synonyms) rows, labels 1 =
    the corpus addresses the question.  Threshold left at 0.5 (set it from the data)."""
    w = newton_logistic([(c, d, min(s, MAX_SYNONYMS)) for c, d, s in rows], labels, l2, iterations)
    return Calibration(float(w[0]), float(w[1]), float(w[2]), float(w[3]), 0.5)


def newton_logistic(rows: Sequence[Sequence[float]], labels: Sequence[int | float], l2: float = 0.1,
                    iterations: int = 50):
    """Newton (IRLS) logistic regression with an unpenalised bias and L2 (``l2``) on the feature
    weights: ``rows`` n × k features, ``labels`` n × {0, 1} → a numpy array of k + 1 weights, bias first."""
    import numpy as np

    x = np.hstack([np.ones((len(rows), 1)), np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)])
    y = np.asarray(labels, dtype=np.float64)
    w = np.zeros(x.shape[1])
    reg = l2 * np.eye(x.shape[1])
    reg[0, 0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-x @ w))
        grad = x.T @ (p - y) + reg @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w
