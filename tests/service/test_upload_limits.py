"""Admin uploads past a parsing limit (decompression bombs) are refused with 413 naming the limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from bombs import MIB, docx_bomb, pdf_pages, pdf_stream_bomb
from fastapi.testclient import TestClient
from svc_helpers import ADMIN_KEY, private_settings

from policyqa.manager import IndexManager
from policyqa.service import create_app


@pytest.fixture(scope="module")
def limited(settings, engine, tmp_path_factory):
    base = tmp_path_factory.mktemp("limits")
    own = private_settings(settings, base, admin_key=ADMIN_KEY, max_upload_bytes=1 * MIB,
                           max_expanded_bytes=4 * MIB, max_pdf_pages=20, max_document_chars=20_000)
    manager = IndexManager(own, engine)
    with TestClient(create_app(manager, own), raise_server_exceptions=False) as client:
        yield client, manager, own


@pytest.mark.parametrize(("name", "data", "setting"), [
    ("bomb.docx", docx_bomb(16 * MIB), "POLICYQA_MAX_EXPANDED_BYTES"),
    ("ratio.docx", docx_bomb(2 * MIB), "POLICYQA_MAX_COMPRESSION_RATIO"),
    ("pages.pdf", pdf_pages(21), "POLICYQA_MAX_PDF_PAGES"),
    ("stream.pdf", pdf_stream_bomb(16 * MIB), "POLICYQA_MAX_EXPANDED_BYTES"),
    ("long.txt", ("1.很长的文件。" + "内容。" * 8_000).encode(), "POLICYQA_MAX_DOCUMENT_CHARS"),
])
def test_upload_past_a_limit_is_413_naming_it_and_nothing_changes(limited, name, data, setting):
    client, manager, own = limited
    before = sorted(p.name for p in Path(own.corpus_dir).iterdir())
    engine = manager.engine
    r = client.post("/api/documents", headers={"X-API-Key": ADMIN_KEY}, files={"file": (name, data)})
    assert r.status_code == 413, r.text
    error = r.json()["error"]
    assert error["code"] == "document_limit_exceeded" and setting in error["message"]
    assert sorted(p.name for p in Path(own.corpus_dir).iterdir()) == before
    assert manager.engine is engine and not manager.busy
