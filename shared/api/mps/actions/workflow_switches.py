"""EnableWorkflow, DisableWorkflow and DeleteWorkflow: the same operations as the REST API's."""

from __future__ import annotations

from typing import Any

from shared.api.mps.context import ActionContext
from shared.api.mps.params import Params
from shared.api.mps.workflows.lookup import owned, service
from shared.services.workflows import delete_workflow, set_enabled


def enable(ctx: ActionContext, params: Params) -> dict[str, Any]:
    wf = owned(ctx, params)
    service(wf.mps_id, lambda: set_enabled(ctx.deps, ctx.account, wf.workflow_id, True))
    return {}


def disable(ctx: ActionContext, params: Params) -> dict[str, Any]:
    wf = owned(ctx, params)
    service(wf.mps_id, lambda: set_enabled(ctx.deps, ctx.account, wf.workflow_id, False))
    return {}


def delete(ctx: ActionContext, params: Params) -> dict[str, Any]:
    wf = owned(ctx, params)
    service(wf.mps_id, lambda: delete_workflow(ctx.deps, ctx.account, wf.workflow_id))
    return {}
