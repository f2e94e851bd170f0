"""Test helpers shared by all test modules (import as ``from pqtest import ...``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from policyqa.config import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
WORK_PLAN = "2022年全区住房城乡建设工作要点"
SHARED = ROOT.parent / "shared"
# the team's development set (a copy of ../shared/eval, so the quality tests run anywhere)
DEV = ROOT / "tests" / "data" / "dev_questions.jsonl"
DIALOGUES = ROOT / "tests" / "data" / "dev_dialogues.jsonl"


def make_settings(base: Path, **overrides) -> Settings:
    """Settings on a private copy of the shipped corpus under ``base`` (hash embedder unless overridden)."""
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
