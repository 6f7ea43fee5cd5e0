"""The task store: every write is a single-item conditional write (dynalite has no transactions,
and none are needed). A lost condition returns False; callers decide what that means.

Longer than our ~300 lines for now: every condition that keeps the task table consistent (claims,
results, aggregation, terminate, restart) is in this one class, so they can be read against each
other; the list and count reads are the part to move out next."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, PynamoDBException, QueryError, UpdateError
from pynamodb.expressions.condition import Condition

from shared.domain.errors import BadInputError
from shared.domain.history import append_attempt
from shared.domain.model import Subtask, Task
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.runtime.observability import logger
from shared.runtime.settings import Settings
from shared.store.changes import note_change, read_changes
from shared.store.convert import OPEN_SHARD, subtask_from_item, subtask_to_item, task_from_item, task_to_item
from shared.store.models import CounterModel, SubtaskModel, TaskModel, bind_models

CONDITION_FAILED = "ConditionalCheckFailedException"


def task_total_counter(account: str) -> str:
    return f"tasks#{account}"


class _LostCondition(Exception):
    pass


@contextmanager
def _conditional() -> Iterator[None]:
    """Map a failed condition to _LostCondition in one place; other errors propagate."""
    try:
        yield
    except (UpdateError, PutError, DeleteError) as exc:
        if getattr(exc, "cause_response_code", None) == CONDITION_FAILED:
            raise _LostCondition() from exc
        raise


def _update(item: TaskModel | SubtaskModel, actions: list[Any], condition: Condition) -> bool:
    try:
        with _conditional():
            item.update(actions=actions, condition=condition)
        return True
    except _LostCondition:
        return False


def _fail_actions(now: str, err_code: str, message: str) -> list[Any]:
    """A subtask ends in FAIL without a result of its own (lost worker, cancelled)."""
    return [
        SubtaskModel.status.set(SubtaskStatus.FAIL.value),
        SubtaskModel.finish_time.set(now),
        SubtaskModel.err_code.set(err_code),
        SubtaskModel.message.set(message),
        SubtaskModel.active.remove(),
        SubtaskModel.active_at.remove(),
    ]


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadInputError("cursor is not one this API returned", code="InvalidParameterValue.Cursor") from exc
    if not isinstance(value, dict):
        raise BadInputError("cursor is not one this API returned", code="InvalidParameterValue.Cursor")
    return value


def _pages_of_cursor(pages: Any, cursor: str | None) -> Any:
    """The query's pages; a cursor the table refuses (well-formed base64 JSON, but not a key this
    index returned, e.g. ``{"x": 1}``) is the caller's bad input, not a table fault."""
    try:
        yield from pages
    except QueryError as exc:
        if cursor and getattr(exc, "cause_response_code", None) in ("ValidationException", "SerializationException"):
            raise BadInputError("cursor is not one this API returned", code="InvalidParameterValue.Cursor") from exc
        raise


class TaskStore:
    def __init__(self, settings: Settings) -> None:
        bind_models(settings)

    # ---- creation and reads -------------------------------------------------------------
    def create_task(self, task: Task, subtasks: list[Subtask]) -> bool:
        """Subtasks first, then the task: a crash in between leaves no visible half task, and a
        redelivered event finishes the job. Returns False if the task already existed."""
        for sub in subtasks:
            try:
                with _conditional():
                    subtask_to_item(sub).save(condition=SubtaskModel.task_id.does_not_exist())
            except _LostCondition:
                pass
        try:
            with _conditional():
                task_to_item(task).save(condition=TaskModel.task_id.does_not_exist())
        except _LostCondition:
            return False
        # Tasks are never deleted, so this counter is the account's total. It is advisory: a crash
        # or a table fault right here undercounts by one (logged), never fails the creation, whose
        # caller must go on to dispatch; a duplicate never reaches it.
        try:
            CounterModel(task_total_counter(task.account)).update(actions=[CounterModel.value.add(1)])
        except PynamoDBException:
            logger.exception("task counter not incremented", extra={"task_id": task.task_id})
        note_change(task.account, task.task_id)
        return True

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
        index: Any
        if failed:
            index, hash_key = TaskModel.by_failed, account
        elif status is not None:
            index, hash_key = TaskModel.by_status, f"{account}#{status.value}"
        else:
            index, hash_key = TaskModel.by_account, account
        range_condition: Condition | None = None
        if created_from and created_to:
            range_condition = TaskModel.create_time.between(created_from, created_to)
        elif created_from:
            range_condition = TaskModel.create_time >= created_from
        elif created_to:
            range_condition = TaskModel.create_time <= created_to
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
        index: Any
        if failed:
            index, hash_key = TaskModel.by_failed, account
        elif status is not None:
            index, hash_key = TaskModel.by_status, f"{account}#{status.value}"
        else:
            index, hash_key = TaskModel.by_account, account
        if created_from and created_to:
            condition: Condition | None = TaskModel.create_time.between(created_from, created_to)
        elif created_from:
            condition = TaskModel.create_time >= created_from
        elif created_to:
            condition = TaskModel.create_time <= created_to
        else:
            condition = None
        return int(index.count(hash_key, condition))

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

    # ---- worker side ----------------------------------------------------------------------
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
        )
        if claimed:
            note_change(account, task_id)
        return claimed

    def claim_subtask(self, task_id: str, index: int, attempt: int, token: str, now: str) -> bool:
        return _update(
            SubtaskModel(task_id, index),
            [
                SubtaskModel.status.set(SubtaskStatus.PROCESSING.value),
                SubtaskModel.claim_token.set(token),
                SubtaskModel.begin_time.set(now),
                SubtaskModel.heartbeat.set(now),
                SubtaskModel.progress.set(0),
                SubtaskModel.tries.add(1),
                SubtaskModel.active.set(SubtaskStatus.PROCESSING.value),
                SubtaskModel.active_at.set(now),
                SubtaskModel.err_code.remove(),
                SubtaskModel.message.remove(),
            ],
            (SubtaskModel.status == SubtaskStatus.WAITING.value) & (SubtaskModel.attempt == attempt),
        )

    def heartbeat(self, task_id: str, index: int, token: str, progress: int, now: str) -> bool:
        return _update(
            SubtaskModel(task_id, index),
            [
                SubtaskModel.progress.set(max(0, min(100, int(progress)))),
                SubtaskModel.heartbeat.set(now),
                SubtaskModel.active_at.set(now),
            ],
            (SubtaskModel.claim_token == token) & (SubtaskModel.status == SubtaskStatus.PROCESSING.value),
        )

    def finish_subtask(
        self,
        task_id: str,
        index: int,
        token: str,
        *,
        status: SubtaskStatus,
        now: str,
        outputs: list[dict[str, Any]] | None = None,
        err_code: str | None = None,
        message: str | None = None,
        log_tail: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> bool:
        """Record a result, only for the run that holds the claim: a stale attempt, a run the
        reconciler gave up on, or a duplicate can never overwrite the current state."""
        actions = [
            SubtaskModel.status.set(status.value),
            SubtaskModel.finish_time.set(now),
            SubtaskModel.active.remove(),
            SubtaskModel.active_at.remove(),
        ]
        if status == SubtaskStatus.SUCCESS:
            actions.append(SubtaskModel.progress.set(100))
        if outputs is not None:
            actions.append(SubtaskModel.outputs.set(outputs))
        if err_code:
            actions += [SubtaskModel.err_code.set(err_code), SubtaskModel.message.set(message or err_code)]
        if log_tail:
            actions.append(SubtaskModel.log_tail.set(log_tail[-8000:]))
        if result is not None:
            actions.append(SubtaskModel.result.set(result))
        return _update(
            SubtaskModel(task_id, index),
            actions,
            (SubtaskModel.claim_token == token) & (SubtaskModel.status == SubtaskStatus.PROCESSING.value),
        )

    def release_subtask(
        self, task_id: str, index: int, token: str, now: str, expect_heartbeat: str | None = None
    ) -> bool:
        """Give a claimed subtask back to the queue (a passing fault, or a lost worker that gets
        one more run). With expect_heartbeat, only if the worker has not beaten since."""
        condition = (SubtaskModel.claim_token == token) & (SubtaskModel.status == SubtaskStatus.PROCESSING.value)
        if expect_heartbeat is not None:
            condition &= SubtaskModel.heartbeat == expect_heartbeat
        return _update(
            SubtaskModel(task_id, index),
            [
                SubtaskModel.status.set(SubtaskStatus.WAITING.value),
                SubtaskModel.claim_token.remove(),
                SubtaskModel.active.set(SubtaskStatus.WAITING.value),
                SubtaskModel.active_at.set(now),
                SubtaskModel.queued_time.set(now),
                SubtaskModel.progress.set(0),
            ],
            condition,
        )

    def fail_lost_subtask(
        self, task_id: str, index: int, token: str, expect_heartbeat: str, now: str, err_code: str, message: str
    ) -> bool:
        return _update(
            SubtaskModel(task_id, index),
            _fail_actions(now, err_code, message),
            (SubtaskModel.claim_token == token)
            & (SubtaskModel.heartbeat == expect_heartbeat)
            & (SubtaskModel.status == SubtaskStatus.PROCESSING.value),
        )

    def cancel_waiting_subtask(
        self, task_id: str, index: int, attempt: int, now: str, err_code: str, message: str
    ) -> bool:
        return _update(
            SubtaskModel(task_id, index),
            _fail_actions(now, err_code, message),
            (SubtaskModel.status == SubtaskStatus.WAITING.value) & (SubtaskModel.attempt == attempt),
        )

    def touch_waiting_subtask(self, task_id: str, index: int, attempt: int, now: str) -> bool:
        """Note a re-invocation of a queued subtask, so the reconciler does not repeat it at once."""
        return _update(
            SubtaskModel(task_id, index),
            [SubtaskModel.active_at.set(now)],
            (SubtaskModel.status == SubtaskStatus.WAITING.value) & (SubtaskModel.attempt == attempt),
        )

    def active_subtasks(self, status: SubtaskStatus, before: str, limit: int = 200) -> list[Subtask]:
        """Queued or running subtasks whose last sign of life is older than ``before``."""
        items = SubtaskModel.by_active.query(status.value, SubtaskModel.active_at < before, limit=limit)
        return [subtask_from_item(i) for i in items]

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
            TaskModel(task.task_id), actions, (TaskModel.rev == expected_rev) & (TaskModel.attempt == task.attempt)
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
        )
        if terminated:
            note_change(account, task_id)
        return terminated

    def open_tasks(self, before: str, limit: int = 200) -> list[Task]:
        """Unfinished tasks created before ``before``, oldest first."""
        items = TaskModel.by_open.query(OPEN_SHARD, TaskModel.create_time < before, limit=limit)
        return [task_from_item(i) for i in items]

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
        )
        if reopened:
            note_change(task.account, task.task_id)
        return reopened

    def requeue_subtask(self, task_id: str, index: int, from_attempt: int, to_attempt: int, now: str) -> bool:
        """Move a subtask of an old attempt into the new one, queued and clean."""
        return _update(
            SubtaskModel(task_id, index),
            [
                SubtaskModel.attempt.set(to_attempt),
                SubtaskModel.status.set(SubtaskStatus.WAITING.value),
                SubtaskModel.tries.set(0),
                SubtaskModel.progress.set(0),
                SubtaskModel.queued_time.set(now),
                SubtaskModel.active.set(SubtaskStatus.WAITING.value),
                SubtaskModel.active_at.set(now),
                SubtaskModel.begin_time.remove(),
                SubtaskModel.finish_time.remove(),
                SubtaskModel.heartbeat.remove(),
                SubtaskModel.claim_token.remove(),
                SubtaskModel.err_code.remove(),
                SubtaskModel.message.remove(),
                SubtaskModel.outputs.remove(),
                SubtaskModel.result.remove(),
                SubtaskModel.log_tail.remove(),
            ],
            SubtaskModel.attempt == from_attempt,
        )

    def carry_subtask(self, task_id: str, index: int, from_attempt: int, to_attempt: int) -> bool:
        """Keep a successful subtask, and its outputs, in the new attempt (retry-failed)."""
        return _update(
            SubtaskModel(task_id, index),
            [SubtaskModel.attempt.set(to_attempt)],
            (SubtaskModel.attempt == from_attempt) & (SubtaskModel.status == SubtaskStatus.SUCCESS.value),
        )
