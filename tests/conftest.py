"""Shared fixtures: every test points all state (corpus copy, index, data) at tmp paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyqa.config import Settings
from pqtest import make_settings


@pytest.fixture(scope="session")
def engine_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("engine")


@pytest.fixture(scope="session")
def settings(engine_dir) -> Settings:
    """Settings on a private copy of the shipped corpus, with the fast deterministic embedder."""
    return make_settings(engine_dir)


@pytest.fixture(scope="session")
def engine(settings):
    """One engine over the shipped work plan, built once per test session (hash embedder)."""
    from policyqa.engine import QAEngine

    return QAEngine.load(settings)
