"""Decode once: a task's transcode renditions in one ffmpeg run (shared/services/fusion.py), with
real dynalite, real ffmpeg and local buckets."""

from __future__ import annotations

import dataclasses
import datetime
import os
import signal
import threading
import time
from pathlib import Path

import av
import pytest

from shared.domain import clock, media_errors
from shared.domain.errors import EngineError, RetriesExhaustedError
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.domain.workflow import SubtaskSpec
from shared.media.ffmpeg import fused
from shared.media.ffmpeg.engines import run_transcode
from shared.runtime.settings import Settings
from shared.services import outcome
from shared.services.worker import run_subtask
from shared.store.models import SubtaskModel
from tests.conftest import own_settings
from tests.integration.pipeline_helpers import (
    add_workflow,
    drain,
    reconcile_until_retried,
    start_transcode_worker,
    trigger,
    upload,
)
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def settings(dynalite_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Tables of this module's own: its killed worker leaves claimed subtasks to reconciler passes
    with everything due, which would also re-invoke every stale subtask of the session's table."""
    return own_settings(dynalite_endpoint, tmp_path_factory, "fused")


LADDER = [SubtaskSpec("Transcode", 100010), SubtaskSpec("Transcode", 100020), SubtaskSpec("Transcode", 100210)]


def _task(deps, invoker, account, tmp_path, specs=LADDER, seconds=4.0, size=(640, 360), name="clip"):
    add_workflow(deps, account, f"{account}/{name}/", specs)
    clip = make_clip(tmp_path / f"{name}.mp4", seconds=seconds, width=size[0], height=size[1])
    [task_id] = trigger(deps, upload(deps, clip, f"{account}/{name}/clip.mp4"))
    events = [e for f, e in invoker.calls if f == "transcode"]
    invoker.calls.clear()
    return task_id, events


def _read_back(path: Path) -> dict:
    """What a player sees: stream settings and keyframe times, read from the file."""
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        info = {
            "video": (v.codec_context.name, v.codec_context.profile, v.width, v.height, float(v.average_rate)),
            "audio": (a.codec_context.name, a.codec_context.sample_rate, a.codec_context.channels),
            "bitrate": c.bit_rate,
        }
        info["keyframes"] = [
            round(float(p.pts * p.time_base), 2) for p in c.demux(v) if p.pts is not None and p.is_keyframe
        ]
    return info


def _playlist_first_segment(deps, sub) -> Path:
    seg = next(o for o in sub.outputs if o["key"].endswith(".ts"))
    return deps.storage.path(seg["bucket"], seg["key"])


def test_fused_outputs_have_the_settings_of_unfused_ones(deps, invoker, account, tmp_path):
    # GIVEN the same three-rendition task twice: once fused, once with fusion off
    fused_id, events = _task(deps, invoker, account, tmp_path, name="fused")
    # WHEN the first worker runs
    answer = run_subtask(deps, events[0], run_transcode, time_budget=120)
    # THEN it ran all three as one, and the siblings' own invocations find nothing to do
    assert sorted(answer["fused"].values()) == ["SUCCESS"] * 3
    for event in events[1:]:
        assert "skipped" in run_subtask(deps, event, run_transcode, time_budget=120)
    drain(deps, invoker)
    apart = dataclasses.replace(deps, settings=deps.settings.model_copy(update={"fuse_outputs": False}))
    apart_id, apart_events = _task(apart, invoker, account, tmp_path, name="apart")
    for event in apart_events:
        assert "fused" not in run_subtask(apart, event, run_transcode, time_budget=120)
    drain(apart, invoker)
    for task_id in (fused_id, apart_id):
        task = deps.tasks.get_task(task_id)
        assert task.status == TaskStatus.FINISH and task.counts.success == 3
    # AND every output has the settings and metadata fields it gets alone
    for one, other in zip(deps.tasks.get_subtasks(fused_id), deps.tasks.get_subtasks(apart_id), strict=True):
        assert [o["key"].rsplit("/", 1)[1] for o in one.outputs] == [o["key"].rsplit("/", 1)[1] for o in other.outputs]
        main, ref = one.outputs[0], other.outputs[0]
        assert set(main) == set(ref)
        for field in ("width", "height", "video_codec", "audio_codec", "container", "segment_count"):
            assert main.get(field) == ref.get(field), field
        assert abs(main["duration"] - ref["duration"]) < 0.05
        if main["key"].endswith(".m3u8"):
            got, want = _read_back(_playlist_first_segment(deps, one)), _read_back(_playlist_first_segment(deps, other))
        else:
            got = _read_back(deps.storage.path(main["bucket"], main["key"]))
            want = _read_back(deps.storage.path(ref["bucket"], ref["key"]))
            assert abs(main["bitrate"] - ref["bitrate"]) <= 0.05 * ref["bitrate"]
        assert got["video"] == want["video"] and got["audio"] == want["audio"]
        assert got["keyframes"] == want["keyframes"]  # the GOP
        assert abs(got["bitrate"] - want["bitrate"]) <= 0.05 * want["bitrate"]


def test_one_output_with_an_impossible_setting_fails_alone(deps, invoker, account, tmp_path):
    # GIVEN a ladder task whose second rendition stored a setting the engine refuses
    task_id, events = _task(deps, invoker, account, tmp_path, name="bad")
    bad = deps.tasks.get_subtasks(task_id)[1]
    template = {**bad.template, "params": {**bad.template["params"], "encoder_preset": "warp-speed"}}
    SubtaskModel(task_id, bad.index).update(actions=[SubtaskModel.template.set(template)])
    # WHEN the first worker runs them
    answer = run_subtask(deps, events[0], run_transcode, time_budget=120)
    drain(deps, invoker)
    # THEN only that one fails, with the code it gets alone; the others succeed
    subs = deps.tasks.get_subtasks(task_id)
    assert [s.status for s in subs] == [SubtaskStatus.SUCCESS, SubtaskStatus.FAIL, SubtaskStatus.SUCCESS]
    assert answer["fused"] == {"1": "SUCCESS", "2": "FAIL", "3": "SUCCESS"}
    assert subs[1].err_code == "InvalidParameterValue.EncoderPreset" and subs[1].outputs == []


def test_a_failed_fused_run_runs_each_output_alone(deps, invoker, account, tmp_path, monkeypatch):
    # GIVEN an ffmpeg that fails whenever it is given more than one output
    real = fused.run_ffmpeg

    def fails_fused(argv, **kw):
        if argv.count("-c:v") > 1:
            raise EngineError("ffmpeg failed (exit code 1): fused", code=media_errors.ENGINE_FAILED, exit_code=1)
        return real(argv, **kw)

    monkeypatch.setattr(fused, "run_ffmpeg", fails_fused)
    task_id, events = _task(deps, invoker, account, tmp_path, name="refall")
    # WHEN the worker runs them
    answer = run_subtask(deps, events[0], run_transcode, time_budget=120)
    # THEN a fused failure never turns a success into a failure: each ran alone and succeeded
    assert answer["fused"] == {"1": "SUCCESS", "2": "SUCCESS", "3": "SUCCESS"}
    assert all(s.status == SubtaskStatus.SUCCESS and s.outputs for s in deps.tasks.get_subtasks(task_id))


def test_a_sibling_whose_claim_is_lost_is_dropped_and_the_others_go_on(deps, invoker, account, tmp_path):
    # GIVEN a fused run long enough to be caught in the middle
    task_id, events = _task(deps, invoker, account, tmp_path, seconds=12, size=(1280, 720), name="lost")
    taken = {}

    def reconciler_takes_the_second() -> None:  # as the reconciler does with a run it gives up on
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sub = deps.tasks.get_subtask(task_id, 2)
            if sub.status == SubtaskStatus.PROCESSING and sub.progress > 0:
                taken["ok"] = deps.tasks.fail_lost_subtask(
                    task_id, 2, sub.claim_token, sub.heartbeat, clock.now_iso(), media_errors.WORKER_LOST, "gone"
                )
                return
            time.sleep(0.05)

    thief = threading.Thread(target=reconciler_takes_the_second)
    thief.start()
    # WHEN the fused run goes on
    answer = run_subtask(deps, events[0], run_transcode, time_budget=120)
    thief.join()
    # THEN the lost one is dropped (its record untouched, nothing published) and the others succeed
    assert taken["ok"] and answer["fused"] == {"1": "SUCCESS", "2": "LOST", "3": "SUCCESS"}
    subs = deps.tasks.get_subtasks(task_id)
    assert [s.status for s in subs] == [SubtaskStatus.SUCCESS, SubtaskStatus.FAIL, SubtaskStatus.SUCCESS]
    assert subs[1].err_code == media_errors.WORKER_LOST and not subs[1].outputs
    out_dir = deps.storage.path(deps.settings.output_bucket, deps.tasks.get_task(task_id).output_dir.rstrip("/"))
    names = {p.name for p in Path(out_dir).rglob("*")}
    assert any("_100010" in n for n in names) and not any("_100020" in n for n in names)


def test_a_worker_killed_mid_fused_run_leaves_every_claimed_subtask_to_end(deps, invoker, account, tmp_path):
    # GIVEN a fused run in a worker process of its own
    task_id, events = _task(deps, invoker, account, tmp_path, seconds=12, size=(1280, 720), name="killed")
    worker = start_transcode_worker(deps, events[0])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        subs = deps.tasks.get_subtasks(task_id)
        if all(s.status == SubtaskStatus.PROCESSING and s.progress > 0 for s in subs):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the fused run never got going")
    # WHEN the worker is killed mid-run
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    # THEN the reconciler's lost-claim path gives each claimed subtask another run, alone, and all end
    wanted = {f"{task_id}/{i}" for i in (1, 2, 3)}
    assert wanted <= reconcile_until_retried(deps, wanted)
    again = [e for f, e in invoker.calls if f == "transcode" and e["task_id"] == task_id]
    assert len(again) == 3
    for event in again:
        assert "fused" not in run_subtask(deps, event, run_transcode, time_budget=300)
    invoker.calls[:] = [(f, e) for f, e in invoker.calls if f != "transcode"]
    drain(deps, invoker)
    subs = deps.tasks.get_subtasks(task_id)
    assert [s.status for s in subs] == [SubtaskStatus.SUCCESS] * 3 and all(s.tries == 2 for s in subs)
    assert deps.tasks.get_task(task_id).status == TaskStatus.FINISH


def test_the_lowest_waiting_sibling_leads_whatever_order_the_workers_start_in(deps, invoker, account, tmp_path):
    # GIVEN a three-rendition task whose invocations arrive last first (workers start together)
    task_id, events = _task(deps, invoker, account, tmp_path, name="order")
    # WHEN the later renditions' workers run before the first one's
    answers = [run_subtask(deps, event, run_transcode, time_budget=120) for event in reversed(events)]
    # THEN they left their subtasks to the first one, which decoded once for all three
    assert [a.get("skipped", "")[:19] for a in answers[:2]] == ["left to subtask 1, "] * 2
    assert sorted(answers[2]["fused"]) == ["1", "2", "3"]
    drain(deps, invoker)
    assert [s.status for s in deps.tasks.get_subtasks(task_id)] == [SubtaskStatus.SUCCESS] * 3


def test_a_sibling_claimed_long_ago_does_not_hold_the_others_back(deps, invoker, account, tmp_path):
    # GIVEN a task whose first rendition was claimed (by a run that fused nothing) longer ago than the grace
    task_id, events = _task(deps, invoker, account, tmp_path, name="grace")
    long_ago = clock.iso(clock.now() - datetime.timedelta(seconds=60))
    assert deps.tasks.claim_subtask(task_id, 1, 0, "elsewhere", long_ago)
    # WHEN the second rendition's worker runs
    answer = run_subtask(deps, events[1], run_transcode, time_budget=120)
    # THEN it leads itself (and takes the third along)
    assert sorted(answer["fused"]) == ["2", "3"]


class _PublishFails:
    """Local buckets whose publishing of one rendition's files meets a passing fault."""

    def __init__(self, storage, definition: int) -> None:
        self._storage, self._mark = storage, f"_{definition}"

    def publish_file(self, bucket, key, *args, **kwargs):
        if self._mark in key:
            raise OSError("I/O error")
        return self._storage.publish_file(bucket, key, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._storage, name)


def test_an_exhausted_sibling_fails_and_the_leaders_invocation_goes_on(deps, invoker, account, tmp_path, monkeypatch):
    # GIVEN a platform that gives each event one run, and a passing fault publishing the second rendition
    monkeypatch.setattr(outcome, "MAX_TRIES", 1)
    task_id, events = _task(deps, invoker, account, tmp_path, name="sibling-spent")
    faulty = dataclasses.replace(deps, storage=_PublishFails(deps.storage, 100020))
    # WHEN the fused run ends
    answer = run_subtask(faulty, events[0], run_transcode, time_budget=120)
    # THEN the sibling is FAIL after its runs, and the leader's invocation (not the sibling's) ends normally
    assert answer["fused"] == {"1": "SUCCESS", "2": "FAIL", "3": "SUCCESS"}
    sub = deps.tasks.get_subtask(task_id, 2)
    assert (sub.status, sub.err_code) == (SubtaskStatus.FAIL, media_errors.INTERNAL)
    assert sub.message == "internal error after 1 runs: I/O error"
    assert ("aggregator", {"task_id": task_id}) in invoker.calls
    drain(deps, invoker)
    assert deps.tasks.get_task(task_id).counts.fail == 1


def test_an_exhausted_leader_raises_as_a_lone_run_does(deps, invoker, account, tmp_path, monkeypatch):
    # GIVEN a platform that gives each event one run, and a passing fault publishing the leader's rendition
    monkeypatch.setattr(outcome, "MAX_TRIES", 1)
    task_id, events = _task(deps, invoker, account, tmp_path, name="leader-spent")
    faulty = dataclasses.replace(deps, storage=_PublishFails(deps.storage, 100010))
    # WHEN the fused run ends THEN the leader's invocation raises, so the platform keeps its event
    with pytest.raises(RetriesExhaustedError, match=f"subtask {task_id}/1 failed in 1 runs: I/O error"):
        run_subtask(faulty, events[0], run_transcode, time_budget=120)
    # AND every member was recorded first, and the aggregator told
    subs = deps.tasks.get_subtasks(task_id)
    assert [s.status for s in subs] == [SubtaskStatus.FAIL, SubtaskStatus.SUCCESS, SubtaskStatus.SUCCESS]
    assert subs[0].err_code == media_errors.INTERNAL
    assert ("aggregator", {"task_id": task_id}) in invoker.calls
