"""policyqa.corpus: upload checks and corpus-folder edits, each with its undo (no engine needed)."""

from __future__ import annotations

import json

import pytest

from policyqa.corpus import (
    CorpusEdit,
    check_file,
    check_new,
    move_aside,
    parse_upload,
    source_file,
    write_upload,
)
from policyqa.documents.limits import DocumentLimits
from policyqa.errors import (
    DocumentNotFoundError,
    DocumentParseError,
    DocumentTooLargeError,
    DuplicateDocumentError,
    UnsupportedDocumentTypeError,
)

DOC = "关于加强物业服务的通知\n一、总体要求\n1.加强物业服务监管。街道办事处负责指导监督。\n".encode()


def test_check_file_order_of_refusals():
    assert check_file("../../通知.txt", DOC, 1000) == "通知.txt"
    with pytest.raises(UnsupportedDocumentTypeError):
        check_file("a.exe", DOC, 1000)
    with pytest.raises(DocumentTooLargeError):
        check_file("a.txt", DOC, 10)
    with pytest.raises(DocumentParseError):
        check_file("a.txt", b"", 10)


def test_parse_keeps_known_overrides_only_and_check_new_finds_duplicates(tmp_path):
    upload = parse_upload("通知.txt", DOC, {"level": "规范性文件", "bogus": "x", "issuer": ""}, DocumentLimits())
    assert upload.overrides == {"level": "规范性文件"} and upload.document.level == "规范性文件"
    check_new(upload, [], tmp_path)  # new: nothing raised
    (tmp_path / "通知.txt").write_bytes(b"other")
    with pytest.raises(DuplicateDocumentError):
        check_new(upload, [], tmp_path)


def test_write_upload_and_its_rollback_restore_the_sidecar(tmp_path):
    sidecar = tmp_path / "metadata.jsonl"
    sidecar.write_text('{"file": "old.txt", "level": "法律"}\n', encoding="utf-8")
    before = sidecar.read_bytes()
    edit = write_upload(tmp_path, parse_upload("通知.txt", DOC, {"level": "规范性文件"}, DocumentLimits()))
    assert isinstance(edit, CorpusEdit) and edit.operation == "add 通知.txt"
    assert (tmp_path / "通知.txt").read_bytes() == DOC
    assert json.loads(sidecar.read_text(encoding="utf-8").splitlines()[-1]) == {"file": "通知.txt", "level": "规范性文件"}
    edit.rollback()
    assert not (tmp_path / "通知.txt").exists() and sidecar.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".upload-")]


def test_a_file_listed_by_a_sub_folders_sidecar_goes_back_there_with_its_metadata(tmp_path):
    from policyqa.corpus import home_folder
    from policyqa.documents.metadata import read_sidecar

    regs = tmp_path / "regulations"
    regs.mkdir()
    (regs / "metadata.jsonl").write_text('{"file": "供水条例.txt", "issuer": "国务院", "level": "行政法规"}\n', encoding="utf-8")
    assert home_folder(tmp_path, "供水条例.txt") == regs and home_folder(tmp_path, "通知.txt") == tmp_path
    write_upload(tmp_path, parse_upload("供水条例.txt", DOC, None, DocumentLimits()))
    assert (regs / "供水条例.txt").read_bytes() == DOC and not (tmp_path / "供水条例.txt").exists()
    assert read_sidecar(regs)["供水条例.txt"]["issuer"] == "国务院"
    # a file of the same name anywhere in the corpus is a duplicate name
    with pytest.raises(DuplicateDocumentError):
        check_new(parse_upload("供水条例.txt", DOC + b"x", None, DocumentLimits()), [], tmp_path)


def test_move_aside_rollback_and_commit(settings, tmp_path):
    own = settings.model_copy(update={"corpus_dir": tmp_path / "corpus", "data_dir": tmp_path / "data"})
    own.corpus_dir.mkdir()
    (own.corpus_dir / "a.txt").write_bytes(DOC)
    source = source_file(own.corpus_dir, "a.txt", "a")
    edit = move_aside(own, source)
    assert not source.exists() and edit.operation == "remove a.txt"
    edit.rollback()
    assert source.read_bytes() == DOC
    edit = move_aside(own, source)
    edit.commit()
    assert not source.exists() and not any((own.data_dir / "removed").iterdir())
    with pytest.raises(DocumentNotFoundError):
        source_file(own.corpus_dir, "../outside.txt", "x")


def test_a_recorded_path_is_found_under_the_corpus_folder_by_its_trailing_parts(tmp_path):
    from policyqa.corpus import corpus_relative, source_file
    from policyqa.errors import DocumentNotFoundError

    corpus = tmp_path / "corpus"
    (corpus / "regulations").mkdir(parents=True)
    (corpus / "regulations" / "供水条例.txt").write_text("第一条 供水。", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("x", encoding="utf-8")
    for recorded in ("corpus/regulations/供水条例.txt", str(corpus / "regulations" / "供水条例.txt"),
                     "/elsewhere/corpus/regulations/供水条例.txt", "regulations/供水条例.txt"):
        assert corpus_relative(corpus, recorded).as_posix() == "regulations/供水条例.txt", recorded
    assert corpus_relative(corpus, str(tmp_path / "outside.txt")) is None
    assert corpus_relative(corpus, "../outside.txt") is None
    with pytest.raises(DocumentNotFoundError):
        source_file(corpus, "../outside.txt", "x")
