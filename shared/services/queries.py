"""Read side: task list and task details, scoped to the caller's account."""

from __future__ import annotations

from typing import Any

from shared.domain import clock
from shared.domain.errors import BadInputError, NotFoundError
from shared.domain.ids import is_task_id
from shared.domain.model import Subtask, Task
from shared.domain.status import TaskStatus
from shared.store.repo import TaskStore

MAX_LIMIT = 100


def subtask_view(sub: Subtask) -> dict[str, Any]:
    return {
        "index": sub.index,
        "type": sub.type,
        "status": sub.status.value,
        "attempt": sub.attempt,
        "template": {k: v for k, v in sub.template.items() if k != "params"},
        "begin_time": sub.begin_time,
        "finish_time": sub.finish_time,
        "progress": sub.progress,
        "err_code": sub.err_code,
        "message": sub.message,
        "message_code": sub.err_code,
        "message_params": {},
        "outputs": sub.outputs,
    }


def task_view(task: Task, subtasks: list[Subtask] | None = None, *, history: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "task_id": task.task_id,
        "status": task.status.value,
        "create_time": task.create_time,
        "begin_process_time": task.begin_process_time,
        "finish_time": task.finish_time,
        "input": {"bucket": task.input_bucket, "key": task.input_key},
        "output": {"bucket": task.output_bucket, "dir": task.output_dir},
        "origin": task.origin,
        "workflow_id": task.workflow_id,
        "attempt": task.attempt,
        "subtask_counts": task.counts.as_dict(),
        "has_failed": task.has_failed,
        "err_code": task.err_code,
        "message": task.message,
        "message_code": task.err_code,
        "message_params": {},
    }
    if subtasks is not None:
        view["subtasks"] = [subtask_view(s) for s in subtasks]
    if history:
        view["history"] = task.history
    view["session_id"] = task.session_id
    view["session_context"] = task.session_context
    view["notify"] = task.notify.public_view() if task.notify else None
    return view


def get_task(tasks: TaskStore, account: str, task_id: str) -> dict[str, Any]:
    task = tasks.get_task(task_id) if is_task_id(task_id) else None
    if task is None or task.account != account:
        raise NotFoundError(f"no task {task_id!r}", code="ResourceNotFound.TaskNotFound", params={"task_id": task_id})
    return task_view(task, tasks.get_subtasks(task_id), history=True)


def _time_bound(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return clock.iso(clock.parse_iso(value))
    except ValueError:
        raise BadInputError(
            f"{name} must be an ISO-8601 time such as 2026-01-31T00:00:00Z",
            code=f"InvalidParameterValue.{name.title().replace('_', '')}",
        ) from None


def list_tasks(
    tasks: TaskStore,
    account: str,
    *,
    status: str | None,
    task_id: str | None,
    limit: int,
    cursor: str | None,
    failed: bool = False,
    input_prefix: str | None = None,
    created_from: str | None = None,
    created_to: str | None = None,
    input_contains: str | None = None,
) -> dict[str, Any]:
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInputError(f"limit must be between 1 and {MAX_LIMIT}", code="InvalidParameterValue.Limit")
    wanted: TaskStatus | None = None
    if status:
        try:
            wanted = TaskStatus(status.upper())
        except ValueError:
            raise BadInputError(
                f"status must be one of {[s.value for s in TaskStatus]}", code="InvalidParameterValue.Status"
            ) from None
    if failed and wanted not in (None, TaskStatus.FINISH):
        raise BadInputError(
            "failed=true lists finished tasks; drop the status filter or use FINISH",
            code="InvalidParameterValue.Status",
        )
    start, end = _time_bound("created_from", created_from), _time_bound("created_to", created_to)
    if start and end and start > end:
        raise BadInputError(
            "created_from must not be after created_to",
            code="InvalidParameterValue.CreatedFrom",
            params={"created_from": start, "created_to": end},
        )
    if task_id:
        task = tasks.get_task(task_id) if is_task_id(task_id) else None
        found = (
            task is not None
            and task.account == account
            and (wanted is None or task.status == wanted)
            and (not failed or task.has_failed)
        )
        return {"tasks": [task_view(task)] if found and task else [], "next_cursor": None}
    items, next_cursor = tasks.list_tasks(
        account,
        status=wanted,
        failed=failed,
        created_from=start,
        created_to=end,
        input_prefix=input_prefix or None,
        input_contains=input_contains or None,
        limit=limit,
        cursor=cursor,
    )
    return {"tasks": [task_view(t) for t in items], "next_cursor": next_cursor}


def count_tasks(tasks: TaskStore, account: str) -> dict[str, int]:
    waiting = tasks.count_tasks(account, TaskStatus.WAITING)
    processing = tasks.count_tasks(account, TaskStatus.PROCESSING)
    total = max(tasks.count_tasks(account), waiting + processing)
    return {
        "waiting": waiting,
        "processing": processing,
        "finish": total - waiting - processing,
        "failed": tasks.count_tasks(account, failed=True),
        "total": total,
    }


def task_changes(tasks: TaskStore, account: str) -> dict[str, str]:
    """One consistent read: the token moves whenever a task of the account is created, starts,
    changes its counts, finishes, is terminated or is reopened."""
    return {"token": str(tasks.changes(account))}
