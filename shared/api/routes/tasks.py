from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from shared.api.deps import deps
from shared.api.schemas import TaskList, TaskOut
from shared.services import queries

router = APIGatewayRouter()


@router.get("/api/v1/tasks", summary="List tasks, newest first", tags=["tasks"])
def list_tasks(
    status: Annotated[str | None, Query(description="WAITING | PROCESSING | FINISH")] = None,
    task_id: Annotated[str | None, Query(description="exact task id")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> TaskList:
    return TaskList.model_validate(queries.list_tasks(
        deps().tasks, router.context["account"], status=status, task_id=task_id, limit=limit, cursor=cursor))


@router.get("/api/v1/tasks/<task_id>", summary="A task with its subtasks", tags=["tasks"])
def get_task(task_id: str) -> TaskOut:
    return TaskOut.model_validate(queries.get_task(deps().tasks, router.context["account"], task_id))
