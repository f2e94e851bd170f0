"""Typed dependencies: everything a route needs comes from ``request.app.state`` (set by
:func:`policyqa.service.app.create_app`), never from module globals."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from ..config import Settings
from ..conversation import ConversationStore
from ..engine import QAEngine
from ..feedback import FeedbackLog
from ..manager import IndexManager
from .errors import AuthError
from .metrics import Metrics

ADMIN_KEY_HEADER = "X-API-Key"

_api_key_header = APIKeyHeader(
    name=ADMIN_KEY_HEADER, auto_error=False, scheme_name="AdminKey",
    description="Admin endpoints: the value of `POLICYQA_ADMIN_KEY`. With no key configured they are disabled.",
)


@dataclass(frozen=True)
class ServiceState:
    """What one app instance holds (``app.state.service``)."""

    settings: Settings
    manager: IndexManager
    conversations: ConversationStore
    feedback: FeedbackLog
    metrics: Metrics


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


def get_conversations(state: StateDep) -> ConversationStore:
    return state.conversations


def get_feedback(state: StateDep) -> FeedbackLog:
    return state.feedback


def get_metrics(state: StateDep) -> Metrics:
    return state.metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
ManagerDep = Annotated[IndexManager, Depends(get_manager)]
EngineDep = Annotated[QAEngine, Depends(get_engine)]
ConversationsDep = Annotated[ConversationStore, Depends(get_conversations)]
FeedbackDep = Annotated[FeedbackLog, Depends(get_feedback)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def require_admin(settings: SettingsDep, api_key: Annotated[str | None, Security(_api_key_header)]) -> None:
    """Admin rule: no key configured → 403 ``admin_disabled``; header missing → 401; wrong → 403."""
    expected = settings.admin_key
    if not expected:
        raise AuthError("管理接口未启用（未配置 POLICYQA_ADMIN_KEY）", code="admin_disabled", status_code=403)
    if not api_key:
        raise AuthError(f"缺少管理密钥（请求头 {ADMIN_KEY_HEADER}）", code="missing_api_key", status_code=401)
    if not hmac.compare_digest(api_key.encode("utf-8"), expected.encode("utf-8")):
        raise AuthError("管理密钥错误", code="invalid_api_key", status_code=403)


AdminDep = Annotated[None, Depends(require_admin)]


def is_admin(settings: SettingsDep, api_key: Annotated[str | None, Security(_api_key_header)]) -> bool:
    """True when a valid admin key was sent (for endpoints that show admins more detail)."""
    expected = settings.admin_key
    return bool(expected and api_key and hmac.compare_digest(api_key.encode("utf-8"), expected.encode("utf-8")))


IsAdminDep = Annotated[bool, Depends(is_admin)]
