"""FastAPI adapter for the WeChat official account (微信公众号) server URL.

``GET /wechat``  — server URL verification (服务器配置): echo ``echostr`` when the signature is right.
``POST /wechat`` — messages in plaintext (明文) mode, or — once ``wechat_aes_key`` is set —
only in compatible (兼容) or safe (安全, AES) mode: then every POST must carry
``encrypt_type=aes`` and a valid ``msg_signature`` over the ciphertext; a plaintext POST is
refused (403), so safe mode cannot be bypassed with a reused query string.

Everything that can be checked from the query string (configuration, signature, timestamp
window) is checked before the body is read; the body is read incrementally up to
``settings.wechat_max_body_bytes``.  Each signature/timestamp/nonce triple is remembered for
twice the timestamp window (:class:`~policyqa.state.StateStore`, namespace ``wxnonce``) and
accepted for one body only: a byte-identical resend (WeChat's own retry) passes on to the
reply dedup, any other body with a seen triple is refused (403 ``replayed nonce``).
Message handling itself lives in ``policyqa.wechat``.  Logs carry the outcome and timing
only, never message content.
"""

from __future__ import annotations

import hashlib
import logging
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatException
from wechatpy.utils import check_signature

from ..config import Settings
from ..conversation import Conversations, open_conversations
from ..state import StateStore, open_store
from ..wechat import GapLog, WeChatMessageError, WeChatResponder, ensure_safe_xml, replay_window

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import QAEngine

logger = logging.getLogger(__name__)


class _Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _disabled() -> JSONResponse:
    return JSONResponse(
        status_code=404,
        content={"error": {"code": "wechat_disabled",
                           "message": "未配置微信公众号接入（请设置 POLICYQA_WECHAT_TOKEN）"}},
    )


def _reject(exc: _Rejected) -> PlainTextResponse:
    logger.info("wechat request rejected status=%s reason=%s", exc.status, exc.reason)
    return PlainTextResponse("forbidden" if exc.status == 403 else exc.reason, status_code=exc.status)


def create_wechat_router(
    get_engine: Callable[[], QAEngine],
    settings: Settings,
    gap_log: GapLog | None = None,
    *,
    responder: WeChatResponder | None = None,
    clock: Callable[[], float] = time.time,
    store: StateStore | None = None,
    conversations: Conversations | None = None,
) -> APIRouter:
    """The ``/wechat`` routes.  ``responder`` may be passed to share or own its lifecycle
    (call ``responder.close()`` at shutdown); by default one is built from ``settings``.
    ``store`` keeps the nonces (and the default responder's dedup and rate limits); by default
    :func:`~policyqa.state.open_store` (Redis when configured).  ``conversations``: the
    follower conversations (by default in ``store`` when it is Redis, else in memory)."""
    router = APIRouter(tags=["wechat"])
    token = settings.wechat_token
    store = store if store is not None else open_store(settings)
    crypto = (WeChatCrypto(token, settings.wechat_aes_key, settings.wechat_appid)
              if token and settings.wechat_aes_key else None)
    nonce_ttl = replay_window(settings)
    if responder is None and token:
        responder = WeChatResponder(
            get_engine, settings,
            conversations if conversations is not None else open_conversations(settings, store, "wxconv"),
            gap_log=gap_log, store=store,
        )
    router.wechat_responder = responder  # type: ignore[attr-defined]  # for app factories / shutdown

    def verify_query(request: Request) -> tuple[str, str]:
        """Signature (sha1 of sorted token, timestamp, nonce) and timestamp window; returns (timestamp, nonce)."""
        params = request.query_params
        signature, timestamp, nonce = params.get("signature"), params.get("timestamp"), params.get("nonce")
        if not signature or not timestamp or not nonce:
            raise _Rejected(403, "missing signature parameters")
        try:
            stamp = int(timestamp)
        except ValueError:
            raise _Rejected(403, "bad timestamp") from None
        if abs(clock() - stamp) > settings.wechat_timestamp_window:
            raise _Rejected(403, "stale timestamp")
        try:
            check_signature(token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise _Rejected(403, "bad signature") from None
        return timestamp, nonce

    def check_nonce(request: Request, body: bytes) -> None:
        """Accept a signature/timestamp/nonce triple for one body only (see the module doc)."""
        params = request.query_params
        triple = "\n".join((params.get("signature", ""), params.get("timestamp", ""), params.get("nonce", "")))
        key = hashlib.sha256(triple.encode("utf-8")).hexdigest()
        digest = hashlib.sha256(body).hexdigest()
        # one atomic step records the triple with its body (replicas may receive the copies at once)
        if not store.add(f"wxnonce:{key}", nonce_ttl, digest) and store.get(f"wxnonce:{key}") != digest:
            raise _Rejected(403, "replayed nonce")

    async def read_body(request: Request) -> bytes:
        limit = settings.wechat_max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    raise _Rejected(413, "body too large")
            except ValueError:
                raise _Rejected(400, "bad content-length") from None
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _Rejected(413, "body too large")
            chunks.append(chunk)
        return b"".join(chunks)

    @router.get("/wechat", include_in_schema=False)
    async def wechat_verify(request: Request) -> Response:
        if not token:
            return _disabled()
        try:
            verify_query(request)
        except _Rejected as exc:
            return _reject(exc)
        echostr = request.query_params.get("echostr")
        if not echostr:
            return _reject(_Rejected(403, "missing echostr"))
        return PlainTextResponse(echostr)

    @router.post("/wechat", include_in_schema=False)
    async def wechat_message(request: Request) -> Response:
        if not token or responder is None:
            return _disabled()
        started = time.monotonic()
        try:
            timestamp, nonce = verify_query(request)
            encrypted = request.query_params.get("encrypt_type", "raw").lower() == "aes"
            msg_signature = request.query_params.get("msg_signature", "")
            if crypto is not None and not encrypted:
                raise _Rejected(403, "safe mode requires encrypt_type=aes")
            if encrypted and (crypto is None or not msg_signature):
                raise _Rejected(403, "safe mode not configured" if crypto is None else "missing msg_signature")
            body = await read_body(request)
            check_nonce(request, body)
            try:
                ensure_safe_xml(body)  # also the outer envelope: wechatpy parses it with xmltodict
                xml = body.decode("utf-8")
            except WeChatMessageError as exc:
                raise _Rejected(400, exc.message) from None
            if encrypted:
                assert crypto is not None
                try:
                    xml = crypto.decrypt_message(xml, msg_signature, timestamp, nonce)
                except InvalidSignatureException:
                    raise _Rejected(403, "bad msg_signature") from None
                except KeyError:
                    raise _Rejected(400, "no Encrypt element") from None
                except (WeChatException, ValueError, IndexError, TypeError, struct.error):
                    # wrong key or appid, corrupt ciphertext (bad base64/padding/length/UTF-8)
                    raise _Rejected(403, "cannot decrypt") from None
            try:
                reply = await run_in_threadpool(responder.handle, xml)
            except WeChatMessageError as exc:
                raise _Rejected(400, exc.message) from None
        except _Rejected as exc:
            return _reject(exc)
        if not reply:
            return PlainTextResponse("success")
        if encrypted:
            assert crypto is not None
            reply = crypto.encrypt_message(reply, nonce, timestamp)
        logger.debug("wechat request served ms=%.1f", (time.monotonic() - started) * 1000)
        return Response(reply, media_type="application/xml")

    return router
