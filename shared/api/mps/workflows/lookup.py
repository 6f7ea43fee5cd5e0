"""The caller's workflow an MPS WorkflowId names, and the refusals of the workflows service in MPS terms."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.params import Params
from shared.api.mps.workflows.rule import refused
from shared.domain.errors import BadInputError, ConflictError, NotFoundError
from shared.domain.workflow import Workflow
from shared.services.workflows import MAX_WORKFLOWS, find_by_mps_id

T = TypeVar("T")


def workflow_id(params: Params) -> int:
    value = params.body.get("WorkflowId")
    if value is None:
        raise MpsError("MissingParameter", "missing_parameter", name="WorkflowId")
    if isinstance(value, bool) or not isinstance(value, int):
        raise MpsError("InvalidParameterValue.WorkflowId", "bad_type", name="WorkflowId", kind="an integer")
    return value


def owned(ctx: ActionContext, params: Params) -> Workflow:
    wanted = workflow_id(params)
    try:
        return find_by_mps_id(ctx.deps, ctx.account, wanted)
    except NotFoundError:
        raise MpsError("ResourceNotFound", "workflow_not_found", workflow_id=wanted) from None


def service(wf_id: int, call: Callable[[], T]) -> T:
    try:
        return call()
    except BadInputError as exc:
        raise refused(exc) from None
    except NotFoundError:  # deleted by another call meanwhile
        raise MpsError("ResourceNotFound", "workflow_not_found", workflow_id=wf_id) from None
    except ConflictError as exc:
        if exc.code.startswith("LimitExceeded"):
            raise MpsError("LimitExceeded", "too_many_workflows", limit=MAX_WORKFLOWS) from None
        raise
