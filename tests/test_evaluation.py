"""Behaviour judgements for rows with an expected behaviour (evaluation._judge)."""

import pytest

from policyqa.baselines import Ranked
from policyqa.evaluation import _behaviour, _judge


def out(status: str, answer: str = "") -> Ranked:
    return Ranked((), answer, status == "refused", status)


def test_judgements():
    row = {"expect": "answered", "key": "三十日"}
    assert _judge(row, out("answered", "…三十日内…")) == "useful"
    assert _judge(row, out("answered", "别的")) == "misleading"
    assert _judge(row, out("refused")) == "honest"
    assert _judge({"expect": "partial"}, out("partial")) == "useful"
    assert _judge({"expect": "partial"}, out("answered")) == "misleading"
    assert _judge({"expect": "refused"}, out("partial")) == "misleading"
    b = _behaviour(["useful", "honest", "misleading", "useful"])
    assert b["useful_or_honest"] == 0.75 and b["misleading"] == 0.25


def test_calibration_counts_unanswerable_rows_as_never_correct():
    from policyqa.evaluation import _calibration, format_calibration

    rows = [
        {"q": "a", "kind": "citizen", "status": "answered", "confidence": 1.0, "answer": 1, "hit_at_1": 1},
        {"q": "b", "kind": "citizen", "status": "answered", "confidence": 0.999, "answer": 0, "hit_at_1": 1},
        {"q": "c", "kind": "gap", "status": "partial", "confidence": 0.85, "answer": 0, "hit_at_1": 0},
        {"q": "d", "kind": "oos", "status": "refused", "confidence": 0.2, "answer": 0, "hit_at_1": 0},
    ]
    c = _calibration(rows, threshold=0.7)
    # bins of 5: (0.8, 1.0] holds a, b, c (mean 0.9497, 1 of 3 correct); [0, 0.2] holds d
    assert c["answer"]["ece"] == pytest.approx((abs(1 - 2.849) + 0.2) / 4, abs=1e-4)
    assert c["hit_at_1"]["accuracy"] == 0.5 and c["replied"]["n"] == 3
    assert c["unanswerable_above_threshold"] == 1 and c["unanswerable_above_threshold_by_status"] == {"gap/partial": 1}
    assert c["full_confidence"] == 2 and c["misses_at_full_confidence"] == 1
    assert [f["q"] for f in c["flagged"]] == ["c", "b"]
    text = "\n".join(format_calibration(c))
    assert "ECE" in text and "mean conf" in text and "0.80-1.00" in text and "sure[gap/partial 0.850]: c" in text
    assert _calibration([dict(rows[0], confidence=None)], 0.7) is None  # baselines have no confidence
