"""What a user sees of a task's notification events, and resending one."""

from __future__ import annotations

from typing import Any

from shared.domain import clock
from shared.domain.errors import NotFoundError, RetryableProcessingError
from shared.domain.notify import EVENT_ID_HEADER
from shared.invoke.port import PermanentInvokeError
from shared.runtime.observability import logger
from shared.services.deps import Deps
from shared.services.operations import owned_task
from shared.store.notifications import Notification


def notification_view(n: Notification) -> dict[str, Any]:
    return {
        "event_id": n.event_id,
        "task_id": n.task_id,
        "attempt": n.attempt,
        "transition": n.transition,
        "url": n.url,
        "state": n.state,
        "recorded_at": n.recorded_at,
        "delivered_at": n.delivered_at,
        "next_try_at": n.next_try_at,
        "tries": n.tries,
        "header": EVENT_ID_HEADER,
        "event": n.body,
    }


def list_notifications(deps: Deps, account: str, task_id: str) -> dict[str, Any]:
    task = owned_task(deps, account, task_id)
    events = deps.notifications.for_task(task.task_id)
    return {
        "task_id": task.task_id,
        "notify": task.notify.public_view() if task.notify else None,
        "notifications": [notification_view(n) for n in events],
    }


def resend(deps: Deps, account: str, event_id: str, task_id: str | None = None) -> dict[str, Any]:
    """Queue an event again (delivered, failed or pending alike) and wake the notifier."""
    n = deps.notifications.get(event_id)
    if n is None or n.account != account or (task_id is not None and n.task_id != task_id):
        raise NotFoundError(f"no notification {event_id!r}", code="ResourceNotFound.Notification")
    deps.notifications.resend(event_id, clock.now_iso())
    try:
        deps.invoker.invoke_async("notifier", {"task_id": n.task_id})
    except (RetryableProcessingError, PermanentInvokeError) as exc:  # the reconciler re-drives it
        logger.warning("notifier not invoked", extra={"event_id": event_id, "error": str(exc)})
    again = deps.notifications.get(event_id)
    assert again is not None
    return notification_view(again)
