"""CreateWorkflow: a new upload trigger rule, disabled until EnableWorkflow (as in MPS); returns its
numeric WorkflowId (the mapping onto our string ids: shared.services.workflows.find_by_mps_id)."""

from __future__ import annotations

from typing import Any

from shared.api.mps.context import ActionContext
from shared.api.mps.params import Params
from shared.api.mps.templates.fields import Fields
from shared.api.mps.workflows.lookup import service
from shared.api.mps.workflows.rule import notify_config, priority, workflow_request
from shared.services.workflows import create_workflow, find_by_id_or_none


def run(ctx: ActionContext, params: Params) -> dict[str, Any]:
    fields = Fields(params.body)
    request = workflow_request(ctx, fields, enabled=False)
    notify, rank = notify_config(fields), priority(fields)
    view = service(0, lambda: create_workflow(ctx.deps, ctx.account, request, notify=notify, priority=rank))
    wf = find_by_id_or_none(ctx.deps, ctx.account, view["workflow_id"])
    return {"WorkflowId": wf.mps_id if wf else 0}
