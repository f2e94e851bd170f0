"""Readers for the shared evaluation datasets (``../shared/datasets``), read from a path.

The data carry no redistribution licence (except STARD, MIT): they are read in place and
written only to temporary corpus folders, never into the repository.

Every reader returns a :class:`Dataset`: documents (id → text), questions with their gold
document ids, and ``canonical`` — a map from every document id to the first id with the
same text, so that documents with identical text count as the same document when scoring
(ncp_policy_qa has 5 such groups).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..documents.loaders import restore_paragraphs

NAMES = ("ncp_policy_qa", "msgabench_gov_qa", "stard")


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    gold: frozenset[str]  # gold document ids (any of them is a hit)
    answer: str = ""  # verbatim answer span, when the dataset has one (ncp)


@dataclass(frozen=True)
class Dataset:
    name: str
    docs: dict[str, str]  # document id -> text
    questions: list[Question]
    canonical: dict[str, str] = field(default_factory=dict)  # doc id -> representative of its identical-text group
    file_names: dict[str, str] = field(default_factory=dict)  # doc id -> corpus file stem (default: the id)

    def canon(self, doc_id: str) -> str:
        return self.canonical.get(doc_id, doc_id)

    def stem(self, doc_id: str) -> str:
        return self.file_names.get(doc_id, doc_id)

    def limited(self, limit: int, doc_limit: int = 0) -> "Dataset":
        """The first ``limit`` questions (0 = all); with ``doc_limit``, only questions whose gold
        documents are among the first ``doc_limit`` documents, and only those documents."""
        questions = self.questions
        docs = self.docs
        if doc_limit:
            keep = set(list(docs)[:doc_limit])
            docs = {k: v for k, v in docs.items() if k in keep}
            questions = [q for q in questions if q.gold & keep]
        if limit:
            questions = questions[:limit]
        return Dataset(self.name, docs, questions, self.canonical, self.file_names)


def default_datasets_dir() -> Path:
    """``$POLICYQA_DATASETS`` or ``../shared/datasets`` next to the repository."""
    env = os.environ.get("POLICYQA_DATASETS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "datasets"


def _jsonl(path: Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _canonical(docs: dict[str, str]) -> dict[str, str]:
    first: dict[str, str] = {}
    return {doc_id: first.setdefault(text, doc_id) for doc_id, text in docs.items()}


def read_ncp(root: Path) -> Dataset:
    """ncp_policy_qa: 599 COVID-era policy documents, 1,262 questions with a verbatim answer.

    The texts are written as stored (each one line: the crawl joined paragraphs with spaces);
    the product's text loader restores the paragraphs (``loaders.restore_paragraphs``).
    """
    folder = Path(root) / "ncp_policy_qa"
    docs = {}
    for d in _jsonl(folder / "corpus.jsonl"):
        docs[d["docid"]] = d["text"]
    canonical = _canonical({k: " ".join(v.split()) for k, v in docs.items()})
    questions = [
        Question(q["qid"], q["question"], frozenset({q["docid"]}), q["answer"])
        for q in _jsonl(folder / "queries.jsonl")
    ]
    return Dataset("ncp_policy_qa", docs, questions, canonical)


def read_msgabench(root: Path) -> Dataset:
    """msgabench_gov_qa: 2,058 Beijing government FAQ answers, 2,069 questions."""
    folder = Path(root) / "msgabench_gov_qa"
    docs = {d["pid"]: d["text"] for d in _jsonl(folder / "corpus.jsonl")}
    questions = [
        Question(q["qid"], q["question"], frozenset(q["gold_pids"]))
        for q in _jsonl(folder / "queries.jsonl")
        if q["question"].strip()
    ]
    return Dataset("msgabench_gov_qa", docs, questions, _canonical(docs))


def read_stard(root: Path) -> Dataset:
    """stard: lay legal questions → the 1,445 gold statute articles (no distractors).

    Each article is one document whose file is named after the article
    (``中华人民共和国民法典第五十四条``), as a user uploading statutes article by article would.
    """
    folder = Path(root) / "stard"
    docs = {d["docid"]: d["text"] for d in _jsonl(folder / "corpus_gold_articles.jsonl")}
    questions = [
        Question(str(q["qid"]), q["question"], frozenset(q["gold_docids"]))
        for q in _jsonl(folder / "queries.jsonl")
    ]
    return Dataset("stard", docs, questions, _canonical(docs))


def read(name: str, root: Path, **options) -> Dataset:
    readers = {"ncp_policy_qa": read_ncp, "msgabench_gov_qa": read_msgabench, "stard": read_stard}
    if name not in readers:
        raise ValueError(f"unknown dataset {name!r} (expected one of {', '.join(readers)})")
    return readers[name](Path(root), **options)


def passages(root: Path) -> list[tuple[str, str]]:
    """(source, text) of every passage in the shared datasets, for building large corpora.

    Uses all seven folders when present: ncp documents, msgabench answers, STARD articles,
    taidibei replies, CAIL judgments, CMRC 2018 and DRCD contexts.
    """
    root = Path(root)
    out: list[tuple[str, str]] = []
    f = root / "ncp_policy_qa" / "corpus.jsonl"
    if f.exists():
        out += [("ncp", restore_paragraphs(d["text"])) for d in _jsonl(f)]  # as the loader reads it
    f = root / "msgabench_gov_qa" / "corpus.jsonl"
    if f.exists():
        out += [("msga", d["text"]) for d in _jsonl(f)]
    f = root / "stard" / "corpus_gold_articles.jsonl"
    if f.exists():
        out += [("stard", d["docid"] + "\n" + d["text"]) for d in _jsonl(f)]
    f = root / "taidibei2020_gov_messages" / "messages_with_replies.jsonl"
    if f.exists():
        out += [("taidibei", r["reply"]) for r in _jsonl(f) if r.get("reply")]
    for sub, name in (("cail2019_cjrc", "dev_ground_truth.json"), ("cmrc2018", "cmrc2018_dev.json"),
                      ("cmrc2018", "cmrc2018_trial.json"), ("drcd", "DRCD_dev.json")):
        f = root / sub / name
        if f.exists():
            data = json.loads(f.read_text(encoding="utf-8"))
            out += [(sub, p["context"]) for a in data["data"] for p in a["paragraphs"]]
    return out
