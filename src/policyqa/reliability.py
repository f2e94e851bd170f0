"""Reliability of a confidence score: a reliability table and the expected calibration error.

Input: ``(confidence, correct)`` pairs, confidence in 0..1 and ``correct`` a bool (or 0/1).
Bins are equal-width over [0, 1], each open below and closed above (``(0.7, 0.8]``), the first
one closed (``[0, 0.1]``) — the usual binned estimator (Guo et al. 2017, "On Calibration of Modern
Neural Networks") and the same bins as scikit-learn's ``calibration_curve(strategy="uniform")``,
which however drops the counts this table needs (and scikit-learn is no dependency of policyqa).

``ECE = Σ_b (n_b / n) · |accuracy_b − mean confidence_b|`` over non-empty bins: 0 is perfect, the
worst is 1.  With few rows the table is noisy; ``bins_for`` uses fewer bins for small sets.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Bin:
    """One confidence bin (``low``, ``high``]: ``count`` rows, their mean confidence and the share correct
    (``None`` for an empty bin)."""

    low: float
    high: float
    count: int
    confidence: float | None
    accuracy: float | None

    @property
    def gap(self) -> float | None:
        """accuracy − mean confidence (negative: over-confident)."""
        if self.count == 0:
            return None
        return self.accuracy - self.confidence  # type: ignore[operator]


def bins_for(n: int) -> int:
    """10 bins for 50 rows or more, 5 below (a 12-row set in 10 bins says little per bin)."""
    return 10 if n >= 50 else 5


def reliability_table(pairs: Iterable[tuple[float, bool | int]], bins: int | None = None) -> list[Bin]:
    """Equal-width bins over [0, 1] of ``(confidence, correct)`` pairs, empty bins included.

    Raises ``ValueError`` for a confidence outside 0..1 or ``bins < 1``."""
    pairs = list(pairs)
    members = _members(pairs, bins_for(len(pairs)) if bins is None else bins)
    out = []
    for i, m in enumerate(members):
        n = len(m)
        out.append(Bin(round(i / len(members), 4), round((i + 1) / len(members), 4), n,
                       round(sum(c for c, _ in m) / n, 4) if n else None,
                       round(sum(y for _, y in m) / n, 4) if n else None))
    return out


def expected_calibration_error(pairs: Iterable[tuple[float, bool | int]], bins: int | None = None) -> float:
    """Σ (n_b / n)·|accuracy_b − confidence_b| over the bins of ``reliability_table`` (unrounded); 0.0 for
    no pairs.  Raises ``ValueError`` as ``reliability_table``."""
    pairs = list(pairs)
    if not pairs:
        return 0.0
    members = _members(pairs, bins_for(len(pairs)) if bins is None else bins)
    return round(sum(abs(sum(y for _, y in m) - sum(c for c, _ in m)) for m in members) / len(pairs), 4)


def _members(pairs: list[tuple[float, bool | int]], bins: int) -> list[list[tuple[float, bool]]]:
    """The pairs of each bin, bin ``i`` = (i/bins, (i+1)/bins] (the first one closed)."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    inner = [i / bins for i in range(1, bins)]  # the edges between bins
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for c, y in pairs:
        c = float(c)
        if not 0.0 <= c <= 1.0:
            raise ValueError(f"confidence {c} outside 0..1")
        members[bisect_left(inner, c)].append((c, bool(y)))
    return members


def summary(pairs: Iterable[tuple[float, bool | int]], bins: int | None = None) -> dict[str, Any]:
    """``{"n", "bins", "ece", "mean_confidence", "accuracy", "table": [Bin as dict, …]}`` (JSON-ready)."""
    pairs = [(float(c), bool(y)) for c, y in pairs]
    bins = bins_for(len(pairs)) if bins is None else bins
    n = len(pairs)
    return {
        "n": n,
        "bins": bins,
        "ece": expected_calibration_error(pairs, bins),
        "mean_confidence": round(sum(c for c, _ in pairs) / n, 4) if n else None,
        "accuracy": round(sum(y for _, y in pairs) / n, 4) if n else None,
        "table": [asdict(b) for b in reliability_table(pairs, bins)],
    }


def format_table(s: dict[str, Any], markdown: bool = False) -> str:
    """The bins of a ``summary`` as text (or a Markdown table); empty bins are left out."""
    rows = [b for b in s["table"] if b["count"]]
    if markdown:
        lines = ["| confidence | rows | mean confidence | accuracy | gap |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {b['low']:.2f}–{b['high']:.2f} | {b['count']} | {b['confidence']:.3f} | {b['accuracy']:.3f} "
                  f"| {b['accuracy'] - b['confidence']:+.3f} |" for b in rows]
        return "\n".join(lines)
    lines = ["  confidence   rows  mean conf  accuracy     gap"]
    lines += [f"  {b['low']:.2f}-{b['high']:.2f}  {b['count']:>5}  {b['confidence']:>9.3f}  {b['accuracy']:>8.3f}  "
              f"{b['accuracy'] - b['confidence']:>+6.3f}" for b in rows]
    return "\n".join(lines)


__all__ = ["Bin", "bins_for", "expected_calibration_error", "format_table", "reliability_table", "summary"]
