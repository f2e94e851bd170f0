"""Behaviour judgements for rows with an expected behaviour (evaluation._judge)."""

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
