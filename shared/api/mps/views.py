"""openmps records in the shapes the MPS SDK models name and type (models.py of 2019-06-12)."""

from __future__ import annotations

from typing import Any

from shared.domain import clock
from shared.domain.model import Subtask, Task

NOT_YET = "0000-00-00T00:00:00Z"  # MPS's "has not happened" time
TASK_TYPE = "WorkflowTask"


def mps_time(value: str | None) -> str:
    """MPS times are whole seconds, ``2019-07-16T06:21:27Z``."""
    if not value:
        return NOT_YET
    return clock.parse_iso(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def subtask_types(subtasks: list[Subtask]) -> list[str]:
    """The kinds of work a task holds, in order, each once. MPS leaves the values undocumented; the
    openmps type names stand until the subtask-kind registry names them the MPS way."""
    seen: list[str] = []
    for sub in subtasks:
        if sub.type not in seen:
            seen.append(sub.type)
    return seen


def task_simple_info(task: Task, subtasks: list[Subtask]) -> dict[str, Any]:
    return {
        "TaskId": task.task_id,
        "TaskType": TASK_TYPE,
        "CreateTime": mps_time(task.create_time),
        "BeginProcessTime": mps_time(task.begin_process_time),
        "FinishTime": mps_time(task.finish_time),
        "SubTaskTypes": subtask_types(subtasks),
    }
