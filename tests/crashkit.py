"""Crash a policyqa process at an exact moment (run as a script by the recovery tests).

    python tests/crashkit.py SETTINGS_JSON OPERATION [--kill-at SPEC] [--journal FILE]

OPERATION: ``build`` (QAEngine.build), ``upload:NAME`` (IndexManager.add_document of a small
document, then wait), ``delete:DOC_ID`` (remove_document, then wait) or ``churn`` (upload and
delete generated documents for ever, journalling each acknowledged change; killed from outside).

SPEC arms a SIGKILL of this very process: ``replace:NAME:before|after`` kills when ``os.replace``
is called with a destination named NAME (``CURRENT``, or ``*.txt`` for any .txt), before or
after the rename; ``manifest`` kills when a build writes its manifest (the build folder is
then complete but for it).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import signal
import sys
from pathlib import Path

DOC = "关于第{n}批试点的通知\n一、工作安排\n1.开展第{n}批试点。各区在{n}月底前完成，居民可向街道咨询。\n"


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(spec: str) -> None:
    if spec == "manifest":
        from policyqa.index import storage

        storage.Manifest.write = lambda self, path: die()  # type: ignore[method-assign]
        return
    kind, pattern, when = spec.split(":")
    assert kind == "replace" and when in ("before", "after"), spec
    real = os.replace

    def replace(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        hit = fnmatch.fnmatch(Path(dst).name, pattern)
        if hit and when == "before":
            die()
        real(src, dst, *args, **kwargs)
        if hit and when == "after":
            die()

    os.replace = replace  # type: ignore[assignment]


def journal(path: Path | None, line: str) -> None:
    if path is None:
        return
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def churn(manager, corpus: Path, log: Path | None) -> None:  # type: ignore[no-untyped-def]
    from policyqa.documents.loaders import doc_id_for

    n = 0
    while True:
        n += 1
        mine = sorted(p.name for p in corpus.glob("churn-*.txt"))
        if len(mine) >= 2 or (mine and n % 2):
            name = mine[0]
            journal(log, f"remove {name}")
            manager.remove_document(doc_id_for(name))
            if manager.wait(120).state == "idle":
                journal(log, f"removed {name}")
        else:
            name = f"churn-{os.getpid()}-{n}.txt"
            journal(log, f"add {name}")
            # unique per process: a killed process's file with the same text would be a duplicate upload
            manager.add_document(name, DOC.format(n=f"{os.getpid()}-{n}").encode("utf-8"))
            if manager.wait(120).state == "idle":
                journal(log, f"added {name}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("settings")
    parser.add_argument("operation")
    parser.add_argument("--kill-at", default="")
    parser.add_argument("--journal", type=Path)
    args = parser.parse_args()
    from policyqa.config import Settings
    from policyqa.engine import QAEngine
    from policyqa.manager import IndexManager

    settings = Settings(**json.loads(args.settings))
    manager = None if args.operation == "build" else IndexManager(settings, warmup=False)
    if args.kill_at:
        arm(args.kill_at)
    operation, _, arg = args.operation.partition(":")
    if operation == "build":
        QAEngine.build(settings)
    elif operation == "upload":
        manager.add_document(arg, DOC.format(n=7).encode("utf-8"))
        manager.wait(120)
    elif operation == "delete":
        manager.remove_document(arg)
        manager.wait(120)
    elif operation == "churn":
        churn(manager, Path(settings.corpus_dir), args.journal)
    print("finished without being killed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
