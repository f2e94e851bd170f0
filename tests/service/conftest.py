"""Fixtures of the service tests: in-process apps (TestClient) over the session ``engine``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from svc_helpers import ADMIN_KEY, ALLOWED_ORIGIN

from policyqa.config import Settings
from policyqa.manager import IndexManager
from policyqa.service import create_app


@pytest.fixture(scope="module")
def api_settings(settings: Settings, engine, tmp_path_factory) -> Settings:
    """The session settings with an admin key, a CORS origin and a private data folder."""
    return settings.model_copy(update={
        "admin_key": ADMIN_KEY,
        "cors_origins": [ALLOWED_ORIGIN],
        "data_dir": tmp_path_factory.mktemp("service-data"),
    })


@pytest.fixture(scope="module")
def app(api_settings: Settings, engine):
    return create_app(IndexManager(api_settings, engine), api_settings)


@pytest.fixture(scope="module")
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def admin() -> dict[str, str]:
    return {"X-API-Key": ADMIN_KEY}
