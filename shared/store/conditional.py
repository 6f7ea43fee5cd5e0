"""Single-item conditional writes: a failed condition mapped to one exception in one place, and a
write told from another writer's when its answer was lost (every store module writes through here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.condition import Condition

from shared.store.models import SubtaskModel, TaskModel

CONDITION_FAILED = "ConditionalCheckFailedException"


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


def _update(
    item: TaskModel | SubtaskModel,
    actions: list[Any],
    condition: Condition,
    applied: Callable[[Any], bool] | None = None,
) -> bool:
    """True if the write is in the table. A failed condition can be the write's own doing: its
    first answer was lost (a reset, a timeout) and the client's retry found the change it had
    made. So a lost condition re-reads the item, and ``applied`` (given the fresh item) tells
    this write's own change from another writer's (by its claim token, revision or timestamp)."""
    try:
        with _conditional():
            item.update(actions=actions, condition=condition)
        return True
    except _LostCondition:
        return applied is not None and _shows(item, applied)


def _shows(item: TaskModel | SubtaskModel, applied: Callable[[Any], bool]) -> bool:
    try:
        item.refresh(consistent_read=True)
    except item.DoesNotExist:
        return False
    return applied(item)


def _same_item(stored: Any, ours: Any) -> bool:
    """A create that found its item already there: is it ours (a lost answer) or an earlier one?"""
    return bool(stored.serialize() == ours.serialize())
