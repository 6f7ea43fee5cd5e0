"""The input is probed once per task: the probe is kept on the task (as MPS's MetaData, plus the
exact MediaInfo) and handed to the engines, which then do not read the input's header again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import shared.media.ffmpeg.probe as probe_module
import shared.services.input_metadata as input_metadata
from shared.domain.workflow import SubtaskSpec
from shared.media.ffmpeg.probe import probe
from shared.services.input_metadata import media_info_of, metadata_of
from tests.integration.pipeline_helpers import add_workflow, drain, trigger, upload
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.integration


def test_the_kept_metadata_rebuilds_the_exact_probe(tmp_path: Path) -> None:
    # GIVEN a probed clip WHEN its metadata goes through the table's JSON and back
    info = probe(make_clip(tmp_path / "a.mp4", seconds=1.37, width=160, height=96))
    kept = json.loads(json.dumps(metadata_of(info)))
    # THEN it is the same MediaInfo, and metadata without it (older tasks) means "probe again"
    assert media_info_of(kept) == info
    assert media_info_of({k: v for k, v in kept.items() if k != "media_info"}) is None


def test_a_task_with_several_subtasks_probes_its_input_once(deps, invoker, account, tmp_path, monkeypatch):
    # GIVEN a task with a transcode and a snapshot subtask, and every probe counted by the file it reads
    prefix = f"probe-once-{account}/"
    add_workflow(deps, account, prefix, [SubtaskSpec("Transcode", 100010), SubtaskSpec("Snapshot", 10, "sampled")])
    clip = make_clip(tmp_path / "a.mp4", seconds=2, width=160, height=96)
    (task_id,) = trigger(deps, upload(deps, clip, prefix + "clip.mp4"))
    probed: list[str] = []

    def counting(path: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        probed.append(Path(path).name)
        return probe(path, **kwargs)

    monkeypatch.setattr(probe_module, "probe", counting)
    monkeypatch.setattr(input_metadata, "probe", counting)
    # WHEN its subtasks run one after the other
    drain(deps, invoker)
    # THEN both succeeded, the input was probed once, and the task keeps MPS's metadata of it
    assert [s.status.value for s in deps.tasks.get_subtasks(task_id)] == ["SUCCESS", "SUCCESS"]
    assert probed.count("input.mp4") == 1, probed
    metadata = deps.tasks.get_task(task_id).metadata
    assert (metadata["width"], metadata["height"]) == (160, 96) and abs(metadata["duration"] - 2) < 0.1
