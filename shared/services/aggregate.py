"""Aggregation: re-derive a task's status and counts from its subtasks.

Recomputing from the subtasks (the truth) rather than counting events makes the aggregator
idempotent: duplicated, lost or reordered invocations all converge to the same state. The write
is conditional on the task's revision, so concurrent aggregators cannot lose an update, and the
move to FINISH happens in exactly one successful write.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from shared.domain import clock
from shared.domain.errors import BadInputError, RetryableProcessingError
from shared.domain.model import Task
from shared.domain.status import SubtaskCounts, SubtaskStatus, TaskStatus, advance, derive_task_status
from shared.runtime.observability import logger
from shared.store.repo import TaskStore

if TYPE_CHECKING:
    from shared.services.notify_outbox import Outbox

MAX_ROUNDS = 20


class AggregatorEvent(BaseModel):
    task_id: str = Field(min_length=1, max_length=128)


def parse_aggregator_event(event: Any) -> AggregatorEvent:
    try:
        return AggregatorEvent.model_validate(event)
    except ValidationError as exc:
        raise BadInputError("aggregator events carry a task_id", code="InvalidParameter.AggregatorEvent") from exc


def aggregate_task(tasks: TaskStore, task_id: str, outbox: Outbox | None = None) -> Task | None:
    for _ in range(MAX_ROUNDS):
        task = tasks.get_task(task_id)
        if task is None:
            return None
        subtasks = tasks.get_subtasks(task_id)
        # A subtask not yet reset to the task's attempt (a restart under way) counts as queued.
        counts = SubtaskCounts.of(s.status if s.attempt == task.attempt else SubtaskStatus.WAITING for s in subtasks)
        # FINISH is final for an attempt (only a restart reopens a task); only its counts may still
        # move, when a terminate cancels the queued subtasks after finishing the task.
        status = (
            TaskStatus.FINISH if task.status == TaskStatus.FINISH else advance(task.status, derive_task_status(counts))
        )
        if status == task.status and counts == task.counts:
            return task
        now = clock.now_iso()
        if task.status == TaskStatus.FINISH:  # only the counts move (a terminated task never began)
            updated = replace(task, counts=counts)
        else:
            updated = replace(
                task,
                status=status,
                counts=counts,
                begin_process_time=task.begin_process_time or (now if status != TaskStatus.WAITING else None),
                finish_time=now if status == TaskStatus.FINISH else None,
            )
        if outbox is not None:  # notifications: recorded before the write that makes them true
            outbox.record(updated, subtasks)
        if tasks.save_aggregate(updated, expected_rev=task.rev):
            if status == TaskStatus.FINISH and task.status != TaskStatus.FINISH:
                logger.info(
                    "task finished", extra={"task_id": task_id, "counts": counts.as_dict(), "attempt": task.attempt}
                )
            return updated
    raise RetryableProcessingError(f"task {task_id} changed {MAX_ROUNDS} times while aggregating")
