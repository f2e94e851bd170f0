"""Constants and helpers shared by the service tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from policyqa.config import Settings

ADMIN_KEY = "test-admin-key-7f3a"
ALLOWED_ORIGIN = "http://portal.example.test"


def private_settings(settings: Settings, base: Path, **overrides: object) -> Settings:
    """``settings`` on a private copy of its corpus and index under ``base`` (safe to modify)."""
    corpus = base / "corpus"
    index = base / "index"
    if not corpus.exists():
        shutil.copytree(settings.corpus_dir, corpus)
    if not index.exists() and Path(settings.index_dir).exists():
        shutil.copytree(settings.index_dir, index)
    values: dict[str, object] = {"corpus_dir": corpus, "index_dir": index, "data_dir": base / "data"}
    values.update(overrides)
    return settings.model_copy(update=values)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 180.0) -> float:
    """Poll ``/readyz`` until 200; seconds waited.  Raises if the server exits or times out."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"policyqa serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("policyqa serve did not become ready")


@contextmanager
def live_policyqa(settings: Settings, base: Path, **env_overrides: str) -> Iterator[str]:
    """Run ``python -m policyqa serve`` on a free port over a copy of ``settings``' corpus and
    (prebuilt) index; yield its base URL once ``/readyz`` answers 200."""
    shutil.copytree(settings.corpus_dir, base / "corpus")
    if Path(settings.index_dir).exists():
        shutil.copytree(settings.index_dir, base / "index")
    port = free_port()
    env = {
        **os.environ,
        "POLICYQA_EMBEDDER": settings.embedder,
        "POLICYQA_CORPUS_DIR": str(base / "corpus"),
        "POLICYQA_INDEX_DIR": str(base / "index"),
        "POLICYQA_DATA_DIR": str(base / "data"),
        "POLICYQA_RATE_LIMIT_ASK_PER_MINUTE": "0",  # load tests send everything from one address
        "POLICYQA_RATE_LIMIT_SEARCH_PER_MINUTE": "0",
        "POLICYQA_RATE_LIMIT_FEEDBACK_PER_MINUTE": "0",
        **env_overrides,
    }
    url = f"http://127.0.0.1:{port}"
    with open(base / "server.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "policyqa", "serve", "--port", str(port)],
                                cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(url, proc)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
