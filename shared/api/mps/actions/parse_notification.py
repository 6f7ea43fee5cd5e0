"""ParseNotification: a pure action, as in MPS ("does not make a network call"): it parses an event
notification's ``Content`` (the JSON body openmps POSTs to a NotifyUrl, or a queue message body)
and returns the event's fields."""

from __future__ import annotations

import json
from typing import Any

from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.params import Params

# ParseNotificationResponse's fields (without RequestId), as the SDK names them.
EVENT_FIELDS = (
    "EventType",
    "WorkflowTaskEvent",
    "EditMediaTaskEvent",
    "ScheduleTaskEvent",
    "BatchTaskEvent",
    "ExtractBlindWatermarkTask",
    "SessionId",
    "SessionContext",
    "Timestamp",
    "Sign",
)
CONTENT_MAX = 1_000_000


def run(ctx: ActionContext, params: Params) -> dict[str, Any]:
    content = params.text("Content", required=True, code="InvalidParameterValue.Content")
    assert content is not None
    if len(content) > CONTENT_MAX:
        raise MpsError("InvalidParameterValue.Content", "bad_notification", detail=f"over {CONTENT_MAX} characters")
    try:
        event = json.loads(content)
    except ValueError as exc:
        raise MpsError("InvalidParameterValue.Content", "bad_notification", detail=str(exc)) from None
    if not isinstance(event, dict) or not isinstance(event.get("EventType"), str):
        raise MpsError("InvalidParameterValue.Content", "bad_notification", detail="no EventType")
    return {name: event[name] for name in EVENT_FIELDS if name in event}
