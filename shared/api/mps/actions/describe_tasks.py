"""DescribeTasks: the caller's tasks, newest first, from the table's indexes (never a scan)."""

from __future__ import annotations

from typing import Any

from shared.api.mps import scroll_token
from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.params import Params
from shared.domain.model import Task
from shared.domain.mps.views import task_simple_info
from shared.domain.status import TaskStatus

STATUSES = tuple(s.value for s in TaskStatus)


def run(ctx: ActionContext, params: Params) -> dict[str, Any]:
    status = params.choice("Status", STATUSES, code="InvalidParameterValue")
    failed = params.boolean("SubTaskHasFailed")
    if failed is False:
        raise MpsError(
            "InvalidParameterValue",
            "unsupported_value",
            name="SubTaskHasFailed",
            value="false",
            detail="omit it, or send true for finished tasks with failed subtasks",
        )
    if failed and status not in (None, TaskStatus.FINISH.value):
        raise MpsError("InvalidParameterValue", "bad_choice", name="Status", choices="FINISH (with SubTaskHasFailed)")
    limit = params.integer("Limit", default=10, low=1, high=100, code="InvalidParameterValue.Limit")
    start = params.time("StartTime", code="InvalidParameter.StartTime")
    end = params.time("EndTime", code="InvalidParameter.EndTime")
    scope = {"account": ctx.account, "status": status, "failed": bool(failed), "start": start, "end": end}
    secret = ctx.deps.settings.signing_key
    cursor = scroll_token.open_token(secret, scope, params.text("ScrollToken"))
    wanted = TaskStatus(status) if status else None

    def page(size: int, after: str | None) -> tuple[list[Task], str | None]:
        return ctx.deps.tasks.list_tasks(
            ctx.account,
            status=wanted,
            failed=bool(failed),
            created_from=start,
            created_to=end,
            limit=size,
            cursor=after,
        )

    tasks, next_cursor = page(limit, cursor)
    # The index hands back a cursor whenever a page is full; MPS sends a ScrollToken only when more remain.
    if next_cursor and not page(1, next_cursor)[0]:
        next_cursor = None
    if start or end:
        total = ctx.deps.tasks.count_created_between(ctx.account, wanted, bool(failed), start, end)
    else:
        total = ctx.deps.tasks.count_tasks(ctx.account, wanted, bool(failed))
    return {
        "TaskSet": [task_simple_info(t, ctx.deps.tasks.get_subtasks(t.task_id)) for t in tasks],
        "TotalCount": total,
        "ScrollToken": scroll_token.seal(secret, scope, next_cursor),
    }
