"""GET/POST /wechat as WeChat's servers would call them, built and checked with wechatpy."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import xmltodict
from fastapi import FastAPI
from fastapi.testclient import TestClient
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from policyqa.config import Settings
from policyqa.models import Answer, Citation
from policyqa.service.wechat import create_wechat_router
from policyqa.wechat import (
    HOLDING_TEXT,
    MAX_REPLY_BYTES,
    RATE_LIMITED_TEXT,
    WELCOME_TEXT,
)
from pqtest import hostile_wechat_xml

TOKEN = "policyqaTestToken"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # 43 characters
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode().rstrip("=")
APPID = "wx1234567890abcdef"
ACCOUNT = "gh_policyqa"
OPENID = "oUser_1234567890"
NONCE = "1320562132"
DOC = "2022年全区住房城乡建设工作要点"

assert len(AES_KEY) == 43


class FakeEngine:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls = 0
        self._lock = threading.Lock()

    def ask(self, question, history=None):
        with self._lock:
            self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        cite = Citation(doc=DOC, doc_id=DOC, section="二、", clause=5, label="5.", title="发展保障性租赁住房",
                        quote="大力发展保障性租赁住房。", start=0, end=12)
        return Answer(question=question, answer="大力发展保障性租赁住房。", refused=False, confidence=0.9,
                      citations=(cite,))


def settings_for(**overrides) -> Settings:
    values = {"wechat_token": TOKEN, "wechat_aes_key": AES_KEY, "wechat_appid": APPID,
                  "wechat_budget_seconds": 2.0, "wechat_rate_limit_per_minute": 100}
    values.update(overrides)
    return Settings(**values)


def make_client(engine, **overrides) -> TestClient:
    app = FastAPI()
    app.include_router(create_wechat_router(lambda: engine, settings_for(**overrides)))
    return TestClient(app)


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signed_query(timestamp: str | None = None, nonce: str | None = None, token: str = TOKEN) -> dict[str, str]:
    """A fresh signed query (a new random nonce each time, as WeChat sends)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def text_xml(content: str, msg_id: int = 1001, source: str = OPENID) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{source}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def event_xml(event: str, create_time: int = 1650000000) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event></xml>")


def post_plain(client: TestClient, xml: str | bytes, **query):
    params = signed_query()
    params.update(query)
    return client.post("/wechat", params=params, content=xml)


def encrypt_request(xml: str, key: str = AES_KEY, timestamp: str | None = None,
                    compatible: bool = False) -> tuple[dict[str, str], str]:
    """What WeChat sends in safe mode (or compatible mode: plaintext fields kept next to Encrypt)."""
    timestamp = timestamp or str(int(time.time()))
    params = signed_query(timestamp)
    envelope = xmltodict.parse(WeChatCrypto(TOKEN, key, APPID).encrypt_message(xml, params["nonce"], timestamp))["xml"]
    params.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"], openid=OPENID)
    if compatible:
        body = xml.replace("</xml>", f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
    else:
        body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
    return params, body


def post_aes(client: TestClient, xml: str, **kwargs):
    params, body = encrypt_request(xml, **kwargs)
    return client.post("/wechat", params=params, content=body), params


def decrypt_reply(response, params) -> str:
    """Check the reply envelope's signature and decrypt it as WeChat would."""
    envelope = xmltodict.parse(response.text)["xml"]
    assert envelope["TimeStamp"] == params["timestamp"] and envelope["Nonce"] == params["nonce"]
    return WeChatCrypto(TOKEN, AES_KEY, APPID).decrypt_message(
        response.text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])


def reply_content(xml: str) -> str:
    reply = parse_message(xml)
    assert reply.type == "text" and reply.source == ACCOUNT and reply.target == OPENID
    content = reply.content
    assert len(content.encode("utf-8")) <= MAX_REPLY_BYTES
    return content


# ------------------------------------------------------------------ URL verification


def test_url_verification_echoes_echostr():
    client = make_client(FakeEngine())
    response = client.get("/wechat", params={**signed_query(), "echostr": "4837561092847"})
    assert response.status_code == 200
    assert response.text == "4837561092847"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("query", [
    {"signature": "0" * 40, "timestamp": str(int(time.time())), "nonce": NONCE, "echostr": "x"},
    {**signed_query(token="another-token"), "echostr": "x"},
    {**signed_query(timestamp=str(int(time.time()) - 3600)), "echostr": "x"},
    {"timestamp": str(int(time.time())), "nonce": NONCE, "echostr": "x"},
    {**signed_query()},  # no echostr
    {},
], ids=["forged", "wrong-token", "stale", "no-signature", "no-echostr", "nothing"])
def test_url_verification_rejects(query):
    response = make_client(FakeEngine()).get("/wechat", params=query)
    assert response.status_code == 403
    assert "x" not in response.text


def test_not_configured_is_404_json():
    client = make_client(FakeEngine(), wechat_token="", wechat_aes_key="")
    for response in (client.get("/wechat", params={**signed_query(), "echostr": "x"}),
                     client.post("/wechat", params=signed_query(), content=text_xml("保租房"))):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "wechat_disabled"


# ------------------------------------------------------------------ the three modes


def test_plaintext_text_message():
    engine = FakeEngine()
    response = post_plain(make_client(engine, wechat_aes_key=""), text_xml("刚来城里工作租不起房怎么办？"))
    assert response.status_code == 200
    content = reply_content(response.text)
    assert "保障性租赁住房" in content and f"《{DOC}》第5条「发展保障性租赁住房」" in content
    assert engine.calls == 1


def test_safe_mode_text_message():
    engine = FakeEngine()
    response, params = post_aes(make_client(engine, public_base_url="https://zjt.example.gov.cn"),
                                text_xml("刚来城里工作租不起房怎么办？"))
    assert response.status_code == 200
    assert "Encrypt" in response.text and "保障性" not in response.text
    content = reply_content(decrypt_reply(response, params))
    assert "第5条" in content and "https://zjt.example.gov.cn/clause/" in content


def test_compatible_mode_text_message():
    response, params = post_aes(make_client(FakeEngine()), text_xml("保租房"), compatible=True)
    assert response.status_code == 200
    assert "第5条" in reply_content(decrypt_reply(response, params))


def test_safe_mode_subscribe_and_unsubscribe():
    engine = FakeEngine()
    client = make_client(engine)
    response, params = post_aes(client, event_xml("subscribe"))
    assert reply_content(decrypt_reply(response, params)) == WELCOME_TEXT
    response, _ = post_aes(client, event_xml("unsubscribe", create_time=1650000001))
    assert response.status_code == 200 and response.text == "success"
    assert engine.calls == 0


# ------------------------------------------------------------------ retries and budget


def test_retries_one_engine_call_identical_replies():
    engine = FakeEngine()
    client = make_client(engine)
    contents = []
    for _ in range(3):
        response, params = post_aes(client, text_xml("保租房", msg_id=4242))
        contents.append(decrypt_reply(response, params))
    assert engine.calls == 1
    assert contents[0] == contents[1] == contents[2]


def test_concurrent_retries_one_engine_call():
    engine = FakeEngine(delay=0.3)
    client = make_client(engine, wechat_aes_key="")
    xml = text_xml("保租房", msg_id=4343)
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(lambda _: post_plain(client, xml), range(3)))
    assert engine.calls == 1
    assert len({r.text for r in responses}) == 1
    assert "第5条" in reply_content(responses[0].text)


def test_slow_engine_holding_text_then_answer():
    engine = FakeEngine()
    gate, done = threading.Event(), threading.Event()
    fast_ask = engine.ask

    def slow_ask(question, history=None):
        gate.wait(30)
        result = fast_ask(question, history)
        done.set()
        return result

    engine.ask = slow_ask
    client = make_client(engine, wechat_budget_seconds=0.2)
    response, params = post_aes(client, text_xml("保租房", msg_id=1))
    assert reply_content(decrypt_reply(response, params)) == HOLDING_TEXT
    gate.set()
    assert done.wait(30)
    response, params = post_aes(client, text_xml("保租房", msg_id=2))
    assert "第5条" in reply_content(decrypt_reply(response, params))
    assert engine.calls == 1


def test_rate_limit_friendly_text():
    client = make_client(FakeEngine(), wechat_rate_limit_per_minute=1, wechat_aes_key="")
    assert "第5条" in reply_content(post_plain(client, text_xml("问题一", msg_id=1)).text)
    assert reply_content(post_plain(client, text_xml("问题二", msg_id=2)).text) == RATE_LIMITED_TEXT


# ------------------------------------------------------------------ rejections


XXE, LAUGHS = hostile_wechat_xml(ACCOUNT, OPENID)


def _forged_signature(client):
    return client.post("/wechat", params={**signed_query(), "signature": "f" * 40}, content=text_xml("保租房"))


def _no_signature(client):
    return client.post("/wechat", content=text_xml("保租房"))


def _stale(client):
    return client.post("/wechat", params=signed_query(timestamp=str(int(time.time()) - 3600)),
                       content=text_xml("保租房"))


def _future(client):
    return client.post("/wechat", params=signed_query(timestamp=str(int(time.time()) + 3600)),
                       content=text_xml("保租房"))


def _wrong_aes_key(client):
    params, body = encrypt_request(text_xml("保租房"), key=OTHER_KEY)  # msg_signature valid, key wrong
    return client.post("/wechat", params=params, content=body)


def _forged_msg_signature(client):
    params, body = encrypt_request(text_xml("保租房"))
    return client.post("/wechat", params={**params, "msg_signature": "0" * 40}, content=body)


def _aes_no_msg_signature(client):
    params, body = encrypt_request(text_xml("保租房"))
    del params["msg_signature"]
    return client.post("/wechat", params=params, content=body)


def _malformed(client):
    return post_plain(client, "<xml><ToUserName>gh</ToUserName><Content>保租房")


def _xxe(client):
    return post_plain(client, XXE)


def _laughs(client):
    return post_plain(client, LAUGHS)


def _xxe_in_envelope(client):
    params, _body = encrypt_request(text_xml("保租房"))
    return client.post("/wechat", params=params, content=XXE)


def _xxe_inside_ciphertext(client):
    params, body = encrypt_request(XXE)
    return client.post("/wechat", params=params, content=body)


def _laughs_inside_ciphertext(client):
    params, body = encrypt_request(LAUGHS)
    return client.post("/wechat", params=params, content=body)


def _oversized(client):
    return post_plain(client, text_xml("保" * 40_000))


def _oversized_chunked(client):
    def chunks():
        yield text_xml("保租房")[:-6].encode()
        for _ in range(200):
            yield b"<Pad>" + b"x" * 1000 + b"</Pad>"
        yield b"</xml>"
    return client.post("/wechat", params=signed_query(), content=chunks())


def _not_a_message(client):
    return post_plain(client, "<xml><Foo>bar</Foo></xml>")


def _not_utf8(client):
    return post_plain(client, text_xml("保租房").encode("gb18030"))


def _plaintext_in_safe_mode(client):
    return post_plain(client, text_xml("保租房"))


# name → (request, expected status, mode of the server: "aes" = AES key configured, "plain" = none)
REJECTIONS = {
    "forged-signature": (_forged_signature, 403, "aes"),
    "no-signature": (_no_signature, 403, "aes"),
    "stale-timestamp": (_stale, 403, "aes"),
    "future-timestamp": (_future, 403, "aes"),
    "wrong-aes-key": (_wrong_aes_key, 403, "aes"),
    "forged-msg-signature": (_forged_msg_signature, 403, "aes"),
    "aes-without-msg-signature": (_aes_no_msg_signature, 403, "aes"),
    "plaintext-in-safe-mode": (_plaintext_in_safe_mode, 403, "aes"),
    "malformed-xml": (_malformed, 400, "plain"),
    "xxe": (_xxe, 400, "plain"),
    "billion-laughs": (_laughs, 400, "plain"),
    "xxe-envelope": (_xxe_in_envelope, 400, "aes"),
    "xxe-in-ciphertext": (_xxe_inside_ciphertext, 400, "aes"),
    "billion-laughs-in-ciphertext": (_laughs_inside_ciphertext, 400, "aes"),
    "oversized": (_oversized, 413, "plain"),
    "oversized-chunked": (_oversized_chunked, 413, "plain"),
    "not-a-message": (_not_a_message, 400, "plain"),
    "not-utf8": (_not_utf8, 400, "plain"),
}


@pytest.mark.parametrize("name", list(REJECTIONS))
def test_rejected_without_engine_call_and_server_unharmed(name):
    send, status, mode = REJECTIONS[name]
    engine = FakeEngine()
    client = make_client(engine) if mode == "aes" else make_client(engine, wechat_aes_key="")
    response = send(client)
    assert response.status_code == status
    assert "root:" not in response.text and "lol" not in response.text
    assert engine.calls == 0
    if mode == "aes":
        good, params = post_aes(client, text_xml("保租房", msg_id=99))
        assert good.status_code == 200 and "第5条" in reply_content(decrypt_reply(good, params))
    else:
        assert "第5条" in reply_content(post_plain(client, text_xml("保租房", msg_id=99)).text)
    assert engine.calls == 1


# ------------------------------------------------------------------ safe mode cannot be bypassed


def test_safe_mode_triple_reused_for_plaintext_bodies_is_refused():
    """The attack of issue 11: reuse the signature/timestamp/nonce of a real safe-mode callback
    with plaintext bodies.  With an AES key configured, plaintext is never accepted."""
    engine = FakeEngine()
    client = make_client(engine)
    good, params = post_aes(client, text_xml("保租房", msg_id=1))
    assert good.status_code == 200 and engine.calls == 1
    triple = {k: params[k] for k in ("signature", "timestamp", "nonce")}
    for i in range(5):
        forged = client.post("/wechat", params=triple, content=text_xml(f"问题{i}", msg_id=100 + i))
        assert forged.status_code == 403
        forged = client.post("/wechat", params={**triple, "encrypt_type": "raw"}, content=text_xml("x", msg_id=200 + i))
        assert forged.status_code == 403
    assert engine.calls == 1


def test_triple_accepted_for_one_body_only():
    """Plaintext mode (no AES key): a triple works for one body; a byte-identical resend (WeChat's
    retry) gets the same cached reply; any other body with the same triple is refused."""
    engine = FakeEngine()
    client = make_client(engine, wechat_aes_key="")
    params = signed_query()
    body = text_xml("保租房", msg_id=7)
    first = client.post("/wechat", params=params, content=body)
    assert first.status_code == 200
    assert client.post("/wechat", params=params, content=body).text == first.text
    for i in range(5):
        assert client.post("/wechat", params=params, content=text_xml(f"问题{i}", msg_id=8 + i)).status_code == 403
    assert engine.calls == 1


def test_safe_mode_replayed_request_answered_from_cache_once():
    engine = FakeEngine()
    client = make_client(engine)
    params, body = encrypt_request(text_xml("保租房", msg_id=31))
    first = client.post("/wechat", params=params, content=body)
    again = client.post("/wechat", params=params, content=body)
    assert first.status_code == again.status_code == 200
    assert reply_content(decrypt_reply(first, params)) == reply_content(decrypt_reply(again, params))
    assert engine.calls == 1


def test_same_msgid_from_two_followers_gets_each_their_own_reply():
    engine = FakeEngine()
    client = make_client(engine)
    for openid in ("oFollowerA", "oFollowerB"):
        response, params = post_aes(client, text_xml("保租房", msg_id=5555, source=openid))
        reply = parse_message(decrypt_reply(response, params))
        assert reply.target == openid
    assert engine.calls == 2


def test_safe_mode_without_aes_key_configured_is_rejected():
    engine = FakeEngine()
    client = make_client(engine, wechat_aes_key="")
    params, body = encrypt_request(text_xml("保租房"))
    assert client.post("/wechat", params=params, content=body).status_code == 403
    assert engine.calls == 0
    assert "第5条" in reply_content(post_plain(client, text_xml("保租房")).text)


# ------------------------------------------------------------------ real engine (hash embedder)


@pytest.fixture
def real_client(engine):
    app = FastAPI()
    app.include_router(create_wechat_router(lambda: engine, settings_for(
        public_base_url="https://zjt.example.gov.cn", wechat_budget_seconds=4.0)))
    return TestClient(app)


@pytest.mark.parametrize("question", ["刚来城里工作租不起房怎么办？", "今年老旧小区改造有什么安排？"])
def test_real_engine_safe_mode(real_client, question):
    response, params = post_aes(real_client, text_xml(question))
    content = reply_content(decrypt_reply(response, params))
    assert "《" in content and "条" in content
    assert "https://zjt.example.gov.cn/clause/" in content
    assert content != HOLDING_TEXT


def test_real_engine_follow_up(real_client):
    first, params = post_aes(real_client, text_xml("保障性租赁住房有什么安排？", msg_id=1))
    second, params2 = post_aes(real_client, text_xml("那老旧小区呢？", msg_id=2))
    assert "《" in reply_content(decrypt_reply(first, params)) and reply_content(decrypt_reply(second, params2))


def test_real_engine_off_topic_refusal(real_client):
    response, params = post_aes(real_client, text_xml("今天股市行情怎么样？", msg_id=3))
    content = reply_content(decrypt_reply(response, params))
    assert content  # a refusal (with the contact line) or a cited answer, never an error


def test_create_app_mounts_wechat(engine, tmp_path):
    service = pytest.importorskip("policyqa.service")
    manager_module = pytest.importorskip("policyqa.manager")
    create_app = getattr(service, "create_app", None)
    if create_app is None:
        pytest.skip("policyqa.service.create_app not available yet")
    settings = engine.settings.model_copy(update={
        "wechat_token": TOKEN, "wechat_aes_key": AES_KEY, "wechat_appid": APPID, "data_dir": tmp_path})
    app = create_app(manager_module.IndexManager(settings, engine), settings)
    with TestClient(app) as client:
        response = client.get("/wechat", params={**signed_query(), "echostr": "12345"})
        assert response.status_code == 200 and response.text == "12345"
        response, params = post_aes(client, text_xml("刚来城里工作租不起房怎么办？"))
        content = reply_content(decrypt_reply(response, params))
    assert "《" in content and "条" in content
