"""Tasks whose subtasks are moved by hand (no ffmpeg), and the notifier driven by hand."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.domain import clock
from shared.domain.ids import random_task_id
from shared.domain.model import Subtask, Task
from shared.domain.notify import NotifyConfig
from shared.domain.status import SubtaskCounts, SubtaskStatus
from shared.services.deps import Deps
from shared.services.notifier import deliver_task_events, redrive_due
from shared.services.notify_outbox import aggregate_and_notify
from tests.doubles import RecordingInvoker


def make_task(deps: Deps, account: str, notify: NotifyConfig | None, n_subtasks: int = 2) -> Task:
    now = clock.now_iso()
    task = Task(
        task_id=random_task_id(deps.settings.appid),
        account=account,
        create_time=now,
        input_bucket=deps.settings.input_bucket,
        input_key="input/clip.mp4",
        output_bucket=deps.settings.output_bucket,
        output_dir="output/x/",
        origin="api",
        counts=SubtaskCounts(waiting=n_subtasks),
        notify=notify,
        session_context="ctx-42",
    )
    subs = [
        Subtask(
            task_id=task.task_id,
            index=i,
            type="Transcode",
            account=account,
            template={"definition": 100030, "type": "Transcode"},
            queued_time=now,
        )
        for i in range(1, n_subtasks + 1)
    ]
    assert deps.tasks.create_task(task, subs)
    return task


def run_subtask(deps: Deps, task: Task, index: int, status: SubtaskStatus = SubtaskStatus.SUCCESS) -> None:
    """What a worker does, minus the media: claim, aggregate, finish, aggregate."""
    current = deps.tasks.get_task(task.task_id)
    assert current is not None
    deps.tasks.claim_task(task.task_id, task.account, current.attempt, clock.now_iso())
    token = f"tok-{index}"
    assert deps.tasks.claim_subtask(task.task_id, index, current.attempt, token, clock.now_iso())
    aggregate_and_notify(deps, task.task_id)
    ok = status == SubtaskStatus.SUCCESS
    outputs = [{"bucket": task.output_bucket, "key": f"output/x/{index}.mp4"}] if ok else []
    err = {} if ok else {"err_code": "FailedOperation.Media", "message": "boom"}
    assert deps.tasks.finish_subtask(
        task.task_id, index, token, status=status, now=clock.now_iso(), outputs=outputs, **err
    )
    aggregate_and_notify(deps, task.task_id)


def pump(deps: Deps, invoker: RecordingInvoker, rounds: int = 1) -> None:
    """Run the notifier invocations queued so far, then the reconciler's re-drive, ``rounds`` times."""
    for _ in range(rounds):
        for event in invoker.take("notifier"):
            deliver_task_events(deps, event["task_id"])
        redrive_due(deps)
        for event in invoker.take("notifier"):
            deliver_task_events(deps, event["task_id"])


def with_settings(deps: Deps, **values: Any) -> Deps:
    return replace(deps, settings=deps.settings.model_copy(update=values))
