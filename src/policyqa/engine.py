"""QAEngine: the one entry point used by the CLI, the HTTP service and the WeChat adapter.

(Skeleton: public API fixed; implementation in progress.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .config import Settings
from .models import Answer, Clause, DocumentInfo, SearchResult, Turn

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class QAEngine:
    settings: Settings

    @classmethod
    def load(cls, settings: Settings, *, build: bool = True, force: bool = False,
             progress: Progress | None = None) -> "QAEngine":
        """Load the index in ``settings.index_dir``; (re)build it from ``settings.corpus_dir``
        when missing or stale (unless ``build=False`` → IndexNotFoundError / IndexStaleError).
        A different embedder than the index was built with → IndexMismatchError."""
        raise NotImplementedError

    @classmethod
    def build(cls, settings: Settings, *, progress: Progress | None = None) -> "QAEngine":
        """Build the index from the corpus into a temp folder, swap it in atomically, return the engine."""
        raise NotImplementedError

    def ask(self, question: str, history: Sequence[Turn] | None = None, *, top_k: int | None = None) -> Answer:
        """Grounded answer. Raises InvalidQuestionError (empty / longer than settings.max_question_chars)."""
        raise NotImplementedError

    def search(self, query: str, *, doc: str | None = None, section: str | None = None,
               limit: int = 10) -> list[SearchResult]:
        """Staff clause search. ``doc`` = doc_id or a substring of the title; ``section`` = substring of section."""
        raise NotImplementedError

    def documents(self) -> list[DocumentInfo]:
        raise NotImplementedError

    def document(self, doc_id: str) -> DocumentInfo:
        """Raises DocumentNotFoundError."""
        raise NotImplementedError

    def clauses(self, doc_id: str) -> list[Clause]:
        raise NotImplementedError

    def clause(self, doc_id: str, number: int) -> Clause:
        """Raises DocumentNotFoundError / ClauseNotFoundError."""
        raise NotImplementedError

    def stats(self) -> dict[str, object]:
        """documents, clauses, chunks, embedder, dimension, built_at."""
        raise NotImplementedError
