"""Answers that say what happened (issue 14 §12): terminate when a restart lands in between, and
the token-free playlist route, which must not tell a missing task from a bad signature."""

from __future__ import annotations

import uuid

import pytest

from shared.domain import clock
from shared.domain.status import SubtaskStatus
from shared.services import operations
from tests.integration.pipeline_helpers import drain
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.integration

SNAP = {"type": "Snapshot", "definition": 10, "kind": "sampled"}
HLS = {"type": "Transcode", "definition": 100210}


def create(api, deps, tmp_path, subtasks):
    key = f"input/{uuid.uuid4().hex[:8]}/clip.mp4"
    with make_clip(tmp_path / "clip.mp4", seconds=1).open("rb") as f:
        deps.storage.put_stream(deps.settings.input_bucket, key, f)
    body = {
        "input": {"bucket": deps.settings.input_bucket, "key": key},
        "output": {"bucket": deps.settings.output_bucket, "dir": "api/{task_id}/"},
        "subtasks": subtasks,
    }
    reply = api.post("/api/v1/tasks", body)
    assert reply.status == 201, reply.body
    return reply.body["task_id"]


def test_terminate_answers_409_when_a_restart_lands_before_the_answer(
    api, deps, invoker, account, tmp_path, monkeypatch
):
    # GIVEN a queued task, and a restart that gets in right after terminate's write
    task_id = create(api, deps, tmp_path, [SNAP])
    write = deps.tasks.terminate_task

    def terminate_then_restart(*args, **kwargs):
        done = write(*args, **kwargs)
        operations.reopen(deps, account, task_id, only_failed=False)
        return done

    monkeypatch.setattr(deps.tasks, "terminate_task", terminate_then_restart)
    # WHEN it is terminated
    reply = api.post(f"/api/v1/tasks/{task_id}/terminate")
    # THEN the answer says the task runs again, not 200 with a WAITING body
    assert reply.status == 409 and reply.code == "FailedOperation.TaskRestarted", reply.body
    assert reply.body["error"]["message_params"] == {"status": "WAITING", "attempt": 1}
    # AND the restarted run's subtasks were not cancelled: they run and the task finishes
    monkeypatch.undo()
    subs = deps.tasks.get_subtasks(task_id)
    assert [(s.attempt, s.status) for s in subs] == [(1, SubtaskStatus.WAITING)]
    drain(deps, invoker)
    after = api.get(f"/api/v1/tasks/{task_id}").body
    assert after["status"] == "FINISH" and after["subtask_counts"]["success"] == 1, after


def test_terminate_that_loses_to_a_start_answers_409_with_the_state(api, deps, account, tmp_path, monkeypatch):
    # GIVEN a queued task that a worker starts between terminate's read and its write
    task_id = create(api, deps, tmp_path, [SNAP])
    write = deps.tasks.terminate_task

    def start_first(*args, **kwargs):
        assert deps.tasks.claim_subtask(task_id, 1, 0, "worker-token", clock.now_iso())
        operations.aggregate_and_notify(deps, task_id)
        return write(*args, **kwargs)

    monkeypatch.setattr(deps.tasks, "terminate_task", start_first)
    reply = api.post(f"/api/v1/tasks/{task_id}/terminate")
    assert reply.status == 409 and reply.code == "FailedOperation.TaskNotWaiting", reply.body
    assert reply.body["error"]["message_params"]["status"] == "PROCESSING"


def test_unauthenticated_play_answers_alike_for_a_missing_task_and_a_bad_signature(api, deps, invoker, tmp_path):
    # GIVEN a finished HLS transcode and its signed playlist link
    task_id = create(api, deps, tmp_path, [HLS])
    drain(deps, invoker)
    view = api.get(f"/api/v1/tasks/{task_id}/subtasks/1/view").body
    url = next(i["url"] for i in view["items"] if i["url"].split("?")[0].endswith(".m3u8"))
    path = url.removeprefix(deps.settings.public_url)
    good = api.get(path, token="")
    assert good.status == 200 and "#EXTM3U" in good.body
    # WHEN the link is altered: another signature, a task id that does not exist, a missing name
    base, query = path.split("?", 1)
    other_task = task_id[:-10] + "0" * 8 + "t0"
    tries = [
        f"{base}?{query[:-4]}0000",
        f"{base.replace(task_id, other_task)}?{query}",
        f"{base.rsplit('/', 1)[0]}/nope.m3u8?{query}",
        f"{base.replace('/1/', '/7/')}?{query}",
    ]
    replies = [api.get(t, token="") for t in tries]
    # THEN every one gets the same 401 and the same body: nothing tells which task ids exist
    assert {(r.status, r.code) for r in replies} == {(401, "AuthFailure.SignatureExpire")}, [r.body for r in replies]
    assert len({str(r.body["error"]) for r in replies}) == 1
