"""The account's change counter: one atomic counter per account, bumped on every task-level
write (created, started, aggregated, terminated, reopened), so a console can ask "did anything
change?" with one consistent GetItem instead of re-reading its list.

It is advisory: a failed bump is logged and never fails the write it follows; the next change
bumps it again, and a console that missed one sees the task on its next real reload.
"""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from shared.runtime.observability import logger
from shared.store.models import CounterModel


def change_counter(account: str) -> str:
    return f"changes#{account}"


def note_change(account: str, task_id: str) -> None:
    try:
        CounterModel(change_counter(account)).update(actions=[CounterModel.value.add(1)])
    except PynamoDBException:
        logger.exception("change counter not incremented", extra={"task_id": task_id})


def read_changes(account: str) -> int:
    try:
        return int(CounterModel.get(change_counter(account), consistent_read=True).value)
    except CounterModel.DoesNotExist:
        return 0
