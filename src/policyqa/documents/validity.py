"""Which texts are in force as of a date, computed over the whole corpus.

* Texts with the same title are **versions** of one regulation (``宁夏回族自治区供热条例`` 2011 and
  2025 revision).  Ordered by 施行日期 (``Document.effective``), the newest one already in effect
  is ``in_force``; older ones are ``superseded`` from the day the next version took effect; a
  version whose date is still ahead is ``not_yet_in_force`` (the previous one stays in force).
* A text that declares another repealed (``《城市供水条例》同时废止``) repeals it from its own
  施行日期, once that date has come: the repealed one is ``repealed``.
* A text with no known date counts as in force.

Dates are ISO strings (``2025-11-01``), compared as strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..models import Document, Validity


def compute_validity(documents: Sequence[Document], as_of: dt.date | None = None) -> dict[str, Validity]:
    """doc_id → :class:`Validity` as of ``as_of`` (default: today)."""
    today = (as_of or dt.date.today()).isoformat()
    by_title: dict[str, list[Document]] = {}
    for d in documents:
        by_title.setdefault(d.title, []).append(d)
    out: dict[str, Validity] = {}
    for title, versions in by_title.items():
        versions.sort(key=lambda d: (d.effective or "", _latest(d), d.doc_id))
        ids = tuple(d.doc_id for d in versions)
        started = [d for d in versions if not d.effective or d.effective <= today]
        current = started[-1] if started else None
        for i, d in enumerate(versions):
            if d.effective and d.effective > today:
                out[d.doc_id] = Validity("not_yet_in_force", d.effective, "", "", ids)
            elif d is current or current is None:
                out[d.doc_id] = Validity("in_force", d.effective, "", "", ids)
            else:
                newer = next(v for v in versions[i + 1 :] if v in started)
                out[d.doc_id] = Validity("superseded", newer.effective, newer.doc_id, newer.title, ids)
    for repealer in documents:
        if not repealer.repeals or (repealer.effective and repealer.effective > today):
            continue
        if not out[repealer.doc_id].in_force:
            continue
        for d in documents:
            if d.title in repealer.repeals and d.doc_id != repealer.doc_id and out[d.doc_id].status != "repealed":
                out[d.doc_id] = Validity("repealed", repealer.effective, repealer.doc_id, repealer.title,
                                         out[d.doc_id].versions)
    return out


def _latest(d: Document) -> str:
    return max((h.split()[0] for h in d.history), default="")
