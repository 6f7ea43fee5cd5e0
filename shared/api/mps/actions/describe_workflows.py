"""DescribeWorkflows: the caller's workflows (made here, in the console or over REST), oldest first."""

from __future__ import annotations

from typing import Any

from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.params import Params
from shared.api.mps.workflows.info import workflow_info
from shared.services.workflows import mps_workflows


def _ids(params: Params) -> list[int] | None:
    value = params.body.get("WorkflowIds")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise MpsError("InvalidParameterValue.WorkflowIds", "bad_type", name="WorkflowIds", kind="a list of integers")
    return value


def run(ctx: ActionContext, params: Params) -> dict[str, Any]:
    wanted = _ids(params)
    status = params.choice("Status", ("Enabled", "Disabled"), code="InvalidParameterValue.Status")
    offset = params.integer("Offset", default=0, low=0, high=2**31 - 1, code="InvalidParameterValue.Offset")
    limit = params.integer("Limit", default=10, low=1, high=100, code="InvalidParameterValue.Limit")
    rules = [
        wf
        for wf in mps_workflows(ctx.deps, ctx.account)
        if (wanted is None or wf.mps_id in wanted) and (status is None or wf.enabled == (status == "Enabled"))
    ]
    region = ctx.deps.settings.region
    return {
        "TotalCount": len(rules),
        "WorkflowInfoSet": [workflow_info(wf, region) for wf in rules[offset : offset + limit]],
    }
