"""Long transcodes split at keyframes across workers, against real dynalite, real ffmpeg and local
buckets: each part is its own transcode invocation, the last part joins, and the joined output
must match a single-run encode of the same input (split_checks.py). Thresholds are scaled down:
clips of a few seconds, parts of 3-4 s."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from shared.composition import build_deps
from shared.domain import media_errors
from shared.domain.errors import RetryableProcessingError
from shared.domain.segments import plan_segments
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.domain.workflow import SubtaskSpec
from shared.media.ffmpeg.engines import run_transcode
from shared.media.ffmpeg.segments import video_index
from shared.runtime.settings import Settings
from shared.services.aggregate import aggregate_task
from shared.services.deps import Deps
from shared.services.operations import reopen
from shared.services.reconcile import reconcile
from shared.services.split_join import staging_prefix
from shared.services.templates import TemplateCatalog
from shared.services.worker import run_subtask
from shared.storage.local import LocalStorage
from shared.store.parts import run_key
from tests.conftest import own_settings
from tests.doubles import RecordingInvoker
from tests.integration.pipeline_helpers import add_workflow, trigger, upload
from tests.integration.split_checks import assert_joins_like_single_run, make_split_clip

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def settings(dynalite_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Tables of this module's own: its reconciler passes must meet its own silent subtasks, not the
    session's stale ones (a pass takes the oldest first, a batch at a time)."""
    return own_settings(dynalite_endpoint, tmp_path_factory, "split")


REPO = Path(__file__).resolve().parents[2]
PART_SECONDS = 4.0


@pytest.fixture
def split_deps(settings, storage, invoker) -> Deps:
    split = settings.model_copy(
        update={"split_threshold_seconds": 5.0, "split_segment_seconds": PART_SECONDS, "stale_after_seconds": 1.0}
    )
    return build_deps(split, storage=storage, invoker=invoker)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("split-clips")
    return {
        # 12.5 s with a keyframe each second: parts 0-4, 4-8, 8-12 and a 0.5 s last part
        "bframes": make_split_clip(root / "bframes.mp4", 12.5),
        "vfr": make_split_clip(root / "vfr.mp4", 11, vfr=True),
        "long_audio": make_split_clip(root / "long_audio.mp4", 8.5, audio_seconds=10),
    }


def crf_template(deps: Deps, account: str) -> int:
    """A constant-quality MP4 template: x264's ABR needs parts of tens of seconds to settle (see
    test_abr_preset_keeps_its_bitrate), CRF holds from the first frame."""
    body = {"type": "Transcode", "name": "crf", "container": "mp4", "height": 240, "crf": 26, "video_bitrate_kbps": 0}
    return int(TemplateCatalog(deps.templates, deps.counters).create(account, body)["definition"])


def run_events(deps: Deps, invoker: RecordingInvoker, task_id: str, *, skip_parts: set[int] = frozenset()) -> list:
    """Run the task's invocations in order until none are left; returns the part events seen."""
    parts = []
    for _ in range(50):
        mine = [(f, e) for f, e in invoker.calls if e.get("task_id") == task_id]
        invoker.calls.clear()
        if not mine:
            return parts
        for function, event in mine:
            if function == "aggregator":
                aggregate_task(deps.tasks, task_id)
                continue
            if event.get("part") is not None:
                parts.append(event)
                if event["part"] in skip_parts:
                    continue
            run_subtask(deps, event, run_transcode, time_budget=120)
    raise AssertionError("invocations kept coming")


def split_and_single(deps, invoker, account, clip: Path, definition: int, tmp_path: Path) -> dict[str, Any]:
    add_workflow(deps, account, f"{account}/", [SubtaskSpec("Transcode", definition)])
    [task_id] = trigger(deps, upload(deps, clip, f"{account}/{clip.name}"))
    part_events = run_events(deps, invoker, task_id)
    task = deps.tasks.get_task(task_id)
    [sub] = deps.tasks.get_subtasks(task_id)
    single = run_transcode(clip, _params(deps, account, definition), tmp_path / "single", "single", timeout=120)
    index = video_index(clip)
    segments = plan_segments(index.frames, index.keyframes, PART_SECONDS)
    return {"task": task, "sub": sub, "parts": part_events, "single": single.outputs[0].path, "segments": segments}


def _params(deps: Deps, account: str, definition: int) -> Any:
    return TemplateCatalog(deps.templates, deps.counters).resolve(account, "Transcode", definition).params


def joined_path(deps: Deps, sub) -> Path:
    [out] = sub.outputs
    return deps.storage.path(out["bucket"], out["key"])


@pytest.mark.parametrize("clip", ["bframes", "vfr", "long_audio"])
def test_split_output_matches_a_single_run(split_deps, invoker, account, clips, clip, tmp_path):
    # GIVEN a transcode of an input longer than the threshold
    (tmp_path / "single").mkdir()
    definition = crf_template(split_deps, account)
    # WHEN it runs: the subtask's run hands out parts, each part runs, the last one joins
    got = split_and_single(split_deps, invoker, account, clips[clip], definition, tmp_path)
    task, sub, segments = got["task"], got["sub"], got["segments"]
    # THEN every part was its own transcode invocation (video parts plus the audio in one piece)
    assert len(segments) >= 3
    assert sorted(e["part"] for e in got["parts"]) == list(range(1, len(segments) + 2))
    assert task.status == TaskStatus.FINISH and sub.status == SubtaskStatus.SUCCESS and sub.progress == 100
    # and the output is the single run's, frame for frame, under the MPS name with its metadata
    [out] = sub.outputs
    assert out["key"] == f"output/{task.task_id}/{clip}_transcode_{definition}.mp4"
    for field in ("size", "md5", "duration", "bitrate", "video_codec", "audio_codec", "container"):
        assert out[field], field
    assert_joins_like_single_run(got["single"], joined_path(split_deps, sub), [s.start for s in segments[1:]])
    # and the parts' work area and rows are gone
    assert split_deps.storage.list(task.output_bucket, staging_prefix(task, sub.index)) == []
    assert split_deps.parts.read_run(run_key(task.task_id, sub.index, sub.attempt)) == (None, [])


def test_last_part_of_half_a_second(split_deps, invoker, account, clips):
    index = video_index(clips["bframes"])
    segments = plan_segments(index.frames, index.keyframes, PART_SECONDS)
    assert [s.start for s in segments] == [0.0, 4.0, 8.0, 12.0]
    assert segments[-1].end is None and max(index.frames) - segments[-1].start == pytest.approx(0.48)


def test_abr_preset_keeps_its_bitrate(split_deps, invoker, account, tmp_path):
    # GIVEN the MP4 LD preset (400 kbps ABR) and parts long enough for x264's rate control to settle
    clip = make_split_clip(tmp_path / "abr.mp4", 30)
    (tmp_path / "single").mkdir()
    deps = build_deps(
        split_deps.settings.model_copy(update={"split_segment_seconds": 15.0}),
        storage=split_deps.storage,
        invoker=invoker,
    )
    add_workflow(deps, account, f"{account}/", [SubtaskSpec("Transcode", 100010)])
    [task_id] = trigger(deps, upload(deps, clip, f"{account}/abr.mp4"))
    # WHEN it runs split
    parts = run_events(deps, invoker, task_id)
    # THEN two video parts and the audio, and the single run's frames and bitrate (within 5 %)
    assert len(parts) == 3
    [sub] = deps.tasks.get_subtasks(task_id)
    single = run_transcode(clip, _params(deps, account, 100010), tmp_path / "single", "single", timeout=120)
    assert_joins_like_single_run(single.outputs[0].path, joined_path(deps, sub), [15.0])


def test_hls_is_split_on_its_gop_grid_and_segmented_like_a_single_run(split_deps, invoker, account, clips, tmp_path):
    # GIVEN an HLS template (fixed 2 s GOP, 2 s segments) and a long input
    body = {"type": "Transcode", "name": "hls", "container": "hls", "height": 240, "crf": 26, "video_bitrate_kbps": 0}
    catalog = TemplateCatalog(split_deps.templates, split_deps.counters)
    definition = int(catalog.create(account, body | {"hls_time": 2})["definition"])
    add_workflow(split_deps, account, f"{account}/", [SubtaskSpec("Transcode", definition)])
    [task_id] = trigger(split_deps, upload(split_deps, clips["bframes"], f"{account}/h.mp4"))
    # WHEN it runs split
    parts = run_events(split_deps, invoker, task_id)
    # THEN it ran in parts cut on the output's GOP grid (every 50 frames at 25 fps)
    assert sorted(e["part"] for e in parts) == [1, 2, 3, 4, 5]
    [sub] = split_deps.tasks.get_subtasks(task_id)
    assert sub.status == SubtaskStatus.SUCCESS, sub.message
    # and its playlist and segments are the single run's: names, count, durations, frames
    (tmp_path / "single").mkdir()
    single = run_transcode(
        clips["bframes"], _params(split_deps, account, definition), tmp_path / "single", "x", timeout=120
    )
    playlist, *segments = sub.outputs
    assert playlist["key"].endswith(f"/h_transcode_{definition}.m3u8")
    assert [o["key"].rsplit("_", 1)[1] for o in segments] == [f"{n}.ts" for n in range(len(single.outputs) - 1)]
    assert playlist["segment_count"] == single.outputs[0].metadata["segment_count"]
    assert [o["duration"] for o in segments] == [f.metadata["duration"] for f in single.outputs[1:]]
    joined = split_deps.storage.path(playlist["bucket"], playlist["key"])
    assert_joins_like_single_run(single.outputs[0].path, joined, [4.0, 8.0, 12.0])


def test_a_part_that_cannot_read_its_input_fails_the_subtask(split_deps, invoker, account, clips):
    # GIVEN a split transcode whose parts are handed out
    definition = crf_template(split_deps, account)
    add_workflow(split_deps, account, f"{account}/", [SubtaskSpec("Transcode", definition)])
    key = f"{account}/gone.mp4"
    [task_id] = trigger(split_deps, upload(split_deps, clips["long_audio"], key))
    [first] = invoker.take("transcode")
    run_subtask(split_deps, first, run_transcode, time_budget=120)
    assert {e["part"] for e in invoker.take("transcode")} == {1, 2, 3, 4}
    # WHEN the input is deleted before the parts run
    split_deps.storage.delete(split_deps.settings.input_bucket, key)
    outcome = run_subtask(split_deps, {**first, "part": 2}, run_transcode, time_budget=120)
    # THEN the part fails for good, and with it the subtask, with the part's reason
    assert outcome["status"] == "FAIL"
    [sub] = split_deps.tasks.get_subtasks(task_id)
    assert sub.status == SubtaskStatus.FAIL and sub.err_code == media_errors.INPUT_NOT_FOUND
    assert sub.message.startswith("part 2: ")
    # and the other parts' events are no-ops now
    assert "skipped" in run_subtask(split_deps, {**first, "part": 1}, run_transcode, time_budget=120)


def test_restart_runs_new_parts_and_ignores_the_old_attempts_events(split_deps, invoker, account, clips):
    # GIVEN a split transcode that finished
    definition = crf_template(split_deps, account)
    add_workflow(split_deps, account, f"{account}/", [SubtaskSpec("Transcode", definition)])
    [task_id] = trigger(split_deps, upload(split_deps, clips["long_audio"], f"{account}/again.mp4"))
    old_parts = run_events(split_deps, invoker, task_id)
    assert split_deps.tasks.get_task(task_id).status == TaskStatus.FINISH
    # WHEN it is restarted and runs again
    reopen(split_deps, account, task_id, only_failed=False)
    new_parts = run_events(split_deps, invoker, task_id)
    # THEN the new attempt had parts of its own and succeeded
    [sub] = split_deps.tasks.get_subtasks(task_id)
    assert sub.attempt == 1 and sub.status == SubtaskStatus.SUCCESS
    assert {e["attempt"] for e in new_parts} == {1} and len(new_parts) == len(old_parts)
    # and an old attempt's part event, delivered late, changes nothing
    before = split_deps.tasks.get_subtask(task_id, 1)
    assert "skipped" in run_subtask(split_deps, old_parts[0], run_transcode, time_budget=120)
    assert split_deps.tasks.get_subtask(task_id, 1) == before


KILLABLE_PART = """
import json, sys, time
import shared.services.split_transcode as split
from shared.composition import build_deps
from shared.media.ffmpeg.engines import run_transcode
from shared.runtime.settings import Settings
from shared.services.worker import run_subtask
from shared.storage.local import LocalStorage
from tests.doubles import RecordingInvoker

settings = Settings(**json.loads(sys.argv[1]))
real = split.run_ffmpeg
def slow(*args, **kwargs):  # a long encode: the test kills this worker in the middle of it
    time.sleep(60)
    return real(*args, **kwargs)
split.run_ffmpeg = slow
storage = LocalStorage(settings.storage_root, public_url=settings.public_url, signing_key=settings.signing_key)
deps = build_deps(settings, storage=storage, invoker=RecordingInvoker())
run_subtask(deps, json.loads(sys.argv[2]), run_transcode, time_budget=120)
"""


def test_a_killed_part_is_run_again_and_the_subtask_succeeds(split_deps, invoker, account, clips, tmp_path):
    # GIVEN a split transcode whose part 2 runs in a worker process of its own
    definition = crf_template(split_deps, account)
    add_workflow(split_deps, account, f"{account}/", [SubtaskSpec("Transcode", definition)])
    [task_id] = trigger(split_deps, upload(split_deps, clips["bframes"], f"{account}/killed.mp4"))
    run_events(split_deps, invoker, task_id, skip_parts={2})
    run = run_key(task_id, 1, 0)
    event = {"task_id": task_id, "index": 1, "attempt": 0, "part": 2}
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_PART, split_deps.settings.model_dump_json(), json.dumps(event)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        deadline = time.monotonic() + 60
        while _part(split_deps, run, 2).status != SubtaskStatus.PROCESSING:
            assert worker.poll() is None and time.monotonic() < deadline, "the part's worker did not start"
            time.sleep(0.1)
        # the other parts are done: the subtask shows their share of the progress
        sub = split_deps.tasks.get_subtask(task_id, 1)
        assert sub.status == SubtaskStatus.PROCESSING and 50 < sub.progress < 100
        # WHEN its worker is killed in the middle of the part
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    time.sleep(1.5)  # past stale_after_seconds: nobody beats the subtask any more
    # THEN the reconciler gives the subtask another run, which hands out the lost part alone
    report = reconcile(split_deps, stale_after=1.0)
    assert f"{task_id}/1" in report.retried
    again = run_events(split_deps, invoker, task_id)
    assert [e["part"] for e in again] == [2]
    [sub] = split_deps.tasks.get_subtasks(task_id)
    assert sub.status == SubtaskStatus.SUCCESS, (sub.err_code, sub.message)
    assert split_deps.tasks.get_task(task_id).status == TaskStatus.FINISH
    index = video_index(clips["bframes"])
    joins = [s.start for s in plan_segments(index.frames, index.keyframes, PART_SECONDS)[1:]]
    (tmp_path / "single").mkdir()
    single = run_transcode(
        clips["bframes"], _params(split_deps, account, definition), tmp_path / "single", "s", timeout=120
    )
    assert_joins_like_single_run(single.outputs[0].path, joined_path(split_deps, sub), joins)


def _part(deps: Deps, run: str, number: int):
    _plan, parts = deps.parts.read_run(run)
    return next(p for p in parts if p.number == number)


class _JoinFailsOnce(LocalStorage):
    """Local buckets whose first download of a staged part fails: the join's run dies half-way."""

    failed = False

    def download(self, bucket: str, key: str, dest: Path):  # type: ignore[no-untyped-def]
        if ".openmps-parts/" in key and not self.failed:
            type(self).failed = True
            raise OSError("connection reset while joining")
        return super().download(bucket, key, dest)


def _split_task_on(
    storage_class: type[LocalStorage], split_deps: Deps, invoker, account: str, clips, name: str
) -> tuple[Deps, str]:
    """Deps whose buckets are ``storage_class`` (a faulty double), and a split transcode task of the
    long-audio clip created through them."""
    s = split_deps.settings
    storage = storage_class(s.storage_root, public_url=s.public_url, signing_key=s.signing_key)
    deps = build_deps(s, storage=storage, invoker=invoker)
    definition = crf_template(deps, account)
    add_workflow(deps, account, f"{account}/", [SubtaskSpec("Transcode", definition)])
    [task_id] = trigger(deps, upload(deps, clips["long_audio"], f"{account}/{name}.mp4"))
    return deps, task_id


def test_a_join_that_dies_is_done_by_the_subtasks_next_run(split_deps, invoker, account, clips):
    # GIVEN a split transcode whose last part dies while joining (every part is done)
    deps, task_id = _split_task_on(_JoinFailsOnce, split_deps, invoker, account, clips, "join")
    with pytest.raises(OSError, match="while joining"):
        run_events(deps, invoker, task_id)
    assert deps.tasks.get_subtask(task_id, 1).status == SubtaskStatus.PROCESSING
    # WHEN the reconciler finds the subtask silent
    time.sleep(1.5)
    assert f"{task_id}/1" in reconcile(deps, stale_after=1.0).retried
    # THEN its next run hands out nothing and joins
    assert run_events(deps, invoker, task_id) == []
    [sub] = deps.tasks.get_subtasks(task_id)
    assert sub.status == SubtaskStatus.SUCCESS and sub.outputs[0]["size"] > 0


class _StagingFailsOnce(LocalStorage):
    """Local buckets whose first upload of a part's file fails: a passing fault in one part."""

    failed = False

    def upload(self, bucket: str, key: str, src: Path, content_type: str | None = None):  # type: ignore[no-untyped-def]
        if ".openmps-parts/" in key and not self.failed:
            type(self).failed = True
            raise OSError("connection reset while staging")
        return super().upload(bucket, key, src, content_type)


def test_a_part_with_a_passing_fault_is_given_back_and_run_again_alone(split_deps, invoker, account, clips):
    # GIVEN a split transcode whose first part to stage its file hits a passing fault
    deps, task_id = _split_task_on(_StagingFailsOnce, split_deps, invoker, account, clips, "fault")
    [first] = invoker.take("transcode")
    run_subtask(deps, first, run_transcode, time_budget=120)
    events = invoker.take("transcode")
    # WHEN the part runs: the worker's retry contract, per part (the event is delivered again)
    with pytest.raises(RetryableProcessingError):
        run_subtask(deps, events[0], run_transcode, time_budget=120)
    part = _part(deps, run_key(task_id, 1, 0), events[0]["part"])
    assert part.status == SubtaskStatus.WAITING and part.tries == 1
    # THEN the same event runs it again alone, and the subtask still succeeds
    for event in [events[0], *events]:
        run_subtask(deps, event, run_transcode, time_budget=120)
    run_events(deps, invoker, task_id)
    [sub] = deps.tasks.get_subtasks(task_id)
    assert sub.status == SubtaskStatus.SUCCESS and sub.tries == 1  # the subtask itself ran once


def test_renditions_of_a_long_input_are_split_not_fused(split_deps, invoker, account, clips):
    # GIVEN a task with two renditions of an input longer than the threshold, and decode-once on
    assert split_deps.settings.fuse_outputs
    first = crf_template(split_deps, account)
    body = {"type": "Transcode", "name": "crf2", "container": "mp4", "height": 180, "crf": 28, "video_bitrate_kbps": 0}
    second = int(TemplateCatalog(split_deps.templates, split_deps.counters).create(account, body)["definition"])
    add_workflow(
        split_deps, account, f"{account}/", [SubtaskSpec("Transcode", first), SubtaskSpec("Transcode", second)]
    )
    [task_id] = trigger(split_deps, upload(split_deps, clips["bframes"], f"{account}/two.mp4"))
    # WHEN its invocations run (the first claims the second as a sibling to fuse)
    parts = run_events(split_deps, invoker, task_id)
    # THEN each rendition left the fused group for its own parts, and both joined and succeeded
    subs = split_deps.tasks.get_subtasks(task_id)
    assert [s.status for s in subs] == [SubtaskStatus.SUCCESS, SubtaskStatus.SUCCESS]
    assert {e["index"] for e in parts} == {1, 2}
    assert split_deps.tasks.get_task(task_id).status == TaskStatus.FINISH
    for sub in subs:
        [out] = sub.outputs
        assert joined_path(split_deps, sub).stat().st_size == out["size"]
