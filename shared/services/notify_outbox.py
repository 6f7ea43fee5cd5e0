"""Recording notification events (the outbox side of Flows 6).

The aggregator calls ``Outbox.record`` with the task state it is about to write, before the write:
a crash after the write can then never lose an event, and a crash before it leaves an event whose
transition is not in the table yet, which the notifier holds back until it is (the reconciler
re-aggregates the open task). Event ids are deterministic, so repeated aggregations record each
event once. ``flush`` then asks the notifier to send; that is a hint, the reconciler re-drives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.domain import clock
from shared.domain.errors import RetryableProcessingError
from shared.domain.model import Subtask, Task
from shared.domain.mps.task_view import workflow_task
from shared.domain.notify import FINISH_TRANSITION, PENDING, event_id, order_key, subtask_transition
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.invoke.port import Invoker, PermanentInvokeError
from shared.runtime.observability import logger
from shared.services.aggregate import aggregate_task
from shared.services.deps import Deps
from shared.store.notifications import Notification, NotificationStore

FINISH_RANK = 999_999


@dataclass(frozen=True)
class PlannedEvent:
    transition: str
    occurred_at: str
    rank: int


def planned_events(task: Task, subtasks: Sequence[Subtask], now: str) -> list[PlannedEvent]:
    """The events the task's state calls for, in the order they happened. ``finish``: the task's
    FINISH; ``change``: every subtask's start and end in this attempt, then the FINISH."""
    if task.notify is None:
        return []
    planned = []
    if task.notify.mode == "change":
        for sub in subtasks:
            if sub.attempt != task.attempt:
                continue
            if sub.begin_time and sub.status != SubtaskStatus.WAITING:
                planned.append(PlannedEvent(subtask_transition(sub.index, "PROCESSING"), sub.begin_time, 2 * sub.index))
            if sub.status.done:
                at = sub.finish_time or now
                planned.append(PlannedEvent(subtask_transition(sub.index, sub.status.value), at, 2 * sub.index + 1))
    if task.status == TaskStatus.FINISH:
        planned.append(PlannedEvent(FINISH_TRANSITION, task.finish_time or now, FINISH_RANK))
    return sorted(planned, key=lambda p: (p.occurred_at, p.rank))


def event_payload(task: Task, subtasks: Sequence[Subtask], region: str) -> dict[str, Any]:
    """ParseNotification's object without Timestamp and Sign (added at each try)."""
    return {
        "EventType": "WorkflowTask",
        "WorkflowTaskEvent": workflow_task(task, list(subtasks), region),
        "SessionId": task.session_id or "",
        "SessionContext": task.session_context or "",
    }


class Outbox:
    def __init__(self, notifications: NotificationStore, invoker: Invoker, region: str) -> None:
        self.notifications = notifications
        self.invoker = invoker
        self.region = region  # the installation's, as the events name the buckets
        self._recorded: set[str] = set()  # task ids with new events, for flush

    def record(self, task: Task, subtasks: Sequence[Subtask]) -> int:
        """Record the events ``task`` (the state about to be written) calls for; returns how many were new."""
        if task.notify is None:
            return 0
        now = clock.now_iso()
        planned = planned_events(task, subtasks, now)
        if not planned:
            return 0
        known = {n.event_id for n in self.notifications.for_task(task.task_id)}
        payload = event_payload(task, subtasks, self.region)
        new = 0
        for p in planned:
            eid = event_id(task.task_id, task.attempt, p.transition)
            if eid in known:
                continue
            notification = Notification(
                event_id=eid,
                task_id=task.task_id,
                account=task.account,
                attempt=task.attempt,
                transition=p.transition,
                order=order_key(task.attempt, p.occurred_at, p.rank),
                url=task.notify.url,
                key=task.notify.key,
                body=payload,
                state=PENDING,
                recorded_at=now,
            )
            if self.notifications.record(notification):
                new += 1
        if new:
            self._recorded.add(task.task_id)
        return new

    def flush(self) -> None:
        """Ask the notifier to send what was recorded (a hint: the reconciler re-drives due events)."""
        for task_id in sorted(self._recorded):
            try:
                self.invoker.invoke_async("notifier", {"task_id": task_id})
            except (RetryableProcessingError, PermanentInvokeError) as exc:
                logger.warning(
                    "notifier not invoked; the reconciler will", extra={"task_id": task_id, "error": str(exc)}
                )
        self._recorded.clear()


def aggregate_and_notify(deps: Deps, task_id: str) -> Task | None:
    """Aggregate a task, recording the notification events its new state calls for, then hand them
    to the notifier."""
    outbox = Outbox(deps.notifications, deps.invoker, deps.settings.region)
    try:
        return aggregate_task(deps.tasks, task_id, outbox)
    finally:
        outbox.flush()
