"""Document metadata read from the text itself, with staff overrides.

What a careful reader takes from a Chinese legal or policy text:

* **title** — the first line when it reads as a title (``宁夏回族自治区供热条例``); the rest of the
  file name then becomes the ``version`` label (``宁夏回族自治区供热条例（2025年修订）.txt`` →
  ``2025年修订``);
* **history** — the dated lines under the title (``2011年12月1日…通过　2025年9月29日…修订`` →
  ``("2011-12-01 通过", "2025-09-29 修订")``);
* **number** — the 令号/文号 printed there (``国务院令第262号``, ``宁政发〔2022〕12号``);
* **issuer** and **level** (法律 / 行政法规 / 地方性法规 / 规范性文件 / 工作计划) — from the title and
  the adopting body;
* **effective** (施行日期) — the final article's ``本条例自2025年11月1日起施行`` (``自发布之日起施行``
  takes the publication date); an amended or revised text takes effect no earlier than its latest
  revision;
* **repeals** — ``《城市供水条例》同时废止``.

Staff override any field with YAML-style front matter at the top of a ``.txt``/``.md`` file
(``---`` / ``level: 规范性文件`` / ``---``) or a ``metadata.jsonl`` sidecar in the document's folder
(one JSON object per line with ``file`` = the file name).  Validity over the corpus as of a date is
``documents.validity``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from pathlib import Path
from typing import Any

from ..models import Document
from .numbering import halfwidth

logger = logging.getLogger(__name__)

FIELDS = ("title", "version", "level", "issuer", "number", "history", "effective", "repeals")
LEVELS = ("法律", "行政法规", "地方性法规", "部门规章", "地方政府规章", "规范性文件", "工作计划", "其他")
SIDECAR = "metadata.jsonl"
HEADER_LINES = 8

_DOC_TYPE = re.compile(
    r"(?:法|条例|办法|规定|细则|规则|决定|通知|意见|要点|方案|计划|须知|公告|通告|指引|指南|标准|纲要|规划|意见稿)"
    r"(?:[（(][^）)]{1,12}[）)])?$"
)
_DATE_ACT = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日[^年\n]{0,90}?(通过|发布|公布|修订|修正|批准|施行|印发)"
)
_ORDER_NO = re.compile(r"(?:中华人民共和国)?([\u4e00-\u9fff]{1,12}令)\s*第\s*(\d+)\s*号")
_DOC_NO = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号")
_EFFECTIVE = re.compile(
    r"本(?:条例|法|办法|规定|细则|规则|决定|通知|意见|方案)(?:修订|修正)?(?:后)?自(?:(\d{4})年(\d{1,2})月(\d{1,2})日|(发布|公布|印发)之日)起施行"
)
_REPEAL_SENTENCE = re.compile(r"[^。；\n]*同时废止")
_TITLE = re.compile(r"《([^《》\n]{2,60})》")
_LOCAL = re.compile(r"^(?:[\u4e00-\u9fff]{1,8}(?:省|自治区|市|州|县))")
_LOCAL_CONGRESS = re.compile(r"([\u4e00-\u65e4\u65e6-\u9fff]{2,10}?(?:省|自治区|市))第[^届]{1,4}届人民代表大会常务委员会")
_BODY_START = re.compile(r"^(?:第\s*[一二三四五六七八九十百零〇\d]+\s*[章条编节]|目\s*录|[一二三四五六七八九十]+、)")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


# -- front matter and sidecars ------------------------------------------------------------


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """``---\\nkey: value\\n---\\n`` at the top of a text → (fields, text without it).  Only the
    metadata ``FIELDS`` are read; ``history``/``repeals`` take ``；``-separated values."""
    m = _FRONT.match(text)
    if not m:
        return {}, text
    fields: dict[str, Any] = {}
    for line in m.group(1).split("\n"):
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and key in FIELDS and value.strip():
            fields[key] = value.strip().strip("\"'")
    return (fields, text[m.end() :]) if fields else ({}, text)


def read_sidecar(folder: Path) -> dict[str, dict[str, Any]]:
    """``metadata.jsonl`` in ``folder`` → {file name: fields}; bad lines are logged and skipped."""
    path = Path(folder) / SIDECAR
    if not path.is_file():
        return {}
    out: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            logger.warning("%s:%d is not JSON; skipped", path, n)
            continue
        if isinstance(row, dict) and isinstance(row.get("file"), str):
            out[row["file"]] = {k: v for k, v in row.items() if k in FIELDS and v not in ("", None, [])}
    return out


# -- inference ------------------------------------------------------------------------------


def describe(doc: Document, stem: str = "", overrides: dict[str, Any] | None = None) -> Document:
    """``doc`` with its metadata read from the text (see module docstring), then ``overrides``
    (front matter or sidecar fields) applied; ``stem`` is the file name without suffix."""
    stem = stem or doc.title
    lines = [ln.strip() for ln in doc.text.split("\n") if ln.strip()]
    header: list[str] = []
    for ln in lines[:HEADER_LINES]:
        if _BODY_START.match(halfwidth(ln)):
            break
        header.append(ln)
    title, version = _title(lines[0] if lines else "", doc.title, stem)
    head = "\n".join(_unwrap(header[1:] if header and header[0] == title else header))
    history = tuple(f"{y}-{int(mo):02d}-{int(d):02d} {act}" for y, mo, d, act in _DATE_ACT.findall(head))
    number = ""
    if m := _ORDER_NO.search(head):
        number = f"{m.group(1)}第{m.group(2)}号"
    elif m := _DOC_NO.search(head):
        number = m.group(0)
    issuer = _issuer(head, number)
    level = _level(title, issuer, number)
    effective = _effective(doc.text, history)
    repeals = tuple(
        dict.fromkeys(t for s in _REPEAL_SENTENCE.findall(doc.text) for t in _TITLE.findall(s) if t != title)
    )
    fields: dict[str, Any] = dict(
        title=title, version=version, level=level, issuer=issuer, number=number, history=history,
        effective=effective, repeals=repeals,
    )
    for key, value in (overrides or {}).items():
        if key in ("history", "repeals"):
            value = tuple(v.strip() for v in (value if isinstance(value, list) else re.split(r"[；;]", str(value))) if v.strip())
        elif key == "effective":
            value = _iso(str(value)) or fields["effective"]
        else:
            value = str(value).strip()
        fields[key] = value
    if "history" in (overrides or {}) and "effective" not in (overrides or {}):
        fields["effective"] = _effective(doc.text, fields["history"])  # a revision staff added counts
    return dataclasses.replace(doc, **fields)


_ACT_END = re.compile(r"(?:通过|发布|公布|修订|修正|批准|施行|印发)[）)\]】。；;，,\s]*$")
_DATED = re.compile(r"^[（(]?\s*\d{4}\s*年")


def _unwrap(lines: list[str]) -> list[str]:
    """Header lines with their wraps re-joined: a line that does not end its act (…《关于修改〈土地管理法〉)
    continues on the next line unless that one starts a new date (〈城市房地产管理法〉的决定》第三次修正)."""
    out: list[str] = []
    for ln in lines:
        if out and not _ACT_END.search(out[-1]) and not _DATED.match(ln):
            out[-1] += ln
        else:
            out.append(ln)
    return out


def _title(first: str, current: str, stem: str) -> tuple[str, str]:
    """The text's first line when it reads as a title; the file name's remainder as version."""
    title = current
    if (
        current == stem  # a title the file itself declares (HTML <title>, DOCX core property) stays
        and first
        and len(first) <= 60
        and re.search(r"[\u4e00-\u9fff]", first)
        and first[-1] not in "。！？；.!?;，,："
        and _DOC_TYPE.search(first)
        and not _BODY_START.match(halfwidth(first))
    ):
        title = first.strip("《》 ")
    version = ""
    if title != stem and stem.startswith(title):
        version = stem[len(title) :].strip(" _-—（）()")
    return title, version


def _issuer(head: str, number: str) -> str:
    if "全国人民代表大会常务委员会" in head:
        return "全国人民代表大会常务委员会"
    if "全国人民代表大会" in head:
        return "全国人民代表大会"
    if m := _LOCAL_CONGRESS.search(head):
        return f"{m.group(1)}人民代表大会常务委员会"
    if "国务院" in head or number.startswith("国务院令"):
        return "国务院"
    return ""


def _level(title: str, issuer: str, number: str) -> str:
    if issuer.startswith("全国人民代表大会") or (title.startswith("中华人民共和国") and title.endswith("法")):
        return "法律"
    if issuer == "国务院" or number.startswith("国务院令"):
        return "行政法规"
    if issuer.endswith("人民代表大会常务委员会"):
        return "地方性法规"
    if re.search(r"工作要点|工作计划|实施方案|行动方案|工作方案", title):
        return "工作计划"
    if re.search(r"条例(?:[（(].*[）)])?$", title):
        return "地方性法规" if _LOCAL.match(title) else "行政法规"
    if re.search(r"办法|通知|意见|规定|细则|须知|指引|公告|通告", title):
        return "规范性文件"
    return ""


def _effective(text: str, history: tuple[str, ...]) -> str:
    """施行日期: the ``本…自…起施行`` sentence (the last one in the text), at the earliest the latest
    revision's date for a revised or amended text."""
    found = _EFFECTIVE.findall(text)
    date = ""
    if found:
        y, mo, d, published = found[-1]
        if y:
            date = f"{y}-{int(mo):02d}-{int(d):02d}"
        elif published:
            date = next((h.split()[0] for h in history if h.split()[1] in ("发布", "公布", "印发", "通过")), "")
    revisions = [h.split()[0] for h in history if h.split()[1] in ("修订", "修正")]
    if revisions and max(revisions) > date:
        date = max(revisions)
    return date


def _iso(value: str) -> str:
    m = re.match(r"^\s*(\d{4})[-年./](\d{1,2})[-月./](\d{1,2})", value)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""
