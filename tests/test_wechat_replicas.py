"""Two WeChat responders (two replicas) over one shared store: one engine call per message,
the late answer handed over to whichever replica gets the re-ask (fast, in-process; the
multi-process version against Redis is in service/test_scaling.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from policyqa.config import Settings
from policyqa.conversation import StoredConversations
from policyqa.state import MemoryStore
from policyqa.wechat import HOLDING_TEXT, WeChatResponder
from test_wechat_core import FakeEngine, content_of, text_xml


def replicas(engine: FakeEngine, budget: float = 2.0) -> tuple[WeChatResponder, WeChatResponder, MemoryStore]:
    store = MemoryStore()
    settings = Settings(wechat_budget_seconds=budget, wechat_rate_limit_per_minute=100, redis_url="redis://x")
    conversations = StoredConversations(store, namespace="wxconv")
    return (WeChatResponder(lambda: engine, settings, conversations, store=store),
            WeChatResponder(lambda: engine, settings, conversations, store=store), store)


def test_copies_of_one_message_at_two_replicas_ask_the_engine_once():
    engine = FakeEngine(delay=0.3)
    one, two, _ = replicas(engine)
    try:
        xml = text_xml("保租房怎么申请", msg_id=4242)
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda r: r.handle(xml), [one, two, two, one]))
        assert len(engine.calls) == 1
        assert len(set(replies)) == 1 and "保障性租赁住房" in content_of(replies[0])
        assert two.handle(xml) == replies[0]  # a later retry: from the store
        assert len(engine.calls) == 1
    finally:
        one.close()
        two.close()


def test_follow_up_context_and_late_answer_cross_replicas():
    engine = FakeEngine(delay=0.6)
    one, two, _ = replicas(engine, budget=0.2)
    try:
        first = one.handle(text_xml("保租房怎么申请", msg_id=1))
        assert content_of(first) == HOLDING_TEXT
        # the follower re-sends the question (a new MsgId) and the copy lands on the other replica
        again = two.handle(text_xml("保租房怎么申请", msg_id=2))
        late = content_of(again) if content_of(again) != HOLDING_TEXT else content_of(
            two.handle(text_xml("保租房怎么申请", msg_id=3)))
        assert "保障性租赁住房" in late
        assert len(engine.calls) == 1  # computed once, handed over through the store
        engine.delay = 0.0
        two.handle(text_xml("那需要什么材料", msg_id=4))
        assert [t.question for t in engine.calls[-1][1]] == ["保租房怎么申请"]  # context from replica one
    finally:
        one.close()
        two.close()


def test_a_reply_stored_just_before_its_claim_is_released_is_shared():
    # the waiting replica reads the reply key (not there yet), the owner stores its reply and releases
    # its claim, the waiter sees the claim gone: it must read the reply once more, not say "unavailable"
    from wechatpy import parse_message

    class RacyStore(MemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.reads = 0

        def get(self, key: str):
            if key == "wxreply:k":
                self.reads += 1
                if self.reads == 1:
                    return None
            return super().get(key)

    store = RacyStore()
    store.put("wxreply:k", "<xml>the reply</xml>", 60)
    responder = WeChatResponder(lambda: FakeEngine(), Settings(wechat_budget_seconds=1.0), None, store=store)
    try:
        message = parse_message(text_xml("保租房怎么申请", msg_id=77))
        assert responder._await_reply(message, "wxreply:k", "wxclaim:k") == "<xml>the reply</xml>"
    finally:
        responder.close()
