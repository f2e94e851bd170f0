"""Test helpers shared by all test modules (import as ``from pqtest import ...``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from policyqa.config import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
WORK_PLAN = "2022年全区住房城乡建设工作要点"
SHARED = ROOT.parent / "shared"
# the team's development set (a copy of ../shared/eval, so the quality tests run anywhere)
DEV = ROOT / "tests" / "data" / "dev_questions.jsonl"
DIALOGUES = ROOT / "tests" / "data" / "dev_dialogues.jsonl"


def make_settings(base: Path, *, kb: bool = False, **overrides) -> Settings:
    """Settings on a private copy of the shipped corpus under ``base`` (hash embedder unless overridden):
    the work plan alone, or with ``kb=True`` the whole knowledge base (work plan + regulations)."""
    corpus = base / "corpus"
    if not corpus.exists():
        if kb:
            shutil.copytree(CORPUS, corpus)
        else:
            corpus.mkdir(parents=True)
            shutil.copy(CORPUS / f"{WORK_PLAN}.txt", corpus)
    values = dict(
        corpus_dir=corpus,
        index_dir=base / "index",
        data_dir=base / "data",
        embedder="hash",
        # the per-client limits are off in tests (one client sends everything); tests of the
        # limits turn them on
        rate_limit_ask_per_minute=0,
        rate_limit_feedback_per_minute=0,
        rate_limit_search_per_minute=0,
    )
    values.update(overrides)
    return Settings(**values)


def hostile_wechat_xml(account: str, openid: str) -> tuple[str, str]:
    """An XXE payload and a billion-laughs payload shaped like WeChat text messages."""
    xxe = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           f'<xml><ToUserName>{account}</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>1</CreateTime>'
           '<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>')
    laughs = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
              + f']><xml><ToUserName>{account}</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>1</CreateTime>'
              '<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>2</MsgId></xml>')
    return xxe, laughs
