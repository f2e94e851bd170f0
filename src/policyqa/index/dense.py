"""FAISS inner-product index over L2-normalised embeddings (cosine similarity).

Exact (``IndexFlatIP``) up to ``exact_limit`` vectors; above it an HNSW graph
(``IndexHNSWFlat`` with inner-product metric), which trades a little recall for speed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


_THREADS_SET = False


def _single_thread() -> None:
    global _THREADS_SET
    if not _THREADS_SET:
        import faiss

        faiss.omp_set_num_threads(1)
        _THREADS_SET = True


class DenseIndex:
    def __init__(self, index) -> None:  # faiss.Index
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, exact_limit: int = 50_000) -> "DenseIndex":
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if len(vectors) <= exact_limit:
            index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 128
        index.add(vectors)
        return cls(index)

    @property
    def kind(self) -> str:
        return type(self._index).__name__

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (ids, cosine scores) for one query vector.

        Single-query search runs on one OpenMP thread: measured 3x faster at 100k vectors than
        letting FAISS fan out over both cores (docs/benchmarks), and it leaves the other core to
        concurrent requests."""
        _single_thread()
        k = max(1, min(k, self.size))
        scores, ids = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "DenseIndex":
        import faiss

        return cls(faiss.read_index(str(path)))
