"""Pages without a text layer are reported where staff look: the upload response, ``/api/documents``
and the document's own page (not only the server log)."""

from __future__ import annotations

import time
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from svc_helpers import ADMIN_KEY, private_settings

from policyqa.engine import QAEngine
from policyqa.manager import IndexManager
from policyqa.service import create_app

CASE = Path(__file__).resolve().parents[1] / "data" / "ingestion" / "running-header_公积金提取通知.pdf"


def partly_scanned_pdf() -> bytes:
    """The running-header case with two pages without any text (a scan) between its two pages."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(CASE)
    writer = PdfWriter()
    writer.add_page(reader.pages[0])
    for _ in range(2):
        writer.add_blank_page(width=595, height=842)
    writer.add_page(reader.pages[1])
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def env(settings, engine, tmp_path_factory):
    own = private_settings(settings, tmp_path_factory.mktemp("warnings"), admin_key=ADMIN_KEY)
    manager = IndexManager(own, engine)
    with TestClient(create_app(manager, own), raise_server_exceptions=False) as c:
        yield c, own
    manager.close()


def wait_idle(client, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/api/index/status").json()["state"] != "building":
            return
        time.sleep(0.05)
    raise AssertionError("index rebuild did not finish")


def test_pages_without_text_are_reported_on_upload_and_in_the_listing(env):
    c, own = env
    r = c.post("/api/documents", headers={"X-API-Key": ADMIN_KEY},
               files={"file": ("公积金提取通知.pdf", partly_scanned_pdf(), "application/pdf")})
    assert r.status_code == 202, r.text
    change = r.json()
    assert len(change["warnings"]) == 1 and "第 2、3 页没有文字层" in change["warnings"][0]
    wait_idle(c)

    listed = {d["doc_id"]: d for d in c.get("/api/documents").json()["documents"]}
    assert listed[change["doc_id"]]["warnings"] == change["warnings"]
    assert all(d["warnings"] == [] for doc_id, d in listed.items() if doc_id != change["doc_id"])
    assert c.get(f"/api/documents/{change['doc_id']}").json()["warnings"] == change["warnings"]

    # the warnings are kept in the index: a server started later reports them too
    reopened = QAEngine.load(own, build=False)
    (doc,) = [d for d in reopened.store.documents if d.doc_id == change["doc_id"]]
    assert doc.warnings == tuple(change["warnings"])


def test_clean_upload_has_no_warnings(env):
    c, _ = env
    r = c.post("/api/documents", headers={"X-API-Key": ADMIN_KEY},
               files={"file": ("补贴办法.txt", (CASE.parent / "title-line_租赁补贴办法.txt").read_bytes(), "text/plain")})
    assert r.status_code == 202, r.text
    assert r.json()["warnings"] == []
    wait_idle(c)
