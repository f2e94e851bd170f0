"""policyqa.state: the in-memory store's TTLs, size caps and sliding-window rate limits."""

from __future__ import annotations

import threading

import pytest

from policyqa.state import MemoryStore, RateLimit


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_add_once_until_expiry():
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    assert store.add("nonce:a", 10) is True
    assert store.add("nonce:a", 10) is False
    clock.now += 10
    assert store.add("nonce:a", 10) is True


def test_put_get_ttl():
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    store.put("reply:1", "x", 5)
    assert store.get("reply:1") == "x"
    clock.now += 5
    assert store.get("reply:1") is None
    assert store.get("reply:never") is None


def test_namespaces_are_capped_separately():
    store = MemoryStore(max_items=100)
    store.add("nonce:keep", 60)
    for i in range(10_000):
        store.hit(f"rate:{i}", 5, 60)
    assert store.size("rate") == 100
    assert store.add("nonce:keep", 60) is False  # a flood of rate-limit keys evicts no nonce


def test_sliding_window_and_retry_after():
    clock = FakeClock()
    limit = RateLimit(MemoryStore(clock=clock), "ask", 3, 60)
    assert [limit.hit("1.2.3.4").allowed for _ in range(4)] == [True, True, True, False]
    refused = limit.hit("1.2.3.4")
    assert not refused.allowed and refused.retry_after == 60
    assert limit.hit("5.6.7.8").allowed  # per key
    clock.now += 30
    assert limit.hit("1.2.3.4").retry_after == 30
    clock.now += 30
    assert limit.hit("1.2.3.4").allowed


def test_peek_does_not_count():
    limit = RateLimit(MemoryStore(), "auth", 2, 60)
    for _ in range(10):
        assert limit.peek("k").allowed
    limit.hit("k")
    limit.hit("k")
    assert not limit.peek("k").allowed


def test_zero_limit_is_unlimited():
    limit = RateLimit(MemoryStore(), "off", 0)
    assert all(limit.hit("k").allowed for _ in range(1000))


def test_thread_safe_counting():
    limit = RateLimit(MemoryStore(), "t", 500, 60)
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(100):
            allowed = limit.hit("k").allowed
            with lock:
                results.append(allowed)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 500


def test_max_items_validated():
    with pytest.raises(ValueError):
        MemoryStore(max_items=0)


def test_add_keeps_its_value_and_delete_forgets():
    store = MemoryStore()
    assert store.add("wxnonce:k", 30, "digest-1")
    assert not store.add("wxnonce:k", 30, "digest-2")  # the first value stays
    assert store.get("wxnonce:k") == "digest-1"
    store.delete("wxnonce:k")
    store.delete("wxnonce:never")  # no error
    assert store.get("wxnonce:k") is None
    assert store.add("wxnonce:k", 30)
