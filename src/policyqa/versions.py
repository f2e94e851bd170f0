"""The notes an answer carries about versions and validity (``answering.Answerer``).

* which version of a regulation is quoted and since when, and what the superseded text said on the
  point quoted (2011年文本第二十一条原规定：「…不得低于18℃…」, ``former.FormerTexts``);
* for a quoted text no longer in force (only when nothing in force answers): what replaced it;
* for a question naming a text no longer in force (《城市供水条例》还有效吗): its status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .former import FormerTexts
from .models import Citation, Document, Validity


class VersionNotes:
    """Notes on the versions and validity of quoted and named documents (``documents``: doc_id →
    document; ``validity``: doc_id → its status as of the configured date)."""

    def __init__(self, documents: Mapping[str, Document], validity: Mapping[str, Validity], former: FormerTexts) -> None:
        self.documents = documents
        self.validity = validity
        self.former = former

    def status(self, doc_id: str) -> Validity:
        return self.validity.get(doc_id) or Validity()

    def named(self, question: str, citations: Sequence[Citation]) -> tuple[str, ...]:
        """A question that names a text no longer in force (《城市供水条例》还有效吗) is told its status."""
        cited = {c.doc_id for c in citations}
        notes = []
        for doc_id, doc in self.documents.items():
            v = self.status(doc_id)
            if v.in_force or doc_id in cited or not (doc.title in question or f"《{doc.title}》" in question):
                continue
            if any(self.status(d).in_force and self.documents[d].title == doc.title for d in v.versions if d in self.documents):
                continue  # the question names the regulation, whose text in force answers
            notes.append(f"《{doc.title}》{no_longer_in_force(v)}。")
        return tuple(notes)

    def of_citations(self, citations: Sequence[Citation]) -> tuple[str, ...]:
        """For a cited text that replaced an older one: which version is quoted and since when, and
        what the older text said on the point; for a cited text no longer in force (only when nothing
        in force answers): what replaced it."""
        notes = []
        for doc_id in dict.fromkeys(c.doc_id for c in citations):
            v = self.status(doc_id)
            doc = self.documents.get(doc_id)
            if doc is None:
                continue
            if v.in_force:
                older = [self.documents[d] for d in v.versions if d != doc_id and d in self.documents]
                if older:
                    olds = "、".join(f"{_version_name(o)}文本" for o in older)
                    notes.append(
                        f"以上依据现行有效的《{doc.title}》（{doc.version or '现行文本'}，自{cn_date(doc.effective)}起施行）；"
                        f"此前的{olds}已被取代，不再适用。" + self._former_wording(doc_id, older, citations)
                    )
            else:
                version = f"（{doc.version}）" if doc.version else ""
                replaced = no_longer_in_force(v, "被废止", "被修订后的文本取代")
                notes.append(f"《{doc.title}》{version}{replaced}，以上引文仅供了解历史规定。")
        return tuple(notes)

    def _former_wording(self, doc_id: str, older: list[Document], citations: Sequence[Citation]) -> str:
        """What the newest superseded text said on the point quoted from ``doc_id`` (its first
        quote): 2011年文本第二十一条原规定：「…不得低于18℃…」; ``""`` when it has no counterpart
        sentence or says the same."""
        quote = next(c.quote for c in citations if c.doc_id == doc_id)
        old = older[-1]
        found = self.former.counterpart(quote, old.doc_id)
        if found is None:
            return ""
        return f"{_version_name(old)}文本{found.clause.label}原规定：「{found.sentence}」"


def _version_name(doc: Document) -> str:
    return doc.version or doc.effective[:4] + "年"


def no_longer_in_force(v: Validity, repealed: str = "废止", superseded: str = "取代") -> str:
    """已自2026年6月1日起由《供水条例》废止 / 已自…起由《…》取代 / 尚未施行 (the verbs as the note words them)."""
    if v.status == "not_yet_in_force":
        return "尚未施行"
    since = f"自{cn_date(v.since)}起" if v.since else ""
    by = f"由《{v.replaced_by_title}》" if v.replaced_by_title else ""
    return f"已{since}{by}{repealed if v.status == 'repealed' else superseded}"


def cn_date(iso: str) -> str:
    """``2025-11-01`` → ``2025年11月1日``."""
    try:
        y, m, d = iso.split("-")
        return f"{int(y)}年{int(m)}月{int(d)}日"
    except ValueError:
        return iso


__all__ = ["VersionNotes", "cn_date", "no_longer_in_force"]
