"""Bounded, in-memory conversation memory for follow-up questions.

Used by the HTTP sessions (``session_id``) and the WeChat adapter (``FromUserName``).
Each conversation keeps at most ``max_turns`` turns and expires ``ttl_seconds`` after its
last use; at most ``max_conversations`` are kept (least recently used are dropped).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from .models import Answer, Turn

MAX_QUESTION_CHARS_KEPT = 500


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
        clauses = tuple(f"{c.doc_id}#{c.clause}" for c in answer.citations)
        turn = Turn(question=answer.question[:MAX_QUESTION_CHARS_KEPT], clauses=clauses)
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
