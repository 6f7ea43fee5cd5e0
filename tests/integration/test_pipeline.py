"""The upload -> task -> transcode/snapshot -> aggregate path against real dynalite and ffmpeg."""

from __future__ import annotations

import concurrent.futures as cf

import av
import pytest

from shared.domain import media_errors
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.domain.workflow import SubtaskSpec
from tests.integration.pipeline_helpers import add_workflow, drain, trigger, upload
from tests.media_fixtures import make_audio, make_clip, make_garbage, make_truncated

pytestmark = pytest.mark.integration

BOTH = [SubtaskSpec("Transcode", 100030), SubtaskSpec("Snapshot", 10, "sampled")]


def test_upload_to_finish_with_playable_outputs(deps, invoker, account, tmp_path):
    # GIVEN a workflow and an uploaded clip
    add_workflow(deps, account, f"{account}/", BOTH)
    clip = make_clip(tmp_path / "clip.mp4", seconds=3, width=640, height=360)
    # WHEN the COS event arrives and every invocation runs
    [task_id] = trigger(deps, upload(deps, clip, f"{account}/clip.mp4"))
    assert deps.tasks.get_task(task_id).status == TaskStatus.WAITING
    drain(deps, invoker)
    # THEN the task is FINISH with both subtasks SUCCESS and outputs that are real media
    task = deps.tasks.get_task(task_id)
    assert task.status == TaskStatus.FINISH and task.counts.success == 2 and task.finish_time
    transcode, snapshot = deps.tasks.get_subtasks(task_id)
    assert transcode.status == snapshot.status == SubtaskStatus.SUCCESS
    [mp4] = transcode.outputs
    assert mp4["key"] == f"output/{task_id}/clip_transcode_100030.mp4"
    assert (mp4["width"], mp4["height"]) == (640, 360)  # never upscaled past the source
    for field in ("size", "md5", "duration", "bitrate", "video_codec", "audio_codec", "container"):
        assert mp4[field], field
    with av.open(str(deps.storage.path(mp4["bucket"], mp4["key"]))) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    assert len(snapshot.outputs) == 10
    assert all(o["key"].endswith(".jpg") and o["size"] > 0 for o in snapshot.outputs)


def test_same_event_twenty_times_concurrently_makes_one_task(deps, invoker, account, tmp_path):
    add_workflow(deps, account, f"{account}/", BOTH)
    event = upload(deps, make_clip(tmp_path / "a.mp4", seconds=1), f"{account}/a.mp4")
    with cf.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: trigger(deps, event), range(20)))
    ids = {tid for r in results for tid in r}
    assert len(ids) == 1
    # only the one creation dispatched workers
    assert sorted(f for f, _ in invoker.calls) == ["snapshot", "transcode"]
    tasks, _ = deps.tasks.list_tasks(account)
    assert [t.task_id for t in tasks] == list(ids)


@pytest.mark.parametrize(
    "maker, code",
    [
        (lambda p: p.write_bytes(b"") or p, media_errors.MEDIA_EMPTY),
        (make_garbage, media_errors.MEDIA_UNREADABLE),
    ],
)
def test_bad_media_fails_both_subtasks_and_the_task_finishes(deps, invoker, account, tmp_path, maker, code):
    add_workflow(deps, account, f"{account}/", BOTH)
    bad = maker(tmp_path / "bad.mp4")
    [task_id] = trigger(deps, upload(deps, bad, f"{account}/bad.mp4"))
    drain(deps, invoker)
    task = deps.tasks.get_task(task_id)
    assert task.status == TaskStatus.FINISH and task.counts.fail == 2 and task.has_failed
    for sub in deps.tasks.get_subtasks(task_id):
        assert sub.status == SubtaskStatus.FAIL and sub.err_code == code and sub.message


def test_truncated_media_fails(deps, invoker, account, tmp_path):
    add_workflow(deps, account, f"{account}/", [SubtaskSpec("Transcode", 100010)])
    whole = make_clip(tmp_path / "whole.mp4", seconds=4)
    cut = make_truncated(whole, tmp_path / "cut.mp4", 0.5)
    [task_id] = trigger(deps, upload(deps, cut, f"{account}/cut.mp4"))
    drain(deps, invoker)
    [sub] = deps.tasks.get_subtasks(task_id)
    assert sub.status == SubtaskStatus.FAIL
    assert sub.err_code in (media_errors.MEDIA_TRUNCATED, media_errors.MEDIA_UNREADABLE)
    assert deps.tasks.get_task(task_id).status == TaskStatus.FINISH


def test_audio_only_input_transcodes_but_snapshot_fails(deps, invoker, account, tmp_path):
    add_workflow(deps, account, f"{account}/", BOTH)
    [task_id] = trigger(deps, upload(deps, make_audio(tmp_path / "s.m4a"), f"{account}/s.m4a"))
    drain(deps, invoker)
    transcode, snapshot = deps.tasks.get_subtasks(task_id)
    assert transcode.status == SubtaskStatus.SUCCESS and transcode.outputs[0]["video_codec"] is None
    assert snapshot.status == SubtaskStatus.FAIL and snapshot.err_code == media_errors.MEDIA_NO_VIDEO
    task = deps.tasks.get_task(task_id)
    assert task.status == TaskStatus.FINISH and (task.counts.success, task.counts.fail) == (1, 1)


def test_input_deleted_before_the_worker_runs(deps, invoker, account, tmp_path):
    add_workflow(deps, account, f"{account}/", [SubtaskSpec("Transcode", 100010)])
    [task_id] = trigger(deps, upload(deps, make_clip(tmp_path / "g.mp4", seconds=1), f"{account}/g.mp4"))
    deps.storage.delete(deps.settings.input_bucket, f"{account}/g.mp4")
    drain(deps, invoker)
    [sub] = deps.tasks.get_subtasks(task_id)
    assert sub.err_code == media_errors.INPUT_NOT_FOUND
    assert deps.tasks.get_task(task_id).status == TaskStatus.FINISH


def test_duplicate_and_stale_worker_events_change_nothing(deps, invoker, account, tmp_path):
    add_workflow(deps, account, f"{account}/", [SubtaskSpec("Snapshot", 10, "time_offset")])
    [task_id] = trigger(deps, upload(deps, make_clip(tmp_path / "d.mp4", seconds=1), f"{account}/d.mp4"))
    [(fn, event)] = invoker.calls
    invoker.calls.append((fn, dict(event)))  # delivered twice
    invoker.calls.append((fn, {**event, "attempt": 7}))  # an attempt that does not exist
    drain(deps, invoker)
    [sub] = deps.tasks.get_subtasks(task_id)
    assert sub.status == SubtaskStatus.SUCCESS and sub.tries == 1 and len(sub.outputs) == 1


def test_a_chinese_file_name_keeps_its_name_in_the_outputs(deps, invoker, account, tmp_path):
    add_workflow(deps, account, f"{account}/", BOTH)
    clip = make_clip(tmp_path / "clip.mp4", seconds=1)
    [task_id] = trigger(deps, upload(deps, clip, f"{account}/我的 视频(1).mp4"))
    drain(deps, invoker)
    transcode, snapshot = deps.tasks.get_subtasks(task_id)
    assert transcode.status == snapshot.status == SubtaskStatus.SUCCESS, (transcode.message, snapshot.message)
    assert transcode.outputs[0]["key"] == f"output/{task_id}/我的_视频_1__transcode_100030.mp4"
