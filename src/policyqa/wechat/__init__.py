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

The package imports no web framework.  Its modules:

* :mod:`~policyqa.wechat.message` — XML safety check, parsing, the retry key, the reply XML;
* :mod:`~policyqa.wechat.reply` — an answer as a plain-text reply within 2048 bytes;
* :mod:`~policyqa.wechat.texts` — the welcome, help and refusal texts;
* :mod:`~policyqa.wechat.responder` — :class:`WeChatResponder`: dedup, rate limit, time budget.

Every name below is importable from ``policyqa.wechat`` itself.
"""

from __future__ import annotations

from ..errors import WeChatMessageError
from .message import ensure_safe_xml, follower_hash, message_key, parse, render
from .reply import (
    MAX_REPLY_BYTES,
    clause_url,
    format_answer,
    split_sentences,
    strip_markdown,
    trim_sentences,
    truncate_utf8,
    utf8_len,
)
from .responder import CLAIM_SLACK_SECONDS, POLL_SECONDS, GapLog, WeChatResponder, replay_window
from .texts import (
    BUSY_TEXT,
    EMPTY_QUESTION_TEXT,
    EXAMPLE_QUESTIONS,
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

__all__ = [
    "BUSY_TEXT",
    "CLAIM_SLACK_SECONDS",
    "EMPTY_QUESTION_TEXT",
    "EXAMPLE_QUESTIONS",
    "HELP_KEYWORDS",
    "HELP_TEXT",
    "HOLDING_TEXT",
    "MAX_REPLY_BYTES",
    "POLL_SECONDS",
    "RATE_LIMITED_TEXT",
    "SILENT_EVENTS",
    "UNAVAILABLE_TEXT",
    "UNSUPPORTED_TEXT",
    "WELCOME_EVENTS",
    "WELCOME_TEXT",
    "GapLog",
    "WeChatMessageError",
    "WeChatResponder",
    "clause_url",
    "ensure_safe_xml",
    "follower_hash",
    "format_answer",
    "message_key",
    "parse",
    "render",
    "replay_window",
    "split_sentences",
    "strip_markdown",
    "trim_sentences",
    "truncate_utf8",
    "utf8_len",
]
