"""FeedbackLog: votes and the gap log in SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from policyqa.feedback import FEEDBACK_FILENAME, FeedbackLog, Gap, normalize_question


class Clock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def log(tmp_path):
    with FeedbackLog(tmp_path / "fb.sqlite3", clock=Clock()) as fb:
        yield fb


def test_in_dir_creates_folder_and_file(tmp_path):
    with FeedbackLog.in_dir(tmp_path / "data" / "nested") as fb:
        fb.record_gap("问题", "refused")
    assert (tmp_path / "data" / "nested" / FEEDBACK_FILENAME).is_file()


def test_record_gap_and_group_by_normalised_question(log):
    log.record_gap("怎么办理护照？", "refused")
    log.record_gap("怎么办理护照", "refused", "wechat")
    log.record_gap(" 怎么 办理护照 ?", "unhelpful")
    log.record_gap("暖气不热找谁", "refused")
    gaps = log.gaps()
    assert [g.question for g in gaps] == [" 怎么 办理护照 ?".strip(), "暖气不热找谁"]
    top = gaps[0]
    assert isinstance(top, Gap) and top.count == 3
    assert top.reasons == ("refused", "unhelpful") and top.sources == ("web", "wechat")
    assert top.first_seen < top.last_seen


def test_gaps_ordered_by_count_then_recency_and_limited(log):
    for q in ["甲", "乙", "乙", "丙"]:
        log.record_gap(q, "refused")
    assert [g.question for g in log.gaps()] == ["乙", "丙", "甲"]
    assert len(log.gaps(limit=1)) == 1 and log.gaps(limit=0) == []


def test_blank_questions_are_ignored(log):
    log.record_gap("   ", "refused")
    log.record_gap("？？", "refused")
    assert log.gaps() == []


def test_unhelpful_feedback_is_a_gap_helpful_is_not(log):
    log.record_feedback("s1", "物业费怎么收", True)
    log.record_feedback("s1", "暖气不热怎么办", False, comment="  没有电话  ")
    gaps = log.gaps()
    assert [(g.question, g.reasons) for g in gaps] == [("暖气不热怎么办", ("unhelpful",))]
    votes = log.feedback()
    assert [(v.question, v.helpful, v.comment) for v in votes] == [
        ("暖气不热怎么办", False, "没有电话"),
        ("物业费怎么收", True, None),
    ]


def test_long_values_are_clipped(log):
    log.record_gap("房" * 5000, "refused")
    log.record_feedback("s" * 500, "问", False, comment="评" * 5000)
    assert max(len(g.question) for g in log.gaps()) == 1000
    vote = log.feedback()[0]
    assert len(vote.session_id) == 100 and len(vote.comment or "") == 2000


def test_persists_across_reopen(tmp_path):
    path = tmp_path / "fb.sqlite3"
    with FeedbackLog(path) as fb:
        fb.record_gap("公租房怎么申请", "refused")
    with FeedbackLog(path) as fb:
        assert fb.gaps()[0].question == "公租房怎么申请"


def test_thread_safe(log):
    def worker(n: int) -> None:
        for i in range(50):
            log.record_gap(f"问题{i % 5}", "refused", f"t{n}")
            log.record_feedback(f"s{n}", f"问题{i}", i % 2 == 0)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gaps = log.gaps()
    # every thread: 50 refused gaps + 25 unhelpful votes (each also a gap)
    assert sum(g.count for g in gaps) == 8 * 50 + 8 * 25
    assert len(log.feedback(limit=1000)) == 8 * 50


def test_normalize_question():
    assert normalize_question("  怎么 办理护照？ ") == "怎么办理护照"
    assert normalize_question("ＡＢＣ公积金!") == "abc公积金"
    assert normalize_question("？") == ""


def test_memory_database():
    with FeedbackLog(":memory:") as fb:
        fb.record_gap("问", "refused")
        assert fb.gaps()[0].count == 1
    assert not Path(":memory:").exists()


def test_records_past_retention_are_purged(tmp_path):
    clock = Clock()
    with FeedbackLog(tmp_path / "fb.sqlite3", clock=clock, retention_days=180) as fb:
        fb.record_gap("旧问题", "refused")
        fb.record_feedback("s1", "旧投票", True)
        clock.now += 179 * 86400
        fb.record_gap("新问题", "refused")
        assert fb.purge() == 0
        clock.now += 2 * 86400  # the first two records are now older than 180 days
        assert fb.purge() == 2
        assert [g.question for g in fb.gaps()] == ["新问题"] and fb.feedback() == []
    clock.now += 365 * 86400
    with FeedbackLog(tmp_path / "fb.sqlite3", clock=clock) as fb:  # purged again on open
        assert fb.counts() == {"feedback": 0, "gaps": 0}


def test_size_cap_keeps_the_newest_rows(tmp_path):
    with FeedbackLog(tmp_path / "fb.sqlite3", clock=Clock(), max_rows=150) as fb:
        for i in range(1000):  # unique refused questions, as in the gap-log flood of issue 11
            fb.record_gap(f"无关问题{i}", "refused")
        counts = fb.counts()
        assert counts["gaps"] <= 150 + 100  # purged every 100 writes
        fb.purge()
        assert fb.counts()["gaps"] == 150
        assert fb.gaps(1000)[0].question.startswith("无关问题")
        assert {g.question for g in fb.gaps(1000)} == {f"无关问题{i}" for i in range(850, 1000)}


def test_bounds_validated(tmp_path):
    with pytest.raises(ValueError):
        FeedbackLog(tmp_path / "x.sqlite3", retention_days=0)
