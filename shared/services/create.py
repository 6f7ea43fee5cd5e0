"""Creating a task with its subtasks, and dispatching one worker invocation per subtask."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.domain import clock, kinds
from shared.domain.errors import RetryableProcessingError
from shared.domain.model import Subtask, Task
from shared.domain.notify import NotifyConfig
from shared.domain.status import SubtaskCounts
from shared.domain.templates import Template
from shared.domain.workflow import SubtaskSpec
from shared.invoke.port import Invoker, PermanentInvokeError
from shared.runtime.observability import logger
from shared.services.templates import params_to_json
from shared.store.repo import TaskStore


def new_task(
    *,
    task_id: str,
    account: str,
    input_bucket: str,
    input_key: str,
    input_etag: str | None,
    input_size: int | None,
    output_bucket: str,
    output_dir: str,
    origin: str,
    specs: Sequence[tuple[SubtaskSpec, Template[Any]]],
    workflow_id: str | None = None,
    session_id: str | None = None,
    session_context: str | None = None,
    notify: NotifyConfig | None = None,
) -> tuple[Task, list[Subtask]]:
    """The records of a new task; each subtask keeps a snapshot of its template's parameters."""
    now = clock.now_iso()
    task = Task(
        task_id=task_id,
        account=account,
        create_time=now,
        input_bucket=input_bucket,
        input_key=input_key,
        input_etag=input_etag,
        input_size=input_size,
        output_bucket=output_bucket,
        output_dir=output_dir,
        origin=origin,
        workflow_id=workflow_id,
        session_id=session_id,
        session_context=session_context,
        notify=notify,
    )
    task.counts = SubtaskCounts(waiting=len(specs))
    subtasks = [
        Subtask(
            task_id=task_id,
            index=i,
            type=spec.type,
            account=account,
            template=template_snapshot(spec, template),
            queued_time=now,
        )
        for i, (spec, template) in enumerate(specs, start=1)
    ]
    return task, subtasks


def template_snapshot(spec: SubtaskSpec, template: Template[Any]) -> dict[str, Any]:
    variant = kinds.get(spec.type).variant_of(template.params) or None
    return {
        "definition": template.definition,
        "type": template.type,
        "name": template.name,
        "preset": template.preset,
        "kind": variant,
        "params": params_to_json(template.type, template.params),
        "output_object_path": spec.output_object_path,
    }


def dispatch(invoker: Invoker, subtasks: Sequence[Subtask]) -> None:
    """Invoke a worker per subtask. A failed invoke is logged, not raised: the task exists, and
    the reconciler re-invokes queued subtasks that nobody picked up."""
    for sub in subtasks:
        event = {"task_id": sub.task_id, "index": sub.index, "attempt": sub.attempt}
        try:
            invoker.invoke_async(kinds.get(sub.type).function, event)
        except (RetryableProcessingError, PermanentInvokeError) as exc:
            logger.warning(
                "worker invoke failed; the reconciler will retry",
                extra={"task_id": sub.task_id, "index": sub.index, "error": str(exc)},
            )


def create_and_dispatch(tasks: TaskStore, invoker: Invoker, task: Task, subtasks: list[Subtask]) -> bool:
    """True if this call created the task (and so dispatched it); False for a duplicate."""
    created = tasks.create_task(task, subtasks)
    if created:
        dispatch(invoker, subtasks)
    return created
