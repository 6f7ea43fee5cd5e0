"""Task and subtask statuses and the rules that derive a task's status from its subtasks.

Pure: no I/O. The aggregator and the claim step both rely on these rules, so they live here once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class TaskStatus(str, Enum):
    WAITING = "WAITING"
    PROCESSING = "PROCESSING"
    FINISH = "FINISH"


class SubtaskStatus(str, Enum):
    WAITING = "WAITING"
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"

    @property
    def done(self) -> bool:
        return self in (SubtaskStatus.SUCCESS, SubtaskStatus.FAIL)


_TASK_ORDER = {TaskStatus.WAITING: 0, TaskStatus.PROCESSING: 1, TaskStatus.FINISH: 2}


@dataclass(frozen=True)
class SubtaskCounts:
    waiting: int = 0
    processing: int = 0
    success: int = 0
    fail: int = 0

    @property
    def total(self) -> int:
        return self.waiting + self.processing + self.success + self.fail

    @classmethod
    def of(cls, statuses: Iterable[SubtaskStatus]) -> SubtaskCounts:
        c = Counter(SubtaskStatus(s) for s in statuses)
        return cls(
            c[SubtaskStatus.WAITING], c[SubtaskStatus.PROCESSING], c[SubtaskStatus.SUCCESS], c[SubtaskStatus.FAIL]
        )

    def as_dict(self) -> dict[str, int]:
        return {"waiting": self.waiting, "processing": self.processing, "success": self.success, "fail": self.fail}


def derive_task_status(counts: SubtaskCounts) -> TaskStatus:
    """The spec's rule: WAITING while no subtask has started; FINISH when every subtask is
    SUCCESS or FAIL; PROCESSING otherwise (some running, or some done and others waiting)."""
    if counts.total == 0:
        return TaskStatus.WAITING
    if counts.success + counts.fail == counts.total:
        return TaskStatus.FINISH
    if counts.processing == 0 and counts.success + counts.fail == 0:
        return TaskStatus.WAITING
    return TaskStatus.PROCESSING


def advance(current: TaskStatus, derived: TaskStatus) -> TaskStatus:
    """A task's status only moves forward within an attempt.

    A claim moves the task to PROCESSING before its subtask is marked PROCESSING; re-deriving
    WAITING from the subtasks in between must not move it back, or a terminate could slip in
    after a worker already started.
    """
    return derived if _TASK_ORDER[derived] > _TASK_ORDER[current] else current
