"""WeChat official account (微信公众号) message handling, independent of HTTP.

The HTTP adapter (``policyqa.service.wechat``) checks signatures, caps the body and
decrypts safe-mode (安全模式) messages; everything after that lives here:

    plaintext XML ──safe-XML check──▶ ``wechatpy.parse_message`` ──▶ dedup / rate limit
        ──▶ text: ``QAEngine.ask`` in a worker thread, bounded by a time budget
        ──▶ ``create_reply(...).render()``

WeChat's passive-reply rules shape the design:

* WeChat waits 5 s for a reply, then retries the same message up to three times.
  Replies are cached by ``MsgId`` (events: ``FromUserName`` + ``CreateTime``) and a retry
  that arrives while the first request is still computing waits for the same result, so
  the engine is asked exactly once and every copy gets the identical reply.
* The engine gets ``settings.wechat_budget_seconds`` (default 4 s).  If it is slower the
  follower gets a short holding text; the answer is still computed, and cached so that
  re-sending the same question within a few minutes gets it at once.
* A text reply's ``Content`` may hold at most 2048 UTF-8 bytes: answers are trimmed by
  whole sentences and keep their citation lines.

This module imports no web framework.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy import parse_message
from wechatpy.replies import create_reply

from .config import Settings
from .conversation import ConversationStore
from .errors import InvalidQuestionError, PolicyQAError
from .models import Answer, Turn

if TYPE_CHECKING:  # pragma: no cover
    from .engine import QAEngine

logger = logging.getLogger(__name__)

#: WeChat's limit for the ``Content`` of a passive text reply, in UTF-8 bytes.
MAX_REPLY_BYTES = 2048

EXAMPLE_QUESTIONS = (
    "刚来城里工作租不起房怎么办？",
    "今年老旧小区改造有什么安排？",
    "物业服务不规范谁来管？",
)

WELCOME_TEXT = (
    "您好，欢迎关注！我可以根据住房和城乡建设方面的政策文件回答您的问题，并注明出处条款。\n"
    "您可以这样问：\n"
    + "\n".join(f"{i}. {q}" for i, q in enumerate(EXAMPLE_QUESTIONS, 1))
    + "\n发送“帮助”查看使用说明。"
)

HELP_TEXT = (
    "使用说明：\n"
    "1. 直接用文字发送您的问题，一次问一件事，例如：" + EXAMPLE_QUESTIONS[0] + "\n"
    "2. 可以接着追问，例如“那申请条件呢？”，我会结合您前面的问题理解。\n"
    "3. 回答摘自政策原文，并注明《文件》第几条；如有链接，可点开查看条款全文。\n"
    "4. 找不到依据时我会如实说明，并告诉您咨询电话。\n"
    "目前仅支持文字提问。"
)

UNSUPPORTED_TEXT = (
    "抱歉，本号目前只能回答文字提问，内容限于住房和城乡建设方面的政策，"
    "例如：" + EXAMPLE_QUESTIONS[1] + "\n发送“帮助”查看使用说明。"
)

HOLDING_TEXT = "问题已收到，正在查询，请稍后再发送一次相同的问题获取答案。"
BUSY_TEXT = "当前咨询人数较多，请稍后再发送您的问题。"
RATE_LIMITED_TEXT = "您的提问有点频繁，请休息一分钟后再发送问题。感谢您的理解！"
EMPTY_QUESTION_TEXT = "请用文字描述您想咨询的问题，例如：" + EXAMPLE_QUESTIONS[0]
UNAVAILABLE_TEXT = "抱歉，系统暂时无法回答，请稍后再试。"

HELP_KEYWORDS = frozenset({"帮助", "菜单", "help", "?", "？", "使用说明", "说明", "h"})

#: Events that get no reply at all (WeChat shows nothing for them or sends them silently).
SILENT_EVENTS = frozenset({
    "unsubscribe", "view", "view_miniprogram", "location",
    "templatesendjobfinish", "masssendjobfinish",
})
WELCOME_EVENTS = frozenset({"subscribe", "subscribe_scan", "subscribe_scan_product"})

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_MARKDOWN = [
    (re.compile(r"\*\*(.+?)\*\*", re.S), r"\1"),
    (re.compile(r"__(.+?)__", re.S), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),
    (re.compile(r"^\s*>\s?", re.M), ""),
    (re.compile(r"^(\s*)[-*+]\s+", re.M), r"\1· "),
    (re.compile(r"\[([^\]]+)\]\(([^)]+)\)"), r"\1 \2"),
]


class WeChatMessageError(PolicyQAError):
    """The (decrypted) message is not acceptable XML: malformed, or with DTD/entity declarations."""

    code = "wechat_bad_message"


class GapLog(Protocol):
    def record_gap(self, question: str, reason: str, channel: str) -> Any: ...


# --------------------------------------------------------------------------- XML safety


def ensure_safe_xml(xml: str | bytes) -> None:
    """Raise ``WeChatMessageError`` unless ``xml`` is well-formed ``<xml>…</xml>`` without any DTD.

    wechatpy parses with xmltodict (expat), which would process internal entity
    declarations; so every document is validated with defusedxml first, refusing
    DOCTYPE and ENTITY declarations outright (XXE, billion laughs).
    """
    if isinstance(xml, bytes):
        try:
            xml = xml.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WeChatMessageError("message is not UTF-8") from exc
    if not xml or not xml.strip():
        raise WeChatMessageError("empty message")
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise WeChatMessageError(f"forbidden XML construct: {type(exc).__name__}") from exc
    except (ParseError, ValueError) as exc:
        raise WeChatMessageError("malformed XML") from exc
    if root.tag != "xml":
        raise WeChatMessageError("root element is not <xml>")


# --------------------------------------------------------------------------- formatting


def strip_markdown(text: str) -> str:
    """Plain text for a phone: drop Markdown emphasis, headings, quotes; bullets become ``·``."""
    for pattern, repl in _MARKDOWN:
        text = pattern.sub(repl, text)
    return text.strip()


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def split_sentences(text: str) -> list[str]:
    """Split after Chinese/ASCII sentence enders (。！？；) keeping them, and after newlines."""
    parts: list[str] = []
    for line in text.splitlines(keepends=True):
        parts.extend(p for p in _SENTENCE_END.split(line) if p)
    return parts


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits ``max_bytes`` (never splits a character)."""
    if max_bytes <= 0:
        return ""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def trim_sentences(text: str, max_bytes: int, ellipsis: str = "…") -> str:
    """``text`` if it fits; else as many whole leading sentences as fit, plus ``ellipsis``.

    If not even the first sentence fits, it is cut at a character boundary.
    """
    if utf8_len(text) <= max_bytes:
        return text
    room = max_bytes - utf8_len(ellipsis)
    if room <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        size = utf8_len(sentence)
        if used + size > room:
            break
        kept.append(sentence)
        used += size
    body = "".join(kept).rstrip() if kept else truncate_utf8(text, room)
    return body + ellipsis


def clause_url(public_base_url: str, doc_id: str, clause: int) -> str:
    return f"{public_base_url.rstrip('/')}/clause/{quote(doc_id, safe='')}/{clause}"


def format_answer(answer: Answer, public_base_url: str = "", max_bytes: int = MAX_REPLY_BYTES) -> str:
    """The answer as a plain-text WeChat reply of at most ``max_bytes`` UTF-8 bytes.

    Layout: the quoted answer, then ``依据：`` with one compact citation per cited clause
    (《文件》第N条「标题」) and, when ``public_base_url`` is set, a link to the clause's
    full text, then the notes (e.g. figures to be confirmed).  When too long, the answer
    is trimmed by whole sentences (with "…"); citation lines are kept (notes, then links,
    then extra citations are dropped only if even they do not fit).
    A refused answer is its refusal text (which carries the contact line).
    """
    body = strip_markdown(answer.answer)
    if answer.refused:
        return trim_sentences(body, max_bytes)

    references: list[tuple[str, str]] = []
    seen: set[tuple[str, int]] = set()
    for citation in answer.citations:
        key = (citation.doc_id, citation.clause)
        if key in seen:
            continue
        seen.add(key)
        link = clause_url(public_base_url, citation.doc_id, citation.clause) if public_base_url else ""
        references.append((citation.reference(), link))
    notes = [strip_markdown(n) for n in answer.notes if n and strip_markdown(n) not in body]

    def tail(refs: Sequence[tuple[str, str]], with_links: bool, with_notes: bool) -> str:
        lines: list[str] = []
        if refs:
            lines.append("依据：")
            for ref, link in refs:
                lines.append(ref)
                if with_links and link:
                    lines.append(f"全文：{link}")
        if with_notes and notes:
            lines.append("提示：" + "；".join(n.rstrip("。；;") for n in notes) + "。")
        return "\n".join(lines)

    # the least we give up: notes, then links, then citations beyond the first ones
    min_body = 200  # bytes kept for the answer itself before sacrificing the tail
    candidates = [(references, True, True), (references, True, False), (references, False, False)]
    candidates += [(references[:n], False, False) for n in range(len(references) - 1, 0, -1)]
    chosen = ""
    for refs, links, with_notes in candidates:
        chosen = tail(refs, links, with_notes)
        if utf8_len(chosen) + min_body <= max_bytes:
            break
    if not chosen:
        return trim_sentences(body, max_bytes)
    separator = "\n\n"
    room = max_bytes - utf8_len(chosen) - utf8_len(separator)
    if room <= 0:  # pathological: a single citation longer than the whole limit
        return trim_sentences(body + separator + chosen, max_bytes)
    return trim_sentences(body, room) + separator + chosen


# --------------------------------------------------------------------------- caches


class TTLCache:
    """A small thread-safe LRU map whose entries expire ``ttl`` seconds after being stored."""

    def __init__(self, max_items: int, ttl: float, clock: Callable[[], float]) -> None:
        self.max_items = max_items
        self.ttl = ttl
        self._clock = clock
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, default: Any = None, *, pop: bool = False) -> Any:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return default
            stamp, value = entry
            if self._clock() - stamp > self.ttl:
                del self._items[key]
                return default
            if pop:
                del self._items[key]
            else:
                self._items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            now = self._clock()
            self._items.pop(key, None)
            self._items[key] = (now, value)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
            while self._items:  # drop expired entries from the old end
                _, (stamp, _) = next(iter(self._items.items()))
                if now - stamp <= self.ttl:
                    break
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class RateLimiter:
    """Per-key sliding window: at most ``limit`` events per ``window`` seconds (``limit <= 0``: unlimited)."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        if self.limit <= 0:
            return True
        with self._lock:
            now = self._clock()
            events = self._events.pop(key, None) or deque()
            while events and now - events[0] >= self.window:
                events.popleft()
            allowed = len(events) < self.limit
            if allowed:
                events.append(now)
            self._events[key] = events
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
            return allowed


# --------------------------------------------------------------------------- responder


def follower_hash(openid: str) -> str:
    """A short, non-reversible tag for logs (we never log the OpenID or message content)."""
    return hashlib.sha256(openid.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class _Outcome:
    """What the worker produced for one question."""

    text: str
    refused: bool = False


@dataclass
class _Pending:
    """An engine call in progress for (follower, question)."""

    future: Future[_Outcome]
    delivered: bool = False


class WeChatResponder:
    """Turns a decrypted WeChat message (XML) into the passive reply XML.

    ``get_engine`` is called lazily in a worker thread (so a slow first load falls under
    the time budget too).  ``clock`` drives the caches' and rate limiter's time (tests
    pass a fake); the engine budget always uses real time.
    """

    def __init__(
        self,
        get_engine: Callable[[], QAEngine],
        settings: Settings,
        conversations: ConversationStore,
        gap_log: GapLog | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_workers: int = 4,
        max_queued: int = 32,
        dedup_ttl: float = 60.0,
        reask_ttl: float = 300.0,
        max_cached: int = 10_000,
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
        # dedup: finished replies by message key, and futures of replies being computed
        self._replies = TTLCache(max_cached, dedup_ttl, clock)
        self._inflight: dict[str, Future[str | None]] = {}
        # answers that finished after the budget, for the follower's re-ask
        self._late = TTLCache(max_cached, reask_ttl, clock)
        self._questions: dict[tuple[str, str], _Pending] = {}
        self._lock = threading.Lock()
        self._limiter = RateLimiter(settings.wechat_rate_limit_per_minute, 60.0, max_cached, clock)

    # -- public ---------------------------------------------------------------------

    def handle(self, xml_plaintext: str | bytes) -> str | None:
        """Reply XML for one message, or ``None`` when nothing should be sent (answer "success").

        Raises ``WeChatMessageError`` for unsafe or malformed XML (the adapter answers 400).
        """
        started = time.monotonic()
        ensure_safe_xml(xml_plaintext)
        try:
            message = parse_message(xml_plaintext)
        except (KeyError, TypeError, ValueError) as exc:
            raise WeChatMessageError("not a WeChat message") from exc
        if message is None or not message.source:
            raise WeChatMessageError("not a WeChat message")
        key = self._message_key(message)

        with self._lock:
            cached = self._replies.get(key)
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
                reply = self._render(message, HOLDING_TEXT)
            self._log(message, key, started, "duplicate-wait")
            return reply

        assert future is not None
        keep = True
        try:
            reply, keep, outcome = self._respond(message)
        except BaseException as exc:  # never leave waiters hanging
            future.set_exception(exc)
            with self._lock:
                self._inflight.pop(key, None)
            raise
        with self._lock:
            if keep:
                self._replies.put(key, reply or "")
            self._inflight.pop(key, None)
        future.set_result(reply)
        self._log(message, key, started, outcome)
        return reply

    def close(self) -> None:
        """Stop the worker threads (running engine calls finish in the background)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- message kinds ----------------------------------------------------------------

    @staticmethod
    def _message_key(message: Any) -> str:
        msg_id = message.id if message.type != "event" else 0
        if msg_id:
            return f"msg:{msg_id}"
        return f"evt:{message.source}:{message._data.get('CreateTime', '')}"

    def _render(self, message: Any, text: str) -> str:
        return create_reply(text, message).render()

    def _respond(self, message: Any) -> tuple[str | None, bool, str]:
        """(reply XML or None, cache it for retries?, outcome tag for the log)."""
        if message.type == "event":
            event = (getattr(message, "event", "") or message._data.get("Event", "") or "").lower()
            if event in WELCOME_EVENTS:
                return self._render(message, WELCOME_TEXT), True, "welcome"
            if event in SILENT_EVENTS:
                return None, True, f"event-{event or 'unknown'}"
            return self._render(message, UNSUPPORTED_TEXT), True, f"event-{event or 'unknown'}"
        if message.type != "text":
            return self._render(message, UNSUPPORTED_TEXT), True, f"unsupported-{message.type}"

        question = (message.content or "").strip()
        if question.lower() in HELP_KEYWORDS:
            return self._render(message, HELP_TEXT), True, "help"
        if not question:
            return self._render(message, EMPTY_QUESTION_TEXT), True, "empty"
        if not self._limiter.allow(message.source):
            return self._render(message, RATE_LIMITED_TEXT), True, "rate-limited"
        text, outcome = self._answer(message.source, question)
        # a failure reply is not cached, so WeChat's retry gets a second chance
        return self._render(message, text), outcome != "error", outcome

    # -- answering under a time budget ------------------------------------------------

    def _answer(self, follower: str, question: str) -> tuple[str, str]:
        if len(question) > self.settings.max_question_chars:
            return (f"问题太长了，请精简到 {self.settings.max_question_chars} 个字以内再发送。", "invalid")
        qkey = (follower, question)
        late = self._late.get(qkey, pop=True)
        if late is not None:
            return late, "late-answer"
        with self._lock:
            pending = self._questions.get(qkey)
            if pending is None:
                if self._outstanding >= self._max_outstanding:
                    return BUSY_TEXT, "busy"
                self._outstanding += 1
                pending = _Pending(self._executor.submit(self._compute, follower, question))
                self._questions[qkey] = pending
                pending.future.add_done_callback(lambda f, k=qkey, p=pending: self._finished(k, p))
        try:
            outcome = pending.future.result(timeout=self.budget)
        except FutureTimeout:
            return HOLDING_TEXT, "holding"
        except Exception:
            logger.exception("wechat: answering failed")
            return UNAVAILABLE_TEXT, "error"
        with self._lock:  # delivered in time: not to be kept for a re-ask
            pending.delivered = True
            self._late.get(qkey, pop=True)
        return outcome.text, "refused" if outcome.refused else "answered"

    def _compute(self, follower: str, question: str) -> _Outcome:
        """Runs in a worker thread: ask, remember the turn, log a gap, format."""
        history: tuple[Turn, ...] = self.conversations.history(follower)
        try:
            answer = self._get_engine().ask(question, list(history) or None)
        except InvalidQuestionError as exc:
            return _Outcome(exc.message or EMPTY_QUESTION_TEXT)
        self.conversations.append(follower, answer)
        if answer.refused and self.gap_log is not None:
            try:
                self.gap_log.record_gap(question, "refused", "wechat")
            except Exception:  # the reply matters more than the log
                logger.exception("wechat: recording a gap failed")
        return _Outcome(format_answer(answer, self.settings.public_base_url), answer.refused)

    def _finished(self, qkey: tuple[str, str], pending: _Pending) -> None:
        future = pending.future
        with self._lock:
            self._outstanding -= 1
            if self._questions.get(qkey) is pending:
                del self._questions[qkey]
            if pending.delivered or future.cancelled() or future.exception() is not None:
                return
            # finished after the budget: keep the reply for the follower's re-ask
            self._late.put(qkey, future.result().text)

    # -- logging (never the content or the OpenID) -----------------------------------

    def _log(self, message: Any, key: str, started: float, outcome: str) -> None:
        logger.info(
            "wechat message id=%s type=%s from=%s outcome=%s ms=%.1f",
            message.id or key.split(":", 1)[0], message.type, follower_hash(message.source or ""),
            outcome, (time.monotonic() - started) * 1000,
        )
