"""DescribeTaskDetail: one of the caller's tasks as MPS's WorkflowTask (shared.domain.mps.task_view).

Any task of the account answers, whatever made it (ProcessMedia, an upload, the console, REST);
another account's task id answers as unknown, the same as one that never existed."""

from __future__ import annotations

from typing import Any

from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.params import Params
from shared.domain.ids import is_task_id
from shared.domain.mps.task_view import task_detail


def run(ctx: ActionContext, params: Params) -> dict[str, Any]:
    task_id = params.text("TaskId", required=True, code="InvalidParameterValue.TaskId")
    assert task_id is not None
    task = ctx.deps.tasks.get_task(task_id) if is_task_id(task_id) else None
    if task is None or task.account != ctx.account:
        raise MpsError("InvalidParameterValue.TaskId", "task_not_found", task_id=task_id)
    settings = ctx.deps.settings
    return task_detail(task, ctx.deps.tasks.get_subtasks(task_id), settings.cos_region or settings.region)
