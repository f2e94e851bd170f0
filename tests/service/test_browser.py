"""The pages in a real browser: headless Debian Chromium (Playwright) against `policyqa serve`.

Screenshots go to ``test-artifacts/`` (gitignored).  Skipped, with the reason, when Chromium or
Playwright is missing (CI installs both: ``apt-get install chromium fonts-wqy-zenhei``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from svc_helpers import ADMIN_KEY, free_port, live_policyqa

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

if not CHROMIUM.exists():
    pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install chromium fonts-wqy-zenhei)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) not installed")


@pytest.fixture(scope="module")
def widget_host() -> Iterator[dict[str, str]]:
    """Another origin (a different local port) serving a page that embeds the widget."""
    state: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = (
                '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>某市住房和城乡建设局</title>'
                "</head><body><h1>某市住房和城乡建设局门户网站</h1><p>这是嵌入了问答小部件的测试页面。</p>"
                f'<script src="{state["service"]}/widget.js" async></script></body></html>'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["origin"] = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def live_server(settings, engine, widget_host, tmp_path_factory) -> Iterator[str]:
    """`python -m policyqa serve` on a free port over a copy of the corpus and the prebuilt index."""
    with live_policyqa(settings, tmp_path_factory.mktemp("live"), POLICYQA_ADMIN_KEY=ADMIN_KEY,
                       POLICYQA_CORS_ORIGINS=json.dumps([widget_host["origin"]])) as url:
        widget_host["service"] = url
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 412, "height": 860}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(20_000)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_citizen_asks_sees_citation_and_highlighted_quote(page, live_server):
    page.goto(live_server + "/")
    page.get_by_label("请输入您的问题").fill("刚来城里工作租不起房怎么办")
    page.get_by_role("button", name="提问").click()
    card = page.locator(".answer-card").first
    card.wait_for()
    assert card.get_attribute("data-refused") == "false"
    citation = card.locator(".citation-link").first
    reference = citation.inner_text()
    assert reference.startswith("《2022年全区住房城乡建设工作要点》第") and "条「" in reference
    assert card.locator(".cite-marker").count() >= 1
    shot(page, "chat-answer")

    citation.click()
    dialog = page.locator("#clause-dialog")
    mark = dialog.locator("mark").first
    mark.wait_for()
    quote = card.locator(".citation-quote").first.inner_text().strip("「」")
    assert mark.inner_text() == quote
    assert page.locator("#clause-title").inner_text() == reference
    shot(page, "chat-clause-highlight")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()

    # feedback buttons
    card.get_by_role("button", name="没用").click()
    page.get_by_text("感谢反馈").wait_for()


def test_follow_up_keeps_session(page, live_server):
    page.goto(live_server + "/")
    page.locator(".chip", has_text="公积金异地能办吗").click()
    page.locator(".answer-card").first.wait_for()
    first = page.evaluate("sessionStorage.getItem('policyqa.session')")
    page.get_by_label("请输入您的问题").fill("那提取呢")
    page.keyboard.press("Enter")
    page.locator(".answer-card").nth(1).wait_for()
    assert page.evaluate("sessionStorage.getItem('policyqa.session')") == first
    assert page.locator(".turn").count() == 2


def test_out_of_scope_question_is_refused(page, live_server):
    page.goto(live_server + "/")
    page.get_by_label("请输入您的问题").fill("今天天气怎么样")
    page.get_by_role("button", name="提问").click()
    card = page.locator(".answer-card.refused")
    card.wait_for()
    assert card.locator("h3").inner_text() == "未找到相关政策"
    assert "12345" in card.inner_text()
    shot(page, "chat-refused")


def test_empty_question_shows_message(page, live_server):
    page.goto(live_server + "/")
    page.get_by_role("button", name="提问").click()
    assert page.locator("#form-error").inner_text() == "请先输入您的问题。"


def test_staff_search_with_section_filter_highlights_terms(page, live_server):
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(live_server + "/staff")
    section = page.get_by_label("部分")
    # locator waits, not wait_for_function: a string predicate is eval'd in the page, which the
    # pages' CSP (script-src 'self') forbids whenever the first check is not already true
    page.locator("#section option").nth(1).wait_for(state="attached")
    section.select_option("四、实施乡村建设行动")
    page.get_by_label("关键词").fill("装配式建筑")
    page.get_by_role("button", name="检索").click()
    results = page.locator(".result")
    results.first.wait_for()
    assert results.count() >= 1
    for i in range(results.count()):
        assert "四、实施乡村建设行动" in results.nth(i).locator(".meta").inner_text()
    marks = page.locator(".result mark")
    assert marks.count() >= 1
    assert {m for m in marks.all_inner_texts()} & {"装配式", "建筑", "装配式建筑"}
    shot(page, "staff-search")

    # permalink opens the clause
    href = results.first.locator("a.permalink").get_attribute("href")
    page.goto(live_server + href)
    page.locator("#clause-dialog[open] #clause-body").wait_for()
    page.locator("#clause-title", has_text="第").wait_for()
    shot(page, "staff-permalink")


def test_staff_copy_citation(browser, live_server):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(live_server + "/staff?q=公积金")
        page.locator(".result").first.wait_for()
        page.locator(".copy-citation").first.click()
        page.get_by_text("已复制").first.wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("《2022年全区住房城乡建设工作要点》第") and "」：" in copied
    finally:
        context.close()


def test_widget_on_another_origin_opens_chat(page, live_server, widget_host):
    page.goto(widget_host["origin"] + "/")
    button = page.locator("#policyqa-widget-button")
    button.wait_for()
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    frame = page.frame_locator("#policyqa-widget-panel iframe")
    frame.get_by_label("请输入您的问题").fill("小区物业不规范谁来管")
    frame.get_by_role("button", name="提问").click()
    frame.locator(".answer-card").first.wait_for()
    shot(page, "widget-open")
    page.get_by_role("button", name="关闭政策问答").click()
    assert button.get_attribute("aria-expanded") == "false"
