from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel

from shared.api.deps import deps
from shared.api.openapi_doc import answers
from shared.services import notifications

router = APIGatewayRouter()


class NotificationOut(BaseModel):
    event_id: str
    task_id: str
    attempt: int
    transition: str
    url: str
    state: str
    recorded_at: str
    delivered_at: str | None
    next_try_at: str | None
    tries: list[dict[str, Any]]
    header: str
    event: dict[str, Any]


class NotificationList(BaseModel):
    task_id: str
    notify: dict[str, Any] | None
    notifications: list[NotificationOut]


def _account() -> str:
    return router.context["account"]


@router.get(
    "/api/v1/tasks/<task_id>/notifications",
    summary="A task's notification events with their tries, state and next try",
    tags=["notifications"],
    responses=answers(400, 404),
)
def list_notifications(task_id: str) -> NotificationList:
    return NotificationList.model_validate(notifications.list_notifications(deps(), _account(), task_id))


@router.post(
    "/api/v1/tasks/<task_id>/notifications/<event_id>/resend",
    summary="Send a notification event again",
    tags=["notifications"],
    responses=answers(400, 404, 409),
)
def resend(task_id: str, event_id: str) -> NotificationOut:
    return NotificationOut.model_validate(notifications.resend(deps(), _account(), event_id, task_id))


@router.post(
    "/api/v1/notifications/<event_id>/resend",
    summary="Send a notification event again (by its id alone, for the CLI)",
    tags=["notifications"],
    responses=answers(400, 404, 409),
)
def resend_by_id(event_id: str) -> NotificationOut:
    return NotificationOut.model_validate(notifications.resend(deps(), _account(), event_id))
