"""Crash leftovers: a process killed (SIGKILL) at the exact moments of a build, an upload or a
delete leaves a state that the next start cleans up, with no document lost or corrupted."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from policyqa.config import Settings
from policyqa.engine import QAEngine, corpus_files
from policyqa.index.storage import IndexStorage
from policyqa.manager import IndexManager
from policyqa.recovery import TRASH_DIR, recover, trashed_name

TESTS = Path(__file__).resolve().parent
CRASHKIT = TESTS / "crashkit.py"


def crash(settings: Settings, operation: str, kill_at: str = "", **extra: str) -> subprocess.CompletedProcess:
    values = {k: str(v) for k, v in settings.model_dump().items()
              if k in ("corpus_dir", "index_dir", "data_dir", "embedder")}
    cmd = [sys.executable, str(CRASHKIT), json.dumps(values), operation]
    if kill_at:
        cmd += ["--kill-at", kill_at]
    for key, value in extra.items():
        cmd += [f"--{key}", value]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def leftovers(settings: Settings) -> list[str]:
    """Everything a crash may leave that a clean state does not have."""
    index = Path(settings.index_dir)
    live = IndexStorage(index).current().name
    found = [p.name for p in index.glob("build-*") if p.name != live]
    found += [p.name for p in index.glob(".CURRENT.*")]
    found += [p.name for p in Path(settings.corpus_dir).glob(".upload-*")]
    trash = Path(settings.data_dir) / TRASH_DIR
    found += [p.name for p in trash.iterdir()] if trash.is_dir() else []
    return sorted(found)


def assert_consistent(settings: Settings) -> QAEngine:
    """Start as a server would (recovery, then load; rebuild if stale): no leftovers, the index
    loads and lists exactly the corpus files, every corpus file is a document."""
    manager = IndexManager(settings, warmup=False)
    assert leftovers(settings) == []
    engine = manager.engine
    assert engine.manifest.corpus == corpus_files(settings.corpus_dir)
    assert {Path(d.path).name for d in engine.documents()} == set(corpus_files(settings.corpus_dir))
    return engine


def killed(result: subprocess.CompletedProcess) -> bool:
    return result.returncode == -signal.SIGKILL


# each case runs a policyqa process to its kill, then a start: a few seconds; one delete and one
# upload case run in the fast suite, the others with the slow tests
@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["replace:CURRENT:before", "replace:CURRENT:after", "manifest"])
def test_build_killed_while_saving(own, kill_at):
    before = IndexStorage(own.index_dir).current().name
    (Path(own.corpus_dir) / "新增.txt").write_text("1.新增文件。内容。", encoding="utf-8")
    result = crash(own, "build", kill_at)
    assert killed(result), result.stderr
    left = leftovers(own)
    assert left, "the kill left nothing to clean: wrong moment"
    if kill_at != "replace:CURRENT:after":
        assert IndexStorage(own.index_dir).current().name == before  # the old index stayed live
    engine = assert_consistent(own)
    assert len(engine.documents()) == 2


def test_upload_killed_while_writing_the_file(own):
    result = crash(own, "upload:新文件.txt", "replace:*.txt:before")
    assert killed(result), result.stderr
    assert any(name.startswith(".upload-") for name in leftovers(own))
    engine = assert_consistent(own)
    assert [Path(d.path).name for d in engine.documents()] == sorted(corpus_files(own.corpus_dir))
    assert not (Path(own.corpus_dir) / "新文件.txt").exists()  # never acknowledged, never half-written


@pytest.mark.slow
def test_upload_killed_before_its_index_goes_live(own):
    result = crash(own, "upload:新文件.txt", "replace:CURRENT:before")
    assert killed(result), result.stderr
    engine = assert_consistent(own)  # the written upload is indexed at the next start
    assert "新文件.txt" in {Path(d.path).name for d in engine.documents()}


@pytest.mark.parametrize(("kill_at", "kept"), [
    ("replace:CURRENT:before", True),
    pytest.param("replace:CURRENT:after", False, marks=pytest.mark.slow),
])
def test_delete_killed_around_the_switch(own, engine, kill_at, kept):
    doc = engine.documents()[0]
    result = crash(own, f"delete:{doc.doc_id}", kill_at)
    assert killed(result), result.stderr
    trash = list((Path(own.data_dir) / TRASH_DIR).iterdir())
    assert [trashed_name(p) for p in trash] == [doc.path]  # orphaned in data/removed
    after = assert_consistent(own)
    names = {Path(d.path).name for d in after.documents()}
    # killed before the new index went live: the delete never happened, the file is back;
    # after: the delete did happen, only its clean-up was missed
    assert (doc.path in names) is kept
    assert (Path(own.corpus_dir) / doc.path).exists() is kept


def test_recover_is_a_no_op_on_a_clean_state(own):
    assert not recover(own)
    assert leftovers(own) == []


def test_recover_leaves_a_running_build_alone(own):
    storage = IndexStorage(own.index_dir)
    with pytest.raises(RuntimeError, match="abandon"):
        with storage.new_build() as folder:  # holds the build lock, like another process building
            (folder / "partial").write_text("x")
            assert storage.remove_leftovers() == [] and folder.exists()
            raise RuntimeError("abandon the build")


def test_start_serves_the_last_good_index_while_rebuilding(own, engine):
    """A changed corpus at start-up: the old index answers at once, /readyz-style status says building."""
    (Path(own.corpus_dir) / "新增.txt").write_text("1.新增的物业文件。小区物业服务。", encoding="utf-8")
    started, release = threading.Event(), threading.Event()

    def gated_build(settings, progress=None):
        started.set()
        assert release.wait(30)
        return QAEngine.build(settings, progress=progress)

    manager = IndexManager(own, background=True, builder=gated_build, warmup=False)
    assert started.wait(30)
    status = manager.status()
    assert manager.ready and status.ready and status.state == "building" and status.documents == 1
    assert manager.engine.ask("保障性租赁住房").citations  # the last good index answers meanwhile
    release.set()
    status = manager.wait(60)
    assert status.state == "idle" and status.documents == 2


def test_start_with_no_index_is_not_ready_until_built(own):
    shutil.rmtree(own.index_dir)
    started, release = threading.Event(), threading.Event()

    def gated_load(settings, progress=None):
        started.set()
        assert release.wait(30)
        return QAEngine.load(settings, progress=progress)

    manager = IndexManager(own, background=True, loader=gated_load, warmup=False)
    assert started.wait(30)
    assert not manager.ready and not manager.status().ready
    release.set()
    assert manager.wait(60).ready


@pytest.mark.slow
def test_20_random_kills_during_builds_and_uploads_lose_and_corrupt_nothing(own, tmp_path):
    """A process uploads and deletes documents without pause (each change a rebuild); it is
    killed with SIGKILL at a random moment, 20 times; after each kill a start must find a
    loadable index, every acknowledged document, no acknowledged removal undone, no leftovers."""
    import random
    import time

    rng = random.Random(11)
    log = tmp_path / "journal.txt"
    values = {k: str(v) for k, v in own.model_dump().items() if k in ("corpus_dir", "index_dir", "data_dir", "embedder")}
    base_docs = set(corpus_files(own.corpus_dir))
    kills = 0
    for _ in range(20):
        proc = subprocess.Popen([sys.executable, str(CRASHKIT), json.dumps(values), "churn", "--journal", str(log)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(2.0, 6.0))  # past the start-up (~2 s), into the churn
        proc.kill()
        proc.wait(30)
        stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        assert proc.returncode == -signal.SIGKILL, f"the churn process ended on its own: {stderr[-2000:]}"
        kills += 1
        engine = assert_consistent(own)  # loads, no leftovers, index == corpus
        names = {Path(d.path).name for d in engine.documents()}
        assert base_docs <= names, "a document that was never removed is lost"
        last: dict[str, str] = {}
        for line in log.read_text(encoding="utf-8").splitlines():
            verb, name = line.split(" ", 1)
            last[name] = verb
        for name, verb in last.items():
            if verb == "added":
                assert name in names, f"acknowledged upload {name} lost"
            if verb == "removed":
                assert name not in names, f"acknowledged removal of {name} undone"
    assert kills == 20
    changes = sum(1 for line in log.read_text(encoding="utf-8").splitlines() if line.split()[0] in ("added", "removed"))
    print(f"20 kills, {changes} acknowledged changes, 0 corrupt indexes, 0 lost documents, 0 leftovers")
    assert changes > 0
