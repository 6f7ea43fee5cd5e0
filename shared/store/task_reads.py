"""The task store's reads: single items, the account's task lists and counts from the indexes
(never a scan), and the reconciler's queries for what looks stale."""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.condition import Condition

from shared.domain.model import Subtask, Task
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.store.changes import read_changes
from shared.store.convert import OPEN_SHARD, subtask_from_item, task_from_item
from shared.store.cursor import _pages_of_cursor, decode_cursor, encode_cursor
from shared.store.models import CounterModel, SubtaskModel, TaskModel


def task_total_counter(account: str) -> str:
    return f"tasks#{account}"


def _index_for(account: str, status: TaskStatus | None, failed: bool) -> tuple[Any, str]:
    """The index that answers a list or count filtered this way, and its hash key."""
    if failed:
        return TaskModel.by_failed, account
    if status is not None:
        return TaskModel.by_status, f"{account}#{status.value}"
    return TaskModel.by_account, account


def _created_between(created_from: str | None, created_to: str | None) -> Condition | None:
    if created_from and created_to:
        return TaskModel.create_time.between(created_from, created_to)
    if created_from:
        return TaskModel.create_time >= created_from
    if created_to:
        return TaskModel.create_time <= created_to
    return None


class TaskReads:
    def get_task(self, task_id: str) -> Task | None:
        try:
            return task_from_item(TaskModel.get(task_id, consistent_read=True))
        except TaskModel.DoesNotExist:
            return None

    def get_subtasks(self, task_id: str) -> list[Subtask]:
        items = SubtaskModel.query(task_id, consistent_read=True)
        return sorted((subtask_from_item(i) for i in items), key=lambda s: s.index)

    def get_subtask(self, task_id: str, index: int) -> Subtask | None:
        try:
            return subtask_from_item(SubtaskModel.get(task_id, index, consistent_read=True))
        except SubtaskModel.DoesNotExist:
            return None

    def list_tasks(
        self,
        account: str,
        *,
        status: TaskStatus | None = None,
        failed: bool = False,
        created_from: str | None = None,
        created_to: str | None = None,
        input_prefix: str | None = None,
        input_contains: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
        max_read: int = 5000,
    ) -> tuple[list[Task], str | None]:
        """Newest first, from the index that fits the filter (never a scan). The input-key prefix is
        a filter on that index: a page may read up to ``max_read`` index items to fill itself."""
        index, hash_key = _index_for(account, status, failed)
        range_condition = _created_between(created_from, created_to)
        filter_condition: Condition | None = TaskModel.input_key.startswith(input_prefix) if input_prefix else None
        if input_contains:
            contains = TaskModel.input_key.contains(input_contains)
            filter_condition = contains if filter_condition is None else filter_condition & contains
        # Page through raw query pages so the read budget is ours: DynamoDB applies Limit before the
        # filter, so a filtered page may need several reads, and a rare prefix must not read forever.
        pages = index.query(
            hash_key,
            range_condition,
            filter_condition=filter_condition,
            scan_index_forward=False,
            last_evaluated_key=decode_cursor(cursor),
            page_size=limit if filter_condition is None else max(limit, 200),
        ).page_iter
        tasks: list[Task] = []
        scanned = 0
        next_key: dict[str, Any] | None = None
        for page in _pages_of_cursor(pages, cursor):
            items = page.get("Items", [])
            for n, raw in enumerate(items):
                tasks.append(task_from_item(TaskModel.from_raw_data(raw)))
                if len(tasks) == limit:
                    more = n + 1 < len(items) or page.get("LastEvaluatedKey")
                    return tasks, encode_cursor({k: raw[k] for k in pages.key_names}) if more else None
            next_key = page.get("LastEvaluatedKey")
            scanned += int(page.get("ScannedCount", len(items)))
            if not next_key or scanned >= max_read:
                break
        return tasks, encode_cursor(next_key)

    def count_created_between(
        self, account: str, status: TaskStatus | None, failed: bool, created_from: str | None, created_to: str | None
    ) -> int:
        """A COUNT query over one index's creation-time range (keys only, no items returned): its cost
        grows with the tasks in the range, so callers use it for an explicit time range only."""
        index, hash_key = _index_for(account, status, failed)
        return int(index.count(hash_key, _created_between(created_from, created_to)))

    def count_tasks(self, account: str, status: TaskStatus | None = None, failed: bool = False) -> int:
        """A COUNT query on the index (reads keys, returns no items): cheap for the few queued,
        running and failed tasks. The total comes from a counter and FINISH is the rest, so no
        count ever walks the whole history."""
        if failed:
            return TaskModel.by_failed.count(account)
        if status is None or status == TaskStatus.FINISH:
            try:
                total = int(CounterModel.get(task_total_counter(account), consistent_read=True).value)
            except CounterModel.DoesNotExist:
                total = 0
            if status is None:
                return total
            return max(
                0, total - sum(self.count_tasks(account, s) for s in (TaskStatus.WAITING, TaskStatus.PROCESSING))
            )
        return TaskModel.by_status.count(f"{account}#{status.value}")

    def changes(self, account: str) -> int:
        """How many task-level changes the account has seen: equal numbers mean nothing changed."""
        return read_changes(account)

    def active_subtasks(self, status: SubtaskStatus, before: str, limit: int = 200) -> list[Subtask]:
        """Queued or running subtasks whose last sign of life is older than ``before``."""
        items = SubtaskModel.by_active.query(status.value, SubtaskModel.active_at < before, limit=limit)
        return [subtask_from_item(i) for i in items]

    def open_tasks(self, before: str, limit: int = 200) -> list[Task]:
        """Unfinished tasks created before ``before``, oldest first."""
        items = TaskModel.by_open.query(OPEN_SHARD, TaskModel.create_time < before, limit=limit)
        return [task_from_item(i) for i in items]
