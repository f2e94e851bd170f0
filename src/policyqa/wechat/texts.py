"""What the WeChat account says besides answers: the welcome, help and refusal texts, and the
keywords and events that pick them (staff may reword them; keep them short for a phone)."""

from __future__ import annotations

EXAMPLE_QUESTIONS = (
    "刚来城里工作租不起房怎么办？",
    "今年老旧小区改造有什么安排？",
    "物业服务不规范谁来管？",
)

WELCOME_TEXT = (
    "您好，欢迎关注！我可以根据住房和城乡建设方面的政策文件回答您的问题，并注明出处条款。\n"
    "您可以这样问：\n"
    + "\n".join(f"{i}. {q}" for i, q in enumerate(EXAMPLE_QUESTIONS, 1))
    + "\n发送“帮助”查看使用说明。"
)

HELP_TEXT = (
    "使用说明：\n"
    "1. 直接用文字发送您的问题，一次问一件事，例如：" + EXAMPLE_QUESTIONS[0] + "\n"
    "2. 可以接着追问，例如“那申请条件呢？”，我会结合您前面的问题理解。\n"
    "3. 回答摘自政策原文，并注明《文件》第几条；如有链接，可点开查看条款全文。\n"
    "4. 找不到依据时我会如实说明，并告诉您咨询电话。\n"
    "目前仅支持文字提问。"
)

UNSUPPORTED_TEXT = (
    "抱歉，本号目前只能回答文字提问，内容限于住房和城乡建设方面的政策，"
    "例如：" + EXAMPLE_QUESTIONS[1] + "\n发送“帮助”查看使用说明。"
)

HOLDING_TEXT = "问题已收到，正在查询，请稍后再发送一次相同的问题获取答案。"
BUSY_TEXT = "当前咨询人数较多，请稍后再发送您的问题。"
RATE_LIMITED_TEXT = "您的提问有点频繁，请休息一分钟后再发送问题。感谢您的理解！"
EMPTY_QUESTION_TEXT = "请用文字描述您想咨询的问题，例如：" + EXAMPLE_QUESTIONS[0]
UNAVAILABLE_TEXT = "抱歉，系统暂时无法回答，请稍后再试。"

HELP_KEYWORDS = frozenset({"帮助", "菜单", "help", "?", "？", "使用说明", "说明", "h"})

#: Events that get no reply at all (WeChat shows nothing for them or sends them silently).
SILENT_EVENTS = frozenset({
    "unsubscribe", "view", "view_miniprogram", "location",
    "templatesendjobfinish", "masssendjobfinish",
})
WELCOME_EVENTS = frozenset({"subscribe", "subscribe_scan", "subscribe_scan_product"})
