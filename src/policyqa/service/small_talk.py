"""Greetings, thanks and goodbyes (你好, 谢谢, 再见): not policy questions, so neither refusals nor gaps.

The chat page answers them itself (``static/js/chat.js`` has the same patterns); questions that
reach the API anyway are counted in ``policyqa_small_talk_total`` instead of the refusals and
are not logged as gaps.
"""

from __future__ import annotations

import re

_TAIL = r"[啊呀呢吗嘛啦了您你！!。.,，～~\s]*"
SMALL_TALK = re.compile(
    r"^(?:你好|您好|hi|hello|哈喽|嗨|在吗|在不在|早上好|中午好|下午好|晚上好|"
    r"谢谢|多谢|感谢|谢了|好的谢谢|好的，谢谢|thanks?|thank you|再见|拜拜|bye)" + _TAIL + "$",
    re.IGNORECASE,
)


def is_small_talk(question: str) -> bool:
    """True for a bare greeting, thanks or goodbye (``"谢谢！"``, ``"你好呀"``), false for any question."""
    return bool(SMALL_TALK.match(question.strip()))
