"""ResetWorkflow: replace a disabled workflow's whole rule (MPS resets only disabled ones); it keeps
its WorkflowId and stays disabled."""

from __future__ import annotations

from typing import Any

from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.params import Params
from shared.api.mps.templates.fields import Fields
from shared.api.mps.workflows.lookup import owned, service
from shared.api.mps.workflows.rule import notify_config, priority, workflow_request
from shared.services.workflows import update_workflow


def run(ctx: ActionContext, params: Params) -> dict[str, Any]:
    wf = owned(ctx, params)
    if wf.enabled:
        raise MpsError("FailedOperation", "reset_enabled", workflow_id=wf.mps_id)
    fields = Fields(params.body)
    request = workflow_request(ctx, fields, enabled=False)
    notify, rank = notify_config(fields), priority(fields)
    service(
        wf.mps_id,
        lambda: update_workflow(ctx.deps, ctx.account, wf.workflow_id, request, notify=notify, priority=rank),
    )
    return {}
