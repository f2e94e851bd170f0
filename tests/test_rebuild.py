"""Rebuild: one background build at a time, its progress and its snapshot (no engine needed)."""

from __future__ import annotations

import threading

import pytest

from policyqa.errors import IndexBusyError
from policyqa.rebuild import IndexStatus, Rebuild


def test_one_build_at_a_time_and_a_released_slot_is_free_again():
    rebuild = Rebuild(threading.Lock())
    with rebuild.lock:
        rebuild.reserve_locked()
        assert (rebuild.state, rebuild.stage) == ("building", "queued")
        with pytest.raises(IndexBusyError):
            rebuild.reserve_locked()
    assert rebuild.building
    with pytest.raises(IndexBusyError):
        rebuild.check_idle()
    with rebuild.lock:
        rebuild.release_locked()
    assert not rebuild.building and rebuild.stage == ""
    rebuild.check_idle()


def test_a_build_reports_progress_and_ends_in_the_snapshot():
    seen: list[tuple[str, int, int]] = []
    rebuild = Rebuild(threading.Lock(), observer=lambda *report: seen.append(report), stage="loaded")
    assert rebuild.status_locked(3, 30, ready=True) == IndexStatus(
        "idle", "loaded", 0, 0, "", None, None, 3, 30, "", True)

    during: list[tuple[int, int]] = []

    def job(stage: str) -> None:
        rebuild.progress(stage, 2.0, 5)  # type: ignore[arg-type]  # counts are stored as int
        with rebuild.lock:
            during.append((rebuild.done, rebuild.total))
            rebuild.finish_locked()

    with rebuild.lock:
        rebuild.reserve_locked()
        rebuild.start_locked("add 某文件.txt", job, ("embedding",))
        assert rebuild.thread is not None and rebuild.thread.name == "policyqa-index-add"
    rebuild.wait(10)
    status = rebuild.status_locked(4, 40, ready=True)
    assert during == [(2, 5)] and all(type(n) is int for n in during[0])
    # a finished build reads 1/1, not the count of its last stage (a newcomer saw done 0 / total 1)
    assert (status.state, status.stage, status.done, status.total) == ("idle", "done", 1, 1)
    assert status.operation == "add 某文件.txt" and status.started_at <= status.finished_at
    assert seen == [("embedding", 2, 5)]


def test_a_failed_build_keeps_its_message_and_a_failing_observer_is_only_logged(caplog):
    def broken(stage: str, done: int, total: int) -> None:
        raise RuntimeError("console gone")

    rebuild = Rebuild(threading.Lock(), observer=broken)
    rebuild.observe("starting", 0, 0)  # does not raise
    assert "index progress observer failed" in caplog.text
    with rebuild.lock:
        rebuild.reserve_locked()
        rebuild.fail_locked("索引失败")
    status = rebuild.status_locked(0, 0, ready=False)
    assert (status.state, status.stage, status.message, status.ready) == ("failed", "failed", "索引失败", False)
    assert status.finished_at is not None
