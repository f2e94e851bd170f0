"""Direct lead: a short opening that settles the question in the quotes' own words.

Built only from the quotes, never from the question: the fragment of a quote (the text between two
punctuation marks) that says what was asked — the figure and unit for an amount or a time limit
(「不低于二十摄氏度」), the penalty (「处五万元以上二十万元以下的罚款」), the 可以 / 不得 / 应当 wording
for may-I and must-they questions — copied verbatim with its citation marker.  Every fragment is a
substring of its citation's quote (``tests/test_lead.py`` checks this on the evaluation questions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from .intent import NUMBER, AnswerType
from .models import Citation
from .sanctions import PARTY

# may-I questions are led by what permits or forbids, must-they questions by what obliges
POLARITY = {"permission": re.compile(r"不得|禁止|严禁|可以|有权"), "obligation": re.compile(r"应当|必须|有义务")}
FIGURE = re.compile(NUMBER)
FRAGMENT = re.compile(r"[^，。；：,;:！？!?\n「」]+")
SANCTION = re.compile(r"罚款|没收|吊销|责令|处分")
SENTENCE = re.compile(r"[^。；;！？!?\n「」]+")
MAX_FRAGMENT = 60  # characters: a lead is short, or it is not given
LEAD = "简要回答：「{fragment}」[{marker}]。"
# what a lead can say, most specific first: a question asking for a penalty is led only by a
# penalty, one asking for a figure only by a figure (in the unit asked), a may-I / must-they
# question only by 可以 / 不得 / 应当 wording that shares at least two of its words
FIGURE_TYPES = ("amount", "duration")
POLAR_TYPES = ("permission", "obligation")
MIN_POLAR_WORDS = 2  # printed words (住房公积金 once, not also 住房 and 公积金)
DATE = re.compile(NUMBER + r"年" + NUMBER + r"月" + NUMBER + r"日")  # a date is not a time limit
SHORT_FRAGMENT = 6  # characters: a piece this short is read with the piece before it
_LABEL = r"[（(][一二三四五六七八九十0-9０-９]{1,3}[）)]"  # （二） / (二): an item's label
ITEM_LABEL = re.compile(r"^\s*" + _LABEL)  # a sentence that is an item of a list
# 按照本条第二款的规定 / an item's label (四): a reference or a label, not a figure
REFERENCE = re.compile(r"第[^，。；第]{1,6}?[编章节条款项目]|" + _LABEL)
# a sanction split by party (个人…，处…；单位…，处…: ``sanctions.PARTY``) leads with the party the question asks about
PARTY_ASKED = re.compile(r"对(?:这种|这个|这家|该)?([^，。？?！!、]{1,8}?)(?:能|会|可以|要|该|应该|怎么|如何)?(?:罚|处罚|处理)")
ORGANISATION = re.compile(r"公司|企业|单位|饭店|餐馆|饭馆|商户|商家|商铺|门店|开发商|工厂|厂家|机构")
INDIVIDUAL = re.compile(r"个人|一个人|自己|本人|居民|住户|邻居|租客|业主|他|她|我")
PARTY_BONUS = 0.5  # as much as half a shared word of the question
# the question's words a lead may share: its own and its expansions, and a follow-up's words carried
# over from the question before (query.HISTORY_WEIGHT: 保修期是多久 after 房子漏水 is led by 防渗漏，为5年);
# not the words that ask (罚多少) or single characters
MIN_WORD_WEIGHT = 0.3
COMMAS = ("，", ",")  # …the piece before it across a comma only
PREMISE = re.compile(r"的$")  # 有收益的 / 逾期不改正的: the case of what follows, not the end of what precedes


def direct_lead(
    question: str,
    answer_types: Sequence[AnswerType],
    citations: Sequence[Citation],
    weights: Mapping[str, float],
    found: Callable[[str, Iterable[str]], set[str]] | None = None,
) -> str:
    """``简要回答：「…」[n]。`` from the quote fragment that says what ``question`` asks for, or ``""``.

    ``weights``: the question's words (``QueryAnalysis.weights``); among the fragments that say the
    asked kind of thing, the one sharing most of them wins (the earlier quote on ties).  ``found``
    (``Segmenter.found_as_words``) tells which words a fragment holds as words, not straddling two
    (房租 is not in 住房|租赁); without it a word counts wherever its characters appear.
    """
    names = {t.name for t in answer_types}
    figure = bool(names & set(FIGURE_TYPES))
    if "penalty" in names:
        wanted = [t for t in answer_types if t.name == "penalty"]
    elif names & set(FIGURE_TYPES):
        wanted = [t for t in answer_types if t.name in FIGURE_TYPES]
    else:
        wanted = [t for t in answer_types if t.name in POLAR_TYPES]
    if not wanted:
        return ""
    best, best_key = "", None
    polar = wanted[0].name in POLAR_TYPES
    need = MIN_POLAR_WORDS if polar else 1
    party = asked_party(question) if "penalty" in names else None
    for marker, c in enumerate(citations, 1):
        # 可以 / 不得 is read to the end of its sentence: a piece cut at a comma can lose what it
        # permits or forbids (供热单位不得因部分热用户未支付采暖费，停止向其他热用户供热…)
        for sentence, fragment in _sentence_ends(c.quote) if polar else _fragments_by_sentence(c.quote):
            if len(fragment) > MAX_FRAGMENT or not any(_says(t, fragment, question) for t in wanted):
                continue
            if not polar and PREMISE.search(fragment):
                continue  # 建筑面积在五万平方米以内的 states a case, not what holds in it
            if polar and SANCTION.search(fragment):
                continue  # 可以并处罚款 is what an authority may do to an offender, not the citizen's may-I
            if figure and (not _has_figure(fragment) or DATE.search(fragment)):
                continue  # 罚多少 is led by the amount of the fine, 多少天 by a time limit, not a date
            # the fragment must be about the question, not only say a figure or 应当
            # an item is read with the sentence introducing its list (最低保修期限为：…（二）…防渗漏，为5年)
            read = _list_intro(c.quote, sentence) + fragment
            shared = [w for w, x in weights.items() if x >= MIN_WORD_WEIGHT and len(w) > 1 and not FIGURE.fullmatch(w) and w in read]
            if found is not None and shared:
                held = found(read, shared)
                shared = [w for w in shared if w in held]
            # a printed word counts once: 住房公积金 holds 住房 and 公积金, it is not three shared words
            whole = [w for w in shared if not any(w != o and w in o for o in shared)]
            if len(whole) < need:
                continue
            said_party = PARTY.match(fragment) or PARTY.match(sentence)  # 对个人可以处… / 个人有…的，处…
            bonus = PARTY_BONUS if party and said_party and said_party.group(1) == party else 0.0
            key = (sum(max(weights[x] for x in shared if x in w) for w in whole) + bonus, -marker)
            if best_key is None or key > best_key:
                # an item's label is the list's numbering, not what it says: 「屋面防水工程…，为5年」
                best, best_key = LEAD.format(fragment=ITEM_LABEL.sub("", fragment).strip() or fragment, marker=marker), key
    return best


def _fragments(quote: str) -> list[str]:
    """The quote's pieces between punctuation; a very short piece (为5年) keeps the one before it
    across a comma (有防水要求的卫生间、房间和外墙面的防渗漏，为5年), joined as printed — not across
    a 。 or ；, and not a premise (有收益的, 情节严重的), which opens what follows it."""
    out: list[str] = []
    prev_start = prev_end = None
    for m in FRAGMENT.finditer(quote):
        piece = m.group().strip()
        if not piece:
            continue
        joins = prev_start is not None and quote[prev_end : m.start()].strip() in COMMAS and not PREMISE.search(piece)
        if len(piece) < SHORT_FRAGMENT and joins:
            out.append(quote[prev_start : m.end()].strip())
        else:
            out.append(piece)
        prev_start, prev_end = m.start(), m.end()
    return out


def _fragments_by_sentence(quote: str) -> list[tuple[str, str]]:
    """(sentence, fragment) for each :func:`_fragments` piece of each sentence of the quote."""
    return [(m.group().strip(), f) for m in SENTENCE.finditer(quote) for f in _fragments(m.group())]


def _sentence_ends(quote: str) -> list[tuple[str, str]]:
    """(sentence, lead) for each sentence of the quote (to 。；！？ or a line end, without a closing
    list colon): the whole sentence when it is short (≤ ``MAX_FRAGMENT``), else its last piece
    between commas, which ends it."""
    out = []
    for m in SENTENCE.finditer(quote):
        sentence = m.group().strip().rstrip("：:")
        if not sentence:
            continue
        pieces = _fragments(sentence)
        out.append((sentence, sentence if len(sentence) <= MAX_FRAGMENT or not pieces else pieces[-1]))
    return out


def _list_intro(quote: str, sentence: str) -> str:
    """The sentence of ``quote`` introducing the list whose item ``sentence`` is (the text from the
    last 。 before the item's run to its colon: 在正常使用条件下，建设工程的最低保修期限为：), or ``""``
    when ``sentence`` is no item or its list's introduction is not quoted."""
    if not ITEM_LABEL.match(sentence):
        return ""
    at = quote.find(sentence)
    colon = max(quote.rfind("：", 0, at), quote.rfind(":", 0, at))
    if at < 0 or colon < 0:
        return ""
    return quote[quote.rfind("。", 0, colon) + 1 : colon + 1].strip()


def asked_party(question: str) -> str | None:
    """``单位`` or ``个人``: whom a penalty question asks about — the one named after 对 (对物业公司能罚
    多少), else an organisation (饭店、公司) or a person (他一个人) when only one kind is named."""
    m = PARTY_ASKED.search(question)
    named = m.group(1) if m else question
    org, person = bool(ORGANISATION.search(named)), bool(INDIVIDUAL.search(named))
    if org != person:
        return "单位" if org else "个人"
    return None


def _has_figure(fragment: str) -> bool:
    """Does ``fragment`` state a figure — not counting references (按照本条第二款的规定)?"""
    return bool(FIGURE.search(REFERENCE.sub("", fragment)))


def _says(t: AnswerType, fragment: str, question: str) -> bool:
    if t.name in POLAR_TYPES:
        return bool(POLARITY[t.name].search(fragment))
    if t.name in FIGURE_TYPES and (not _has_figure(fragment) or DATE.search(fragment)):
        return False  # 期限 / 之前 say there is a time limit, not what it is; a date is not one
    return t.said(fragment, question)


__all__ = ["asked_party", "direct_lead"]
