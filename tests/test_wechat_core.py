"""policyqa.wechat: message handling without HTTP (fake engines; a few cases on the real engine)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from wechatpy import parse_message

from policyqa.config import Settings
from policyqa.conversation import ConversationStore
from policyqa.errors import InvalidQuestionError
from policyqa.models import Answer, Citation
from policyqa.wechat import (
    EXAMPLE_QUESTIONS,
    HELP_TEXT,
    HOLDING_TEXT,
    MAX_REPLY_BYTES,
    RATE_LIMITED_TEXT,
    UNAVAILABLE_TEXT,
    UNSUPPORTED_TEXT,
    WELCOME_TEXT,
    WeChatMessageError,
    WeChatResponder,
    ensure_safe_xml,
    format_answer,
    replay_window,
    trim_sentences,
)
from policyqa.state import MemoryStore
from pqtest import hostile_wechat_xml

DOC = "2022年全区住房城乡建设工作要点"
OPENID = "oUser_1234567890"
ACCOUNT = "gh_policyqa"


def citation(clause: int = 5, title: str = "发展保障性租赁住房", quote: str = "大力发展保障性租赁住房。") -> Citation:
    return Citation(doc=DOC, doc_id=DOC, section="二、提升住房工作水平", clause=clause, label=f"{clause}.",
                    title=title, quote=quote, start=0, end=len(quote))


def answer(question: str, text: str = "大力发展保障性租赁住房，着力解决新市民、青年人住房困难。", *,
           refused: bool = False, notes: tuple[str, ...] = (), citations: tuple[Citation, ...] | None = None) -> Answer:
    if citations is None:
        citations = () if refused else (citation(),)
    return Answer(question=question, answer=text, refused=refused, confidence=0.2 if refused else 0.8,
                  citations=citations, notes=notes)


class FakeEngine:
    """Counts calls, records histories; optionally slow, refusing or failing."""

    def __init__(self, delay: float = 0.0, refuse: bool = False, error: Exception | None = None) -> None:
        self.delay = delay
        self.refuse = refuse
        self.error = error
        self.calls: list[tuple[str, tuple]] = []
        self._lock = threading.Lock()

    def ask(self, question, history=None):
        with self._lock:
            self.calls.append((question, tuple(history or ())))
        if self.delay:
            time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        if self.refuse:
            return answer(question, "抱歉，现有政策文件中没有找到相关规定。如需进一步咨询，请拨打服务热线 12345。",
                          refused=True)
        return answer(question)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class GapRecorder:
    def __init__(self) -> None:
        self.gaps: list[tuple[str, str, str]] = []

    def record_gap(self, question, reason, channel):
        self.gaps.append((question, reason, channel))


def text_xml(content: str, msg_id: int = 1001, source: str = OPENID, create_time: int = 1650000000) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{source}]]></FromUserName><CreateTime>{create_time}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>")


def event_xml(event: str, source: str = OPENID, create_time: int = 1650000000) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{source}]]></FromUserName><CreateTime>{create_time}</CreateTime>"
            f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event></xml>")


def media_xml(msg_type: str, msg_id: int = 2001) -> str:
    extra = {
        "image": "<PicUrl><![CDATA[http://x/p.jpg]]></PicUrl><MediaId><![CDATA[m]]></MediaId>",
        "voice": "<MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format>",
        "video": "<MediaId><![CDATA[m]]></MediaId><ThumbMediaId><![CDATA[t]]></ThumbMediaId>",
        "location": "<Location_X>23.1</Location_X><Location_Y>113.3</Location_Y><Scale>15</Scale>"
                    "<Label><![CDATA[某地]]></Label>",
        "link": "<Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description><Url><![CDATA[http://x]]></Url>",
    }[msg_type]
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>1650000000</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{extra}"
            f"<MsgId>{msg_id}</MsgId></xml>")


def content_of(reply_xml: str | None, target: str = OPENID) -> str:
    assert reply_xml, "expected a reply"
    reply = parse_message(reply_xml)
    assert reply.type == "text"
    assert reply.source == ACCOUNT and reply.target == target
    return reply.content


@pytest.fixture
def make_responder():
    made: list[WeChatResponder] = []

    def make(engine, *, gap_log=None, clock=time.monotonic, **overrides) -> WeChatResponder:
        values = {"wechat_token": "test-token", "wechat_budget_seconds": 2.0, "wechat_rate_limit_per_minute": 100}
        values.update(overrides)
        responder = WeChatResponder(lambda: engine, Settings(**values), ConversationStore(clock=clock),
                                    gap_log=gap_log, clock=clock)
        made.append(responder)
        return responder

    yield make
    for responder in made:
        responder.close()


# ------------------------------------------------------------------ formatting


def test_format_answer_layout():
    text = format_answer(answer("保租房", "根据…：「大力发展保障性租赁住房。」[1]", notes=("具体数字以正式文件为准。",)),
                         "https://zjt.example.gov.cn/")
    assert text == (
        "大力发展保障性租赁住房。\n"
        f"——《{DOC}》第5条「发展保障性租赁住房」\n"
        f"原文：https://zjt.example.gov.cn/clause/{quote(DOC, safe='')}/5\n\n"
        "提示：具体数字以正式文件为准。"
    )


def test_format_answer_without_public_url_has_no_link():
    text = format_answer(answer("保租房"), "")
    assert "http" not in text and "原文" not in text
    assert text == f"大力发展保障性租赁住房。\n——《{DOC}》第5条「发展保障性租赁住房」"


def test_format_answer_groups_quotes_by_clause():
    cites = (citation(5, quote="甲。"), citation(7, "推进老旧小区改造", "丙。"), citation(5, quote="乙。"))
    text = format_answer(answer("q", citations=cites), "")
    assert text.count("第5条") == 1 and "第7条「推进老旧小区改造」" in text
    assert text.index("甲。乙。") < text.index("第5条") < text.index("丙。") < text.index("第7条")


def test_format_refused_is_refusal_text_without_markdown():
    refusal = "抱歉，现有政策文件中没有找到相关规定。如需进一步咨询，请拨打服务热线 12345。"
    assert format_answer(answer("q", refusal, refused=True), "https://x") == refusal
    assert format_answer(answer("q", "**您好**！我是助手。", refused=True)) == "您好！我是助手。"


def test_long_quotes_trimmed_by_sentence_keep_citations():
    sentence = "加快发展保障性租赁住房，切实解决新市民住房困难问题。"
    cites = (citation(5, quote=sentence * 60), citation(6, "完善住房保障体系", sentence * 60))
    text = format_answer(answer("q", citations=cites, notes=("数字待核实。",)), "https://x.gov.cn")
    size = len(text.encode("utf-8"))
    assert MAX_REPLY_BYTES - 200 < size <= MAX_REPLY_BYTES  # the room is used
    first, _, rest = text.partition("\n")
    assert first.endswith("问题。…") and first[:-1] == sentence * (len(first[:-1]) // len(sentence))
    assert rest.startswith(f"——《{DOC}》第5条") and "原文：https://x.gov.cn/clause/" in rest
    assert text.endswith("提示：数字待核实。")


def test_second_clause_citation_kept_when_its_quote_fits_partly():
    sentence = "推进城镇老旧小区改造。"
    cites = (citation(5, quote=sentence * 20), citation(7, "推进老旧小区改造", sentence * 60))
    text = format_answer(answer("q", citations=cites), "")
    assert len(text.encode("utf-8")) <= MAX_REPLY_BYTES
    assert "第5条" in text and "第7条" in text and text.count("…") == 1


def test_one_enormous_sentence_cut_at_character_keeps_citation():
    text = format_answer(answer("q", citations=(citation(5, quote="住" * 1000),)), "https://x.gov.cn")
    assert len(text.encode("utf-8")) <= MAX_REPLY_BYTES
    assert text.endswith(f"…\n——《{DOC}》第5条「发展保障性租赁住房」")


def test_trim_never_cuts_a_character():
    text = "住" * 1000  # one 3000-byte "sentence"
    trimmed = trim_sentences(text, 100)
    assert len(trimmed.encode("utf-8")) <= 100
    assert trimmed.endswith("…") and set(trimmed[:-1]) == {"住"}
    assert trim_sentences("短句。", 100) == "短句。"


# ------------------------------------------------------------------ XML safety


XXE, LAUGHS = hostile_wechat_xml(ACCOUNT, OPENID)


@pytest.mark.parametrize("payload", [
    XXE, LAUGHS, "<xml><Content>unterminated", "", "not xml at all", "<html><body/></html>",
    "<xml><ToUserName>x</ToUserName></xml>",  # no MsgType / FromUserName
    b"<xml>\xff\xfe</xml>",
], ids=["xxe", "billion-laughs", "malformed", "empty", "text", "wrong-root", "not-a-message", "not-utf8"])
def test_unsafe_or_malformed_xml_rejected_without_engine_call(make_responder, payload):
    engine = FakeEngine()
    responder = make_responder(engine)
    with pytest.raises(WeChatMessageError):
        responder.handle(payload)
    assert engine.calls == []
    assert "第5条" in content_of(responder.handle(text_xml("保租房")))  # still fine afterwards


def test_ensure_safe_xml_accepts_wechat_messages():
    ensure_safe_xml(text_xml("你好"))
    ensure_safe_xml(event_xml("subscribe").encode("utf-8"))


# ------------------------------------------------------------------ message kinds


def test_text_message_answer(make_responder):
    engine = FakeEngine()
    content = content_of(make_responder(engine, public_base_url="https://zjt.example.gov.cn").handle(
        text_xml("刚来城里工作租不起房怎么办？")))
    assert "保障性租赁住房" in content and f"《{DOC}》第5条" in content
    assert "https://zjt.example.gov.cn/clause/" in content
    assert len(content.encode("utf-8")) <= MAX_REPLY_BYTES
    assert engine.calls == [("刚来城里工作租不起房怎么办？", ())]


def test_follow_up_uses_per_follower_history(make_responder):
    engine = FakeEngine()
    responder = make_responder(engine)
    responder.handle(text_xml("保租房怎么申请？", msg_id=1))
    responder.handle(text_xml("那条件呢？", msg_id=2))
    responder.handle(text_xml("你好", msg_id=3, source="oSomeoneElse"))
    assert engine.calls[0][1] == ()
    assert [t.question for t in engine.calls[1][1]] == ["保租房怎么申请？"]
    assert engine.calls[1][1][0].clauses == (f"{DOC}#5",)
    assert engine.calls[2][1] == ()


def test_subscribe_welcome_with_examples(make_responder):
    content = content_of(make_responder(FakeEngine()).handle(event_xml("subscribe")))
    assert content == WELCOME_TEXT
    assert all(q in content for q in EXAMPLE_QUESTIONS)


def test_unsubscribe_gets_no_reply(make_responder):
    assert make_responder(FakeEngine()).handle(event_xml("unsubscribe")) is None


@pytest.mark.parametrize("keyword", ["帮助", "菜单", "help", "HELP", "?", "？", " 帮助 "])
def test_help_keywords(make_responder, keyword):
    engine = FakeEngine()
    assert content_of(make_responder(engine).handle(text_xml(keyword))) == HELP_TEXT
    assert engine.calls == []


@pytest.mark.parametrize("msg_type", ["image", "voice", "video", "location", "link"])
def test_other_message_types_polite_text(make_responder, msg_type):
    engine = FakeEngine()
    assert content_of(make_responder(engine).handle(media_xml(msg_type))) == UNSUPPORTED_TEXT
    assert engine.calls == []


def test_other_events_polite_text(make_responder):
    xml = event_xml("CLICK").replace("</xml>", "<EventKey><![CDATA[K1]]></EventKey></xml>")
    assert content_of(make_responder(FakeEngine()).handle(xml)) == UNSUPPORTED_TEXT


def test_invalid_question_polite_text(make_responder):
    engine = FakeEngine(error=InvalidQuestionError("问题不能为空，请输入您想咨询的内容。"))
    assert content_of(make_responder(engine).handle(text_xml("嗯"))) == "问题不能为空，请输入您想咨询的内容。"
    too_long = make_responder(FakeEngine(), max_question_chars=10).handle(text_xml("长" * 11, msg_id=9))
    assert "10" in content_of(too_long)
    assert "请用文字" in content_of(make_responder(FakeEngine()).handle(text_xml("   ", msg_id=10)))


def test_engine_failure_is_polite_and_not_cached(make_responder):
    engine = FakeEngine(error=RuntimeError("index broken"))
    responder = make_responder(engine)
    assert content_of(responder.handle(text_xml("保租房"))) == UNAVAILABLE_TEXT
    responder.handle(text_xml("保租房"))  # WeChat's retry gets a second chance
    assert len(engine.calls) == 2


def test_refused_answer_recorded_as_gap(make_responder):
    gaps = GapRecorder()
    content = content_of(make_responder(FakeEngine(refuse=True), gap_log=gaps).handle(text_xml("养老金怎么领？")))
    assert "12345" in content
    assert gaps.gaps == [("养老金怎么领？", "refused", "wechat")]
    make_responder(FakeEngine(), gap_log=gaps).handle(text_xml("保租房"))
    assert len(gaps.gaps) == 1


# ------------------------------------------------------------------ retries / dedup


def test_retry_same_msgid_one_engine_call_identical_replies(make_responder):
    engine = FakeEngine()
    responder = make_responder(engine)
    replies = [responder.handle(text_xml("保租房", msg_id=777)) for _ in range(3)]
    assert len(engine.calls) == 1
    assert replies[0] == replies[1] == replies[2]


def test_concurrent_retries_wait_for_the_first(make_responder):
    engine = FakeEngine(delay=0.3)
    responder = make_responder(engine)
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: responder.handle(text_xml("保租房", msg_id=778)), range(4)))
    assert len(engine.calls) == 1
    assert len(set(replies)) == 1 and "第5条" in content_of(replies[0])


def test_event_dedup_by_sender_and_create_time(make_responder):
    responder = make_responder(FakeEngine())
    first = responder.handle(event_xml("subscribe", create_time=1))
    assert responder.handle(event_xml("subscribe", create_time=1)) == first


def test_dedup_lasts_the_replay_window_then_expires(make_responder):
    clock = FakeClock()
    engine = FakeEngine()
    responder = make_responder(engine, clock=clock)
    first = responder.handle(text_xml("保租房", msg_id=5))
    clock.now += 62  # issue 11: a replay after 62 s was answered again
    assert responder.handle(text_xml("保租房", msg_id=5)) == first
    clock.now += replay_window(responder.settings)
    responder.handle(text_xml("保租房", msg_id=5))
    assert len(engine.calls) == 2


def test_dedup_keyed_on_sender_and_msgid(make_responder):
    engine = FakeEngine()
    responder = make_responder(engine)
    a = responder.handle(text_xml("保租房", msg_id=9, source="oFollowerA"))
    b = responder.handle(text_xml("老旧小区", msg_id=9, source="oFollowerB"))
    assert parse_message(a).target == "oFollowerA" and parse_message(b).target == "oFollowerB"
    assert [q for q, _ in engine.calls] == ["保租房", "老旧小区"]


def test_dedup_memory_is_bounded(make_responder):
    store = MemoryStore(max_items=50)
    engine = FakeEngine()
    responder = WeChatResponder(lambda: engine, Settings(wechat_token="t", wechat_rate_limit_per_minute=0),
                                ConversationStore(), store=store)
    try:
        for i in range(200):
            responder.handle(event_xml("subscribe", source=f"o{i}", create_time=i))
        assert store.size("wxreply") <= 50
    finally:
        responder.close()


# ------------------------------------------------------------------ time budget


class GatedEngine(FakeEngine):
    """An engine that answers only once ``release()`` is called (no timing assumptions)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.done = threading.Event()

    def ask(self, question, history=None):
        with self._lock:
            self.calls.append((question, tuple(history or ())))
        self.gate.wait(30)
        self.done.set()
        return answer(question)

    def release(self) -> None:
        self.gate.set()
        assert self.done.wait(30)


def test_slow_engine_gets_holding_text_then_answer_on_reask(make_responder):
    engine = GatedEngine()
    responder = make_responder(engine, wechat_budget_seconds=0.2)
    first = responder.handle(text_xml("保租房", msg_id=1))
    assert content_of(first) == HOLDING_TEXT
    engine.release()
    second = responder.handle(text_xml("保租房", msg_id=2))  # the follower sends the question again
    assert "第5条" in content_of(second)
    assert len(engine.calls) == 1
    assert responder.handle(text_xml("保租房", msg_id=2)) == second  # retries of it: same reply
    # delivered once; a later fresh ask computes again
    responder.handle(text_xml("保租房", msg_id=3))
    assert len(engine.calls) == 2


def test_retry_after_holding_text_gets_the_answer_once_ready(make_responder):
    engine = GatedEngine()
    responder = make_responder(engine, wechat_budget_seconds=0.2, wechat_rate_limit_per_minute=1)
    assert content_of(responder.handle(text_xml("保租房", msg_id=1))) == HOLDING_TEXT
    # a retry while the engine still works waits on the same call (no second call, not rate limited)
    assert content_of(responder.handle(text_xml("保租房", msg_id=1))) == HOLDING_TEXT
    engine.release()
    answered = responder.handle(text_xml("保租房", msg_id=1))
    assert "第5条" in content_of(answered)
    assert responder.handle(text_xml("保租房", msg_id=1)) == answered
    assert len(engine.calls) == 1


def test_concurrent_retries_after_holding_text_one_engine_call(make_responder):
    engine = GatedEngine()
    responder = make_responder(engine, wechat_budget_seconds=0.2)
    assert content_of(responder.handle(text_xml("保租房", msg_id=1))) == HOLDING_TEXT
    engine.release()
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: responder.handle(text_xml("保租房", msg_id=1)), range(4)))
    assert len(set(replies)) == 1 and "第5条" in content_of(replies[0])
    assert len(engine.calls) == 1


def test_reask_while_still_computing_does_not_call_engine_twice(make_responder):
    engine = GatedEngine()
    responder = make_responder(engine, wechat_budget_seconds=0.5)
    assert content_of(responder.handle(text_xml("保租房", msg_id=1))) == HOLDING_TEXT
    with ThreadPoolExecutor(1) as pool:
        reask = pool.submit(responder.handle, text_xml("保租房", msg_id=2))
        while len(engine.calls) < 1:  # (already true: the first call is still running)
            time.sleep(0.01)
        engine.gate.set()
        content = content_of(reask.result())
    # either the re-ask waited on the running call or found its finished answer: one call
    assert "第5条" in content
    assert len(engine.calls) == 1


def test_fast_answer_not_kept_for_reask(make_responder):
    engine = FakeEngine()
    responder = make_responder(engine)
    responder.handle(text_xml("保租房", msg_id=1))
    responder.handle(text_xml("保租房", msg_id=2))
    assert len(engine.calls) == 2


# ------------------------------------------------------------------ rate limit


def test_rate_limit_friendly_text_per_follower(make_responder):
    clock = FakeClock()
    engine = FakeEngine()
    responder = make_responder(engine, clock=clock, wechat_rate_limit_per_minute=2)
    assert "第5条" in content_of(responder.handle(text_xml("问题一", msg_id=1)))
    assert "第5条" in content_of(responder.handle(text_xml("问题二", msg_id=2)))
    assert content_of(responder.handle(text_xml("问题三", msg_id=3))) == RATE_LIMITED_TEXT
    assert responder.handle(text_xml("问题三", msg_id=3)) == responder.handle(text_xml("问题三", msg_id=3))
    assert "第5条" in content_of(responder.handle(text_xml("你好", msg_id=4, source="oOther")), "oOther")
    clock.now += 61
    assert "第5条" in content_of(responder.handle(text_xml("问题三", msg_id=5)))
    assert len(engine.calls) == 4


# ------------------------------------------------------------------ layering


def test_core_module_does_not_import_fastapi():
    code = "import sys, policyqa.wechat; assert 'fastapi' not in sys.modules and 'starlette' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ real engine (hash embedder)


@pytest.mark.parametrize("question", list(EXAMPLE_QUESTIONS))
def test_real_engine_example_questions(engine, question):
    settings = Settings(wechat_token="t", public_base_url="https://zjt.example.gov.cn")
    responder = WeChatResponder(lambda: engine, settings, ConversationStore())
    try:
        content = content_of(responder.handle(text_xml(question)))
    finally:
        responder.close()
    assert len(content.encode("utf-8")) <= MAX_REPLY_BYTES
    assert "**" not in content and "##" not in content
    assert "《" in content and "第" in content
    assert content != HOLDING_TEXT


def test_a_partial_answer_says_first_what_the_documents_do_not_state():
    from policyqa.models import Answer, Citation
    from policyqa.wechat import format_answer

    cite = Citation("住房公积金管理条例", "d1", "第五章 贷款", 26, "第二十六条", "", "住房公积金管理中心应当自受理申请之日起15日内作出准予贷款或者不准贷款的决定。", 0, 10)
    answer = Answer("能贷多少万", "…", False, 0.8, (cite,), status="partial", missing="具体数额或标准")
    text = format_answer(answer, "")
    assert text.startswith("所收录的文件没有写明您问的具体数额或标准。") and "——《住房公积金管理条例》第二十六条" in text
