"""The API 3.0 actions openmps answers: one module per action, one line here per module.

An action is ``run(ctx: ActionContext, params: Params) -> dict`` returning the response fields
(without RequestId) named and typed as the SDK's ``<Action>Response`` model. Adding one: write
``actions/<snake_name>.py`` and register it below. Actions that create tasks claim their SessionId
through ``shared.api.mps.dedup`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.api.mps.actions import (
    create_workflow,
    describe_task_detail,
    describe_tasks,
    describe_workflows,
    manage_task,
    parse_notification,
    process_media,
    reset_workflow,
    workflow_switches,
)
from shared.api.mps.context import ActionContext
from shared.api.mps.params import Params
from shared.api.mps.templates import template_actions

Action = Callable[[ActionContext, Params], dict[str, Any]]

ACTIONS: dict[str, Action] = {
    "DescribeTaskDetail": describe_task_detail.run,
    "DescribeTasks": describe_tasks.run,
    "ManageTask": manage_task.run,
    "ProcessMedia": process_media.run,
    "ParseNotification": parse_notification.run,
    "CreateWorkflow": create_workflow.run,
    "DescribeWorkflows": describe_workflows.run,
    "EnableWorkflow": workflow_switches.enable,
    "DisableWorkflow": workflow_switches.disable,
    "DeleteWorkflow": workflow_switches.delete,
    "ResetWorkflow": reset_workflow.run,
    **template_actions(),  # Create/Modify/Delete/Describe for the six template families
}
