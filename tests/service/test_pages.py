"""The web pages as served (in-process): markup, assets, headers.  Behaviour is in test_browser.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

EXAMPLE_QUESTIONS = ["刚来城里工作租不起房怎么办", "公积金异地能办吗", "小区物业不规范谁来管"]


class AssetParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.inline_scripts = 0
        self.style_attrs = 0
        self.labels: set[str] = set()
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if "style" in a:
            self.style_attrs += 1
        if tag == "script":
            if a.get("src"):
                self.assets.append(a["src"] or "")
            else:
                self._in_script = True
        if tag == "link" and a.get("rel") == "stylesheet":
            self.assets.append(a["href"] or "")
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def parse(html: str) -> AssetParser:
    p = AssetParser()
    p.feed(html)
    return p


@pytest.mark.parametrize("path", ["/", "/staff", "/?embed=1"])
def test_page_served_utf8_chinese_with_assets(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    html = r.text
    assert '<meta charset="utf-8">' in html and '<html lang="zh-CN">' in html
    assert re.search(r"<title>[^<]*[\u4e00-\u9fff]", html)
    page = parse(html)
    assert page.assets, "no scripts/styles referenced"
    for asset in page.assets:
        a = client.get(asset)
        assert a.status_code == 200, asset
    # strict CSP: no inline scripts or style attributes
    assert page.inline_scripts == 0 and page.style_attrs == 0
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors" in csp


def test_chat_page_has_examples_and_accessible_form(client):
    page = parse(client.get("/").text)
    chips = [a.get("data-question") for t, a in page.tags if t == "button" and "chip" in (a.get("class") or "")]
    for q in EXAMPLE_QUESTIONS:
        assert q in chips
    assert "question" in page.labels and "question" in page.ids  # the textarea has a label
    live = [a for t, a in page.tags if a.get("aria-live")]
    assert any(a.get("id") == "conversation" for a in live)
    assert "clause-dialog" in page.ids


def test_staff_page_has_labelled_filters(client):
    page = parse(client.get("/staff").text)
    assert {"q", "doc", "level", "status", "section"} <= page.labels
    assert {"q", "doc", "section", "results", "clause-dialog"} <= page.ids


def test_frame_ancestors_lists_configured_origins(client):
    from svc_helpers import ALLOWED_ORIGIN

    csp = client.get("/").headers["content-security-policy"]
    assert f"frame-ancestors 'self' {ALLOWED_ORIGIN}" in csp


def test_widget_script(client):
    r = client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "document.currentScript" in r.text and "/?embed=1" in r.text


def test_clause_permalink_redirects_to_staff_page(client):
    r = client.get("/clause/abc/5", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/staff#abc/5"


def test_static_missing_file_is_json_404(client):
    r = client.get("/static/js/nope.js")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_pages_not_in_openapi(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/staff" not in paths and "/widget.js" not in paths


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_served_offline_with_csp(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "connect-src 'self'" in csp
    assert "http://" not in r.text and "https://" not in r.text  # no CDN
    page = parse(r.text)
    assert page.inline_scripts == 0
    for asset in page.assets:
        a = client.get(asset)
        assert a.status_code == 200 and len(a.content) > 500, asset


def test_favicon(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    for path in ("/", "/staff", "/admin"):
        assert 'rel="icon" href="/favicon.ico"' in client.get(path).text


@pytest.mark.parametrize("path", ["/api/search?q=", "/api/search?q=x&limit=99", "/api/search?q=x&status=old"])
def test_validation_messages_are_chinese(client, path):
    r = client.get(path)
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert message.startswith("请求参数无效：字段 query.")
    assert not re.search(r"[A-Za-z]{4,} [a-z]{2,}", message.split("：", 1)[1]), message  # no English sentence


def test_admin_console_never_carries_the_key(client, api_settings):
    r = client.get("/admin")
    assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
    page = parse(r.text)
    assert {"admin-key", "file", "meta-title", "meta-level", "meta-issuer", "meta-number", "meta-effective"} <= page.labels
    assert {"docs-table", "gaps-table", "feedback-table", "confirm-dialog", "index-progress"} <= page.ids
    key = api_settings.admin_key.get_secret_value() if hasattr(api_settings.admin_key, "get_secret_value") else api_settings.admin_key
    for asset in ["/admin", *page.assets]:
        assert key not in client.get(asset).text


def test_greetings_and_thanks_are_not_refusals_or_gaps(client, admin):
    from policyqa.service.small_talk import is_small_talk

    assert is_small_talk("谢谢！") and is_small_talk("你好呀") and is_small_talk(" 再见 ")
    assert not is_small_talk("你好，公积金怎么提取") and not is_small_talk("谢谢你们的政策有哪些")

    def metric(name: str) -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith(name + '{channel="web"}'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = (metric("policyqa_refusals_total"), metric("policyqa_small_talk_total"))
    for text in ("你好", "谢谢"):
        assert client.post("/api/ask", json={"question": text}).status_code == 200
    assert (metric("policyqa_refusals_total"), metric("policyqa_small_talk_total")) == (before[0], before[1] + 2)
    gaps = [g["question"] for g in client.get("/api/admin/gaps", headers=admin).json()["gaps"]]
    assert "你好" not in gaps and "谢谢" not in gaps
