"""WeChat official account (微信公众号) message handling, independent of HTTP.

The HTTP adapter (``policyqa.service.wechat``) checks signatures, caps the body and
decrypts safe-mode (安全模式) messages; everything after that lives here:

    plaintext XML ──safe-XML check──▶ ``wechatpy.parse_message`` ──▶ dedup / rate limit
        ──▶ text: ``QAEngine.ask`` in a worker thread, bounded by a time budget
        ──▶ ``create_reply(...).render()``

WeChat's passive-reply rules shape the design:

* WeChat waits 5 s for a reply, then retries the same message up to three times.
  Replies are cached by sender + ``MsgId`` (events: ``FromUserName`` + ``CreateTime``) in a
  :class:`~policyqa.state.StateStore` for the whole replay window (twice
  ``settings.wechat_timestamp_window``, plus a minute), and a retry that arrives while the
  first request is still computing waits for the same result, so the engine is asked exactly
  once and every copy gets the identical reply — and never another follower's reply.  With a
  shared store (Redis) this holds across processes: the first to receive a message claims it
  (``wxclaim``), copies at other replicas poll the store for its reply.
* The engine gets ``settings.wechat_budget_seconds`` (default 4 s).  If it is slower the
  follower gets a short holding text; the answer is still computed, and kept in the store
  (``wxlate``; the question is claimed meanwhile, ``wxq``) so that re-sending the same question
  within a few minutes gets it at once, from any replica.
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
from .conversation import Conversations
from .errors import InvalidQuestionError, PolicyQAError, WeChatMessageError
from .models import Answer, Turn
from .state import MemoryStore, RateLimit, StateStore

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

_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_MARKDOWN = [
    (re.compile(r"\*\*(.+?)\*\*", re.DOTALL), r"\1"),
    (re.compile(r"__(.+?)__", re.DOTALL), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE), ""),
    (re.compile(r"^\s*>\s?", re.MULTILINE), ""),
    (re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE), r"\1· "),
    (re.compile(r"\[([^\]]+)\]\(([^)]+)\)"), r"\1 \2"),
]


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


def clause_url(public_base_url: str, doc_id: str, clause: int, sub: int = 0) -> str:
    ref = f"{clause}-{sub}" if sub else str(clause)
    return f"{public_base_url.rstrip('/')}/clause/{quote(doc_id, safe='')}/{ref}"


@dataclass
class _Block:
    """The quotes of one cited clause, its compact reference and (optionally) a link."""

    quote: str
    reference: str
    link: str


def _blocks(answer: Answer, public_base_url: str) -> list[_Block]:
    blocks: dict[tuple[str, int], _Block] = {}
    for c in answer.citations:
        key = (c.doc_id, c.clause, c.sub)
        quote = strip_markdown(c.quote)
        if key in blocks:
            if quote not in blocks[key].quote:
                blocks[key].quote += quote
            continue
        link = clause_url(public_base_url, c.doc_id, c.clause, c.sub) if public_base_url else ""
        blocks[key] = _Block(quote, c.reference(), link)
    return list(blocks.values())


def _render_blocks(blocks: Sequence[_Block], notes: Sequence[str], with_links: bool) -> str:
    parts = []
    for block in blocks:
        lines = [block.quote, f"——{block.reference}"] if block.quote else [f"——{block.reference}"]
        if with_links and block.link:
            lines.append(f"原文：{block.link}")
        parts.append("\n".join(lines))
    if notes:
        parts.append("\n".join(f"提示：{n}" for n in notes))
    return "\n\n".join(parts)


def _fit_quotes(blocks: list[_Block], notes: Sequence[str], with_links: bool, max_bytes: int,
                ellipsis: str = "…") -> str | None:
    """Keep whole sentences of the quotes, in order, until the reply is full; blocks whose
    quote is dropped entirely go (the first always stays).  ``None`` if not even the
    first sentence fits."""
    text = _render_blocks(blocks, notes, with_links)
    if utf8_len(text) <= max_bytes:
        return text
    kept: list[_Block] = []
    for block in blocks:
        trial_blocks = [*kept, _Block("", block.reference, block.link)]
        room = max_bytes - utf8_len(_render_blocks(trial_blocks, notes, with_links)) - utf8_len(ellipsis)
        taken = ""
        for sentence in split_sentences(block.quote):
            if utf8_len(taken + sentence) > room:
                break
            taken += sentence
        if taken == block.quote:
            kept.append(block)
            continue
        if taken.strip():
            kept.append(_Block(taken.rstrip() + ellipsis, block.reference, block.link))
        elif not kept:
            return None
        else:  # nothing of this quote fits: mark the end of the previous one
            last = kept[-1]
            kept[-1] = _Block(last.quote + ellipsis, last.reference, last.link)
        break
    text = _render_blocks(kept, notes, with_links)
    return text if utf8_len(text) <= max_bytes else None


def format_answer(answer: Answer, public_base_url: str = "", max_bytes: int = MAX_REPLY_BYTES) -> str:
    """The answer as a plain-text WeChat reply of at most ``max_bytes`` UTF-8 bytes.

    Layout, for a phone screen (no Markdown)::

        <quote(s) of the first cited clause>
        ——《文件》第N条「标题」
        原文：<public_base_url>/clause/<doc_id>/<N>      (only when a public URL is set)

        <quote(s) of the next cited clause>
        ——《文件》第M条「标题」

        提示：<note>                                    (figures to be confirmed, missing documents)

    Too long → whole sentences of the quotes are kept, in order, with "…" where cut;
    citation lines stay.  Only if even one sentence does not fit are the links, then the
    notes, given up (and as a last resort the first sentence is cut at a character
    boundary).  A refused answer, or one without citations, is ``answer.answer`` as plain
    text (a refusal already carries the contact line).
    """
    if answer.refused or not answer.citations:
        return trim_sentences(strip_markdown(answer.answer), max_bytes)
    blocks = _blocks(answer, public_base_url)
    notes = [strip_markdown(n) for n in answer.notes if n.strip()]
    # a partial answer says first what the documents do not state
    head = f"所收录的文件没有写明您问的{answer.missing}。最相关的规定：\n\n" if answer.status == "partial" else ""
    for with_links, with_notes in ((True, True), (False, True), (False, False)):
        text = _fit_quotes(blocks, notes if with_notes else (), with_links, max_bytes - utf8_len(head))
        if text is not None:
            return head + text
    # a single enormous sentence: cut it at a character boundary, keeping its citation line
    first = blocks[0]
    room = max_bytes - utf8_len(_render_blocks([_Block("x", first.reference, "")], (), False))
    if room <= 0:
        return trim_sentences(_render_blocks([first], (), False), max_bytes)
    quote = truncate_utf8(first.quote, room - utf8_len("…")) + "…"
    return _render_blocks([_Block(quote, first.reference, "")], (), False)


# --------------------------------------------------------------------------- responder


def replay_window(settings: Settings) -> float:
    """Seconds a signed request can be replayed: its timestamp may be ``wechat_timestamp_window``
    off either way, so nonces and reply dedup are kept for twice that, plus a minute."""
    return 2.0 * settings.wechat_timestamp_window + 60.0


def _question_tag(follower: str, question: str) -> str:
    return hashlib.sha256(f"{follower}\n{question}".encode()).hexdigest()[:32]


def follower_hash(openid: str) -> str:
    """A short, non-reversible tag for logs (we never log the OpenID or message content)."""
    return hashlib.sha256(openid.encode("utf-8")).hexdigest()[:12]


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
        ensure_safe_xml(xml_plaintext)
        try:
            message = parse_message(xml_plaintext)
        except (KeyError, TypeError, ValueError) as exc:
            raise WeChatMessageError("not a WeChat message") from exc
        if message is None or not message.source:
            raise WeChatMessageError("not a WeChat message")
        key = self._message_key(message)

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
                reply = self._render(message, HOLDING_TEXT)
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
                return self._render(message, HOLDING_TEXT)
            if self._store.get(claim) is None:  # released without a reply to share
                return self._render(message, HOLDING_TEXT if value == _HOLDING else UNAVAILABLE_TEXT)
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

    @staticmethod
    def _message_key(message: Any) -> str:
        """Dedup key: sender + MsgId (MsgIds of different followers may collide); events have
        none, so sender + CreateTime (WeChat's advice)."""
        msg_id = message.id if message.type != "event" else 0
        if msg_id:
            return f"wxreply:msg:{message.source}:{msg_id}"
        return f"wxreply:evt:{message.source}:{message._data.get('CreateTime', '')}"

    def _render(self, message: Any, text: str) -> str:
        # wechatpy writes Content as CDATA without escaping: keep it well-formed
        text = _XML_INVALID.sub("", text).replace("]]>", "]] >")
        return create_reply(text, message).render()

    def _respond(self, message: Any, *, retry: bool = False) -> tuple[str | None, str | None, str]:
        """(reply XML or None, what to cache for retries (None: nothing), outcome tag for the log)."""
        if message.type == "event":
            event = (getattr(message, "event", "") or message._data.get("Event", "") or "").lower()
            if event in WELCOME_EVENTS:
                return self._cached(self._render(message, WELCOME_TEXT), "welcome")
            if event in SILENT_EVENTS:
                return self._cached(None, f"event-{event or 'unknown'}")
            return self._cached(self._render(message, UNSUPPORTED_TEXT), f"event-{event or 'unknown'}")
        if message.type != "text":
            return self._cached(self._render(message, UNSUPPORTED_TEXT), f"unsupported-{message.type}")

        question = (message.content or "").strip()
        if question.lower() in HELP_KEYWORDS:
            return self._cached(self._render(message, HELP_TEXT), "help")
        if not question:
            return self._cached(self._render(message, EMPTY_QUESTION_TEXT), "empty")
        if not retry and not self._limiter.hit(message.source).allowed:
            return self._cached(self._render(message, RATE_LIMITED_TEXT), "rate-limited")
        text, outcome = self._answer(message.source, question)
        reply = self._render(message, text)
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
