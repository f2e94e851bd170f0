"""policyqa serve: the manager it holds prints the index build progress on the console."""

from __future__ import annotations

import io
import shutil

from policyqa.config import Settings
from policyqa.service.server import serving_manager


def test_first_start_prints_the_build_progress(own: Settings, tmp_path):
    """No index yet: the background build `serve` starts reports every stage as whole lines."""
    shutil.rmtree(own.index_dir)
    out = io.StringIO()
    manager = serving_manager(own, background=True, stream=out)
    status = manager.wait(120)
    manager.close()
    assert status.state == "idle" and status.ready
    text = out.getvalue()
    lines = text.splitlines()
    assert "\r" not in text and all(line.startswith("[index ") for line in lines)
    stages = [line.split("]", 1)[1].split()[0] for line in lines]
    for stage in ("starting", "load", "structure", "segment", "embed", "save", "warmup", "done"):
        assert stage in stages, (stage, text)
    assert stages.index("load") < stages.index("embed") < stages.index("save") < stages.index("done")
    assert stages.count("embed") <= 12 and len(lines) <= 20
    assert f"{status.chunks}/{status.chunks} passages (100%)" in text and "index ready" in lines[-1]


def test_an_existing_index_prints_a_few_lines(own: Settings):
    out = io.StringIO()
    manager = serving_manager(own, background=False, stream=out)
    assert manager.ready
    stages = [line.split("]", 1)[1].split()[0] for line in out.getvalue().splitlines()]
    assert stages == ["starting", "warmup", "done"]


def test_a_failed_build_says_so(own: Settings, tmp_path):
    shutil.rmtree(own.index_dir)
    broken = own.model_copy(update={"corpus_dir": tmp_path / "missing"})
    out = io.StringIO()
    manager = serving_manager(broken, background=True, stream=out)
    status = manager.wait(60)
    assert status.state == "failed"
    assert "failed" in out.getvalue().splitlines()[-1]
