"""Decode once with a sprite: a task's ImageSprite joins its renditions' fused run (shared/services/fusion.py),
with real dynalite, real ffmpeg and local buckets."""

from __future__ import annotations

import dataclasses
import datetime
import os
import signal
import time
from pathlib import Path

import pytest

from infra.local.harness import children_of
from shared.domain import clock, media_errors
from shared.domain.errors import ConflictError, EngineError
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.domain.workflow import SubtaskSpec
from shared.media.ffmpeg import engines, fused
from shared.media.ffmpeg.engines import run_snapshot, run_transcode
from shared.services.operations import terminate
from shared.services.worker import run_subtask
from shared.store.models import SubtaskModel
from tests.integration.pipeline_helpers import (
    ENGINES,
    add_workflow,
    drain,
    reconcile_until_retried,
    start_transcode_worker,
    trigger,
    upload,
)
from tests.integration.test_fused_runs import _read_back
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.integration

SPECS = [SubtaskSpec("Transcode", 100010), SubtaskSpec("Snapshot", 10, kind="sprite")]
# A cell a second, 2x2 cells a sheet: a 5 s clip makes one full sheet and a last sheet of one cell,
# so both branches of the sprite's filter graph run; one side 0 follows the input's shape.
SPRITE = {"sample_type": "time", "interval": 1, "rows": 2, "columns": 2, "width": 96, "height": 0}


def _task(deps, invoker, account, tmp_path, name, seconds=5.0, size=(640, 360), sprite=SPRITE):
    add_workflow(deps, account, f"{account}/{name}/", SPECS)
    clip = make_clip(tmp_path / f"{name}.mp4", seconds=seconds, width=size[0], height=size[1])
    [task_id] = trigger(deps, upload(deps, clip, f"{account}/{name}/clip.mp4"))
    sub = deps.tasks.get_subtasks(task_id)[1]
    template = {**sub.template, "params": {**sub.template["params"], **sprite}}
    SubtaskModel(task_id, sub.index).update(actions=[SubtaskModel.template.set(template)])
    events = {f: e for f, e in invoker.calls if f in ("transcode", "snapshot")}
    invoker.calls.clear()
    return task_id, events


def _count_ffmpeg_runs(monkeypatch) -> list[list[str]]:
    runs: list[list[str]] = []
    for module in (fused, engines):
        real = module.run_ffmpeg

        def counted(argv, real=real, **kw):
            runs.append(argv)
            return real(argv, **kw)

        monkeypatch.setattr(module, "run_ffmpeg", counted)
    return runs


def _file(deps, output) -> Path:
    return deps.storage.path(output["bucket"], output["key"])


def _name(output) -> str:
    return output["key"].rsplit("/", 1)[1]


def test_a_rendition_and_a_sprite_decode_once_and_come_out_as_they_do_alone(
    deps, invoker, account, tmp_path, monkeypatch
):
    runs = _count_ffmpeg_runs(monkeypatch)
    # GIVEN a task with a rendition and a sprite
    fused_id, events = _task(deps, invoker, account, tmp_path, "fused")
    # WHEN the transcode worker runs
    answer = run_subtask(deps, events["transcode"], run_transcode, time_budget=120)
    # THEN one ffmpeg run made both, and the sprite's own invocation finds nothing to do
    assert answer["fused"] == {"1": "SUCCESS", "2": "SUCCESS"}
    assert len(runs) == 1 and runs[0].count("-i") == 1 and "-filter_complex" in runs[0]
    assert "skipped" in run_subtask(deps, events["snapshot"], run_snapshot, time_budget=120)
    drain(deps, invoker)
    # AND the same task with fusion off runs two
    apart = dataclasses.replace(deps, settings=deps.settings.model_copy(update={"fuse_outputs": False}))
    apart_id, apart_events = _task(apart, invoker, account, tmp_path, "apart")
    for function, event in apart_events.items():
        assert "fused" not in run_subtask(apart, event, ENGINES[function], time_budget=120)
    drain(apart, invoker)
    assert len(runs) == 3
    for task_id in (fused_id, apart_id):
        task = deps.tasks.get_task(task_id)
        assert task.status == TaskStatus.FINISH and task.counts.success == 2
    (rendition, sprite), (ref_rendition, ref_sprite) = (
        deps.tasks.get_subtasks(fused_id),
        deps.tasks.get_subtasks(apart_id),
    )
    # AND the sprite's files are the ones it makes alone: the track, the same sheets, byte for byte
    assert [_name(o) for o in sprite.outputs] == [_name(o) for o in ref_sprite.outputs]
    assert [_name(o) for o in sprite.outputs][0].endswith(".vtt") and len(sprite.outputs) == 3
    for got, want in zip(sprite.outputs, ref_sprite.outputs, strict=True):
        assert {k: v for k, v in got.items() if k not in ("bucket", "key")} == {
            k: v for k, v in want.items() if k not in ("bucket", "key")
        }
        assert _file(deps, got).read_bytes() == _file(deps, want).read_bytes()
    assert [(o["width"], o["height"]) for o in sprite.outputs[1:]] == [(192, 108), (96, 54)]
    assert sprite.outputs[0]["cells"] == 5
    # AND the rendition keeps the settings it gets alone
    main, ref = rendition.outputs[0], ref_rendition.outputs[0]
    assert set(main) == set(ref)
    for field in ("width", "height", "video_codec", "audio_codec", "container"):
        assert main[field] == ref[field], field
    assert abs(main["duration"] - ref["duration"]) < 0.05
    got, want = _read_back(_file(deps, main)), _read_back(_file(deps, ref))
    assert got["video"] == want["video"] and got["audio"] == want["audio"] and got["keyframes"] == want["keyframes"]
    assert abs(got["bitrate"] - want["bitrate"]) <= 0.05 * want["bitrate"]


def test_the_sprites_own_invocation_arriving_first_steps_aside(deps, invoker, account, tmp_path):
    # GIVEN a rendition + sprite task whose snapshot worker starts before the transcode worker
    task_id, events = _task(deps, invoker, account, tmp_path, "first")
    # WHEN the sprite's invocation arrives first
    answer = run_subtask(deps, events["snapshot"], run_snapshot, time_budget=120)
    # THEN it leaves the sprite to the rendition's run, which takes it along
    assert answer["skipped"].startswith("left to subtask 1, ")
    assert deps.tasks.get_subtask(task_id, 2).status == SubtaskStatus.WAITING
    assert run_subtask(deps, events["transcode"], run_transcode, time_budget=120)["fused"] == {
        "1": "SUCCESS",
        "2": "SUCCESS",
    }
    drain(deps, invoker)
    assert deps.tasks.get_task(task_id).counts.success == 2


def test_the_sprites_own_invocation_arriving_last_finds_it_taken(deps, invoker, account, tmp_path):
    task_id, events = _task(deps, invoker, account, tmp_path, "last")
    assert sorted(run_subtask(deps, events["transcode"], run_transcode, time_budget=120)["fused"]) == ["1", "2"]
    answer = run_subtask(deps, events["snapshot"], run_snapshot, time_budget=120)
    assert answer["skipped"] == "subtask is SUCCESS in attempt 0"


def test_a_sprite_whose_rendition_was_claimed_long_ago_runs_alone(deps, invoker, account, tmp_path):
    # GIVEN a task whose rendition was claimed (by a run that fused nothing) longer ago than the grace
    task_id, events = _task(deps, invoker, account, tmp_path, "grace")
    assert deps.tasks.claim_subtask(task_id, 1, 0, "elsewhere", clock.iso(clock.now() - datetime.timedelta(seconds=60)))
    # WHEN the sprite's worker runs
    answer = run_subtask(deps, events["snapshot"], run_snapshot, time_budget=120)
    # THEN it does not wait for that run: it runs alone, in its own function
    assert answer["status"] == "SUCCESS" and "fused" not in answer
    assert deps.tasks.get_subtask(task_id, 2).outputs


def test_a_sprite_with_an_impossible_setting_fails_alone(deps, invoker, account, tmp_path):
    # GIVEN a rendition + sprite task whose sprite stored a grid the engine refuses
    task_id, events = _task(deps, invoker, account, tmp_path, "bad", sprite={**SPRITE, "columns": 0})
    # WHEN the transcode worker runs them
    answer = run_subtask(deps, events["transcode"], run_transcode, time_budget=120)
    drain(deps, invoker)
    # THEN the sprite fails with the code it gets alone, and the rendition succeeds
    assert answer["fused"] == {"1": "SUCCESS", "2": "FAIL"}
    rendition, sprite = deps.tasks.get_subtasks(task_id)
    assert rendition.status == SubtaskStatus.SUCCESS and rendition.outputs
    assert sprite.status == SubtaskStatus.FAIL and sprite.err_code == "InvalidParameterValue.Sprite"
    assert sprite.outputs == []


def test_a_failed_fused_run_runs_the_sprite_alone_as_the_snapshot_engine_does(
    deps, invoker, account, tmp_path, monkeypatch
):
    # GIVEN an ffmpeg that fails whenever one command holds a rendition and a sprite
    real = fused.run_ffmpeg

    def fails_fused(argv, **kw):
        if "-filter_complex" in argv and "libx264" in argv:
            raise EngineError("ffmpeg failed (exit code 1): fused", code=media_errors.ENGINE_FAILED, exit_code=1)
        return real(argv, **kw)

    monkeypatch.setattr(fused, "run_ffmpeg", fails_fused)
    task_id, events = _task(deps, invoker, account, tmp_path, "refall")
    # WHEN the transcode worker runs them
    answer = run_subtask(deps, events["transcode"], run_transcode, time_budget=120)
    # THEN each ran alone with its own engine and succeeded: the sprite has its sheets and its track
    assert answer["fused"] == {"1": "SUCCESS", "2": "SUCCESS"}
    sprite = deps.tasks.get_subtask(task_id, 2)
    assert [_name(o).rsplit(".", 1)[1] for o in sprite.outputs] == ["vtt", "jpg", "jpg"]


def test_a_terminate_before_the_fused_run_runs_nothing(deps, invoker, account, tmp_path):
    # GIVEN a task whose sprite stepped aside for its rendition's run, not yet started
    task_id, events = _task(deps, invoker, account, tmp_path, "terminate")
    assert "skipped" in run_subtask(deps, events["snapshot"], run_snapshot, time_budget=120)
    # WHEN the user terminates the task (still WAITING), then the rendition's invocation arrives
    task = terminate(deps, account, task_id)
    answer = run_subtask(deps, events["transcode"], run_transcode, time_budget=120)
    # THEN nothing runs: both subtasks are cancelled, and the sprite's own invocation again finds nothing
    assert task.status == TaskStatus.FINISH and "skipped" in answer
    assert "skipped" in run_subtask(deps, events["snapshot"], run_snapshot, time_budget=120)
    subs = deps.tasks.get_subtasks(task_id)
    assert [(s.status, s.err_code) for s in subs] == [(SubtaskStatus.FAIL, media_errors.CANCELLED)] * 2
    assert all(not s.outputs for s in subs)


def test_a_worker_killed_mid_fused_run_leaves_the_rendition_and_the_sprite_to_end(deps, invoker, account, tmp_path):
    # GIVEN a rendition + sprite fused run in a worker process of its own
    task_id, events = _task(deps, invoker, account, tmp_path, "killed", seconds=12, size=(1280, 720))
    worker = start_transcode_worker(deps, events["transcode"])
    try:
        # (killed as soon as its ffmpeg runs with both claims held: waiting for progress as well let a
        # quiet machine finish the rendition before the kill)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            subs = deps.tasks.get_subtasks(task_id)
            if all(s.status == SubtaskStatus.PROCESSING for s in subs) and children_of(worker.pid, named=b"ffmpeg"):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the fused run never got going")
        # AND a terminate meanwhile is refused: the task is no longer queued, the fused run goes on
        with pytest.raises(ConflictError):
            terminate(deps, account, task_id)
        # WHEN the worker is killed mid-run
        os.killpg(worker.pid, signal.SIGKILL)
    finally:
        worker.wait()
    assert all(s.status == SubtaskStatus.PROCESSING for s in deps.tasks.get_subtasks(task_id)), "killed too late"
    # THEN the reconciler's lost-claim path gives each claimed subtask another run, alone, and both end
    wanted = {f"{task_id}/1", f"{task_id}/2"}
    assert wanted <= reconcile_until_retried(deps, wanted)
    again = [(f, e) for f, e in invoker.calls if f in ("transcode", "snapshot") and e["task_id"] == task_id]
    assert sorted(f for f, _ in again) == ["snapshot", "transcode"]
    for function, event in again:
        assert run_subtask(deps, event, ENGINES[function], time_budget=300)["status"] == "SUCCESS"
    invoker.calls[:] = [(f, e) for f, e in invoker.calls if f not in ("transcode", "snapshot")]
    drain(deps, invoker)
    subs = deps.tasks.get_subtasks(task_id)
    assert [s.status for s in subs] == [SubtaskStatus.SUCCESS] * 2 and all(s.tries == 2 for s in subs)
    assert deps.tasks.get_task(task_id).status == TaskStatus.FINISH
