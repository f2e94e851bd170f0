#!/usr/bin/env python
"""Request→reply latency of ``POST /wechat`` for text messages, as WeChat would send them.

Starts a live uvicorn server (in this process, on a free local port) with just the WeChat
router over a real engine, then sends safe-mode (AES) or plaintext text messages built
with wechatpy — each a new MsgId from a new follower, so every request reaches the engine —
and reports p50/p90/p99/max of the wall time from sending the request to having the
decrypted reply.

    python scripts/wechat_latency.py                       # default embedder
    python scripts/wechat_latency.py --embedder hash -n 300 --concurrency 4 --mode plain
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import uvicorn
import xmltodict
from fastapi import FastAPI
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from policyqa.config import Settings
from policyqa.engine import QAEngine
from policyqa.service.wechat import create_wechat_router
from policyqa.wechat import HOLDING_TEXT

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "latencyToken"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
APPID = "wxlatency000000000"
QUESTIONS = [
    "刚来城里工作租不起房怎么办？", "今年老旧小区改造有什么安排？", "物业服务不规范谁来管？",
    "保障性租赁住房主要解决哪些人的住房困难？", "住房公积金有什么新政策？", "农村危房改造怎么安排？",
    "城市燃气安全怎么整治？", "绿色建筑有什么要求？", "装配式建筑发展目标是什么？",
    "建筑施工安全生产有哪些要求？", "历史文化名城怎么保护？", "房地产市场怎么保持平稳？",
    "城市更新行动有哪些内容？", "工程质量怎么监管？", "建筑业企业有什么扶持？",
    "海绵城市建设怎么推进？", "农民工工资拖欠怎么办？", "今天天气怎么样？",
    "棚户区改造还做吗？", "怎么申请公租房？",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def text_xml(content: str, msg_id: int, openid: str) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_latency]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", default=None, help="default: the Settings() default")
    parser.add_argument("--index-dir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("-n", "--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--mode", choices=["aes", "plain"], default="aes")
    args = parser.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="wechat-latency-")
    values: dict[str, object] = {
        "corpus_dir": ROOT / "corpus", "index_dir": args.index_dir or Path(tmp.name) / "index",
        "data_dir": Path(tmp.name) / "data", "wechat_token": TOKEN, "wechat_appid": APPID,
        # with an AES key configured plaintext callbacks are refused (safe mode cannot be bypassed)
        "wechat_aes_key": AES_KEY if args.mode == "aes" else "",
        "wechat_rate_limit_per_minute": 0,
    }
    if args.embedder:
        values["embedder"] = args.embedder
    settings = Settings(**values)
    started = time.perf_counter()
    engine = QAEngine.load(settings)
    print(f"engine ready ({settings.embedder}) in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    t0 = time.perf_counter()
    engine.ask(QUESTIONS[0])
    cold_ms = (time.perf_counter() - t0) * 1000
    for q in QUESTIONS[:5]:  # warm-up
        engine.ask(q)

    app = FastAPI()
    app.include_router(create_wechat_router(lambda: engine, settings))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    url = f"http://127.0.0.1:{port}/wechat"
    holding = 0
    lock = threading.Lock()

    def one(i: int, client: httpx.Client) -> float:
        nonlocal holding
        xml = text_xml(QUESTIONS[i % len(QUESTIONS)], 10_000_000 + i, f"oLatency{i:06d}")
        timestamp, nonce = str(int(time.time())), f"{i:010d}"
        params = {"signature": hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest(),
                  "timestamp": timestamp, "nonce": nonce}
        t0 = time.perf_counter()
        if args.mode == "aes":
            envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]
            params.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
            body = f"<xml><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        else:
            body = xml
        response = client.post(url, params=params, content=body.encode("utf-8"))
        response.raise_for_status()
        reply_xml = response.text
        if args.mode == "aes":
            env = xmltodict.parse(reply_xml)["xml"]
            reply_xml = crypto.decrypt_message(reply_xml, env["MsgSignature"], env["TimeStamp"], env["Nonce"])
        content = parse_message(reply_xml).content
        elapsed = (time.perf_counter() - t0) * 1000
        if content == HOLDING_TEXT:
            with lock:
                holding += 1
        return elapsed

    with httpx.Client(timeout=10) as client:
        for i in range(10):  # warm-up
            one(-1 - i, client)
        holding = 0
        wall = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            times = list(pool.map(lambda i: one(i, client), range(args.requests)))
        wall = time.perf_counter() - wall
    server.should_exit = True
    thread.join(timeout=5)

    engine_ms = []  # engine alone (warm, after the HTTP run), for comparison
    for q in QUESTIONS * 5:
        t0 = time.perf_counter()
        engine.ask(q)
        engine_ms.append((time.perf_counter() - t0) * 1000)

    def summary(values: list[float]) -> str:
        return (f"p50 {statistics.median(values):.1f} ms, p90 {percentile(values, 90):.1f} ms, "
                f"p99 {percentile(values, 99):.1f} ms, max {max(values):.1f} ms")

    print(f"embedder={settings.embedder} mode={args.mode} requests={args.requests} "
          f"concurrency={args.concurrency} throughput={args.requests / wall:.1f} req/s")
    print(f"request→reply: {summary(times)}; holding replies: {holding}")
    print(f"engine.ask alone (warm): {summary(engine_ms)}; first call after load: {cold_ms:.0f} ms")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
