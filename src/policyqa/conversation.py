"""Bounded conversation memory for follow-up questions.

Used by the HTTP sessions (``session_id``) and the WeChat adapter (``FromUserName``) through
the :class:`Conversations` protocol.  Each conversation keeps at most ``max_turns`` turns and
expires ``ttl_seconds`` after its last use.  Two implementations:

* :class:`ConversationStore` — in this process (the single-process default); at most
  ``max_conversations`` are kept (least recently used are dropped);
* :class:`StoredConversations` — in a :class:`~policyqa.state.StateStore` (Redis when
  ``POLICYQA_REDIS_URL`` is set), one JSON value per conversation under ``conv:<key>`` with a
  TTL, so follow-ups keep their context whichever process or machine answers them.
  Appends are read-modify-write: two turns of *one* conversation arriving at the same moment
  may keep only one of them (a person asks one question at a time).  Errors of the store
  (:class:`~policyqa.errors.StateUnavailableError`) propagate.

:func:`open_conversations` picks one from the settings.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .models import Answer, Turn

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings
    from .state import StateStore

MAX_QUESTION_CHARS_KEPT = 500


class Conversations(Protocol):
    """Where the turns of each conversation are kept (see the module doc)."""

    def history(self, key: str) -> tuple[Turn, ...]:
        """The turns of conversation ``key``, oldest first (empty if unknown or expired)."""
        ...

    def append(self, key: str, answer: Answer) -> None:
        """Remember a turn: the question as asked and the clauses its answer cited."""
        ...

    def clear(self, key: str) -> None: ...


def _turn(answer: Answer) -> Turn:
    # the clauses cited, or for a refused answer the nearest one: a follow-up still knows the topic
    clauses = tuple(dict.fromkeys(f"{c.doc_id}#{c.clause}" for c in answer.citations)) or tuple(
        f"{r.doc_id}#{r.clause}" for r in answer.related[:1]
    )
    return Turn(question=answer.question[:MAX_QUESTION_CHARS_KEPT], clauses=clauses)


class ConversationStore:
    def __init__(
        self,
        max_turns: int = 6,
        ttl_seconds: float = 1800,
        max_conversations: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_turns = max_turns
        self.ttl_seconds = ttl_seconds
        self.max_conversations = max_conversations
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, tuple[Turn, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def history(self, key: str) -> tuple[Turn, ...]:
        """The turns of conversation ``key`` (empty if unknown or expired)."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return ()
            stamp, turns = entry
            if self._clock() - stamp > self.ttl_seconds:
                del self._items[key]
                return ()
            return turns

    def append(self, key: str, answer: Answer) -> None:
        """Remember a turn: the question as asked and the clauses its answer cited."""
        turn = _turn(answer)
        with self._lock:
            now = self._clock()
            _, turns = self._items.pop(key, (now, ()))
            turns = (*turns, turn)[-self.max_turns :]
            self._items[key] = (now, turns)
            self._expire(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)

    def _expire(self, now: float) -> None:
        while self._items:
            oldest_key, (stamp, _) = next(iter(self._items.items()))
            if len(self._items) > self.max_conversations or now - stamp > self.ttl_seconds:
                del self._items[oldest_key]
            else:
                break


class StoredConversations:
    """:class:`Conversations` in a :class:`~policyqa.state.StateStore` (key ``<namespace>:<key>``,
    value ``[[question, [clause, …]], …]`` as JSON, expiring ``ttl_seconds`` after the last turn)."""

    def __init__(self, store: StateStore, max_turns: int = 6, ttl_seconds: float = 1800,
                 namespace: str = "conv") -> None:
        self.store = store
        self.namespace = namespace
        self.max_turns = max_turns
        self.ttl_seconds = ttl_seconds

    def history(self, key: str) -> tuple[Turn, ...]:
        raw = self.store.get(f"{self.namespace}:{key}")
        if not raw:
            return ()
        try:
            return tuple(Turn(question=str(q), clauses=tuple(str(c) for c in clauses))
                         for q, clauses in json.loads(raw))
        except (ValueError, TypeError):  # a value we did not write: start afresh
            return ()

    def append(self, key: str, answer: Answer) -> None:
        turns = (*self.history(key), _turn(answer))[-self.max_turns :]
        value = json.dumps([[t.question, list(t.clauses)] for t in turns], ensure_ascii=False)
        self.store.put(f"{self.namespace}:{key}", value, self.ttl_seconds)

    def clear(self, key: str) -> None:
        self.store.delete(f"{self.namespace}:{key}")


def open_conversations(settings: Settings, store: StateStore, namespace: str = "conv") -> Conversations:
    """In ``store`` under ``namespace`` when it is shared (``redis_url`` set), else in this process.
    (The web sessions use ``conv``, WeChat followers ``wxconv``: a session id can never read a
    follower's conversation.)"""
    if settings.redis_url:
        return StoredConversations(store, settings.session_max_turns, settings.session_ttl_seconds, namespace)
    return ConversationStore(settings.session_max_turns, settings.session_ttl_seconds,
                             settings.session_max_sessions)
