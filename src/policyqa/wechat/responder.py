"""WeChatResponder: a decrypted message in, the passive reply XML out — at most once per message,
within WeChat's 5-second wait (see :mod:`policyqa.wechat` for the rules that shape it).

Dedup of WeChat's retries (``wxreply``; across processes a claim, ``wxclaim``), the
per-follower rate limit (``wxrate``), the engine asked in a worker thread under a time budget
with a holding text when it is slower, and the late answer kept for the follower's re-ask
(``wxlate``, the question claimed meanwhile, ``wxq``) — all in one
:class:`~policyqa.state.StateStore`.  This module imports no web framework.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Settings
from ..conversation import Conversations
from ..errors import InvalidQuestionError, PolicyQAError
from ..models import Turn
from ..state import MemoryStore, RateLimit, StateStore
from .message import follower_hash, message_key, parse, render
from .reply import format_answer
from .texts import (
    BUSY_TEXT,
    EMPTY_QUESTION_TEXT,
    HELP_KEYWORDS,
    HELP_TEXT,
    HOLDING_TEXT,
    RATE_LIMITED_TEXT,
    SILENT_EVENTS,
    UNAVAILABLE_TEXT,
    UNSUPPORTED_TEXT,
    WELCOME_EVENTS,
    WELCOME_TEXT,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import QAEngine

logger = logging.getLogger(__name__)


class GapLog(Protocol):
    def record_gap(self, question: str, reason: str, channel: str) -> Any: ...


def replay_window(settings: Settings) -> float:
    """Seconds a signed request can be replayed: its timestamp may be ``wechat_timestamp_window``
    off either way, so nonces and reply dedup are kept for twice that, plus a minute."""
    return 2.0 * settings.wechat_timestamp_window + 60.0


def _question_tag(follower: str, question: str) -> str:
    return hashlib.sha256(f"{follower}\n{question}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Outcome:
    """What the worker produced for one question."""

    text: str
    refused: bool = False


#: How long past the budget a replica's claim on a message outlives a crash of that replica.
CLAIM_SLACK_SECONDS = 5.0
POLL_SECONDS = 0.05  # how often a waiting replica looks for another replica's reply

_HOLDING = "\x00holding"  # dedup marker: this message got the holding text (not valid XML: never a reply)


@dataclass
class _Pending:
    """An engine call in progress for (follower, question)."""

    future: Future[_Outcome]
    delivered: bool = False


class WeChatResponder:
    """Turns a decrypted WeChat message (XML) into the passive reply XML.

    ``get_engine`` is called lazily in a worker thread (so a slow first load falls under
    the time budget too).  ``store`` keeps the reply dedup (namespace ``wxreply``) and the
    per-follower rate limit (``wxrate``); by default an in-memory store on ``clock``.
    ``clock`` drives the caches' and rate limiter's time (tests pass a fake); the engine
    budget always uses real time.  ``dedup_ttl`` defaults to :func:`replay_window`.
    """

    def __init__(
        self,
        get_engine: Callable[[], QAEngine],
        settings: Settings,
        conversations: Conversations,
        gap_log: GapLog | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_workers: int = 4,
        max_queued: int = 32,
        dedup_ttl: float | None = None,
        reask_ttl: float = 300.0,
        max_cached: int = 10_000,
        store: StateStore | None = None,
    ) -> None:
        self._get_engine = get_engine
        self.settings = settings
        self.conversations = conversations
        self.gap_log = gap_log
        self._clock = clock
        self.budget = settings.wechat_budget_seconds
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="policyqa-wechat")
        self._max_outstanding = max_workers + max_queued
        self._outstanding = 0
        # dedup: finished replies by message key (in the store), and futures of replies being computed
        self._store = store if store is not None else MemoryStore(max_cached, clock)
        self._dedup_ttl = dedup_ttl if dedup_ttl is not None else replay_window(settings)
        self._inflight: dict[str, Future[str | None]] = {}
        # answers that finished after the budget wait in the store (wxlate) for the follower's re-ask;
        # a question being computed is claimed there (wxq) so another process does not compute it too
        self._reask_ttl = reask_ttl
        self._question_ttl = max(60.0, 10.0 * self.budget)
        self._questions: dict[tuple[str, str], _Pending] = {}
        self._lock = threading.Lock()
        self._limiter = RateLimit(self._store, "wxrate", settings.wechat_rate_limit_per_minute, 60.0)

    # -- public ---------------------------------------------------------------------

    def handle(self, xml_plaintext: str | bytes) -> str | None:
        """Reply XML for one message, or ``None`` when nothing should be sent (answer "success").

        Raises ``WeChatMessageError`` for unsafe or malformed XML (the adapter answers 400).
        """
        started = time.monotonic()
        message = parse(xml_plaintext)
        key = message_key(message)

        with self._lock:
            cached = self._store.get(key)
            retry = cached == _HOLDING  # we sent a holding text: a retry may get the answer now
            if retry:
                cached = None
            future = self._inflight.get(key) if cached is None else None
            owner = cached is None and future is None
            if owner:
                future = Future()
                self._inflight[key] = future
        if cached is not None:
            self._log(message, key, started, "duplicate")
            return cached or None
        if not owner:
            assert future is not None
            try:
                reply = future.result(timeout=self.budget + 2.0)
            except FutureTimeout:
                reply = render(message, HOLDING_TEXT)
            self._log(message, key, started, "duplicate-wait")
            return reply

        assert future is not None
        claim = "wxclaim:" + key.split(":", 1)[1]
        claimed = False
        try:
            # across processes: one replica answers a message, the others wait for its reply
            claimed = self._store.add(claim, self.budget + CLAIM_SLACK_SECONDS)
            if claimed:
                reply, keep, outcome = self._respond(message, retry=retry)
                if keep is not None:
                    self._store.put(key, keep, self._dedup_ttl)
            else:
                reply, keep, outcome = self._await_reply(message, key, claim), None, "duplicate-replica"
        except BaseException as exc:  # never leave waiters hanging
            future.set_exception(exc)
            with self._lock:
                self._inflight.pop(key, None)
            if claimed:
                self._release(claim)
            raise
        with self._lock:
            self._inflight.pop(key, None)
        future.set_result(reply)
        if claimed:
            self._release(claim)
        self._log(message, key, started, outcome)
        return reply

    def _await_reply(self, message: Any, key: str, claim: str) -> str | None:
        """Another process holds ``claim`` for this message: poll the store for its reply until the
        budget (plus two seconds) is over; the holding text if it gave one or is still working."""
        deadline = time.monotonic() + self.budget + 2.0
        while True:
            value = self._store.get(key)
            if value is not None and value != _HOLDING:
                return value or None
            if time.monotonic() >= deadline:
                return render(message, HOLDING_TEXT)
            if self._store.get(claim) is None:  # released: a reply is stored before its claim is released,
                value = self._store.get(key)  # so read once more (it may have landed between the two reads)
                if value is not None and value != _HOLDING:
                    return value or None
                return render(message, HOLDING_TEXT if value == _HOLDING else UNAVAILABLE_TEXT)
            time.sleep(POLL_SECONDS)

    def _release(self, claim: str) -> None:
        try:
            self._store.delete(claim)
        except PolicyQAError:  # it expires by itself
            logger.warning("wechat: could not release a claim; it expires in %.0f s",
                           self.budget + CLAIM_SLACK_SECONDS)

    def close(self) -> None:
        """Stop the worker threads (running engine calls finish in the background)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- message kinds ----------------------------------------------------------------

    def _respond(self, message: Any, *, retry: bool = False) -> tuple[str | None, str | None, str]:
        """(reply XML or None, what to cache for retries (None: nothing), outcome tag for the log)."""
        if message.type == "event":
            event = (getattr(message, "event", "") or message._data.get("Event", "") or "").lower()
            if event in WELCOME_EVENTS:
                return self._cached(render(message, WELCOME_TEXT), "welcome")
            if event in SILENT_EVENTS:
                return self._cached(None, f"event-{event or 'unknown'}")
            return self._cached(render(message, UNSUPPORTED_TEXT), f"event-{event or 'unknown'}")
        if message.type != "text":
            return self._cached(render(message, UNSUPPORTED_TEXT), f"unsupported-{message.type}")

        question = (message.content or "").strip()
        if question.lower() in HELP_KEYWORDS:
            return self._cached(render(message, HELP_TEXT), "help")
        if not question:
            return self._cached(render(message, EMPTY_QUESTION_TEXT), "empty")
        if not retry and not self._limiter.hit(message.source).allowed:
            return self._cached(render(message, RATE_LIMITED_TEXT), "rate-limited")
        text, outcome = self._answer(message.source, question)
        reply = render(message, text)
        if outcome == "error":  # not cached: WeChat's retry gets a second chance
            return reply, None, outcome
        if outcome == "holding":  # a retry gets the answer if it is ready by then
            return reply, _HOLDING, outcome
        return self._cached(reply, outcome)

    @staticmethod
    def _cached(reply: str | None, outcome: str) -> tuple[str | None, str | None, str]:
        return reply, reply or "", outcome

    # -- answering under a time budget ------------------------------------------------

    def _answer(self, follower: str, question: str) -> tuple[str, str]:
        if len(question) > self.settings.max_question_chars:
            return (f"问题太长了，请精简到 {self.settings.max_question_chars} 个字以内再发送。", "invalid")
        qkey = (follower, question)
        tag = _question_tag(follower, question)
        late = self._take_late(tag)
        if late is not None:
            return late, "late-answer"
        with self._lock:
            existing = self._questions.get(qkey)
            if existing is None:
                if self._outstanding >= self._max_outstanding:
                    return BUSY_TEXT, "busy"
                self._outstanding += 1  # reserved; released below or by _finished
        if existing is None:
            try:
                claimed = self._store.add(f"wxq:{tag}", self._question_ttl)
            except BaseException:
                self._unreserve()
                raise
            if not claimed:  # another process is computing it: wait for its late answer
                self._unreserve()
                return self._await_late(tag)
            with self._lock:
                pending = _Pending(self._executor.submit(self._compute, follower, question))
                self._questions[qkey] = pending
            # outside the lock: the callback runs at once if the call already finished
            pending.future.add_done_callback(lambda _f: self._finished(qkey, tag, pending))
        else:
            pending = existing
        try:
            outcome = pending.future.result(timeout=self.budget)
        except FutureTimeout:
            return HOLDING_TEXT, "holding"
        except Exception:
            logger.exception("wechat: answering failed")
            return UNAVAILABLE_TEXT, "error"
        with self._lock:  # delivered in time: not to be kept for a re-ask
            pending.delivered = True
        self._store.delete(f"wxlate:{tag}")
        return outcome.text, "refused" if outcome.refused else "answered"

    def _unreserve(self) -> None:
        with self._lock:
            self._outstanding -= 1

    def _take_late(self, tag: str) -> str | None:
        late = self._store.get(f"wxlate:{tag}")
        if late is not None:
            self._store.delete(f"wxlate:{tag}")
        return late

    def _await_late(self, tag: str) -> tuple[str, str]:
        deadline = time.monotonic() + self.budget
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            late = self._take_late(tag)
            if late is not None:
                return late, "late-answer"
        return HOLDING_TEXT, "holding"

    def _compute(self, follower: str, question: str) -> _Outcome:
        """Runs in a worker thread: ask, remember the turn, log a gap, format."""
        history: tuple[Turn, ...] = self.conversations.history(follower)
        try:
            answer = self._get_engine().ask(question, list(history) or None)
        except InvalidQuestionError as exc:
            return _Outcome(exc.message or EMPTY_QUESTION_TEXT)
        self.conversations.append(follower, answer)
        if (answer.refused or answer.status == "partial") and self.gap_log is not None:
            try:
                reason = "refused" if answer.refused else f"partial：{answer.missing}"
                self.gap_log.record_gap(question, reason, "wechat")
            except Exception:  # the reply matters more than the log
                logger.exception("wechat: recording a gap failed")
        return _Outcome(format_answer(answer, self.settings.public_base_url), answer.refused)

    def _finished(self, qkey: tuple[str, str], tag: str, pending: _Pending) -> None:
        future = pending.future
        with self._lock:
            self._outstanding -= 1
            if self._questions.get(qkey) is pending:
                del self._questions[qkey]
            late = not (pending.delivered or future.cancelled() or future.exception() is not None)
        try:
            if late:  # finished after the budget: keep the reply for the follower's re-ask (any replica)
                self._store.put(f"wxlate:{tag}", future.result().text, self._reask_ttl)
            self._store.delete(f"wxq:{tag}")
        except PolicyQAError:
            logger.warning("wechat: could not hand a late answer over (shared state unavailable)")

    # -- logging (never the content or the OpenID) -----------------------------------

    def _log(self, message: Any, key: str, started: float, outcome: str) -> None:
        logger.info(
            "wechat message id=%s type=%s from=%s outcome=%s ms=%.1f",
            message.id or "event", message.type, follower_hash(message.source or ""),
            outcome, (time.monotonic() - started) * 1000,
        )
