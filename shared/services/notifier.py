"""Delivering recorded notification events (the notifier function; Flows 6).

At-least-once, in order per task: a task's events go out oldest first, and an event that must be
tried again later holds back the ones after it. Each try is taken under a lease (a conditional
write), so two notifiers never send the same event at once; a notifier killed mid-send leaves the
event due again when the lease runs out, and it goes out again with the same event id.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from shared.domain import clock
from shared.domain.errors import BadInputError, RetryableProcessingError
from shared.domain.notify import (
    DELIVERED,
    EVENT_ID_HEADER,
    FAILED,
    FINISH_TRANSITION,
    PENDING,
    SIGNATURE_HEADER,
    body_signature,
    event_body,
    next_delay,
    permanent_status,
)
from shared.domain.status import TaskStatus
from shared.invoke.port import PermanentInvokeError
from shared.runtime.observability import logger
from shared.services.deps import Deps
from shared.store.notifications import Notification

NOT_YET_VISIBLE_RETRY_SECONDS = 5.0


class NotifierEvent(BaseModel):
    task_id: str = Field(min_length=1, max_length=128)


def parse_notifier_event(event: Any) -> NotifierEvent:
    try:
        return NotifierEvent.model_validate(event)
    except ValidationError as exc:
        raise BadInputError("notifier events carry a task_id", code="InvalidParameter.NotifierEvent") from exc


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _later(seconds: float) -> str:
    return clock.iso(clock.now() + timedelta(seconds=seconds))


def _transition_visible(deps: Deps, ev: Notification) -> bool:
    """The outbox row is written before the task's own write: hold a FINISH event back until the
    table shows that FINISH (or a later attempt, which only a FINISH allows)."""
    if ev.transition != FINISH_TRANSITION:
        return True
    task = deps.tasks.get_task(ev.task_id)
    return task is not None and (task.attempt > ev.attempt or task.status == TaskStatus.FINISH)


def send_once(deps: Deps, ev: Notification) -> tuple[dict[str, Any], str, str | None]:
    """One try: returns (the try's log entry, the new state, the next try time or None)."""
    settings = deps.settings
    body = json.dumps(event_body(ev.body, now_epoch=int(clock.now().timestamp()), key=ev.key), ensure_ascii=False)
    raw = body.encode()
    headers = {"Content-Type": "application/json", EVENT_ID_HEADER: ev.event_id, "User-Agent": "openmps-notifier"}
    if ev.key:
        headers[SIGNATURE_HEADER] = body_signature(raw, ev.key)
    at = clock.now_iso()
    outcome = deps.webhooks.post(ev.url, raw, headers, settings.notify_timeout_seconds)
    log = {"at": at, "status": outcome.status, "error": outcome.error, "duration_ms": outcome.duration_ms}
    if outcome.delivered:
        return log, DELIVERED, None
    if outcome.status is not None and permanent_status(outcome.status):
        return log, FAILED, None
    tries = len(ev.tries) + 1
    delay = next_delay(tries, delays=settings.notify_retry_delay_seconds)
    give_up_at = clock.parse_iso(ev.recorded_at) + timedelta(seconds=settings.notify_give_up_after_seconds)
    if clock.now() + timedelta(seconds=delay) > give_up_at:
        return log, FAILED, None  # a dead letter: it stays visible and can be resent
    return log, PENDING, _later(delay)


def deliver_task_events(deps: Deps, task_id: str) -> DeliveryReport:
    report = DeliveryReport()
    for ev in deps.notifications.for_task(task_id):
        if ev.next_try_at is None:
            continue  # delivered or a dead letter
        now = clock.now_iso()
        if ev.next_try_at > now:
            break  # waits for its retry (or another notifier holds it): later events wait too
        token = secrets.token_hex(8)
        # The lease outlives one try (its timeout) with room to record it.
        lease = max(10.0, 3 * deps.settings.notify_timeout_seconds)
        if not deps.notifications.claim(ev.event_id, token, now, _later(lease)):
            break  # another notifier took it; it carries on from here
        if not _transition_visible(deps, ev):
            deps.notifications.postpone(ev.event_id, token, _later(NOT_YET_VISIBLE_RETRY_SECONDS))
            break
        log, state, next_try_at = send_once(deps, ev)
        if not deps.notifications.record_try(
            ev.event_id, token, log, state=state, next_try_at=next_try_at, now=clock.now_iso()
        ):
            break  # a resend reset it meanwhile: the next run sends it again
        logger.info(
            "notification tried",
            extra={"event_id": ev.event_id, "task_id": task_id, "state": state, **{k: v for k, v in log.items() if v}},
        )
        if state == DELIVERED:
            report.delivered.append(ev.event_id)
        elif state == FAILED:
            report.failed.append(ev.event_id)
        else:
            report.retrying.append(ev.event_id)
            break
    return report


def redrive_due(deps: Deps, limit: int = 500) -> list[str]:
    """The reconciler's part: invoke the notifier for every task with an event due."""
    task_ids = deps.notifications.due_task_ids(clock.now_iso(), limit=limit)
    for task_id in task_ids:
        try:
            deps.invoker.invoke_async("notifier", {"task_id": task_id})
        except (RetryableProcessingError, PermanentInvokeError) as exc:  # a hint; the next run tries again
            logger.warning("notifier not invoked", extra={"task_id": task_id, "error": str(exc)})
    return task_ids
