"""Several processes sharing Redis and one index folder (issue 13), against real servers:
a ``redis-server`` on a free loopback port and ``policyqa serve`` processes (hash embedder).

* two uvicorn workers (``--workers 2``): sessions and per-client limits hold across workers,
  and after an upload 20 consecutive ``/api/documents`` calls all list it;
* two separate ``policyqa serve`` processes — a writer and a reader — on different ports:
  follow-ups alternating between them keep their context, same-MsgId WeChat retries sent to
  both give one engine call, an upload on the writer is visible on the reader within
  :data:`VISIBLE_WITHIN` seconds (the measured time is printed), the reader refuses uploads;
* Redis killed mid-run: clear 503 ``state_unavailable`` errors, no crash, recovery after restart.

Marked ``load``: bounded (a few dozen requests, seconds), loopback only.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from svc_helpers import ADMIN_KEY, free_port, wait_ready

import policyqa
from servers import redis_server

pytestmark = pytest.mark.load

#: An upload on the writer must be answered by the reader within this many seconds (the
#: rebuild of the small test corpus with the hash embedder + one poll + the load).
VISIBLE_WITHIN = 60.0
TOKEN = "scaling-test-token"
ACCOUNT = "gh_scaling"
FIRST = "老旧小区改造今年有什么安排"
FOLLOW_UP = "那加装电梯呢"
UPLOAD = "关于加强电梯安全管理的通知（示例）\n第一条 住宅电梯应当每半年进行一次维护保养，费用由业主共同承担。\n".encode()
SRC = str(Path(policyqa.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def shared(settings, engine, tmp_path) -> Path:
    """A corpus and a published index both replicas point at."""
    shutil.copytree(settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    return tmp_path


class Replica:
    def __init__(self, url: str, proc: subprocess.Popen, log: Path) -> None:
        self.url, self.proc, self.log = url, proc, log

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def serve(base: Path, redis_url: str, name: str, *args: str, **env: str) -> Iterator[Replica]:
    port = free_port()
    environ = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH", "")) if p),
        "POLICYQA_EMBEDDER": "hash",
        "POLICYQA_CORPUS_DIR": str(base / "corpus"),
        "POLICYQA_INDEX_DIR": str(base / "index"),
        "POLICYQA_DATA_DIR": str(base / f"data-{name}"),
        "POLICYQA_REDIS_URL": redis_url,
        "POLICYQA_REDIS_PREFIX": f"{base.name}:",
        "POLICYQA_ADMIN_KEY": ADMIN_KEY,
        "POLICYQA_WECHAT_TOKEN": TOKEN,
        "POLICYQA_INDEX_POLL_SECONDS": "0.5",
        "POLICYQA_RATE_LIMIT_ASK_PER_MINUTE": "0",
        "POLICYQA_RATE_LIMIT_FEEDBACK_PER_MINUTE": "0",
        "POLICYQA_RATE_LIMIT_SEARCH_PER_MINUTE": "0",
        **env,
    }
    log = base / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "policyqa", "-v", "serve", "--port", str(port), *args],
                                cwd=base, env=environ, stdout=out, stderr=subprocess.STDOUT)
        replica = Replica(f"http://127.0.0.1:{port}", proc, log)
        try:
            wait_ready(replica.url, proc, timeout=120)
            yield replica
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def ask(url: str, question: str, session_id: str | None = None) -> httpx.Response:
    body = {"question": question, **({"session_id": session_id} if session_id else {})}
    return httpx.post(f"{url}/api/ask", json=body, timeout=30)


def signed_query() -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    signature = hashlib.sha1("".join(sorted((TOKEN, timestamp, nonce))).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def text_xml(content: str, msg_id: int, openid: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def assert_follow_ups_keep_context(first_urls: list[str], second_urls: list[str]) -> None:
    for first_url, second_url in zip(first_urls, second_urls, strict=True):
        first = ask(first_url, FIRST)
        assert first.status_code == 200, first.text
        second = ask(second_url, FOLLOW_UP, first.json()["session_id"])
        assert second.status_code == 200, second.text
        assert second.json()["resolved_question"].startswith(FIRST), second.json()["resolved_question"]


def test_two_uvicorn_workers_share_sessions_and_limits(shared, redis):
    with serve(shared, redis.url, "workers", "--workers", "2",
               POLICYQA_RATE_LIMIT_SEARCH_PER_MINUTE="10") as server:
        # 12 sessions: the kernel spreads the connections over both workers
        assert_follow_ups_keep_context([server.url] * 12, [server.url] * 12)
        codes = [httpx.get(f"{server.url}/api/search", params={"q": "物业"}, timeout=30).status_code
                 for _ in range(16)]
        assert codes.count(200) == 10 and codes.count(429) == 6
        pids = {line.split("[")[1].split("]")[0] for line in server.text().splitlines()
                if "Started server process" in line}
        assert len(pids) == 2
        # an upload rebuilds in the worker that got it; the other worker follows CURRENT
        accepted = httpx.post(f"{server.url}/api/documents", headers={"X-API-Key": ADMIN_KEY},
                              files={"file": ("电梯.txt", UPLOAD, "text/plain")}, timeout=30)
        assert accepted.status_code == 202, accepted.text
        doc_id, started, streak = accepted.json()["doc_id"], time.monotonic(), 0
        while streak < 20 and time.monotonic() - started < VISIBLE_WITHIN:
            listed = httpx.get(f"{server.url}/api/documents", timeout=10).json()["documents"]
            streak = streak + 1 if any(d["doc_id"] == doc_id for d in listed) else 0
        assert streak == 20, "the upload was not listed by 20 consecutive /api/documents calls"


def test_two_replicas_writer_and_reader(shared, redis):
    with serve(shared, redis.url, "writer") as writer, \
            serve(shared, redis.url, "reader", "--role", "reader") as reader:
        urls = [writer.url, reader.url] * 3
        assert_follow_ups_keep_context(urls, urls[::-1])  # both directions

        # WeChat retries of one message, sent to both replicas at once: one engine call, one reply
        for msg_id in (9001, 9002, 9003):
            xml = text_xml("老旧小区改造资金怎么筹集", msg_id, f"o-follower-{msg_id}")
            query = signed_query()  # WeChat's retry repeats the same signed query and body
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                replies = list(pool.map(
                    lambda url: httpx.post(f"{url}/wechat", params=query, content=xml, timeout=30),
                    [writer.url, reader.url, reader.url, writer.url]))
            assert {r.status_code for r in replies} == {200}
            assert len({r.text for r in replies}) == 1 and "<Content>" in replies[0].text
        logs = writer.text() + reader.text()
        assert logs.count("outcome=answered") + logs.count("outcome=refused") == 3  # one per message
        assert "outcome=duplicate" in logs

        # the reader refuses corpus changes; an upload on the writer reaches the reader
        refused = httpx.post(f"{reader.url}/api/documents", headers={"X-API-Key": ADMIN_KEY},
                             files={"file": ("电梯.txt", UPLOAD, "text/plain")}, timeout=30)
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "read_only_replica"
        assert "只读副本" in refused.json()["error"]["message"]
        started = time.monotonic()
        accepted = httpx.post(f"{writer.url}/api/documents", headers={"X-API-Key": ADMIN_KEY},
                              files={"file": ("电梯.txt", UPLOAD, "text/plain")}, timeout=30)
        assert accepted.status_code == 202, accepted.text
        doc_id = accepted.json()["doc_id"]
        visible = None
        while time.monotonic() - started < VISIBLE_WITHIN:
            listed = httpx.get(f"{reader.url}/api/documents", timeout=10).json()
            if any(d["doc_id"] == doc_id for d in listed["documents"]):
                visible = time.monotonic() - started
                break
            time.sleep(0.1)
        assert visible is not None, f"the upload was not visible on the reader within {VISIBLE_WITHIN} s"
        print(f"\nupload on the writer visible on the reader after {visible:.2f} s")
        assert writer.proc.poll() is None and reader.proc.poll() is None


def test_redis_killed_mid_run_gives_clear_errors_and_recovers(shared, redis):
    with serve(shared, redis.url, "outage") as server:
        assert ask(server.url, FIRST).status_code == 200
        redis.stop()
        try:
            down = [ask(server.url, FIRST) for _ in range(3)]
            assert {r.status_code for r in down} == {503}
            error = down[0].json()["error"]
            assert error["code"] == "state_unavailable" and "Redis" in error["message"]
            assert down[0].headers.get("retry-after") == "5"
            wechat = httpx.post(f"{server.url}/wechat", params=signed_query(),
                                content=text_xml("物业", 7001, "o-outage"), timeout=30)
            assert wechat.status_code == 503
            assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200  # no crash
            ready = httpx.get(f"{server.url}/readyz", timeout=10)
            assert ready.status_code == 200 and ready.json()["shared_state"] == "unavailable"
            assert server.proc.poll() is None
        finally:
            redis.start()
        deadline = time.monotonic() + 20
        while (status := ask(server.url, FIRST).status_code) != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status == 200
        assert httpx.get(f"{server.url}/readyz", timeout=10).json()["shared_state"] == "ok"
        log = server.text()
        assert log.count("unreachable") == 1 and "is back" in log
