"""CachedEmbedder: embeddings memoised by text hash (in memory, optionally in an ``.npz`` file).

The benchmarks embed the same passages for the engine, the baselines and every re-run;
:class:`CachedEmbedder` wraps the real embedder so each distinct text is embedded once, and
saves the cache under ``--cache`` so an interrupted model run can resume.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..index.embedders import Embedder, create_embedder


class CachedEmbedder(Embedder):
    """Memoises another embedder by text hash (optionally on disk), so that the engine, the
    baselines and re-runs embed each distinct text once.  Same ``model_id`` and ``dimension``."""

    BLOCK = 256  # texts per model call between cache checkpoints

    def __init__(self, inner: Embedder, cache_dir: Path | None = None) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.batch_size = inner.batch_size
        self._cache: dict[str, np.ndarray] = {}
        self._file = None
        self._saved = time.perf_counter()
        self.embedded = 0  # texts actually sent to the model
        self.seconds = 0.0  # time spent in the model
        if cache_dir is not None:
            safe = "".join(c if c.isalnum() else "_" for c in inner.model_id)
            self._file = Path(cache_dir) / f"{safe}.npz"
            if self._file.exists():
                data = np.load(self._file)
                self._cache = dict(zip(data["keys"].tolist(), data["vectors"]))

    @staticmethod
    def _key(text: str, is_query: bool) -> str:
        return hashlib.sha1(("q:" if is_query else "p:").encode() + text.encode("utf-8")).hexdigest()

    def _many(self, texts: Sequence[str], is_query: bool, progress=None) -> np.ndarray:
        keys = [self._key(t, is_query) for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if todo:
            first = {}
            for k, t in zip(keys, texts):
                first.setdefault(k, t)
            for i in range(0, len(todo), self.BLOCK):
                block = todo[i : i + self.BLOCK]
                t0 = time.perf_counter()
                if is_query:
                    fresh = np.stack([self.inner.embed_query(first[k]) for k in block])
                else:
                    fresh = self.inner.embed_documents([first[k] for k in block])
                self.seconds += time.perf_counter() - t0
                self.embedded += len(block)
                self._cache.update(zip(block, fresh))
                if progress:
                    progress(min(i + len(block), len(todo)), len(todo))
                if self._file is not None and time.perf_counter() - self._saved > 120:
                    self.save()  # a long model run can be interrupted and resumed
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = self._cache[k]
        return out

    def embed_documents(self, texts: Sequence[str], progress=None) -> np.ndarray:
        return self._many(list(texts), False, progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self._many([text], True)[0]

    def save(self) -> None:
        if self._file is None or not self._cache:
            return
        self._file.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._cache))
        tmp = self._file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=np.stack(list(self._cache.values())))
        tmp.replace(self._file)
        self._saved = time.perf_counter()


def make_embedder(name: str, cache_dir: Path | None) -> CachedEmbedder:
    return CachedEmbedder(create_embedder(name), cache_dir)
