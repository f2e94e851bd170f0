"""The feedback/gap log on a real PostgreSQL server started for the test (skipped when it cannot)."""

from __future__ import annotations

import pytest

from policyqa.config import Settings
from policyqa.feedback import FeedbackLog
from servers import postgres_server

pytestmark = pytest.mark.slow  # initdb + server start take a few seconds


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory):
    pytest.importorskip("psycopg")
    with postgres_server(tmp_path_factory.mktemp("pg")) as url:
        yield url


def test_two_replicas_write_one_log(pg_url):
    settings = Settings(database_url=pg_url, feedback_max_rows=100)
    one, two = FeedbackLog.from_settings(settings), FeedbackLog.from_settings(settings)
    try:
        assert one.database.startswith("postgresql://127.0.0.1:")
        one.record_gap("物业费怎么交？", "refused", "web")
        two.record_gap("物业费怎么交", "refused", "wechat")
        two.record_feedback("s1", "公租房怎么申请", False, "没有说到材料")
        gaps = one.gaps()
        assert gaps[0].question in {"物业费怎么交？", "物业费怎么交"} and gaps[0].count == 2
        assert gaps[0].sources == ("web", "wechat")
        assert [e.comment for e in one.feedback()] == ["没有说到材料"]
        assert one.counts() == {"feedback": 1, "gaps": 3}
    finally:
        one.close()
        two.close()


def test_bounds_hold_on_postgres(pg_url):
    now = [1_000_000.0]
    log = FeedbackLog(pg_url, clock=lambda: now[0], retention_days=1, max_rows=100)
    try:
        log.purge()
        base = log.counts()["gaps"]
        for i in range(120):
            log.record_gap(f"问题{i}", "refused")
        log.purge()
        assert log.counts()["gaps"] == 100
        now[0] += 2 * 86400  # everything is now past the retention age
        log.purge()
        assert log.counts()["gaps"] == 0 <= base
    finally:
        log.close()


def test_reconnects_after_the_connection_breaks(pg_url):
    log = FeedbackLog(pg_url)
    try:
        with log._lock:
            log._conn.close()
        log.record_gap("断线后还能记录吗", "refused")
        assert any(g.question == "断线后还能记录吗" for g in log.gaps())
    finally:
        log.close()


def test_server_down_gives_a_clear_error(tmp_path_factory):
    pytest.importorskip("psycopg")
    from policyqa.errors import StateUnavailableError
    from servers import free_port

    with pytest.raises(StateUnavailableError) as info:
        FeedbackLog(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    assert info.value.code == "database_unavailable"
