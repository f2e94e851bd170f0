"""The whole knowledge base (work plan + 25 regulations) with the default embedder (USE): regression
guards at the measured level (README, "Evaluation"; the issue targets are higher and reported there).

Marked slow (builds a real index, ~20 s); runs in CI.  The kb development sets skip where
../shared/eval is absent; the team-written everyday set ships in tests/data and always runs.
"""

import pytest

from policyqa.engine import QAEngine
from policyqa.evaluation import evaluate

from pqtest import ROOT, make_settings

SHARED_EVAL = ROOT.parent / "shared" / "eval"
KB = SHARED_EVAL / "kb_questions.jsonl"
KB_DIALOGUES = SHARED_EVAL / "kb_dialogues.jsonl"
EVERYDAY = ROOT / "tests" / "data" / "kb_everyday_questions.jsonl"
SWITCH = ROOT / "tests" / "data" / "kb_switch_dialogues.jsonl"
HELDOUT = ROOT / "tests" / "data" / "kb_heldout_questions.jsonl"
BLIND2 = ROOT / "tests" / "data" / "kb_blind2_questions.jsonl"

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def kb_engine(tmp_path_factory):
    return QAEngine.load(make_settings(tmp_path_factory.mktemp("kbuse"), kb=True, embedder="use"))


def test_team_written_everyday_questions_behave_as_expected(kb_engine):
    # 74 everyday questions with the expected behaviour (answered with the key / partial / refused)
    b = evaluate(kb_engine, EVERYDAY)["behaviour"]
    assert b["n"] >= 40
    # measured 0.99 / 0.01 (README; the set is no longer blind); the targets are 0.90 / 0.02
    assert b["useful_or_honest"] >= 0.95 and b["misleading"] <= 0.03


@pytest.mark.skipif(not KB.exists(), reason="../shared/eval is absent")
def test_kb_questions(kb_engine):
    r = evaluate(kb_engine, KB)
    # measured hit@1 0.865, hit@3 0.958, gap rows honest 1.000 (README)
    assert r["hit_at_1"] >= 0.84 and r["hit_at_3"] >= 0.94
    assert r["oos_refusal"] >= 0.90 and r["false_refusal"] <= 0.05
    assert r["gap_honest"] >= 0.90
    # measured 1.000 (11 of 11: 广告位罚多少 ranks 第五十四条 first by the act it sanctions)
    assert r["version_in_force"] >= 0.95


@pytest.mark.skipif(not KB_DIALOGUES.exists(), reason="../shared/eval is absent")
def test_kb_dialogues(kb_engine):
    r = evaluate(kb_engine, KB_DIALOGUES)
    assert r["hit_at_3"] >= 0.85 and r["false_refusal"] <= 0.05
    # measured 0.833 / 0.917 (README, "Follow-up questions"); the targets
    assert r["hit_at_1"] >= 0.80 and r["key_in_answer"] >= 0.75


def test_team_written_dialogues_that_switch_topic_or_follow_up(kb_engine):
    # 15 complete questions after an unrelated one + 10 elliptical follow-ups (measured: hit@1 0.92,
    # switch 0.93 / elliptical 0.90; key 0.92)
    r = evaluate(kb_engine, SWITCH)
    assert r["hit_at_1_by_kind"]["switch"] >= 0.85 and r["hit_at_1_by_kind"]["dialogue"] >= 0.75
    assert r["hit_at_1"] >= 0.85 and r["key_in_answer"] >= 0.85


def test_held_out_everyday_questions_behave_as_expected(kb_engine):
    # 50 questions written from the documents without running the system (docs/heldout.md): first
    # measured useful 0.50 / misleading 0.46; now 0.72 / 0.14 (README)
    b = evaluate(kb_engine, HELDOUT)["behaviour"]
    assert b["n"] == 50 and b["useful_or_honest"] >= 0.80 and b["misleading"] <= 0.20


def test_the_second_blind_set_behaves_as_measured(kb_engine):
    # 50 questions written last, blind (docs/blind2.md); report only — this guards the measured level
    # (useful 0.78 / honest 0.16 / misleading 0.06), it was never tuned on
    b = evaluate(kb_engine, BLIND2)["behaviour"]
    assert b["n"] == 50 and b["useful_or_honest"] >= 0.85 and b["misleading"] <= 0.15
