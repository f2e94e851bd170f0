"""EngineFactory: loads and builds the engines of one :class:`~policyqa.manager.IndexManager`.

Every engine a manager loads or builds shares one embedder and one segmenter: the embedding
model and jieba's dictionary are loaded once, not per rebuild (re-loading jieba fragmented the
heap by ~1.5 MB per rebuild).  Each new engine is asked :data:`WARMUP_QUESTION` before it
answers, so lazily loaded models are ready and the first citizen does not wait for them.

This module is core: it must not import fastapi.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .config import Settings

if TYPE_CHECKING:
    from .engine import QAEngine
    from .index.embedders import Embedder
    from .segmentation import Segmenter

logger = logging.getLogger(__name__)

Builder = Callable[..., "QAEngine"]
Progress = Callable[[str, int, int], None]  # (stage, done, total)

#: Asked once of every newly loaded/built engine before it serves, so lazily loaded models
#: (the embedder) are ready and the first citizen does not wait for them.
WARMUP_QUESTION = "住房保障"


class EngineFactory:
    """Opens (``load``) and builds (``build``) engines for ``settings``, all sharing the models of
    the first one (or of ``engine``, when the manager was given one); ``warm`` asks the warm-up
    question (unless ``warmup=False``).  ``builder``/``loader`` replace ``QAEngine.build`` /
    ``QAEngine.load`` (tests; a reader replica's loader opens the published build)."""

    def __init__(
        self,
        settings: Settings,
        engine: QAEngine | None = None,
        *,
        warmup: bool = True,
        builder: Builder | None = None,
        loader: Builder | None = None,
    ) -> None:
        self.settings = settings
        self.warmup = warmup
        self._builder = builder
        self._loader = loader
        self.embedder: Embedder | None = getattr(engine, "embedder", None)
        self.segmenter: Segmenter | None = getattr(engine, "segmenter", None)

    def load(self, progress: Progress, *, open_stale: bool = False) -> QAEngine:
        """``QAEngine.load`` (which builds a missing or stale index unless ``open_stale``)."""
        if self._loader is not None:
            return self._loader(self.settings, progress=progress)
        from .engine import QAEngine

        engine = QAEngine.load(self.settings, progress=progress, embedder=self.shared_embedder(),
                               open_stale=open_stale)
        self.embedder, self.segmenter = engine.embedder, engine.segmenter
        return engine

    def build(self, progress: Progress) -> QAEngine:
        """``QAEngine.build``: a new index from the corpus as it is now."""
        if self._builder is not None:
            return self._builder(self.settings, progress=progress)
        from .engine import QAEngine

        engine = QAEngine.build(self.settings, progress=progress, embedder=self.shared_embedder(),
                                segmenter=self.segmenter)
        self.embedder, self.segmenter = engine.embedder, engine.segmenter
        return engine

    def shared_embedder(self) -> Embedder:
        """The one embedder of every engine this factory makes (a model is loaded once, not per rebuild)."""
        if self.embedder is None:
            from .index.embedders import create_embedder

            s = self.settings
            self.embedder = create_embedder(s.embedder, s.embedder_model, s.embed_batch_size)
        return self.embedder

    def warm(self, engine: QAEngine) -> None:
        """Ask :data:`WARMUP_QUESTION` (a failure is logged, not raised: the first real question will tell)."""
        if not self.warmup:
            return
        started = time.perf_counter()
        try:
            engine.ask(WARMUP_QUESTION)
        except Exception:
            logger.warning("warm-up question failed", exc_info=True)
            return
        logger.info("engine warmed up in %.2fs", time.perf_counter() - started)

    def stale(self, engine: QAEngine) -> bool:
        """True when the corpus on disk differs from what ``engine``'s index was built from."""
        from .indexer import corpus_files

        manifest = getattr(engine, "manifest", None)
        return manifest is not None and corpus_files(self.settings.corpus_dir) != manifest.corpus
