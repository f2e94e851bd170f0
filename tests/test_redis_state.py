"""RedisStore and StoredConversations against a real redis-server (skipped when not installed)."""

from __future__ import annotations

import logging

import pytest

from policyqa.config import Settings
from policyqa.conversation import StoredConversations, open_conversations
from policyqa.errors import StateUnavailableError
from policyqa.models import Answer
from policyqa.redis_state import RedisStore, redact_url
from policyqa.state import MemoryStore, open_store
from servers import redis_server


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def store(redis, request):
    settings = Settings(redis_url=redis.url, redis_prefix=f"t-{request.node.name}:")
    store = open_store(settings)
    assert isinstance(store, RedisStore)
    yield store
    store.close()


def test_memory_store_without_url():
    assert isinstance(open_store(Settings()), MemoryStore)


def test_add_get_put_delete_with_prefix_and_ttl(store, redis):
    assert store.add("wxnonce:a", 30)
    assert not store.add("wxnonce:a", 30)
    store.put("wxreply:k", "<xml/>", 30)
    assert store.get("wxreply:k") == "<xml/>"
    store.delete("wxreply:k")
    assert store.get("wxreply:k") is None
    raw = store._client
    keys = raw.keys("*wxnonce:a")
    assert keys == [f"{store._prefix}wxnonce:a"]
    assert 0 < raw.pttl(keys[0]) <= 30_000


def test_sliding_window_is_shared_between_clients(store, redis):
    other = RedisStore.from_settings(Settings(redis_url=redis.url, redis_prefix=store._prefix))
    results = [(store if i % 2 else other).hit("rl-ask:1.2.3.4", 3, 60).allowed for i in range(5)]
    assert results == [True, True, True, False, False]
    blocked = store.hit("rl-ask:1.2.3.4", 3, 60, count=False)
    assert not blocked.allowed and 1 <= blocked.retry_after <= 60
    assert store.hit("rl-ask:5.6.7.8", 3, 60).remaining == 2
    assert store._client.pttl(f"{store._prefix}rl-ask:1.2.3.4") > 0
    other.close()


def test_conversations_follow_a_session_across_stores(store, redis):
    settings = Settings(redis_url=redis.url, redis_prefix=store._prefix, session_max_turns=2)
    one, two = open_conversations(settings, store), StoredConversations(
        RedisStore.from_settings(settings), 2, 1800)
    assert isinstance(one, StoredConversations)
    for question in ("公租房申请条件", "那租金呢", "需要哪些材料"):
        one.append("s1", Answer(question=question, answer="", refused=False, confidence=0.5))
    turns = two.history("s1")
    assert [t.question for t in turns] == ["那租金呢", "需要哪些材料"]
    assert two.history("other") == ()
    two.clear("s1")
    assert one.history("s1") == ()


def test_outage_raises_clear_error_then_recovers(redis, tmp_path, caplog):
    store = RedisStore.from_settings(Settings(redis_url=redis.url, redis_prefix="outage:",
                                              redis_timeout_seconds=0.5))
    assert store.add("k", 30)
    redis.stop()
    try:
        with caplog.at_level(logging.ERROR, logger="policyqa.redis_state"):
            for _ in range(3):
                with pytest.raises(StateUnavailableError) as info:
                    store.get("k")
        assert info.value.code == "state_unavailable"
        errors = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(errors) == 1  # one line per outage, not per request
        assert not store.ping()
    finally:
        redis.start()
    with caplog.at_level(logging.WARNING, logger="policyqa.redis_state"):
        assert store.add("k2", 30)
    assert any("is back" in r.getMessage() for r in caplog.records)
    store.close()


def test_redact_url_hides_password():
    assert redact_url("redis://:s3cret@10.0.0.5:6380/2") == "redis://10.0.0.5:6380/2"
