"""Console progress of an index build: what ``policyqa index`` and ``policyqa serve`` show on stderr.

:class:`BuildProgress` is a build progress callback ``(stage, done, total)`` — the ``Progress``
that :meth:`policyqa.engine.QAEngine.build` and :class:`policyqa.manager.IndexManager` report
to.  The build's stages, in order: ``load`` (documents), ``structure`` (articles and clauses),
``segment`` (passages), ``embed`` (passages, reported per embedding batch), ``save``; the
manager adds ``starting``, ``warmup`` and ``done`` / ``failed``.

Two forms, both on one text stream (``sys.stderr`` by default, looked up at each call):

* ``live=True`` (``policyqa index`` on a terminal): one line per stage, rewritten in place with
  ``\\r`` (done/total; for ``embed`` also the rate and the ETA), ended when the stage completes;
* ``live=False`` (a pipe or a log file, and always under ``policyqa serve``, where uvicorn writes
  its own lines to the same stream): whole lines only, bounded — one when a stage starts, one when
  it completes (a stage reported once gets one line), and for ``embed`` one per ``step`` (default 10 %) of the passages, so a build of
  any size prints about twenty lines.

Every line starts with ``[index <seconds since the build started>]``.  This is an edge helper
(the CLI and the server use it); the library itself only logs.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

#: What ``done``/``total`` count in each build stage.
UNITS = {"load": "documents", "structure": "clauses", "segment": "passages", "embed": "passages"}


class BuildProgress:
    """A ``(stage, done, total)`` callback printing build progress (see the module doc).

    ``stream``: where to write (default: ``sys.stderr`` at the time of each call);
    ``live``: rewrite one line per stage in place (a terminal) instead of printing whole lines;
    ``step``: the share of the ``embed`` stage between two lines when not live (0.1 = every 10 %);
    ``clock``: seconds, monotonic (tests pass a fake).  Safe to call from a build thread.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool = False,
        step: float = 0.1,
        clock=time.perf_counter,
    ) -> None:
        self._stream = stream
        self.live = live
        self.buckets = max(1, round(1 / step)) if step > 0 else 1
        self._clock = clock
        self._lock = threading.Lock()
        self._t0 = clock()  # when the current build started
        self._stage = ""
        self._first: tuple[float, int] = (self._t0, 0)  # (time, done) of the current stage's first report
        self._previous: tuple[str, int, int] | None = None
        self._bucket = -1
        self._open_line = False  # live: a \r line not yet ended

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            now = self._clock()
            if (stage, done, total) == self._previous:
                return  # the embedder and the build both report the last batch
            self._previous = (stage, done, total)
            if stage == "starting":
                self._t0 = now
            first = stage != self._stage
            if first:
                # the rate counts from the first report on (the first batch also loads the model)
                self._first, self._bucket = (now, done), -1
            self._stage = stage
            line = self._line(stage, done, total, now)
            if self.live:
                self._write_live(line, first=first, complete=done >= total or stage in ("done", "failed"))
            elif self._wanted(stage, done, total, first):
                self.stream.write(line + "\n")
                self.stream.flush()
            if stage in ("done", "failed"):
                self._stage, self._previous = "", None
                self._t0 = now  # the next build starts its own clock

    def _wanted(self, stage: str, done: int, total: int, first: bool) -> bool:
        """Whole-line form: a stage's first report, its completion, and each ``step`` of ``embed``."""
        bucket = done * self.buckets // total if total > 0 else self.buckets
        if stage == "embed" and bucket > self._bucket:
            self._bucket = bucket
            return True
        self._bucket = max(self._bucket, bucket)
        return first or done >= total

    def _line(self, stage: str, done: int, total: int, now: float) -> str:
        head = f"[index {now - self._t0:5.1f}s] {stage:<9}"
        if stage == "done":
            return f"{head} index ready, build and warm-up took {now - self._t0:.1f} s"
        if stage == "failed":
            return f"{head} the build failed; the previous index (if any) keeps answering"
        if stage == "starting":
            return f"{head} opening the index (built from the corpus when missing or changed)"
        if stage == "warmup":
            return f"{head} asking a warm-up question"
        if stage == "save":
            return f"{head} index saved"
        unit = UNITS.get(stage, "")
        if stage == "embed" and total == 0:
            return f"{head} nothing new to embed (embeddings reused)"
        text = f"{head} {done}/{total} {unit}".rstrip()
        if stage == "embed" and total:
            text += f" ({100 * done // total}%)"
            started, done0 = self._first
            rate = (done - done0) / (now - started) if now > started and done > done0 else 0.0
            if rate > 0:
                text += f"  {rate:.0f} {unit}/s  ETA {(total - done) / rate:.0f} s"
        return text

    def _write_live(self, line: str, *, first: bool, complete: bool) -> None:
        out = self.stream
        if first and self._open_line:
            out.write("\n")  # the previous stage never reported completion: keep its last line
        out.write("\r" + line.ljust(72))
        self._open_line = not complete
        if complete:
            out.write("\n")
        out.flush()
