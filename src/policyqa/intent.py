"""Question analysis beyond words: which kind of document a question is after, and whether it
leans on the previous question.  Cues are data (``data/question_cues.txt``) that staff extend.

* ``document_kind(q)`` → ``"plan"`` (what the government does this year: work plans),
  ``"law"`` (rights, duties, deadlines, penalties: laws and regulations) or ``""`` (no lean).
  Each cue found counts one vote; the side with more votes wins.
* ``is_elliptical(q, names_something)`` → True when the question opens or ends like a follow-up
  (那…呢, 这个…) or names nothing the corpus knows (``交上去以后多久能批？``); an opening that
  announces a new question (另外问一下，…) is set aside and the rest judged on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

PLAN_LEVELS = frozenset({"工作计划"})
NATIONAL_LEVELS = frozenset({"法律", "行政法规", "部门规章"})  # the rest is the province's own: more specific where it applies
LAW_LEVELS = frozenset({"法律", "行政法规", "地方性法规", "部门规章", "地方政府规章"})


@dataclass(frozen=True)
class QuestionCues:
    plan: tuple[str, ...]
    law: tuple[str, ...]
    elliptical: tuple[str, ...]
    new_topic: tuple[str, ...] = ()  # openings that announce a new question (另外问一下，…)
    generic: frozenset[str] = frozenset()  # words that name nothing specific (收费标准, 处理, 发现)

    def document_kind(self, question: str) -> str:
        kind, _ = self.lean(question)
        return kind

    def lean(self, question: str) -> tuple[str, int]:
        """(``"plan"``/``"law"``/``""``, by how many cues the winning side leads)."""
        plan = sum(1 for c in self.plan if c in question)
        law = sum(1 for c in self.law if c in question)
        if plan > law:
            return "plan", plan - law
        if law > plan:
            return "law", law - plan
        return "", 0

    def is_elliptical(self, question: str, names_something: Callable[[str], bool]) -> bool:
        """Opens or ends like a follow-up (那…, …呢), or names nothing the corpus knows yet asks for
        a detail (多久, 多少, 谁负责: 交上去以后多久能批？) — not 今天天气怎么样, a new topic."""
        q = question.strip().rstrip("？?。！!")
        # 另外问一下，热用户想停止用热要提前多久申请？ — the opening announces a new question: the
        # rest is judged on its own
        opening = next((c for c in sorted(self.new_topic, key=len, reverse=True) if q.startswith(c)), "")
        if opening:
            q = q[len(opening):].lstrip("，,：:；; ")
            question = q
        # …呢 ends the question or one of its parts (要是测出来真不达标呢，钱怎么算？)
        opens = any(q.startswith(c) for c in self.elliptical if len(c) > 0) or any(
            part.endswith("呢") for part in re.split(r"[，,；;]", q)
        )
        return opens or (not names_something(question) and bool(asked_types(question)))


def parse_cues(lines: Iterable[str]) -> QuestionCues:
    """``[plan]`` / ``[law]`` / ``[elliptical]`` / ``[new_topic]`` / ``[generic]`` sections of one cue per line; ``#`` comments."""
    sections: dict[str, list[str]] = {"plan": [], "law": [], "elliptical": [], "new_topic": [], "generic": []}
    current = None
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"\[(\w+)\]", line)
        if m:
            current = m.group(1) if m.group(1) in sections else None
            continue
        if current:
            sections[current].append(line)
    return QuestionCues(tuple(sections["plan"]), tuple(sections["law"]), tuple(sections["elliptical"]),
                        tuple(sections["new_topic"]), frozenset(sections["generic"]))


@lru_cache(maxsize=1)
def default_cues() -> QuestionCues:
    text = resources.files("policyqa").joinpath("data/question_cues.txt").read_text(encoding="utf-8")
    return parse_cues(text.splitlines())


# -- what a question asks for ---------------------------------------------------------------


# a number: starts with a digit or a numeral (万户 in “x万户” is not a figure)
NUMBER = "[0-9０-９一二三四五六七八九十两][0-9０-９一二三四五六七八九十百千万两.．]*"


# 几 that tells, not asks: 好几年了, 十几户, 这几天, 前几次 state a vague number
_TELLING_JI = re.compile(r"(?:(?<=[好十这那过没近头])|(?<=[^提]前))几(?=[个年天月日次户回趟遍人家栋层])")


@lru_cache(maxsize=1024)  # read for every sentence an answer type is checked against
def asking_part(question: str) -> str:
    """``question`` with its vague numbers (好几年, 十几户) masked, so that only a real 几 asks."""
    return _TELLING_JI.sub("若干", question) if "几" in question else question


@dataclass(frozen=True)
class AnswerType:
    """A kind of question (amount, duration, penalty …): its question cues and the patterns an
    answering sentence matches."""

    name: str
    cues: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    # (question pattern, answer pattern): a question asking in a unit (多少钱, 几个人, 几天) is
    # answered only by a figure in that unit (…元, …人, …日), not by any figure
    units: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = ()
    # question patterns beside the cues (``asks:`` lines): 能装在浴室里吗 asks a permission
    ask_patterns: tuple[re.Pattern[str], ...] = ()

    def asked(self, question: str) -> bool:
        question = asking_part(question)
        return any(c in question for c in self.cues) or any(p.search(question) for p in self.ask_patterns)

    def said(self, text: str, question: str = "") -> bool:
        """Does ``text`` say this kind of thing — in the unit ``question`` asks for, if it names one?"""
        question = asking_part(question)
        wanted = [a for q, a in self.units if question and q.search(question)]
        if wanted:
            return any(a.search(text) for a in wanted)
        return any(p.search(text) for p in self.patterns)


def parse_answer_types(lines: Iterable[str]) -> tuple[AnswerType, ...]:
    """``[name]`` sections of ``ask: cue``, ``asks: question regex``, ``says: regex`` and ``unit:
    question regex => answer regex`` lines (``#`` comments); ``{N}`` in a ``says`` or a unit's answer regex stands for a number."""
    out: list[AnswerType] = []
    name, cues, pats, units, asks = None, [], [], [], []

    def close() -> None:
        if name:
            out.append(AnswerType(name, tuple(cues), tuple(re.compile(p) for p in pats), tuple(units),
                                  tuple(re.compile(p) for p in asks)))

    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[(\w+)\]", line)
        if m:
            close()
            name, cues, pats, units, asks = m.group(1), [], [], [], []
            continue
        key, _, value = line.partition(":")
        if key.strip() == "ask" and value.strip():
            cues.append(value.strip())
        elif key.strip() == "asks" and value.strip():
            asks.append(value.strip())
        elif key.strip() == "says" and value.strip():
            pats.append(value.strip().replace("{N}", NUMBER))
        elif key.strip() == "unit" and "=>" in value:
            q, _, a = (v.strip() for v in value.partition("=>"))
            units.append((re.compile(q), re.compile(a.replace("{N}", NUMBER))))
    close()
    return tuple(out)


@lru_cache(maxsize=1)
def default_answer_types() -> tuple[AnswerType, ...]:
    text = resources.files("policyqa").joinpath("data/answer_types.txt").read_text(encoding="utf-8")
    return parse_answer_types(text.splitlines())


# the most specific kind first: it decides which clause says what was asked (不服…怎么办 asks a remedy
# more than a procedure); kinds not listed keep their file order after these
SPECIFICITY = ("contact", "start", "remedy", "penalty", "amount", "duration", "standard", "authority", "categories",
               "documents", "scope", "definition", "validity", "condition", "permission", "obligation", "procedure")
_SPECIFICITY_RANK = {name: i for i, name in enumerate(SPECIFICITY)}


def asked_types(question: str, types: tuple[AnswerType, ...] | None = None) -> tuple[AnswerType, ...]:
    """The kinds of answer ``question`` asks for (several, or none), the most specific first."""
    found = [t for t in (types if types is not None else default_answer_types()) if t.asked(question)]
    return tuple(sorted(found, key=lambda t: _SPECIFICITY_RANK.get(t.name, len(SPECIFICITY))))


# -- topics other departments handle -----------------------------------------------------------


@dataclass(frozen=True)
class OtherTopics:
    """Topic words another department handles (身份证 → 公安机关), from ``data/other_topics.txt``."""

    topics: tuple[tuple[str, str], ...]  # (word, department), longest word first

    def found(self, question: str) -> tuple[str, str] | None:
        """The first (longest) topic word in ``question`` and who handles it, or ``None``."""
        return next(iter(self.found_all(question)), None)

    def found_all(self, question: str) -> list[tuple[str, str]]:
        """Every topic word in ``question`` (longest first; a word inside a longer one found is skipped)."""
        out: list[tuple[str, str]] = []
        for w, d in self.topics:
            if w in question and not any(w in o for o, _ in out):
                out.append((w, d))
        return out


def _arrow_lines(lines: Iterable[str]) -> list[tuple[str, str]]:
    """``left`` or ``left => right`` per line (``#`` comments, blank lines skipped) → (left, right)."""
    out = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        left, _, right = (p.strip() for p in line.partition("=>"))
        if left:
            out.append((left, right))
    return out


def parse_other_topics(lines: Iterable[str]) -> OtherTopics:
    """``word`` or ``word => department`` per line; ``#`` comments."""
    return OtherTopics(tuple(sorted(_arrow_lines(lines), key=lambda x: -len(x[0]))))


@lru_cache(maxsize=1)
def default_other_topics() -> OtherTopics:
    text = resources.files("policyqa").joinpath("data/other_topics.txt").read_text(encoding="utf-8")
    return parse_other_topics(text.splitlines())


# -- who to contact about a document's matters ----------------------------------------------------


@lru_cache(maxsize=1)
def default_departments() -> dict[str, str]:
    """Document title → the department citizens contact about it (``data/departments.txt``)."""
    text = resources.files("policyqa").joinpath("data/departments.txt").read_text(encoding="utf-8")
    return {title: dept for title, dept in _arrow_lines(text.splitlines()) if dept}
