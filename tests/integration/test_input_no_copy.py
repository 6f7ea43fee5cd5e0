"""The local stack's worker reads its input through a hard link (no copy) and publishes its outputs
by linking them into place (no copy, no second read), with the version checks kept exact."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from shared.domain.workflow import SubtaskSpec
from shared.media.ffmpeg.engines import run_transcode
from shared.services.worker import run_subtask
from tests.integration.pipeline_helpers import add_workflow, drain, trigger, upload
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.integration


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _one_task(deps, invoker, account, tmp_path, key_name: str = "clip.mp4") -> tuple[str, str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    prefix = f"nocopy-{account}/"
    add_workflow(deps, account, prefix, [SubtaskSpec("Transcode", 100010)])
    key = prefix + key_name
    (task_id,) = trigger(deps, upload(deps, make_clip(tmp_path / "a.mp4", seconds=1, width=160, height=96), key))
    (event,) = invoker.take("transcode")
    return task_id, key, event


def test_the_input_is_linked_not_copied_and_a_replacement_mid_run_does_not_change_what_is_processed(
    deps, invoker, account, tmp_path
):
    # GIVEN a task for a 1 s clip, and an engine that, once it runs, sees the object replaced by a 2 s clip
    task_id, key, event = _one_task(deps, invoker, account, tmp_path)
    bucket_file = deps.storage.path(deps.settings.input_bucket, key)
    seen: dict[str, bool] = {}
    newer = make_clip(tmp_path / "b.mp4", seconds=2, width=160, height=96)

    def replacing_engine(src: Path, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        seen["same inode"] = os.stat(src).st_ino == os.stat(bucket_file).st_ino
        upload(deps, newer, key)
        return run_transcode(src, *args, **kwargs)

    # WHEN the subtask runs
    run_subtask(deps, event, replacing_engine, time_budget=60)
    # THEN the engine read the bucket's file itself, and processed the version the task was made for
    (sub,) = deps.tasks.get_subtasks(task_id)
    assert seen["same inode"]
    assert sub.status.value == "SUCCESS", sub.message
    assert abs(float(sub.outputs[0]["duration"]) - 1) < 0.3
    assert _md5(bucket_file) == _md5(newer)  # the object really was replaced


def test_an_object_replaced_just_before_the_link_fails_object_changed(deps, invoker, account, tmp_path, monkeypatch):
    # GIVEN a task whose object is replaced after the worker's first check, right before it is linked
    task_id, key, event = _one_task(deps, invoker, account, tmp_path)
    newer = make_clip(tmp_path / "b.mp4", seconds=2, width=160, height=96)
    real = deps.storage.materialize

    def replaced_first(bucket: str, obj_key: str, dest: Path):  # type: ignore[no-untyped-def]
        upload(deps, newer, obj_key)
        return real(bucket, obj_key, dest)

    monkeypatch.setattr(deps.storage, "materialize", replaced_first)
    # WHEN the subtask runs
    run_subtask(deps, event, run_transcode, time_budget=60)
    # THEN it fails saying so: the etag checked is that of the bytes it holds
    (sub,) = deps.tasks.get_subtasks(task_id)
    assert (sub.status.value, sub.err_code) == ("FAIL", "InvalidInput.ObjectChanged")


def test_outputs_md5_and_size_in_the_table_are_the_bucket_files(deps, invoker, account, tmp_path):
    # GIVEN a finished HLS task (a playlist and its segments: several files per subtask)
    prefix = f"hls-{account}/"
    add_workflow(deps, account, prefix, [SubtaskSpec("Transcode", 100210)])
    clip = make_clip(tmp_path / "a.mp4", seconds=3, width=160, height=96)
    (task_id,) = trigger(deps, upload(deps, clip, prefix + "clip.mp4"))
    drain(deps, invoker)
    (sub,) = deps.tasks.get_subtasks(task_id)
    assert sub.status.value == "SUCCESS", sub.message
    # THEN every output's md5 is that of the bucket file, which is also its etag
    assert len(sub.outputs) > 1
    for output in sub.outputs:
        path = deps.storage.path(output["bucket"], output["key"])
        head = deps.storage.head(output["bucket"], output["key"])
        assert output["md5"] == _md5(path) == head.etag
        if not output["key"].endswith(".m3u8"):  # a playlist's size is that of the whole stream
            assert output["size"] == path.stat().st_size == head.size


def test_materialize_never_trusts_a_sidecar_that_describes_another_file(storage, settings, tmp_path):
    # GIVEN an object, then a new file renamed over it before its sidecar was updated
    bucket = settings.input_bucket
    storage.put_stream(bucket, "side/clip.mp4", open(make_clip(tmp_path / "a.mp4", seconds=1), "rb"))
    newer = tmp_path / "new.bin"
    newer.write_bytes(os.urandom(4096))
    staged = storage.temp_path()
    staged.write_bytes(newer.read_bytes())
    os.replace(staged, storage.path(bucket, "side/clip.mp4"))
    # WHEN it is materialized THEN the etag is the MD5 of the bytes held, not the stale sidecar's
    held = storage.materialize(bucket, "side/clip.mp4", tmp_path / "held")
    assert held.etag == _md5(newer) and held.size == 4096


def test_materialize_copies_where_a_link_is_impossible(storage, settings, tmp_path, monkeypatch):
    # GIVEN an object, and a filesystem that refuses hard links (e.g. the work dir on another disk)
    bucket = settings.input_bucket
    info = storage.put_stream(bucket, "xdev/clip.bin", open(make_clip(tmp_path / "a.mp4", seconds=1), "rb"))

    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    # WHEN it is materialized and a file is published THEN both are copies with exact etags
    held = storage.materialize(bucket, "xdev/clip.bin", tmp_path / "held")
    assert held.etag == info.etag == _md5(tmp_path / "held")
    assert os.stat(tmp_path / "held").st_ino != os.stat(storage.path(bucket, "xdev/clip.bin")).st_ino
    out = storage.publish_file(settings.output_bucket, "xdev/out.bin", tmp_path / "held")
    assert out.etag == info.etag and storage.head(settings.output_bucket, "xdev/out.bin").etag == info.etag


def test_materialize_agrees_with_head_on_a_sidecar_written_before_inodes_were_kept(storage, settings, tmp_path):
    # GIVEN an object whose sidecar has no inode (written by an older version), with an etag of its own
    bucket = settings.input_bucket
    storage.put_stream(bucket, "legacy/clip.bin", open(make_clip(tmp_path / "a.mp4", seconds=1), "rb"))
    meta_path = storage._meta_path(bucket, "legacy/clip.bin")
    meta = json.loads(meta_path.read_text())
    del meta["ino"]
    meta["etag"] = "0123456789abcdef0123456789abcdef"
    meta_path.write_text(json.dumps(meta))
    # WHEN it is materialized THEN the etag is the one head() reports, without reading the file again
    held = storage.materialize(bucket, "legacy/clip.bin", tmp_path / "held")
    assert held.etag == storage.head(bucket, "legacy/clip.bin").etag == meta["etag"]
