"""Short-lived shared state: rate-limit counters, WeChat nonces, WeChat reply dedup.

Everything here is keyed, expires (TTL) and is bounded in size, so no client can make it grow
without limit.  The components that need such state talk to a :class:`StateStore`, a protocol
of primitive operations that map one-to-one onto a key-value server (``SET NX PX``,
``GET``/``SET PX``, ``DEL``, a sorted-set sliding window; :class:`policyqa.redis_state.RedisStore`
is that backend, chosen by :func:`open_store` when ``POLICYQA_REDIS_URL`` is set):

* :meth:`StateStore.add` — remember a key for ``ttl`` seconds unless it is already there
  (WeChat nonces: a signature/timestamp/nonce triple is accepted once);
* :meth:`StateStore.get` / :meth:`StateStore.put` — a string value for ``ttl`` seconds
  (WeChat replies by sender + MsgId, so WeChat's retries get the identical reply);
* :meth:`StateStore.delete` — forget a key (a claim released early);
* :meth:`StateStore.hit` — one event in a sliding window of ``window`` seconds holding at most
  ``limit`` events (per-client rate limits, failed admin-auth throttle).

:class:`MemoryStore` is the in-process implementation: one LRU map per key namespace (the part
of the key before the first ``:``), each capped at ``max_items`` entries, expired entries
dropped as they are met.  When a namespace is full its least recently used entry goes, so a
flood of new rate-limit keys costs bounded memory and cannot evict another namespace's nonces.
With several worker processes each holds its own memory (limits then apply per worker), which
is why ``policyqa serve --workers N`` needs Redis (docs/scaling.md).

This module imports only the standard library (the Redis backend is imported on demand).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings

logger = logging.getLogger(__name__)

DEFAULT_MAX_ITEMS = 100_000


@dataclass(frozen=True)
class Decision:
    """The answer of :meth:`StateStore.hit`: ``allowed``; if not, ``retry_after`` seconds until
    the oldest counted event leaves the window (≥ 1, rounded up); ``remaining`` events left."""

    allowed: bool
    retry_after: int = 0
    remaining: int = 0


class StateStore(Protocol):
    """Keyed, expiring, bounded state shared by the service's components (see the module doc)."""

    def add(self, key: str, ttl: float, value: str = "1") -> bool:
        """Remember ``key`` (with ``value``, readable by :meth:`get`) for ``ttl`` seconds; False —
        and nothing changed — if it was already remembered (and unexpired)."""
        ...

    def get(self, key: str) -> str | None:
        """The unexpired value stored under ``key``, or None."""
        ...

    def put(self, key: str, value: str, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (replacing any earlier value)."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error if it is not there)."""
        ...

    def hit(self, key: str, limit: int, window: float, *, count: bool = True) -> Decision:
        """Count one event for ``key`` unless ``limit`` events already fell in the last ``window``
        seconds (a refused event is not counted; ``count=False`` only asks whether one more event
        would be allowed).  ``limit <= 0`` means unlimited."""
        ...


class _Namespace:
    """One LRU map of ``key → (expires_at, value)`` capped at ``max_items``."""

    def __init__(self, name: str, max_items: int) -> None:
        self.name = name
        self.max_items = max_items
        self.items: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self.warned = False

    def lookup(self, key: str, now: float) -> object | None:
        entry = self.items.get(key)
        if entry is None:
            return None
        expires, value = entry
        if now >= expires:
            del self.items[key]
            return None
        self.items.move_to_end(key)
        return value

    def store(self, key: str, value: object, expires: float, now: float) -> None:
        self.items[key] = (expires, value)
        self.items.move_to_end(key)
        self._prune(now)

    def _prune(self, now: float) -> None:
        # expired entries at the old end go first (cheap: stop at the first live one)
        while self.items:
            oldest_key, (expires, _) = next(iter(self.items.items()))
            if now < expires:
                break
            del self.items[oldest_key]
        while len(self.items) > self.max_items:
            self.items.popitem(last=False)
            if not self.warned:
                logger.warning("state namespace %r is full (%d entries): evicting the least recently used",
                               self.name, self.max_items)
                self.warned = True


class MemoryStore:
    """In-process :class:`StateStore`: thread-safe, every entry with a TTL, each key namespace
    (text before the first ``:``) capped at ``max_items`` entries.  ``clock`` is seconds
    (monotonic by default; tests pass a fake)."""

    def __init__(self, max_items: int = DEFAULT_MAX_ITEMS, clock: Callable[[], float] = time.monotonic) -> None:
        if max_items < 1:
            raise ValueError("max_items must be >= 1")
        self.max_items = max_items
        self._clock = clock
        self._namespaces: dict[str, _Namespace] = {}
        self._lock = threading.Lock()

    def _space(self, key: str) -> _Namespace:
        name = key.split(":", 1)[0]
        space = self._namespaces.get(name)
        if space is None:
            space = self._namespaces[name] = _Namespace(name, self.max_items)
        return space

    def add(self, key: str, ttl: float, value: str = "1") -> bool:
        with self._lock:
            now = self._clock()
            space = self._space(key)
            if space.lookup(key, now) is not None:
                return False
            space.store(key, value, now + ttl, now)
            return True

    def get(self, key: str) -> str | None:
        with self._lock:
            value = self._space(key).lookup(key, self._clock())
        return value if isinstance(value, str) else None

    def put(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            now = self._clock()
            self._space(key).store(key, value, now + ttl, now)

    def delete(self, key: str) -> None:
        with self._lock:
            self._space(key).items.pop(key, None)

    def hit(self, key: str, limit: int, window: float, *, count: bool = True) -> Decision:
        if limit <= 0:
            return Decision(True, 0, 0)
        with self._lock:
            now = self._clock()
            space = self._space(key)
            found = space.lookup(key, now)
            events: deque[float] = found if isinstance(found, deque) else deque()
            while events and now - events[0] >= window:
                events.popleft()
            if len(events) >= limit:
                retry = max(1, math.ceil(events[0] + window - now))
                space.store(key, events, events[-1] + window, now)
                return Decision(False, retry, 0)
            if not count:
                return Decision(True, 0, limit - len(events))
            events.append(now)
            space.store(key, events, now + window, now)
            return Decision(True, 0, limit - len(events))

    def size(self, namespace: str) -> int:
        """Entries (live or not yet pruned) in one namespace — for tests and metrics."""
        with self._lock:
            space = self._namespaces.get(namespace)
            return len(space.items) if space is not None else 0


def open_store(settings: Settings) -> StateStore:
    """The store ``settings`` ask for: a :class:`~policyqa.redis_state.RedisStore` when
    ``redis_url`` is set (keys prefixed with ``redis_prefix``), else a :class:`MemoryStore`
    capped at ``state_max_keys`` per namespace."""
    if settings.redis_url:
        from .redis_state import RedisStore

        return RedisStore.from_settings(settings)
    return MemoryStore(settings.state_max_keys)


@dataclass(frozen=True)
class RateLimit:
    """``limit`` events per ``window`` seconds per key, counted in a :class:`StateStore` under
    ``name:<key>``.  ``limit <= 0`` turns it off."""

    store: StateStore
    name: str
    limit: int
    window: float = 60.0

    def hit(self, key: str) -> Decision:
        return self.store.hit(f"{self.name}:{key}", self.limit, self.window)

    def peek(self, key: str) -> Decision:
        """Whether one more event would be allowed, without counting one."""
        return self.store.hit(f"{self.name}:{key}", self.limit, self.window, count=False)
