"""Shared fixtures: every test points all state (corpus copy, index, data) at tmp paths."""

from __future__ import annotations

import shutil
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


@pytest.fixture
def own(settings: Settings, engine, tmp_path) -> Settings:
    """A private corpus + index copy (the session engine's index is copied, so loading is fast)."""
    shutil.copytree(settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    return settings.model_copy(update={
        "corpus_dir": tmp_path / "corpus", "index_dir": tmp_path / "index", "data_dir": tmp_path / "data",
    })
