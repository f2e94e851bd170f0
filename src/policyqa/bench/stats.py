"""Small figures shared by the performance benchmarks: percentiles, latency summaries, folder sizes."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

Log = Callable[[str], None]  # one progress line (``bench`` prints it on stderr with the time)


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values`` by nearest rank; 0.0 when empty."""
    if not values:
        return 0.0
    s = sorted(values)
    return float(s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))])


def summary(values: Sequence[float]) -> dict[str, float]:
    """``mean``/``p50``/``p95``/``p99`` of ``values`` (same unit, 3 decimals)."""
    return {"mean": round(statistics.fmean(values), 3) if values else 0.0,
            "p50": round(pct(values, 0.5), 3), "p95": round(pct(values, 0.95), 3), "p99": round(pct(values, 0.99), 3)}


def dir_mb(path: Path) -> float:
    """Total size of the files under ``path`` in MiB (1 decimal)."""
    return round(sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20, 1)
