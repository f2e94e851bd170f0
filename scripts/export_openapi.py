#!/usr/bin/env python
"""Write the service's OpenAPI schema to api/openapi.json (deterministic: sorted keys, UTF-8).

    python scripts/export_openapi.py            # (re)write api/openapi.json
    python scripts/export_openapi.py --check    # exit 1 if the committed file is out of date

No index is loaded: the schema does not depend on the corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "api" / "openapi.json"


def render() -> str:
    from policyqa.config import Settings
    from policyqa.feedback import FeedbackLog
    from policyqa.manager import IndexManager
    from policyqa.service import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(corpus_dir=Path(tmp), index_dir=Path(tmp) / "index", data_dir=Path(tmp))
        log = FeedbackLog(":memory:")
        try:
            app = create_app(IndexManager(settings, load=False), settings, feedback_log=log)
            spec = app.openapi()
        finally:
            log.close()
    return json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output file (default: api/openapi.json)")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the file differs")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            sys.stderr.write(f"{args.out} is out of date: run python scripts/export_openapi.py\n")
            return 1
        sys.stdout.write(f"{args.out} is current\n")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {args.out} ({len(text)} bytes)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
