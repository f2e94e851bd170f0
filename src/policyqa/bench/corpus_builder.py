"""Corpora of about 10k / 100k / 1M chunks built from the shared datasets' passages.

All real passages come first (ncp documents, msgabench answers, STARD articles, taidibei
replies, CAIL judgments, CMRC/DRCD contexts: ≈48k engine chunks in all).  Beyond that the
builder writes synthetic documents whose sentences are drawn at random (seeded) from the real
ones, so every chunk is new text with the same vocabulary, sentence lengths and numbering
styles — BM25 statistics and vector neighbourhoods stay realistic, unlike copies of the same
documents.  Files are written as ``.txt`` into a folder given by the caller (a temp dir: the
data must not enter the repository).

The chunk count is computed with the product's own loader, structure parser and chunker, so a
target of 100,000 means the index really holds ≈100,000 chunks.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..documents.chunking import DEFAULT_MAX_CHARS, chunk_clauses
from ..documents.loaders import load_bytes
from ..documents.structure import parse_clauses, split_sentences
from .datasets import passages

_NUMBERS = "一二三四五六七八九十"


@dataclass(frozen=True)
class BuiltCorpus:
    folder: Path
    documents: int
    chunks: int
    characters: int
    real_documents: int
    synthetic_documents: int


def _chunk_chars() -> int:
    """The passage size the engine indexes with (``Settings.chunk_chars`` when it exists)."""
    from ..config import Settings

    field = Settings.model_fields.get("chunk_chars")
    return int(field.default) if field is not None else DEFAULT_MAX_CHARS


def count_chunks(name: str, text: str, max_chars: int | None = None) -> int:
    doc = load_bytes(name, text.encode("utf-8"))
    return len(chunk_clauses(parse_clauses(doc), {doc.doc_id: doc.title}, max_chars or _chunk_chars()))


def _sentences(pool: list[tuple[str, str]]) -> list[str]:
    out = []
    for _, text in pool:
        for para in text.split("\n"):
            para = re.sub(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,3}[.．、])", "", para.strip())
            out.extend(s.text for s in split_sentences(para) if 8 <= len(s.text) <= 200)
    return out


def synthetic_document(rng: random.Random, sentences: list[str], index: int) -> str:
    """A policy-notice-shaped document: a title line, numbered sections of random real sentences."""
    title = rng.choice(sentences)[:24].rstrip("，。；：、") + f"（第{index}号）"
    lines = [title]
    for s in range(rng.randint(2, 6)):
        lines.append(f"{_NUMBERS[s]}、{rng.choice(sentences)[:20].rstrip('，。；：、')}")
        for c in range(rng.randint(1, 4)):
            body = "".join(rng.choice(sentences) for _ in range(rng.randint(1, 4)))
            lines.append(f"{c + 1}.{body}" if rng.random() < 0.6 else body)
    return "\n".join(lines)


def build_corpus(
    datasets_dir: Path,
    target_chunks: int,
    folder: Path,
    *,
    seed: int = 0,
    log: Callable[[str], None] = lambda s: None,
) -> BuiltCorpus:
    """Write ``.txt`` documents into ``folder`` until they hold about ``target_chunks`` chunks."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pool = passages(datasets_dir)
    if not pool:
        raise FileNotFoundError(f"no dataset passages under {datasets_dir}")
    rng = random.Random(seed)
    real = list(pool)
    rng.shuffle(real)
    chunks = chars = docs = n_real = 0
    seen: set[str] = set()
    for i, (source, text) in enumerate(real):
        if chunks >= target_chunks:
            break
        if text in seen or not text.strip():
            continue
        seen.add(text)
        name = f"{source}-{i:06d}.txt"
        (folder / name).write_text(text, encoding="utf-8")
        chunks += count_chunks(name, text)
        chars += len(text)
        docs += 1
        n_real += 1
    sentences = _sentences(pool) if chunks < target_chunks else []
    n_syn = 0
    while chunks < target_chunks:
        text = synthetic_document(rng, sentences, n_syn)
        name = f"syn-{n_syn:07d}.txt"
        (folder / name).write_text(text, encoding="utf-8")
        chunks += count_chunks(name, text)
        chars += len(text)
        docs += 1
        n_syn += 1
        if n_syn % 5000 == 0:
            log(f"corpus: {chunks}/{target_chunks} chunks")
    return BuiltCorpus(folder, docs, chunks, chars, n_real, n_syn)
