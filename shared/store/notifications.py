"""The notification outbox in the table. Every write is a single-item conditional write:
recording an event twice keeps the first, and only the holder of a send lease records a try."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from shared.runtime.settings import Settings
from shared.store.conditional import _conditional, _LostCondition
from shared.store.models import NotificationModel, bind_models

DUE = "due"


@dataclass
class Notification:
    event_id: str
    task_id: str
    account: str
    attempt: int
    transition: str
    order: str
    url: str
    key: str | None
    body: dict[str, Any]
    state: str
    recorded_at: str
    next_try_at: str | None = None
    tries: list[dict[str, Any]] = field(default_factory=list)
    delivered_at: str | None = None
    lease_token: str | None = None


def _from_item(item: NotificationModel) -> Notification:
    return Notification(
        event_id=item.event_id,
        task_id=item.task_id,
        account=item.account,
        attempt=int(item.attempt),
        transition=item.transition,
        order=item.order,
        url=item.url,
        key=item.key,
        body=dict(item.body or {}),
        state=item.state,
        recorded_at=item.recorded_at,
        next_try_at=item.next_try_at,
        tries=[json.loads(str(t)) for t in item.tries or []],
        delivered_at=item.delivered_at,
        lease_token=item.lease_token,
    )


def _update(event_id: str, actions: list[Any], condition: Any) -> bool:
    try:
        with _conditional():
            NotificationModel(event_id).update(actions=actions, condition=condition)
        return True
    except _LostCondition:
        return False


class NotificationStore:
    def __init__(self, settings: Settings) -> None:
        bind_models(settings)

    def record(self, n: Notification) -> bool:
        """Record an event unless its id exists already (a repeated aggregation); True if new."""
        item = NotificationModel(
            n.event_id,
            task_id=n.task_id,
            account=n.account,
            attempt=n.attempt,
            transition=n.transition,
            order=n.order,
            url=n.url,
            key=n.key,
            body=n.body,
            state=n.state,
            n_tries=0,
            tries=[],
            recorded_at=n.recorded_at,
            due=DUE,
            next_try_at=n.next_try_at or n.recorded_at,
        )
        try:
            with _conditional():
                item.save(condition=NotificationModel.event_id.does_not_exist())
            return True
        except _LostCondition:
            return False

    def get(self, event_id: str) -> Notification | None:
        try:
            return _from_item(NotificationModel.get(event_id, consistent_read=True))
        except NotificationModel.DoesNotExist:
            return None

    def for_task(self, task_id: str) -> list[Notification]:
        """A task's events in the order they happened."""
        return [_from_item(i) for i in NotificationModel.by_task.query(task_id, scan_index_forward=True)]

    def due_task_ids(self, now: str, limit: int = 500) -> list[str]:
        """Tasks with an event whose next try is due (oldest first), each once."""
        seen: dict[str, None] = {}
        for item in NotificationModel.by_due.query(DUE, NotificationModel.next_try_at <= now, limit=limit):
            seen.setdefault(item.task_id, None)
        return list(seen)

    def claim(self, event_id: str, token: str, now: str, lease_until: str) -> bool:
        """Take the send lease of a due event. While it is held the event is not due; a sender
        that dies mid-send leaves it due again when the lease runs out (then it is sent again,
        with the same event id)."""
        return _update(
            event_id,
            [NotificationModel.lease_token.set(token), NotificationModel.next_try_at.set(lease_until)],
            (NotificationModel.due == DUE) & (NotificationModel.next_try_at <= now),
        )

    def record_try(
        self, event_id: str, token: str, attempt_log: dict[str, Any], *, state: str, next_try_at: str | None, now: str
    ) -> bool:
        """Append one try's outcome and move the event on (delivered, failed, or due again)."""
        actions: list[Any] = [
            NotificationModel.tries.set(NotificationModel.tries.append([json.dumps(attempt_log)])),
            NotificationModel.n_tries.add(1),
            NotificationModel.state.set(state),
            NotificationModel.lease_token.remove(),
        ]
        if next_try_at is None:
            actions += [NotificationModel.due.remove(), NotificationModel.next_try_at.remove()]
        else:
            actions.append(NotificationModel.next_try_at.set(next_try_at))
        if state == "delivered":
            actions.append(NotificationModel.delivered_at.set(now))
        return _update(event_id, actions, NotificationModel.lease_token == token)

    def postpone(self, event_id: str, token: str, next_try_at: str) -> bool:
        """Give the lease back without a try (the transition is not visible in the table yet)."""
        return _update(
            event_id,
            [NotificationModel.lease_token.remove(), NotificationModel.next_try_at.set(next_try_at)],
            NotificationModel.lease_token == token,
        )

    def resend(self, event_id: str, now: str) -> bool:
        """Queue an event again, whatever its state (a user's resend)."""
        return _update(
            event_id,
            [
                NotificationModel.state.set("pending"),
                NotificationModel.due.set(DUE),
                NotificationModel.next_try_at.set(now),
                NotificationModel.lease_token.remove(),
            ],
            NotificationModel.event_id.exists(),
        )
