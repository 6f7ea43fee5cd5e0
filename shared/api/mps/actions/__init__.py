"""The API 3.0 actions openmps answers: one module per action, one line here per module.

An action is ``run(ctx: ActionContext, params: Params) -> dict`` returning the response fields
(without RequestId) named and typed as the SDK's ``<Action>Response`` model. Adding one: write
``actions/<snake_name>.py`` and register it below. Actions that create tasks claim their SessionId
through ``shared.api.mps.dedup`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.api.mps.actions import describe_tasks, manage_task, parse_notification
from shared.api.mps.context import ActionContext
from shared.api.mps.params import Params

Action = Callable[[ActionContext, Params], dict[str, Any]]

ACTIONS: dict[str, Action] = {
    "DescribeTasks": describe_tasks.run,
    "ManageTask": manage_task.run,
    "ParseNotification": parse_notification.run,
}
