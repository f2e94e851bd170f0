"""Embedding throughput: chunks/s (and tokens/s) of each embedder on real chunk contexts,
each measured in a fresh process, extrapolated to the ncp corpus and to 100k chunks."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .stats import Log

_EMBED = r"""
import json, os, sys, time
from policyqa.index.embedders import create_embedder
cfg = json.loads(sys.argv[1])
emb = create_embedder(cfg["name"])
emb.batch_size = cfg["batch"]
texts = cfg["texts"]
emb.embed_documents(texts[:4])
t0 = time.perf_counter()
emb.embed_documents(texts)
dt = time.perf_counter() - t0
out = {"seconds": dt}
tok = getattr(getattr(emb, "_model", None), "token_count", None)
if tok:
    out["tokens"] = sum(tok(t) for t in texts)
lat = []
for t in texts[:20]:
    t1 = time.perf_counter()
    emb.embed_query(t[:40])
    lat.append((time.perf_counter() - t1) * 1000)
out["query_ms"] = sorted(lat)[len(lat) // 2]
print(json.dumps(out))
"""


def embedding_throughput(texts: list[str], names: Sequence[str], log: Log, ncp_chunks: int = 7841,
                         threads: Sequence[int | None] = (None, 1), batch: int = 16) -> list[dict[str, Any]]:
    """Chunks/s of each embedder on ``texts`` (real chunk contexts, as the engine embeds them),
    each in a fresh process (``OMP_NUM_THREADS`` must be set before the OpenMP runtime loads),
    extrapolated to the ncp corpus and to 100k chunks."""
    out = []
    for name in names:
        for nt in threads:
            if nt and name == "hash":
                continue
            env = dict(os.environ)
            if nt:
                env["OMP_NUM_THREADS"] = str(nt)
            cfg = {"name": name, "batch": batch, "texts": texts}
            proc = subprocess.run([sys.executable, "-c", _EMBED, json.dumps(cfg, ensure_ascii=False)],
                                  capture_output=True, text=True, check=False, env=env)
            if proc.returncode != 0:
                log(f"embedder {name}: unavailable ({proc.stderr.strip().splitlines()[-1:]})")
                continue
            data = json.loads(proc.stdout.strip().splitlines()[-1])
            rate = len(texts) / data["seconds"]
            row = {"embedder": name, "threads": nt or os.cpu_count(), "batch": batch, "sample": len(texts),
                   "chunks_per_s": round(rate, 2), "ncp_seconds": round(ncp_chunks / rate, 1),
                   "hours_100k": round(100_000 / rate / 3600, 2), "query_ms_p50": round(data["query_ms"], 2)}
            if "tokens" in data:
                row["tokens_per_s"] = round(data["tokens"] / data["seconds"], 1)
                row["tokens_per_chunk"] = round(data["tokens"] / len(texts), 1)
            out.append(row)
            log(f"embedding: {row}")
    return out


def real_chunk_texts(datasets_dir: Path, n: int) -> list[str]:
    """Chunk contexts (heading + text, as the engine embeds them) from real ncp documents."""
    from ..documents.chunking import chunk_clauses
    from ..documents.loaders import load_bytes
    from ..documents.structure import parse_clauses
    from .datasets import read

    ds = read("ncp_policy_qa", datasets_dir)
    out: list[str] = []
    rng = random.Random(2)
    ids = list(ds.docs)
    rng.shuffle(ids)
    for doc_id in ids:
        doc = load_bytes(f"{doc_id}.txt", ds.docs[doc_id].encode("utf-8"))
        chunks = chunk_clauses(parse_clauses(doc), {doc.doc_id: doc.title})
        out += [c.context for c in chunks[:3]]
        if len(out) >= n:
            break
    return out[:n]
