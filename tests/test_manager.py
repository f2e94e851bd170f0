"""IndexManager: validated corpus changes, background rebuild, atomic swap, rollback, one build at a time."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from policyqa.config import Settings
from policyqa.errors import DocumentNotFoundError, DocumentParseError, DuplicateDocumentError, IndexBusyError
from policyqa.manager import (
    DocumentTooLargeError,
    IndexManager,
    IndexNotReadyError,
    UnsupportedDocumentTypeError,
    safe_filename,
)
from policyqa.rebuild import IndexStatus

NEW_DOC = """关于规范住宅小区物业服务的通知
一、总体要求
1.加强物业服务监管。街道办事处负责指导监督辖区内物业服务企业，业主可拨打物业投诉电话反映问题。
2.推动业主委员会组建。符合条件的小区应当在六个月内成立业主委员会。
""".encode()


@pytest.fixture
def own_settings(own: Settings) -> Settings:
    """The private corpus + index copy (conftest ``own``) with a small upload limit."""
    return own.model_copy(update={"max_upload_bytes": 100_000})


def listing(settings: Settings) -> list[str]:
    return sorted(p.name for p in Path(settings.corpus_dir).iterdir())


class GatedBuilder:
    """A builder that waits for ``release`` and then builds for real (or fails)."""

    def __init__(self, fail: bool = False) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail = fail

    def __call__(self, settings: Settings, progress=None):
        self.started.set()
        assert self.release.wait(30)
        if progress:
            progress("embed", 1, 2)
        if self.fail:
            raise RuntimeError("embedding server exploded")
        from policyqa.engine import QAEngine

        return QAEngine.build(settings, progress=progress)


def test_loads_engine_and_reports_idle(own_settings):
    manager = IndexManager(own_settings)
    status = manager.status()
    assert isinstance(status, IndexStatus)
    assert status.state == "idle" and status.ready and status.documents == 1 and status.chunks > 0
    assert manager.engine.ask("保障性租赁住房").citations


def test_add_document_rebuilds_in_background_and_swaps(own_settings, engine):
    manager = IndexManager(own_settings, engine)
    change = manager.add_document("物业服务通知.txt", NEW_DOC)
    assert change.operation == "add" and change.filename == "物业服务通知.txt" and change.size == len(NEW_DOC)
    assert change.status.state == "building"
    status = manager.wait(120)
    assert status.state == "idle" and status.documents == 2 and status.finished_at is not None
    assert manager.engine is not engine
    assert (Path(own_settings.corpus_dir) / "物业服务通知.txt").read_bytes() == NEW_DOC
    # the title line is the document's title, not a clause: ask what a clause answers
    answer = manager.engine.ask("物业服务企业由谁来监督")
    assert any(c.doc_id == change.doc_id for c in answer.citations)
    assert not any(p.name.startswith(".upload-") for p in Path(own_settings.corpus_dir).iterdir())


def test_old_engine_answers_while_building_and_busy_rejects(own_settings, engine):
    builder = GatedBuilder()
    manager = IndexManager(own_settings, engine, builder=builder)
    manager.add_document("物业服务通知.txt", NEW_DOC)
    assert builder.started.wait(10)
    assert manager.busy and manager.status().state == "building"
    assert manager.engine is engine and engine.ask("公积金").answer  # still answering
    with pytest.raises(IndexBusyError):
        manager.add_document("another.txt", "1.另一个文件。内容。".encode())
    with pytest.raises(IndexBusyError):
        manager.remove_document(engine.documents()[0].doc_id)
    assert "another.txt" not in listing(own_settings)
    builder.release.set()
    status = manager.wait(120)
    assert status.state == "idle" and status.documents == 2 and manager.engine is not engine


def test_progress_is_reported(own_settings, engine):
    builder = GatedBuilder()
    manager = IndexManager(own_settings, engine, builder=builder)
    manager.add_document("物业服务通知.txt", NEW_DOC)
    builder.release.set()
    manager.wait(120)
    status = manager.status()
    assert status.stage == "done" and status.started_at is not None and status.started_at <= status.finished_at


def test_failed_build_rolls_back_and_keeps_old_engine(own_settings, engine):
    builder = GatedBuilder(fail=True)
    manager = IndexManager(own_settings, engine, builder=builder)
    before = listing(own_settings)
    manager.add_document("物业服务通知.txt", NEW_DOC)
    builder.release.set()
    status = manager.wait(30)
    assert status.state == "failed" and "embedding server exploded" in status.message
    assert manager.engine is engine and listing(own_settings) == before
    # a later change is allowed again
    manager2 = IndexManager(own_settings, engine)
    manager2.add_document("物业服务通知.txt", NEW_DOC)
    assert manager2.wait(120).state == "idle"


def test_duplicate_content_rejected_before_writing(own_settings, engine):
    manager = IndexManager(own_settings, engine)
    original = next(Path(own_settings.corpus_dir).glob("*.txt")).read_bytes()
    before = listing(own_settings)
    with pytest.raises(DuplicateDocumentError):
        manager.add_document("copy-of-plan.txt", original)
    assert listing(own_settings) == before and manager.status().state == "idle"


def test_same_file_name_rejected(own_settings, engine):
    manager = IndexManager(own_settings, engine)
    name = next(Path(own_settings.corpus_dir).glob("*.txt")).name
    with pytest.raises(DuplicateDocumentError):
        manager.add_document(name, NEW_DOC)


@pytest.mark.parametrize(
    ("filename", "data", "error"),
    [
        ("broken.pdf", b"%PDF-1.4 garbage that is not a pdf", DocumentParseError),
        ("empty.txt", b"", DocumentParseError),
        ("tool.exe", b"MZ", UnsupportedDocumentTypeError),
        ("noext", b"text", UnsupportedDocumentTypeError),
        ("big.txt", b"x" * 100_001, DocumentTooLargeError),
        ("...", b"text", DocumentParseError),
    ],
)
def test_invalid_uploads_change_nothing(own_settings, engine, filename, data, error):
    manager = IndexManager(own_settings, engine)
    before = listing(own_settings)
    with pytest.raises(error) as info:
        manager.add_document(filename, data)
    if isinstance(info.value, DocumentParseError):
        assert info.value.reason
    assert listing(own_settings) == before
    assert manager.engine is engine and manager.status().state == "idle"


def test_remove_document_and_unknown(own_settings, engine):
    manager = IndexManager(own_settings, engine)
    manager.add_document("物业服务通知.txt", NEW_DOC)
    manager.wait(120)
    doc_id = next(d.doc_id for d in manager.engine.documents() if d.path.endswith("物业服务通知.txt"))
    change = manager.remove_document(doc_id)
    assert change.operation == "remove" and change.doc_id == doc_id
    assert manager.wait(120).documents == 1
    assert "物业服务通知.txt" not in listing(own_settings)
    assert not any((Path(own_settings.data_dir) / "removed").iterdir())
    with pytest.raises(DocumentNotFoundError):
        manager.remove_document(doc_id)


def test_failed_remove_restores_file(own_settings, engine):
    builder = GatedBuilder(fail=True)
    manager = IndexManager(own_settings, engine, builder=builder)
    before = listing(own_settings)
    manager.remove_document(engine.documents()[0].doc_id)
    assert listing(own_settings) == []
    builder.release.set()
    assert manager.wait(30).state == "failed"
    assert listing(own_settings) == before and manager.engine is engine


def test_background_initial_load(own_settings, engine):
    gate = threading.Event()

    def slow_loader(settings, progress=None):
        assert gate.wait(30)
        return engine

    manager = IndexManager(own_settings, background=True, loader=slow_loader)
    assert not manager.ready and manager.status().ready is False
    with pytest.raises(IndexNotReadyError):
        _ = manager.engine
    gate.set()
    deadline = time.monotonic() + 30
    while not manager.ready and time.monotonic() < deadline:
        time.sleep(0.01)
    assert manager.engine is engine and manager.wait(5).state == "idle"


def test_no_load(own_settings):
    manager = IndexManager(own_settings, load=False)
    assert not manager.ready and manager.status().documents == 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\x\\通知.docx", "通知.docx"),
        (".hidden.md", "hidden.md"),
        ("a<b>:c.txt", "a_b__c.txt"),
        ("政策" * 100 + ".pdf", "政策" * 58 + ".pdf"),
    ],
)
def test_safe_filename(given, expected):
    name = safe_filename(given)
    assert name == expected
    assert "/" not in name and "\\" not in name and not name.startswith(".") and len(name) <= 120
    assert name.endswith(Path(given.replace("\\", "/")).suffix)


@pytest.mark.parametrize("bad", ["", "..", "/", "a/..", " . "])
def test_safe_filename_rejects_empty(bad):
    with pytest.raises(DocumentParseError):
        safe_filename(bad)


def test_a_document_in_a_subfolder_is_listed_and_removed_by_its_corpus_path(own_settings):
    from policyqa.engine import QAEngine

    sub = Path(own_settings.corpus_dir) / "regulations"
    sub.mkdir()
    (sub / "物业服务通知.txt").write_bytes(NEW_DOC)
    engine = QAEngine.build(own_settings)
    info = next(d for d in engine.documents() if d.path.endswith("物业服务通知.txt"))
    assert info.path == "regulations/物业服务通知.txt"
    manager = IndexManager(own_settings, engine)
    manager.remove_document(info.doc_id)
    assert manager.wait(120).documents == 1
    assert not (sub / "物业服务通知.txt").exists()
