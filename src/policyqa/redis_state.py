"""The Redis backend of :class:`~policyqa.state.StateStore`: state shared by every process and
machine that points ``POLICYQA_REDIS_URL`` at the same server.

Each operation is one Redis round trip, every key gets a TTL and starts with ``prefix``
(``settings.redis_prefix``, default ``policyqa:``):

* ``add`` → ``SET key 1 NX PX ttl``; ``get`` → ``GET``; ``put`` → ``SET key value PX ttl``;
  ``delete`` → ``DEL``;
* ``hit`` → a Lua script over a sorted set (a sliding window scored by the *server's* clock, so
  replicas on machines whose clocks differ count the same window): drop events older than the
  window, refuse if ``limit`` remain, else add one; the key expires with the window.

If Redis cannot be reached (or times out after ``settings.redis_timeout_seconds``) every
operation raises :class:`~policyqa.errors.StateUnavailableError` — the HTTP service answers
503 ``state_unavailable``, never an answer without its session or dedup — and one log line
says so (``shared state: Redis at … unreachable``); the next operation that succeeds logs
``Redis is back``.  redis-py reconnects by itself, so recovery needs no restart.

Uses the maintained ``redis`` client (``pip install 'policyqa[redis]'``).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from .errors import ConfigError, StateUnavailableError
from .state import Decision

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

UNAVAILABLE_MESSAGE = "会话与限流服务（Redis）暂时不可用，请稍后再试"

# KEYS[1] = window key; ARGV = limit, window ms, count (0/1), unique member suffix.
# Returns {allowed (0/1), retry_after ms, remaining}.
_HIT_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local retry = window
  if oldest[2] then retry = tonumber(oldest[2]) + window - now end
  return {0, retry, 0}
end
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  n = n + 1
end
return {1, 0, limit - n}
"""


def redact_url(url: str) -> str:
    """``redis://:secret@host:6379/0`` → ``redis://host:6379/0`` (for logs)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class RedisStore:
    """:class:`~policyqa.state.StateStore` in Redis (see the module doc).  ``client`` is a
    ``redis.Redis`` (``decode_responses=True``); :meth:`from_settings` builds one."""

    def __init__(self, client: Any, prefix: str = "policyqa:", *, name: str = "redis") -> None:
        import redis

        self._client = client
        self._prefix = prefix
        self._name = name
        self._errors: tuple[type[BaseException], ...] = (redis.exceptions.ConnectionError,
                                                         redis.exceptions.TimeoutError)
        self._hit = client.register_script(_HIT_SCRIPT)
        self._down = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisStore:
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ConfigError("POLICYQA_REDIS_URL is set but the redis client is missing: "
                              "pip install 'policyqa[redis]'") from exc
        timeout = settings.redis_timeout_seconds
        try:
            client = redis.Redis.from_url(
                settings.redis_url, decode_responses=True, socket_timeout=timeout,
                socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 1), health_check_interval=30,
            )
        except ValueError as exc:
            raise ConfigError(f"POLICYQA_REDIS_URL is not a Redis URL: {exc}") from exc
        return cls(client, settings.redis_prefix, name=redact_url(settings.redis_url))

    # -- the StateStore operations ---------------------------------------------------------

    def add(self, key: str, ttl: float, value: str = "1") -> bool:
        return bool(self._call(lambda c: c.set(self._prefix + key, value, nx=True, px=_ms(ttl))))

    def get(self, key: str) -> str | None:
        value = self._call(lambda c: c.get(self._prefix + key))
        return value if isinstance(value, str) else None

    def put(self, key: str, value: str, ttl: float) -> None:
        self._call(lambda c: c.set(self._prefix + key, value, px=_ms(ttl)))

    def delete(self, key: str) -> None:
        self._call(lambda c: c.delete(self._prefix + key))

    def hit(self, key: str, limit: int, window: float, *, count: bool = True) -> Decision:
        if limit <= 0:
            return Decision(True, 0, 0)
        allowed, retry_ms, remaining = self._call(lambda c: self._hit(
            keys=[self._prefix + key], args=[limit, _ms(window), "1" if count else "0", secrets.token_hex(6)]))
        if int(allowed):
            return Decision(True, 0, int(remaining))
        return Decision(False, max(1, -(-int(retry_ms) // 1000)), 0)

    # -- health ------------------------------------------------------------------------------

    def ping(self) -> bool:
        """True if Redis answers (never raises)."""
        try:
            return bool(self._call(lambda c: c.ping()))
        except StateUnavailableError:
            return False

    def close(self) -> None:
        self._client.close()

    def _call(self, operation: Callable[[Any], T]) -> T:
        try:
            result = operation(self._client)
        except self._errors as exc:
            with self._lock:
                first, self._down = not self._down, True
            if first:
                logger.error("shared state: Redis at %s unreachable (%s: %s); refusing requests with 503 "
                             "state_unavailable until it returns", self._name, type(exc).__name__, exc)
            raise StateUnavailableError(UNAVAILABLE_MESSAGE) from exc
        if self._down:
            with self._lock:
                back, self._down = self._down, False
            if back:
                logger.warning("shared state: Redis at %s is back", self._name)
        return result


def _ms(seconds: float) -> int:
    return max(1, int(round(seconds * 1000)))
