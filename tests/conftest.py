"""Shared fixtures: every test points all state (corpus copy, index, data) at tmp paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policyqa.config import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
WORK_PLAN = "2022年全区住房城乡建设工作要点"
SHARED = ROOT.parent / "shared"


def make_settings(base: Path, **overrides) -> Settings:
    corpus = base / "corpus"
    if not corpus.exists():
        shutil.copytree(CORPUS, corpus)
    values = dict(
        corpus_dir=corpus,
        index_dir=base / "index",
        data_dir=base / "data",
        embedder="hash",
    )
    values.update(overrides)
    return Settings(**values)


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
