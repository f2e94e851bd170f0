"""JSON API, in-process (TestClient) over the session engine: every endpoint, the error shape, auth."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from svc_helpers import ADMIN_KEY, ALLOWED_ORIGIN, private_settings

from policyqa.config import Settings
from policyqa.manager import IndexManager
from policyqa.models import DocumentInfo
from policyqa.service import create_app

CITIZEN_QUESTION = "刚来城里工作租不起房怎么办"
OUT_OF_SCOPE = "今天天气怎么样"  # clearly outside the housing work plan


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


@pytest.fixture(scope="module")
def work_plan(client) -> dict:
    documents = client.get("/api/documents").json()["documents"]
    return next(d for d in documents if d["title"] == "2022年全区住房城乡建设工作要点")


# -- operations ---------------------------------------------------------------------------------


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["x-content-type-options"] == "nosniff"


def test_readyz_when_loaded(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready" and body["documents"] >= 1 and body["chunks"] > 0
    assert body["index"]["state"] == "idle"


def test_readyz_503_without_index(api_settings):
    app = create_app(IndexManager(api_settings, load=False), api_settings)
    with TestClient(app) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "loading"
        assert c.get("/healthz").status_code == 200
        assert_error(c.post("/api/ask", json={"question": CITIZEN_QUESTION}), 503, "index_not_ready")


def test_metrics(client):
    client.post("/api/ask", json={"question": CITIZEN_QUESTION})
    client.post("/api/ask", json={"question": OUT_OF_SCOPE})
    client.get("/api/documents/no-such-doc")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert re.search(r'policyqa_http_requests_total\{method="POST",route="/api/ask",status="200"\} [1-9]', text)
    assert 'route="/api/documents/{doc_id}",status="404"' in text  # templates, not raw paths
    assert "no-such-doc" not in text
    assert re.search(r'policyqa_http_request_duration_seconds_bucket\{le="0.5",method="POST",route="/api/ask"\}', text)
    assert re.search(r'policyqa_refusals_total\{channel="web"\} [1-9]', text)
    assert re.search(r"^policyqa_index_documents [1-9]", text, re.M)
    assert re.search(r"^policyqa_index_chunks [1-9]", text, re.M)


# -- ask ----------------------------------------------------------------------------------------


def test_ask_answers_with_citations(client):
    r = client.post("/api/ask", json={"question": CITIZEN_QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == CITIZEN_QUESTION
    assert body["refused"] is False and body["citations"]
    uuid.UUID(body["session_id"])  # a fresh id
    for key in ("answer", "confidence", "related", "notes"):
        assert key in body
    c = body["citations"][0]
    assert set(c) >= {"doc", "doc_id", "section", "clause", "label", "title", "quote", "start", "end", "page"}
    assert c["reference"].startswith("《") and c["url"] == f"/api/documents/{c['doc_id']}/clauses/{c['clause']}"
    assert "[1]" in body["answer"]


def test_citation_links_to_clause_with_quote_offsets(client):
    body = client.post("/api/ask", json={"question": "保障性租赁住房和住房公积金有什么安排"}).json()
    assert body["citations"]
    for c in body["citations"]:
        clause = client.get(c["url"]).json()
        assert clause["text"][c["start"] : c["end"]] == c["quote"]
        assert clause["number"] == c["clause"] and clause["doc"] == c["doc"]


def test_ask_refuses_out_of_scope_and_logs_gap(client, admin):
    body = client.post("/api/ask", json={"question": OUT_OF_SCOPE}).json()
    assert body["refused"] is True
    assert "12345" in body["answer"]  # the contact line
    gaps = client.get("/api/admin/gaps", headers=admin).json()["gaps"]
    gap = next(g for g in gaps if g["question"] == OUT_OF_SCOPE)
    assert "refused" in gap["reasons"] and gap["sources"] == ["web"] and gap["count"] >= 1


def test_session_follow_up_uses_conversation(client, app):
    first = client.post("/api/ask", json={"question": "老旧小区改造今年有什么安排"}).json()
    sid = first["session_id"]
    second = client.post("/api/ask", json={"question": "那加装电梯呢", "session_id": sid}).json()
    assert second["session_id"] == sid
    history = app.state.service.conversations.history(sid)
    assert [t.question for t in history] == ["老旧小区改造今年有什么安排", "那加装电梯呢"]
    other = client.post("/api/ask", json={"question": "那加装电梯呢"}).json()
    assert other["session_id"] != sid


def test_ask_top_k(client):
    r = client.post("/api/ask", json={"question": CITIZEN_QUESTION, "top_k": 2})
    assert r.status_code == 200
    assert_error(client.post("/api/ask", json={"question": CITIZEN_QUESTION, "top_k": 0}), 422, "validation_error")


@pytest.mark.parametrize("question", ["", "   ", "\n\t　"])
def test_ask_empty_question_422_chinese(client, question):
    error = assert_error(client.post("/api/ask", json={"question": question}), 422, "invalid_question")
    assert has_chinese(error["message"])


def test_ask_over_long_question_422(client, api_settings):
    limit = api_settings.max_question_chars
    error = assert_error(client.post("/api/ask", json={"question": "房" * (limit + 1)}), 422, "invalid_question")
    assert has_chinese(error["message"]) and str(limit) in error["message"]
    assert client.post("/api/ask", json={"question": "租房" * (limit // 2)}).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [{}, {"question": 5}, {"question": "租房", "session_id": "../etc"}, {"question": "租房", "extra": 1}],
)
def test_ask_validation_errors(client, payload):
    error = assert_error(client.post("/api/ask", json=payload), 422, "validation_error")
    assert has_chinese(error["message"]) and error["details"]


def test_ask_malformed_json(client):
    r = client.post("/api/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    assert has_chinese(assert_error(r, 400, "invalid_json")["message"])


def test_ask_body_too_large_413(client):
    r = client.post("/api/ask", content=b"{" + b" " * 400_000 + b"}", headers={"Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")


# -- ask/stream ---------------------------------------------------------------------------------


def parse_sse(text: str) -> list[tuple[str, object]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_ask_stream_tokens_citations_done(client):
    sid = uuid.uuid4().hex
    with client.stream("POST", "/api/ask/stream", json={"question": CITIZEN_QUESTION, "session_id": sid}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        text = r.read().decode("utf-8")
    events = parse_sse(text)
    kinds = [k for k, _ in events]
    assert kinds[-2:] == ["citations", "done"] and set(kinds[:-2]) == {"token"} and len(kinds) > 3
    done = events[-1][1]
    assert "".join(d["text"] for k, d in events if k == "token") == done["answer"]
    assert events[-2][1] == done["citations"] and done["citations"]
    assert done["session_id"] == sid and done["refused"] is False


def test_ask_stream_invalid_question_is_json_error(client):
    assert_error(client.post("/api/ask/stream", json={"question": " "}), 422, "invalid_question")


# -- search -------------------------------------------------------------------------------------


def test_search_with_section_filter_and_highlights(client):
    r = client.get("/api/search", params={"q": "装配式建筑", "section": "四、实施乡村建设行动", "limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "装配式建筑" and body["results"]
    for res in body["results"]:
        assert res["section"] == "四、实施乡村建设行动"
        assert set(res) >= {"doc", "doc_id", "section", "clause", "label", "title", "text", "score", "highlights"}
        for h in res["highlights"]:
            assert res["text"][h["start"] : h["end"]] in ("装配式建筑", h["term"]) or h["term"] in "装配式建筑"
    unfiltered = client.get("/api/search", params={"q": "装配式建筑"}).json()["results"]
    assert {r["section"] for r in unfiltered} - {"四、实施乡村建设行动"}


def test_search_doc_filter(client, work_plan):
    results = client.get("/api/search", params={"q": "公积金", "doc": work_plan["doc_id"]}).json()["results"]
    assert results and {r["doc_id"] for r in results} == {work_plan["doc_id"]}


def test_search_for_an_unknown_document_is_404(client):
    error = assert_error(client.get("/api/search", params={"q": "住房", "doc": "没有这个文件"}), 404, "document_not_found")
    assert "没有这个文件" in error["message"]


@pytest.mark.parametrize("body", [{"data": {"question": "公租房怎么申请"}}, {"content": "公租房怎么申请",
                                   "headers": {"content-type": "text/plain"}}])
def test_a_body_that_is_not_json_names_the_content_type(client, body):
    error = assert_error(client.post("/api/ask", **body), 415, "unsupported_media_type")
    assert "Content-Type: application/json" in error["message"]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "住房", "limit": 0}, {"q": "住房", "limit": 51}])
def test_search_validation(client, params):
    assert_error(client.get("/api/search", params=params), 422, "validation_error")


# -- documents and clauses ----------------------------------------------------------------------


def test_documents_list(client, work_plan):
    assert work_plan["clauses"] == 19
    assert work_plan["sections"][0] == "一、全面加强党的建设" and len(work_plan["sections"]) == 6
    assert re.fullmatch(r"[0-9a-f]{64}", work_plan["sha256"])


def test_document_detail_lists_clauses(client, work_plan):
    body = client.get(f"/api/documents/{work_plan['doc_id']}").json()
    numbers = [c["number"] for c in body["clause_list"]]
    assert numbers == list(range(19))
    five = body["clause_list"][5]
    assert five["label"] == "5." and five["title"] == "完善住房保障体系" and five["section"] == "二、提升住房工作水平"


def test_clause_full_text_with_sentences(client, work_plan):
    body = client.get(f"/api/documents/{work_plan['doc_id']}/clauses/5").json()
    assert body["number"] == 5 and body["title"] == "完善住房保障体系"
    assert body["reference"] == "《2022年全区住房城乡建设工作要点》第5条「完善住房保障体系」"
    assert body["sentences"]
    for s in body["sentences"]:
        assert body["text"][s["start"] : s["end"]] == s["text"]
    assert "关于加快发展保障性租赁住房的实施意见" in body["references"]


def test_opening_paragraph_is_clause_zero(client, work_plan):
    body = client.get(f"/api/documents/{work_plan['doc_id']}/clauses/0").json()
    assert body["number"] == 0 and body["text"].startswith("2022年全区住房城乡建设工作的总体要求")


def test_unknown_document_and_clause_404(client, work_plan):
    assert_error(client.get("/api/documents/nope"), 404, "document_not_found")
    assert_error(client.get("/api/documents/nope/clauses/1"), 404, "document_not_found")
    assert_error(client.get(f"/api/documents/{work_plan['doc_id']}/clauses/99"), 404, "clause_not_found")
    assert_error(client.get(f"/api/documents/{work_plan['doc_id']}/clauses/abc"), 422, "validation_error")


def test_index_status(client):
    body = client.get("/api/index/status").json()
    assert body["state"] == "idle" and body["ready"] is True and body["documents"] >= 1


# -- feedback and gaps --------------------------------------------------------------------------


def test_feedback_helpful_and_unhelpful(client, admin):
    sid = uuid.uuid4().hex
    r = client.post("/api/feedback", json={"session_id": sid, "question": "物业费怎么收", "helpful": True})
    assert r.status_code == 201 and r.json() == {"recorded": True, "gap": False}
    r = client.post("/api/feedback", json={"session_id": sid, "question": "暖气不热找谁", "helpful": False,
                                           "comment": "没有说具体电话"})
    assert r.status_code == 201 and r.json()["gap"] is True
    gaps = client.get("/api/admin/gaps", headers=admin).json()["gaps"]
    assert any(g["question"] == "暖气不热找谁" and g["reasons"] == ["unhelpful"] for g in gaps)
    assert not any(g["question"] == "物业费怎么收" for g in gaps)


@pytest.mark.parametrize(
    "payload",
    [{"session_id": "abc", "question": "x"}, {"session_id": "a b", "question": "x", "helpful": True},
     {"session_id": "abc", "question": "", "helpful": True}],
)
def test_feedback_validation(client, payload):
    assert_error(client.post("/api/feedback", json=payload), 422, "validation_error")


def test_gaps_limit(client, admin):
    assert len(client.get("/api/admin/gaps", params={"limit": 1}, headers=admin).json()["gaps"]) <= 1
    assert_error(client.get("/api/admin/gaps", params={"limit": 0}, headers=admin), 422, "validation_error")


# -- admin auth ---------------------------------------------------------------------------------

ADMIN_CALLS = [
    ("GET", "/api/admin/gaps", {}),
    ("DELETE", "/api/documents/some-doc", {}),
    ("POST", "/api/documents", {"files": {"file": ("a.txt", "1.测试。内容。".encode())}}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), ADMIN_CALLS)
def test_admin_missing_key_401(client, method, path, kwargs):
    r = client.request(method, path, **kwargs)
    assert_error(r, 401, "missing_api_key")
    assert r.headers["www-authenticate"] == "APIKey"


@pytest.mark.parametrize(("method", "path", "kwargs"), ADMIN_CALLS)
def test_admin_wrong_key_403(client, method, path, kwargs):
    assert_error(client.request(method, path, headers={"X-API-Key": ADMIN_KEY + "x"}, **kwargs), 403,
                 "invalid_api_key")


@pytest.mark.parametrize(("method", "path", "kwargs"), ADMIN_CALLS)
def test_admin_disabled_without_configured_key(settings, engine, tmp_path_factory, method, path, kwargs):
    no_key = settings.model_copy(update={"admin_key": "", "data_dir": tmp_path_factory.mktemp("nokey")})
    with TestClient(create_app(IndexManager(no_key, engine), no_key)) as c:
        for headers in ({}, {"X-API-Key": ""}, {"X-API-Key": "anything"}):
            error = assert_error(c.request(method, path, headers=headers, **kwargs), 403, "admin_disabled")
            assert "POLICYQA_ADMIN_KEY" in error["message"]


def test_admin_delete_unknown_document_404(client, admin):
    assert_error(client.delete("/api/documents/no-such-doc", headers=admin), 404, "document_not_found")


# -- routing errors, unexpected errors, CORS ----------------------------------------------------


def test_unknown_route_404_and_wrong_method_405(client):
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.get("/api/ask"), 405, "method_not_allowed")
    assert_error(client.put("/api/documents"), 405, "method_not_allowed")


class ExplodingEngine:
    """An engine whose every call fails unexpectedly (a bug, not a policyqa error)."""

    def stats(self) -> dict[str, object]:
        return {"documents": 0, "chunks": 0}

    def documents(self) -> list[DocumentInfo]:
        raise RuntimeError("secret internal detail /srv/index")

    def ask(self, *args, **kwargs):
        raise RuntimeError("secret internal detail /srv/index")


def test_unexpected_error_500_generic(api_settings, caplog):
    app = create_app(IndexManager(api_settings, ExplodingEngine()), api_settings)  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as c:
        for r in (c.get("/api/documents"), c.post("/api/ask", json={"question": "租房"})):
            error = assert_error(r, 500, "internal_error")
            assert "secret" not in r.text and "Traceback" not in r.text
            assert has_chinese(error["message"])
    assert "secret internal detail" in caplog.text  # logged for the operators


def test_cors_allowed_origin(client):
    r = client.options("/api/ask", headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    r = client.post("/api/ask", json={"question": CITIZEN_QUESTION}, headers={"Origin": ALLOWED_ORIGIN})
    assert r.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_cors_other_origin_refused(client):
    r = client.options("/api/ask", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in r.headers
    r = client.get("/api/documents", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_no_cors_headers_when_unconfigured(settings, engine, tmp_path_factory):
    plain = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("nocors")})
    with TestClient(create_app(IndexManager(plain, engine), plain)) as c:
        r = c.get("/api/documents", headers={"Origin": ALLOWED_ORIGIN})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


# -- uploads and deletes (on a private corpus copy) ---------------------------------------------

NEW_DOC = """关于推进既有住宅加装电梯工作的通知
一、工作目标
1.加快既有住宅加装电梯。鼓励既有多层住宅加装电梯，每部电梯财政补贴二十万元，由街道办事处受理申请。
2.简化审批流程。加装电梯实行并联审批，住建部门在十个工作日内办结。
"""


@pytest.fixture(scope="module")
def upload_env(settings, engine, tmp_path_factory):
    """An app over a private corpus/index copy, so uploads and deletes do not touch other tests."""
    base = tmp_path_factory.mktemp("uploads")
    own = private_settings(settings, base, admin_key=ADMIN_KEY, max_upload_bytes=200_000)
    manager = IndexManager(own)
    with TestClient(create_app(manager, own), raise_server_exceptions=False) as c:
        yield c, manager, own
    manager.close()


def corpus_listing(settings: Settings) -> list[tuple[str, int]]:
    return sorted((p.name, p.stat().st_size) for p in Path(settings.corpus_dir).iterdir())


def wait_idle(client, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get("/api/index/status").json()
        if status["state"] != "building":
            return status
        time.sleep(0.05)
    raise AssertionError("index rebuild did not finish")


def test_upload_rebuilds_and_new_document_answers_then_delete(upload_env, admin):
    c, manager, own = upload_env
    old_engine = manager.engine
    before = c.get("/api/documents").json()["documents"]
    r = c.post("/api/documents", headers=admin,
               files={"file": ("加装电梯通知.txt", NEW_DOC.encode("utf-8"), "text/plain")})
    assert r.status_code == 202, r.text
    change = r.json()
    assert change["operation"] == "add" and change["filename"] == "加装电梯通知.txt"
    assert change["status"]["state"] == "building"
    # the old index keeps answering while the new one builds
    assert c.post("/api/ask", json={"question": CITIZEN_QUESTION}).status_code == 200
    status = wait_idle(c)
    assert status["state"] == "idle" and status["documents"] == len(before) + 1, status
    assert status["stage"] == "done" and status["done"] == status["total"] == 1, status  # not the last stage's 0/1
    assert manager.engine is not old_engine
    assert (Path(own.corpus_dir) / "加装电梯通知.txt").read_bytes() == NEW_DOC.encode("utf-8")

    answer = c.post("/api/ask", json={"question": "加装电梯有补贴吗"}).json()
    assert answer["refused"] is False
    assert answer["citations"][0]["doc_id"] == change["doc_id"]
    assert "二十万元" in answer["answer"]
    assert c.get(f"/api/documents/{change['doc_id']}").json()["clauses"] >= 2

    # same content again (under another name) → 409, nothing written
    listing = corpus_listing(own)
    dup = c.post("/api/documents", headers=admin, files={"file": ("copy.txt", NEW_DOC.encode("utf-8"))})
    assert_error(dup, 409, "duplicate_document")
    assert corpus_listing(own) == listing

    r = c.delete(f"/api/documents/{change['doc_id']}", headers=admin)
    assert r.status_code == 202 and r.json()["operation"] == "remove"
    assert wait_idle(c)["documents"] == len(before)
    assert_error(c.get(f"/api/documents/{change['doc_id']}"), 404, "document_not_found")
    assert not (Path(own.corpus_dir) / "加装电梯通知.txt").exists()


def test_upload_duplicate_of_corpus_file_409(upload_env, admin):
    c, _, own = upload_env
    original = next(Path(own.corpus_dir).glob("*.txt"))
    listing = corpus_listing(own)
    r = c.post("/api/documents", headers=admin, files={"file": ("renamed.txt", original.read_bytes())})
    error = assert_error(r, 409, "duplicate_document")
    assert has_chinese(error["message"])
    assert corpus_listing(own) == listing


def test_upload_corrupt_pdf_400_with_reason_nothing_changed(upload_env, admin):
    c, manager, own = upload_env
    listing = corpus_listing(own)
    engine_before = manager.engine
    r = c.post("/api/documents", headers=admin,
               files={"file": ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage", "application/pdf")})
    error = assert_error(r, 400, "document_parse_error")
    assert has_chinese(error["message"]) or "PDF" in error["message"].upper()
    assert corpus_listing(own) == listing
    assert manager.engine is engine_before and c.get("/api/index/status").json()["state"] != "building"


def test_upload_unsupported_type_415(upload_env, admin):
    c, _, own = upload_env
    listing = corpus_listing(own)
    error = assert_error(c.post("/api/documents", headers=admin, files={"file": ("tool.exe", b"MZ\x90\x00")}),
                         415, "unsupported_document_type")
    assert ".exe" in error["message"]
    assert corpus_listing(own) == listing


def test_upload_too_large_413(upload_env, admin):
    c, _, own = upload_env
    listing = corpus_listing(own)
    big = ("1.超大文件。" + "内容" * 36_000).encode("utf-8")  # > 200 kB limit, < limit + overhead
    assert_error(c.post("/api/documents", headers=admin, files={"file": ("big.txt", big)}), 413,
                 "document_too_large")
    huge = b"x" * (own.max_upload_bytes + 200_000)  # past limit + multipart allowance: refused unread
    assert_error(c.post("/api/documents", headers=admin, files={"file": ("huge.txt", huge)}), 413)
    assert corpus_listing(own) == listing


def test_upload_empty_and_missing_file(upload_env, admin):
    c, _, own = upload_env
    assert_error(c.post("/api/documents", headers=admin, files={"file": ("empty.txt", b"")}), 400)
    assert_error(c.post("/api/documents", headers=admin, data={"nofile": "x"}), 422, "validation_error")


def test_upload_path_traversal_name_is_flattened(upload_env, admin, tmp_path):
    c, _, own = upload_env
    text = "关于物业服务的说明\n1.规范物业服务。街道社区指导业主委员会依法履职。\n"
    r = c.post("/api/documents", headers=admin, files={"file": ("../../escape.txt", text.encode())})
    assert r.status_code == 202, r.text
    assert r.json()["filename"] == "escape.txt"
    wait_idle(c)
    assert (Path(own.corpus_dir) / "escape.txt").exists()
    assert not (Path(own.corpus_dir).parent.parent / "escape.txt").exists()
    c.delete(f"/api/documents/{r.json()['doc_id']}", headers=admin)
    wait_idle(c)


# -- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_documents_every_endpoint(client):
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) >= {
        "/api/ask", "/api/ask/stream", "/api/search", "/api/documents", "/api/documents/{doc_id}",
        "/api/documents/{doc_id}/clauses/{number}", "/api/index/status", "/api/feedback", "/api/admin/gaps",
        "/healthz", "/readyz", "/metrics",
    }
    assert "AdminKey" in spec["components"]["securitySchemes"]


def test_committed_openapi_file_is_current():
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, str(root / "scripts" / "export_openapi.py"), "--check"],
                            cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_service_core_modules_do_not_import_fastapi():
    code = "import sys, policyqa.manager, policyqa.feedback; assert 'fastapi' not in sys.modules, 'fastapi imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_failed_rebuild_keeps_old_index_and_hides_detail_from_public(settings, engine, tmp_path, admin):
    own = private_settings(settings, tmp_path, admin_key=ADMIN_KEY)

    def failing_build(_settings, progress=None):
        raise RuntimeError("disk full at /srv/secret/index")

    manager = IndexManager(own, engine, builder=failing_build)
    listing = corpus_listing(own)
    with TestClient(create_app(manager, own), raise_server_exceptions=False) as c:
        r = c.post("/api/documents", headers=admin, files={"file": ("new.txt", NEW_DOC.encode("utf-8"))})
        assert r.status_code == 202
        manager.wait(30)
        public = c.get("/api/index/status").json()
        assert public["state"] == "failed" and "secret" not in public["message"]
        detailed = c.get("/api/index/status", headers=admin).json()
        assert "disk full" in detailed["message"]
        assert c.post("/api/ask", json={"question": CITIZEN_QUESTION}).status_code == 200
        assert c.get("/readyz").status_code == 200
    assert corpus_listing(own) == listing and manager.engine is engine


def test_upload_with_metadata_fields_and_feedback_list(tmp_path, settings, engine, admin):
    """Metadata typed by staff at upload time reaches the indexed document (via the corpus sidecar)."""
    import shutil
    import time

    from fastapi.testclient import TestClient

    from policyqa.manager import IndexManager
    from policyqa.service import create_app

    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    own = settings.model_copy(update={"corpus_dir": corpus, "index_dir": tmp_path / "index",
                                      "data_dir": tmp_path / "data", "admin_key": admin["X-API-Key"]})
    with TestClient(create_app(IndexManager(own, engine), own)) as client:
        text = "第一条　为了规范测试，制定本办法。\n第二条　本办法自发布之日起施行。\n"
        r = client.post("/api/documents", headers=admin, files={"file": ("测试办法.txt", text.encode())},
                        data={"title": "某市测试管理办法", "level": "规范性文件", "issuer": "某市人民政府",
                              "number": "某政发〔2026〕1号", "effective": "2026-01-01"})
        assert r.status_code == 202, r.text
        for _ in range(300):
            if client.get("/api/index/status").json()["state"] != "building":
                break
            time.sleep(0.1)
        docs = {d["title"]: d for d in client.get("/api/documents").json()["documents"]}
        doc = docs["某市测试管理办法"]
        assert (doc["level"], doc["issuer"], doc["number"], doc["effective"]) == (
            "规范性文件", "某市人民政府", "某政发〔2026〕1号", "2026-01-01")

        bad = client.post("/api/documents", headers=admin, files={"file": ("x.txt", b"abc")}, data={"level": "xx"})
        assert bad.status_code == 422

        client.post("/api/feedback", json={"session_id": "s1", "question": "问", "helpful": False, "comment": "没说清楚"})
        listed = client.get("/api/admin/feedback", headers=admin).json()
        assert listed["feedback"][0]["comment"] == "没说清楚" and listed["counts"]["feedback"] >= 1
        assert client.get("/api/admin/feedback").status_code == 401
