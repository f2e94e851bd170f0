"""Typed dependencies: everything a route needs comes from ``request.app.state`` (set by
:func:`policyqa.service.app.create_app`), never from module globals."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from ..config import Settings
from ..conversation import Conversations
from ..engine import QAEngine
from ..feedback import FeedbackLog
from ..manager import IndexManager
from ..state import RateLimit, StateStore
from .errors import AuthError, RateLimitedError
from .metrics import Metrics

ADMIN_KEY_HEADER = "X-API-Key"

_api_key_header = APIKeyHeader(
    name=ADMIN_KEY_HEADER, auto_error=False, scheme_name="AdminKey",
    description="Admin endpoints: the value of `POLICYQA_ADMIN_KEY`. With no key configured they are disabled.",
)


@dataclass(frozen=True)
class Limits:
    """Per-client limits (keyed by the client address) counted in one :class:`StateStore`."""

    ask: RateLimit
    feedback: RateLimit
    search: RateLimit
    admin_auth: RateLimit  # failed admin-key attempts

    @classmethod
    def from_settings(cls, settings: Settings, store: StateStore) -> Limits:
        return cls(
            ask=RateLimit(store, "rl-ask", settings.rate_limit_ask_per_minute, 60.0),
            feedback=RateLimit(store, "rl-feedback", settings.rate_limit_feedback_per_minute, 60.0),
            search=RateLimit(store, "rl-search", settings.rate_limit_search_per_minute, 60.0),
            admin_auth=RateLimit(store, "rl-auth", settings.admin_auth_max_failures,
                                 float(settings.admin_auth_window_seconds)),
        )


@dataclass(frozen=True)
class ServiceState:
    """What one app instance holds (``app.state.service``)."""

    settings: Settings
    manager: IndexManager
    conversations: Conversations
    feedback: FeedbackLog
    metrics: Metrics
    store: StateStore
    limits: Limits


def get_state(request: Request) -> ServiceState:
    return request.app.state.service  # type: ignore[no-any-return]


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_settings(state: StateDep) -> Settings:
    return state.settings


def get_manager(state: StateDep) -> IndexManager:
    return state.manager


def get_engine(state: StateDep) -> QAEngine:
    """The engine answering right now (raises IndexNotReadyError → 503 while loading)."""
    return state.manager.engine


def get_conversations(state: StateDep) -> Conversations:
    return state.conversations


def get_feedback(state: StateDep) -> FeedbackLog:
    return state.feedback


def get_metrics(state: StateDep) -> Metrics:
    return state.metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
ManagerDep = Annotated[IndexManager, Depends(get_manager)]
EngineDep = Annotated[QAEngine, Depends(get_engine)]
ConversationsDep = Annotated[Conversations, Depends(get_conversations)]
FeedbackDep = Annotated[FeedbackLog, Depends(get_feedback)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def client_key(request: Request) -> str:
    """Who a per-client limit counts: the client address (uvicorn's ``proxy_headers`` puts the
    ``X-Forwarded-For`` address here for trusted proxies, see ``FORWARDED_ALLOW_IPS``)."""
    return request.client.host if request.client is not None else "unknown"


def _check_key(state: ServiceState, request: Request, api_key: str) -> bool:
    """Compare ``api_key`` with the configured key under the failed-auth throttle: a client with
    ``admin_auth_max_failures`` wrong keys in the window gets 429 (the key is not even compared)."""
    who = client_key(request)
    throttle = state.limits.admin_auth
    blocked = throttle.peek(who)
    if not blocked.allowed:
        raise RateLimitedError(f"管理密钥错误次数过多，请 {blocked.retry_after} 秒后再试",
                               retry_after=blocked.retry_after, code="too_many_auth_failures")
    if hmac.compare_digest(api_key.encode("utf-8"), state.settings.admin_key.encode("utf-8")):
        return True
    throttle.hit(who)
    return False


def require_admin(state: StateDep, request: Request,
                  api_key: Annotated[str | None, Security(_api_key_header)]) -> None:
    """Admin rule: no key configured → 403 ``admin_disabled``; header missing → 401; wrong → 403;
    too many wrong keys from this client → 429 ``too_many_auth_failures`` with ``Retry-After``."""
    if not state.settings.admin_key:
        raise AuthError("管理接口未启用（未配置 POLICYQA_ADMIN_KEY）", code="admin_disabled", status_code=403)
    if not api_key:
        raise AuthError(f"缺少管理密钥（请求头 {ADMIN_KEY_HEADER}）", code="missing_api_key", status_code=401)
    if not _check_key(state, request, api_key):
        raise AuthError("管理密钥错误", code="invalid_api_key", status_code=403)


AdminDep = Annotated[None, Depends(require_admin)]


def is_admin(state: StateDep, request: Request,
             api_key: Annotated[str | None, Security(_api_key_header)]) -> bool:
    """True when a valid admin key was sent (public endpoints that show admins more detail).
    A wrong key counts towards the failed-auth throttle like on the admin endpoints."""
    if not state.settings.admin_key or not api_key:
        return False
    return _check_key(state, request, api_key)


IsAdminDep = Annotated[bool, Depends(is_admin)]


def _limited(pick: str) -> Any:
    def check(state: StateDep, request: Request) -> None:
        decision = getattr(state.limits, pick).hit(client_key(request))
        if not decision.allowed:
            raise RateLimitedError(f"请求过于频繁，请 {decision.retry_after} 秒后再试",
                                   retry_after=decision.retry_after)

    check.__name__ = f"rate_limit_{pick}"
    return Depends(check)


#: Route dependencies (``dependencies=[AskLimit]``): per-client limits → 429 ``rate_limited``.
AskLimit = _limited("ask")
FeedbackLimit = _limited("feedback")
SearchLimit = _limited("search")
