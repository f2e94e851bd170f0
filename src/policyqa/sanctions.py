"""What a penalty article sanctions: the acts of its 法律责任 sentences and list items.

A question asking for a penalty (…罚多少) describes an act in everyday words; the article that answers
it is the one whose sanctioned act the question describes, not the one that shares most of its words
(宁夏物业条例 第五十三条 shares 未经业主大会同意、物业服务企业 with 物业公司没经过业主同意，把电梯里的广告位
租出去赚钱, but sanctions 改变物业服务用房的用途; 第五十四条(三) sanctions 擅自利用物业共用部位、共用设施设备
进行经营).  ``retrieval.HybridRetriever.act_share`` weighs this as a re-ranking feature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from .models import Clause

# the act a penalty sentence sanctions: 违反本条例规定，<act>的，由…处…罚款 (or an item of its list)
ACT = re.compile(r"^(?:违反本(?:条例|法|办法|规定)(?:的)?规定，)?(.+?)的，(?:由|处|责令|依法)")
SANCTIONS = re.compile(r"罚款|没收|责令|给予[^，。；]{0,6}处分|拘留")  # an article that sanctions acts
ACT_STOP = frozenset({"违反", "条例", "规定", "本条例", "擅自"})  # words of every act: 擅自 is 没经过同意
# the party a sanction sentence names first (个人有前款规定行为之一的，处… / 对单位可以处…)
PARTY = re.compile(r"^(?:对)?(个人|单位)")

Act = tuple[tuple[tuple[str, float], ...], float]  # (word, IDF) pairs of one act, and their IDF sum


class SanctionedActs:
    """The acts each clause sanctions, read once per clause (kept with the index it was built for:
    at most one entry per clause).

    ``cut``: the segmenter's index cut; ``idf``: a word's IDF in the clause index, ``None`` for a word
    it does not hold."""

    def __init__(self, cut: Callable[[str], list[str]], idf: Callable[[str], float | None]) -> None:
        self._cut = cut
        self._idf = idf
        self._cache: dict[str, tuple[Act, ...]] = {}

    def of(self, clause: Clause) -> tuple[Act, ...]:
        """The acts ``clause`` sanctions: each list item, and what each sentence sanctions (``ACT``);
        none for an article that sanctions nothing (有下列情况之一的，燃气管理部门应当采取措施: its
        items are no acts)."""
        cached = self._cache.get(clause.key)
        if cached is not None:
            return cached
        out: list[Act] = []
        if SANCTIONS.search(clause.text):
            items = [p for p in clause.parts if p.kind == "item"]
            for s in clause.sentences:
                if any(p.start <= s.start < p.end for p in items):
                    act = s.text
                elif m := ACT.search(s.text):
                    act = m.group(1)
                else:
                    continue
                words = {w: idf for w in self._cut(act)
                         if len(w) > 1 and w not in ACT_STOP and (idf := self._idf(w)) is not None}
                if total := sum(words.values()):
                    out.append((tuple(words.items()), total))
        self._cache[clause.key] = result = tuple(out)
        return result

    def share(self, asked: Collection[str], clause: Clause) -> float:
        """The best IDF-weighted share of one act's words that ``asked`` (the question's words and
        their expansion) holds, 0..1; 0 for a clause that sanctions nothing."""
        return max((sum(v for w, v in words if w in asked) / total for words, total in self.of(clause)), default=0.0)


__all__ = ["ACT", "PARTY", "SANCTIONS", "SanctionedActs"]
