from policyqa.conversation import ConversationStore
from policyqa.models import Answer, Citation


def _answer(q: str) -> Answer:
    c = Citation("文件", "d1", "一、", 5, "5.", "标题", "引文", 0, 2)
    return Answer(q, "a", False, 0.9, (c,))


def test_history_is_bounded_in_turns():
    store = ConversationStore(max_turns=2)
    for q in ["一", "二", "三"]:
        store.append("u", _answer(q))
    assert [t.question for t in store.history("u")] == ["二", "三"]
    assert store.history("u")[0].clauses == ("d1#5",)


def test_history_expires():
    now = [0.0]
    store = ConversationStore(ttl_seconds=10, clock=lambda: now[0])
    store.append("u", _answer("一"))
    now[0] = 11
    assert store.history("u") == ()


def test_number_of_conversations_is_bounded():
    store = ConversationStore(max_conversations=3)
    for i in range(5):
        store.append(str(i), _answer("q"))
    assert len(store) == 3 and store.history("0") == ()


def test_long_questions_are_truncated_in_memory():
    store = ConversationStore()
    store.append("u", _answer("长" * 2000))
    assert len(store.history("u")[0].question) == 500
