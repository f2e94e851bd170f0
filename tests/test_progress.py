"""BuildProgress: the console progress of ``policyqa index`` and ``policyqa serve`` (bounded, whole lines)."""

from __future__ import annotations

import io

from policyqa.progress import BuildProgress


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.5
        return self.now


def feed(progress: BuildProgress, chunks: int = 5000, batch: int = 32) -> None:
    """The callbacks of one build as ``QAEngine.build`` and ``IndexManager`` make them."""
    progress("starting", 0, 0)
    progress("load", 26, 26)
    progress("structure", 1364, 1364)
    progress("segment", chunks, chunks)
    for done in range(batch, chunks + batch, batch):
        progress("embed", min(done, chunks), chunks)
    progress("embed", chunks, chunks)  # the build repeats the embedder's last report
    progress("save", 1, 1)
    progress("warmup", 0, 1)
    progress("done", 1, 1)


def test_lines_are_bounded_whole_lines_with_every_stage():
    out = io.StringIO()
    feed(BuildProgress(out, clock=FakeClock()))
    text = out.getvalue()
    lines = text.splitlines()
    assert "\r" not in text and text.endswith("\n")
    stages = [line.split("]", 1)[1].split()[0] for line in lines]
    assert stages[:4] == ["starting", "load", "structure", "segment"]
    assert stages[-3:] == ["save", "warmup", "done"]
    embed = [line for line in lines if "] embed" in line]
    assert 10 <= len(embed) <= 12  # one per 10 %, not one per batch (157 batches)
    assert "5000/5000 passages (100%)" in embed[-1] and sum("(100%)" in line for line in embed) == 1
    assert "ETA" not in embed[0] and "passages/s" in embed[1] and "ETA" in embed[1]
    assert "26/26 documents" in lines[1] and "index ready" in lines[-1]


def test_a_second_build_starts_its_own_clock():
    out = io.StringIO()
    progress = BuildProgress(out, clock=FakeClock())
    feed(progress, chunks=64)
    first = len(out.getvalue().splitlines())
    feed(progress, chunks=64)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 * first
    assert lines[first].startswith("[index   0.0s] starting")


def test_nothing_to_embed_is_one_line():
    out = io.StringIO()
    progress = BuildProgress(out, clock=FakeClock())
    progress("embed", 0, 0)
    progress("embed", 0, 0)
    assert out.getvalue().count("\n") == 1 and "nothing new to embed" in out.getvalue()


def test_live_form_rewrites_one_line_per_stage():
    out = io.StringIO()
    progress = BuildProgress(out, live=True, clock=FakeClock())
    progress("load", 26, 26)
    for done in (32, 64, 96):
        progress("embed", done, 96)
    progress("embed", 96, 96)
    progress("warmup", 0, 1)  # never completes: the next stage starts a new line
    progress("done", 1, 1)
    lines = out.getvalue().split("\n")
    assert len(lines) == 5 and lines[-1] == ""
    assert lines[1].count("\r") == 3 and "96/96" in lines[1]
    assert "warm-up" in lines[2] and "index ready" in lines[3]


def test_default_stream_is_stderr_at_call_time(capsys):
    progress = BuildProgress()
    progress("load", 1, 1)
    assert "1/1 documents" in capsys.readouterr().err
