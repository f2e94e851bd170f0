"""One WeChat message: the plaintext XML checked for safety and parsed (wechatpy), the key that
identifies it across WeChat's retries, the passive reply XML, and the follower tag for logs.

Signatures, the timestamp window and safe-mode (AES) decryption come before, in the HTTP
adapter (:mod:`policyqa.service.wechat`)."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy import parse_message
from wechatpy.replies import create_reply

from ..errors import WeChatMessageError

_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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


def parse(xml: str | bytes) -> Any:
    """The wechatpy message of a plaintext XML document (``.type``, ``.source``, ``.id``,
    ``.content`` …).  Raises ``WeChatMessageError`` for unsafe or malformed XML, or XML that is
    not a WeChat message (no sender)."""
    ensure_safe_xml(xml)
    try:
        message = parse_message(xml)
    except (KeyError, TypeError, ValueError) as exc:
        raise WeChatMessageError("not a WeChat message") from exc
    if message is None or not message.source:
        raise WeChatMessageError("not a WeChat message")
    return message


def message_key(message: Any) -> str:
    """Dedup key: sender + MsgId (MsgIds of different followers may collide); events have
    none, so sender + CreateTime (WeChat's advice)."""
    msg_id = message.id if message.type != "event" else 0
    if msg_id:
        return f"wxreply:msg:{message.source}:{msg_id}"
    return f"wxreply:evt:{message.source}:{message._data.get('CreateTime', '')}"


def render(message: Any, text: str) -> str:
    """The passive text reply XML to ``message`` saying ``text``."""
    # wechatpy writes Content as CDATA without escaping: keep it well-formed
    text = _XML_INVALID.sub("", text).replace("]]>", "]] >")
    return create_reply(text, message).render()


def follower_hash(openid: str) -> str:
    """A short, non-reversible tag for logs (we never log the OpenID or message content)."""
    return hashlib.sha256(openid.encode("utf-8")).hexdigest()[:12]
