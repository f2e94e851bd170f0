"""Issue 11 (HTTP side): bounded metrics, rate limits, the failed-auth throttle, no personal data in
the access log, and the small ones (file names, Host header, public status, error codes, HEAD, 405)."""

from __future__ import annotations

import json
import logging
import random
import re
import string

import pytest
from fastapi.testclient import TestClient
from svc_helpers import ADMIN_KEY

from policyqa.config import Settings
from policyqa.errors import ConfigError
from policyqa.manager import IndexManager
from policyqa.rebuild import IndexStatus
from policyqa.service import create_app
from policyqa.service.access_log import AccessLogRedactor, redact_path
from policyqa.wechat import follower_hash
from test_api import assert_error, has_chinese


def series(client: TestClient) -> list[str]:
    text = client.get("/metrics").text
    return [line.split(" ")[0] for line in text.splitlines() if line.startswith("policyqa_http_")]


# -- 3: bounded metrics ---------------------------------------------------------------------------


def test_random_methods_and_paths_do_not_grow_metrics(client):
    rng = random.Random(11)
    paths = ["/api/ask", "/healthz", "/no/such/path/{i}", "/api/documents/{i}"]
    for path in paths:  # one invented method per kind of path, and a scrape, before counting
        client.request("M0", path.format(i=0))
    series(client)
    before = series(client)
    for i in range(1000):
        method = "".join(rng.choices(string.ascii_uppercase + string.digits, k=rng.randint(1, 12)))
        client.request(method, rng.choice(paths).format(i=i))
    after = series(client)
    assert len(after) == len(before), sorted(set(after) - set(before))[:10]
    text = client.get("/metrics").text
    assert 'method="other"' in text and 'route="unmatched"' in text
    assert "M0" not in text and "/no/such/path" not in text


# -- 6: rate limits and the failed-auth throttle ---------------------------------------------------


@pytest.fixture
def limited(settings, engine, tmp_path):
    own = settings.model_copy(update={
        "admin_key": ADMIN_KEY, "data_dir": tmp_path, "rate_limit_ask_per_minute": 3,
        "rate_limit_feedback_per_minute": 2, "rate_limit_search_per_minute": 2, "admin_auth_max_failures": 3,
    })
    with TestClient(create_app(IndexManager(own, engine), own), raise_server_exceptions=False) as c:
        yield c


def assert_limited(response) -> None:
    error = assert_error(response, 429)
    assert has_chinese(error["message"])
    assert int(response.headers["retry-after"]) >= 1


def test_ask_rate_limit_per_client_429_retry_after(limited):
    for _ in range(2):
        assert limited.post("/api/ask", json={"question": "租房"}).status_code == 200
    assert limited.post("/api/ask/stream", json={"question": "租房"}).status_code == 200  # one budget for both
    for path in ("/api/ask", "/api/ask/stream"):
        response = limited.post(path, json={"question": "租房"})
        assert_limited(response)
        assert response.json()["error"]["code"] == "rate_limited"
    with TestClient(limited.app, client=("10.0.0.2", 5000)) as other:  # another client is not limited
        assert other.post("/api/ask", json={"question": "租房"}).status_code == 200


def test_feedback_and_search_rate_limits(limited):
    vote = {"session_id": "abc", "question": "暖气不热找谁", "helpful": False}
    assert [limited.post("/api/feedback", json=vote).status_code for _ in range(2)] == [201, 201]
    assert_limited(limited.post("/api/feedback", json=vote))
    assert [limited.get("/api/search", params={"q": "住房"}).status_code for _ in range(2)] == [200, 200]
    assert_limited(limited.get("/api/search", params={"q": "住房"}))


def test_failed_admin_auth_is_throttled_even_for_the_right_key(limited):
    wrong = {"X-API-Key": "x" * 20}
    for _ in range(3):
        assert_error(limited.get("/api/admin/gaps", headers=wrong), 403, "invalid_api_key")
    response = limited.get("/api/admin/gaps", headers=wrong)
    assert_limited(response)
    assert response.json()["error"]["code"] == "too_many_auth_failures"
    assert limited.get("/api/admin/gaps", headers={"X-API-Key": ADMIN_KEY}).status_code == 429  # no oracle
    assert limited.get("/api/index/status", headers=wrong).status_code == 429
    assert limited.get("/api/index/status").status_code == 200  # without a key: public view
    with TestClient(limited.app, client=("10.0.0.3", 5000)) as other:
        assert other.get("/api/admin/gaps", headers={"X-API-Key": ADMIN_KEY}).status_code == 200


def test_wrong_key_on_public_status_counts_as_a_guess(limited):
    for _ in range(3):
        assert limited.get("/readyz", headers={"X-API-Key": "guess-guess-guess"}).status_code == 200
    assert limited.get("/api/admin/gaps", headers={"X-API-Key": ADMIN_KEY}).status_code == 429


@pytest.mark.parametrize(("key", "allow", "ok"), [
    ("", False, True), ("short-key", False, False), ("short-key", True, True), ("x" * 16, False, True),
])
def test_admin_key_length_checked_at_start(key, allow, ok):
    settings = Settings(admin_key=key, allow_short_admin_key=allow)
    if ok:
        settings.check_admin_key()
    else:
        with pytest.raises(ConfigError, match="16"):
            settings.check_admin_key()


def test_serve_refuses_short_admin_key_without_dev_flag(monkeypatch, capsys):
    from policyqa import cli

    started = []
    monkeypatch.setattr("policyqa.service.run", lambda *a, **k: started.append(a))
    monkeypatch.setenv("POLICYQA_ADMIN_KEY", "short")
    assert cli.main(["serve"]) == 1
    assert "16" in capsys.readouterr().err and not started
    assert cli.main(["serve", "--dev"]) == 0 and started


# -- 5: no personal data in the access log -------------------------------------------------------


def test_access_log_drops_query_strings_and_hashes_the_follower():
    wechat = "/wechat?signature=abc&timestamp=1&nonce=2&openid=oUser_secret&encrypt_type=aes&msg_signature=d"
    assert redact_path(wechat) == f"/wechat?follower={follower_hash('oUser_secret')}"
    assert redact_path("/wechat?signature=abc&echostr=1") == "/wechat"
    assert redact_path("/api/search?q=%E6%88%91%E7%9A%84%E7%97%85&limit=3") == "/api/search"
    assert redact_path("/api/documents?x=1") == "/api/documents?x=1"
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("1.2.3.4:5", "POST", wechat, "1.1", 200), None)
    assert AccessLogRedactor().filter(record)
    assert "oUser_secret" not in record.getMessage() and "signature" not in record.getMessage()


def test_app_installs_the_redactor_while_running(app):
    logger = logging.getLogger("uvicorn.access")
    with TestClient(app):
        assert any(isinstance(f, AccessLogRedactor) for f in logger.filters)
    assert not any(isinstance(f, AccessLogRedactor) for f in logger.filters)


# -- 8: the small ones ---------------------------------------------------------------------------


def test_upload_name_over_255_bytes_is_a_clear_400(client, admin):
    name = "政" * 90 + ".txt"  # 274 bytes, 94 characters
    response = client.post("/api/documents", headers=admin, files={"file": (name, "1.内容。".encode())})
    assert has_chinese(assert_error(response, 400, "filename_too_long")["message"])
    assert client.get("/healthz").status_code == 200


def test_multipart_part_without_filename(client, admin):
    response = client.post(
        "/api/documents", headers={**admin, "Content-Type": "multipart/form-data; boundary=b"},
        content=b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n--b--\r\n')
    error = assert_error(response, 422, "missing_file")
    assert has_chinese(error["message"]) and "UploadFile" not in response.text


def test_trailing_slash_redirect_does_not_reflect_host(client):
    response = client.get("/api/documents/?x=1", headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/api/documents?x=1"
    assert client.get("/api/documents/", follow_redirects=True).status_code == 200
    assert client.get("/api/nothing/", follow_redirects=False).status_code == 404


def test_public_status_hides_operation_file_and_message():
    from policyqa.service.schemas import status_out

    status = IndexStatus(state="failed", stage="embed", done=1, total=2, message="disk full at /srv/x",
                         started_at=None, finished_at=None, documents=1, chunks=2,
                         operation="remove 2022年住房工作要点.txt")
    public = status_out(status, detail=False)
    assert public.operation == "remove" and "2022" not in public.model_dump_json() and "/srv" not in public.message
    assert status_out(status).operation == "remove 2022年住房工作要点.txt"


def test_readyz_public_view(client, admin):
    assert client.get("/readyz").json()["index"]["operation"] in ("", "load", "add", "remove", "rebuild")


@pytest.mark.parametrize("body", [
    "租房".encode("gb18030"),  # not UTF-8
    b'{"question": "\xff\xfe"}',
    ("[" * 100_000 + "]" * 100_000).encode(),  # too deep for the JSON parser
    b"{not json",
])
def test_unparsable_json_bodies_400_invalid_json_in_chinese(client, body):
    response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    error = assert_error(response, 400, "invalid_json")
    assert has_chinese(error["message"]) and "parsing" not in response.text


@pytest.mark.parametrize("question", ["", "\u0000", " \u0000\u0001 ", "\u007f"])
def test_empty_and_control_questions_same_code(client, question):
    assert_error(client.post("/api/ask", json={"question": question}), 422, "invalid_question")


def test_head_root_and_healthz(client):
    for path in ("/", "/healthz", "/staff"):
        response = client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PUT", "/api/documents", {"GET", "POST"}),
    ("POST", "/api/documents/abc", {"GET", "DELETE"}),
    ("GET", "/api/ask", {"POST"}),
    ("DELETE", "/healthz", {"GET", "HEAD"}),
])
def test_405_allow_lists_every_method(client, method, path, allowed):
    response = client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert set(re.split(r",\s*", response.headers["allow"])) == allowed


def test_405_allow_matches_the_documented_methods_of_every_path(client):
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        documented = {m.upper() for m in operations}
        url = path.replace("{doc_id}", "some-doc").replace("{number}", "1")
        response = client.request("PATCH", url)
        assert response.status_code == 405, path
        assert set(re.split(r",\s*", response.headers["allow"])) - {"HEAD"} == documented, path


def test_feedback_helpful_must_be_boolean(client):
    for value in (0, 1, "true", "false", None):
        body = {"session_id": "abc", "question": "问题", "helpful": value}
        assert_error(client.post("/api/feedback", json=body), 422, "validation_error")


def test_openapi_matches_reality(client):
    spec = client.get("/openapi.json").json()
    status_op = spec["paths"]["/api/index/status"]["get"]
    assert {} in status_op["security"]  # public, the key is optional
    assert "admin" not in status_op["tags"]
    ask = spec["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert ask["minLength"] == 1
    helpful = spec["components"]["schemas"]["FeedbackRequest"]["properties"]["helpful"]
    assert helpful["type"] == "boolean"
    assert "429" in spec["paths"]["/api/ask"]["post"]["responses"]
    assert json.dumps(spec)  # serialisable
