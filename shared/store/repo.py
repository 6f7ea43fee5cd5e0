"""The task store: every write is a single-item conditional write (dynalite has no transactions,
and none are needed). A lost condition returns False; callers decide what that means.

``TaskStore`` is the one object callers hold. Its parts, one idea a module: the task's own writes
(creation, claim, aggregation, terminate, restart) are here; the subtask's lifecycle writes are in
subtask_writes.py, the reads and queries in task_reads.py, and the conditional-write machinery
every store shares in conditional.py."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PynamoDBException

from shared.domain.history import append_attempt
from shared.domain.model import Subtask, Task
from shared.domain.status import TaskStatus
from shared.runtime.observability import logger
from shared.runtime.settings import Settings
from shared.store.changes import note_change
from shared.store.conditional import _conditional, _LostCondition, _same_item, _update
from shared.store.convert import OPEN_SHARD, subtask_to_item, task_to_item
from shared.store.models import CounterModel, SubtaskModel, TaskModel, bind_models
from shared.store.subtask_writes import SubtaskWrites
from shared.store.task_reads import TaskReads, task_total_counter

__all__ = ["TaskStore", "task_total_counter"]


class TaskStore(TaskReads, SubtaskWrites):
    def __init__(self, settings: Settings) -> None:
        bind_models(settings)

    # ---- creation -----------------------------------------------------------------------
    def create_task(self, task: Task, subtasks: list[Subtask]) -> bool:
        """Subtasks first, then the task: a crash in between leaves no visible half task, and a
        redelivered event finishes the job. Returns False if the task already existed."""
        for sub in subtasks:
            try:
                with _conditional():
                    subtask_to_item(sub).save(condition=SubtaskModel.task_id.does_not_exist())
            except _LostCondition:
                pass
        item = task_to_item(task)
        try:
            with _conditional():
                item.save(condition=TaskModel.task_id.does_not_exist())
        except _LostCondition:
            stored = TaskModel.get(task.task_id, consistent_read=True)
            if not _same_item(stored, item):
                return False  # a duplicate: the task was created before, by an earlier event
        # Tasks are never deleted, so this counter is the account's total. It is advisory: a crash
        # or a table fault right here undercounts by one (logged), never fails the creation, whose
        # caller must go on to dispatch; a duplicate never reaches it.
        try:
            CounterModel(task_total_counter(task.account)).update(actions=[CounterModel.value.add(1)])
        except PynamoDBException:
            logger.exception("task counter not incremented", extra={"task_id": task.task_id})
        note_change(task.account, task.task_id)
        return True

    # ---- a worker starts ------------------------------------------------------------------
    def claim_task(self, task_id: str, account: str, attempt: int, now: str) -> bool:
        """The serialisation point with terminate: a worker may start only while the task is
        WAITING or PROCESSING in this attempt, and starting moves it to PROCESSING at once."""
        claimed = _update(
            TaskModel(task_id),
            [
                TaskModel.status.set(TaskStatus.PROCESSING.value),
                TaskModel.account_status.set(f"{account}#{TaskStatus.PROCESSING.value}"),
                TaskModel.begin_process_time.set(TaskModel.begin_process_time | now),
                TaskModel.rev.add(1),
            ],
            (TaskModel.attempt == attempt)
            & TaskModel.status.is_in(TaskStatus.WAITING.value, TaskStatus.PROCESSING.value),
            lambda t: t.attempt == attempt and t.status == TaskStatus.PROCESSING.value,
        )
        if claimed:
            note_change(account, task_id)
        return claimed

    # ---- task side ---------------------------------------------------------------------
    def save_aggregate(self, task: Task, expected_rev: int) -> bool:
        """Write a re-derived task state if nobody changed the task since it was read."""
        actions = [
            TaskModel.status.set(task.status.value),
            TaskModel.account_status.set(f"{task.account}#{task.status.value}"),
            TaskModel.n_waiting.set(task.counts.waiting),
            TaskModel.n_processing.set(task.counts.processing),
            TaskModel.n_success.set(task.counts.success),
            TaskModel.n_fail.set(task.counts.fail),
            TaskModel.rev.set(expected_rev + 1),
        ]
        if task.status == TaskStatus.FINISH:
            actions.append(TaskModel.open_shard.remove())
        if task.has_failed:
            actions.append(TaskModel.failed_account.set(task.account))
        if task.begin_process_time:
            actions.append(TaskModel.begin_process_time.set(task.begin_process_time))
        if task.finish_time:
            actions.append(TaskModel.finish_time.set(task.finish_time))
        saved = _update(
            TaskModel(task.task_id),
            actions,
            (TaskModel.rev == expected_rev) & (TaskModel.attempt == task.attempt),
            lambda t: (
                t.rev == expected_rev + 1
                and t.attempt == task.attempt
                and t.status == task.status.value
                # The finish time is this aggregator's own clock: another one that wrote the same
                # FINISH a moment earlier made the transition, not this one.
                and t.finish_time == task.finish_time
                and (t.n_waiting, t.n_processing, t.n_success, t.n_fail)
                == (task.counts.waiting, task.counts.processing, task.counts.success, task.counts.fail)
            ),
        )
        if saved:
            note_change(task.account, task.task_id)
        return saved

    def record_input_metadata(self, task_id: str, metadata: dict[str, Any]) -> bool:
        """Keep the input's probe on the task; the first worker to probe it wins, later ones
        (same input, same result) change nothing."""
        return _update(TaskModel(task_id), [TaskModel.metadata.set(metadata)], TaskModel.metadata.does_not_exist())

    def terminate_task(
        self, task_id: str, account: str, now: str, err_code: str, message: str, attempt: int | None = None
    ) -> bool:
        """Only a WAITING task (of that attempt, when one is given: the run the caller saw)."""
        condition = TaskModel.status == TaskStatus.WAITING.value
        if attempt is not None:
            condition &= TaskModel.attempt == attempt
        terminated = _update(
            TaskModel(task_id),
            [
                TaskModel.status.set(TaskStatus.FINISH.value),
                TaskModel.account_status.set(f"{account}#{TaskStatus.FINISH.value}"),
                TaskModel.finish_time.set(now),
                TaskModel.err_code.set(err_code),
                TaskModel.message.set(message),
                TaskModel.open_shard.remove(),
                TaskModel.rev.add(1),
            ],
            condition,
            lambda t: (
                t.status == TaskStatus.FINISH.value
                and t.err_code == err_code
                and t.finish_time == now
                and (attempt is None or t.attempt == attempt)
            ),
        )
        if terminated:
            note_change(account, task_id)
        return terminated

    # ---- restart / retry-failed ----------------------------------------------------------
    def reopen_task(self, task: Task, *, only_failed: bool, history_entry: dict[str, Any], now: str) -> bool:
        """Open a new attempt of a FINISH task. Conditional on the attempt the caller saw, so two
        restarts racing each other make one new attempt, not two. The history keeps only the last
        attempts (shared/domain/history.py), so no number of restarts can outgrow the item."""
        condition = (TaskModel.status == TaskStatus.FINISH.value) & (TaskModel.attempt == task.attempt)
        if only_failed:
            condition &= TaskModel.n_fail > 0
        waiting = task.counts.fail if only_failed else task.counts.total
        success = task.counts.success if only_failed else 0
        reopened = _update(
            TaskModel(task.task_id),
            [
                TaskModel.attempt.set(task.attempt + 1),
                TaskModel.status.set(TaskStatus.WAITING.value),
                TaskModel.account_status.set(f"{task.account}#{TaskStatus.WAITING.value}"),
                TaskModel.begin_process_time.remove(),
                TaskModel.finish_time.remove(),
                TaskModel.err_code.remove(),
                TaskModel.message.remove(),
                TaskModel.n_waiting.set(waiting),
                TaskModel.n_processing.set(0),
                TaskModel.n_success.set(success),
                TaskModel.n_fail.set(0),
                TaskModel.history.set(append_attempt(task.history, history_entry)),
                TaskModel.open_shard.set(OPEN_SHARD),
                TaskModel.failed_account.remove(),
                TaskModel.rev.add(1),
            ],
            condition,
            lambda t: t.attempt == task.attempt + 1 and bool(t.history) and t.history[-1] == history_entry,
        )
        if reopened:
            note_change(task.account, task.task_id)
        return reopened
