"""ManageTask: OperationType ``Abort`` stops a WAITING task (the same terminate as the REST API and the
console); any other state is refused, as MPS does for every task type but live streams."""

from __future__ import annotations

from typing import Any

from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.params import Params
from shared.domain.errors import ConflictError
from shared.domain.ids import is_task_id
from shared.domain.status import TaskStatus
from shared.services.operations import terminate


def run(ctx: ActionContext, params: Params) -> dict[str, Any]:
    params.choice("OperationType", ("Abort",), required=True, code="InvalidParameterValue.InvalidOperationType")
    task_id = params.text("TaskId", required=True, code="InvalidParameterValue.TaskId")
    assert task_id is not None
    task = ctx.deps.tasks.get_task(task_id) if is_task_id(task_id) else None
    if task is None or task.account != ctx.account:
        raise MpsError("InvalidParameterValue.TaskId", "task_not_found", task_id=task_id)
    if task.status != TaskStatus.WAITING:
        raise MpsError("FailedOperation", "abort_not_waiting", task_id=task_id, status=task.status.value)
    try:
        terminate(ctx.deps, ctx.account, task_id)
    except ConflictError:  # it started between our read and the conditional write
        raise MpsError("FailedOperation", "abort_not_waiting", task_id=task_id, status="PROCESSING") from None
    return {}
