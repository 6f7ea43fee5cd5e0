"""Two PUTs to one key make two tasks; each processes its own version or fails saying it changed."""

from __future__ import annotations

import pytest

from shared.domain.workflow import SubtaskSpec
from tests.integration.pipeline_helpers import add_workflow, drain, trigger, upload
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.integration


def test_a_task_whose_input_was_replaced_fails_object_changed_and_the_newer_task_succeeds(
    deps, invoker, account, tmp_path
):
    # GIVEN a workflow, and two different clips PUT to the same key one after the other
    prefix = f"changed-{account}/"
    add_workflow(deps, account, prefix, [SubtaskSpec("Transcode", 100010)])
    key = prefix + "clip.mp4"
    first = make_clip(tmp_path / "a.mp4", seconds=1, width=160, height=96)
    second = make_clip(tmp_path / "b.mp4", seconds=2, width=160, height=96)
    (older,) = trigger(deps, upload(deps, first, key))
    (newer,) = trigger(deps, upload(deps, second, key))
    assert older != newer
    # WHEN both tasks run (the first only now, after the object changed)
    drain(deps, invoker)
    # THEN the first fails with a clear code and the second processed the bytes it was made for
    (old_sub,) = deps.tasks.get_subtasks(older)
    (new_sub,) = deps.tasks.get_subtasks(newer)
    assert (old_sub.status.value, old_sub.err_code) == ("FAIL", "InvalidInput.ObjectChanged")
    assert "replaced" in old_sub.message
    assert new_sub.status.value == "SUCCESS"
    assert abs(float(new_sub.outputs[0]["duration"]) - 2) < 0.3
