"""One writer, many readers in one process (the multi-process tests are in service/test_scaling.py)."""

from __future__ import annotations

import shutil

import pytest

from policyqa.errors import ConfigError, IndexNotFoundError, ReadOnlyReplicaError
from policyqa.replica import IndexFollower, create_manager
from policyqa.service.server import check_workers

UPLOAD = "关于加强电梯安全管理的通知（示例）\n第一条 住宅电梯应当每半年进行一次维护保养，费用由业主共同承担。\n".encode()


@pytest.fixture
def writer_settings(settings, engine, tmp_path):
    shutil.copytree(settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    return settings.model_copy(update={
        "corpus_dir": tmp_path / "corpus", "index_dir": tmp_path / "index", "data_dir": tmp_path / "data"})


def test_reader_follows_the_writers_upload_and_refuses_changes(writer_settings, tmp_path):
    writer = create_manager(writer_settings, warmup=False)
    reader_settings = writer_settings.model_copy(update={"role": "reader", "corpus_dir": tmp_path / "nothing"})
    reader = create_manager(reader_settings, warmup=False)  # no corpus needed: the published build only
    follower = IndexFollower(reader, reader_settings)
    writer_follower = IndexFollower(writer, writer_settings)
    before = {d.doc_id for d in reader.engine.documents()}

    with pytest.raises(ReadOnlyReplicaError) as info:
        reader.add_document("电梯.txt", UPLOAD)
    assert "只读副本" in info.value.message
    with pytest.raises(ReadOnlyReplicaError):
        reader.remove_document(next(iter(before)))
    with pytest.raises(ReadOnlyReplicaError):
        reader.rebuild()

    assert not follower.check()  # nothing new published
    change = writer.add_document("电梯.txt", UPLOAD)
    assert writer.wait(120).state == "idle"
    assert follower.check()
    assert {d.doc_id for d in reader.engine.documents()} == before | {change.doc_id}
    assert not follower.check()
    assert not writer_follower.check() and writer_follower.swaps == 0  # the writer knows its own build


def test_reader_without_a_published_index_fails_clearly(writer_settings, tmp_path):
    settings = writer_settings.model_copy(update={"role": "reader", "index_dir": tmp_path / "empty"})
    with pytest.raises(IndexNotFoundError):
        create_manager(settings, warmup=False)


def test_follower_thread_starts_and_stops(writer_settings):
    manager = create_manager(writer_settings, warmup=False)
    follower = IndexFollower(manager, writer_settings, interval=0.05).start()
    follower.stop()
    assert follower._thread is None


def test_several_workers_need_redis(writer_settings):
    with pytest.raises(ConfigError) as info:
        check_workers(writer_settings, 2)
    assert "POLICYQA_REDIS_URL" in info.value.message
    check_workers(writer_settings, 1)
    check_workers(writer_settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"}), 4)


def test_settings_exported_to_workers_round_trip(writer_settings, monkeypatch):
    from policyqa.config import Settings
    from policyqa.service.server import settings_to_env

    env = settings_to_env(writer_settings)
    assert "POLICYQA_REFUSAL_THRESHOLD" not in env  # None: left unset, not the string "None"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings() == writer_settings
