from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from shared.api.deps import deps
from shared.api.openapi_doc import answers
from shared.api.schemas import (
    DownloadOut,
    SignedUrl,
    SubtaskDetail,
    TaskChanges,
    TaskCounts,
    TaskList,
    TaskOut,
    ViewOut,
)
from shared.runtime.settings import URL_TTL_MAX_DEFAULT
from shared.services import media_access, operations, queries
from shared.services.requests import CreatedFrom, CreatedTo, CreateTaskRequest, StatusFilter

router = APIGatewayRouter()
# The limit is the installation's (url_ttl_max_seconds, checked by the service with its own code);
# the document states the default one.
ExpiresIn = Annotated[
    int | None,
    Query(ge=1, description="seconds the signed URL lives", json_schema_extra={"maximum": URL_TTL_MAX_DEFAULT}),
]


def _account() -> str:
    return router.context["account"]


@router.get("/api/v1/tasks", summary="List tasks, newest first", tags=["tasks"], responses=answers(400))
def list_tasks(
    status: Annotated[StatusFilter, Query(description="WAITING | PROCESSING | FINISH")] = None,
    failed: Annotated[bool, Query(description="only tasks finished with failed subtasks")] = False,
    task_id: Annotated[str | None, Query(description="exact task id")] = None,
    input_prefix: Annotated[str | None, Query(description="input object key prefix")] = None,
    input_contains: Annotated[
        str | None, Query(description="part of the input object key, e.g. a file name", max_length=256)
    ] = None,
    created_from: Annotated[CreatedFrom, Query(description="ISO-8601, inclusive")] = None,
    created_to: Annotated[CreatedTo, Query(description="ISO-8601, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> TaskList:
    return TaskList.model_validate(
        queries.list_tasks(
            deps().tasks,
            _account(),
            status=status,
            task_id=task_id,
            limit=limit,
            cursor=cursor,
            failed=failed,
            input_prefix=input_prefix,
            input_contains=input_contains,
            created_from=created_from,
            created_to=created_to,
        )
    )


@router.get("/api/v1/tasks/counts", summary="Task counts by status", tags=["tasks"], responses=answers())
def count_tasks() -> TaskCounts:
    return TaskCounts.model_validate(queries.count_tasks(deps().tasks, _account()))


@router.get(
    "/api/v1/tasks/changes",
    summary="A change token: poll it cheaply, reload the list when it differs",
    tags=["tasks"],
    responses=answers(),
)
def task_changes() -> TaskChanges:
    return TaskChanges.model_validate(queries.task_changes(deps().tasks, _account()))


@router.post(
    "/api/v1/tasks",
    summary="Create a task",
    tags=["tasks"],
    responses=answers(403, 404, ok={201: "created", 200: "the task of this session_id"}, body=True),
)
def create_task(body: CreateTaskRequest) -> Response[TaskOut]:
    view, created = operations.create_task(deps(), _account(), body)
    return Response(
        status_code=201 if created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=TaskOut.model_validate(view),
    )


@router.get(
    "/api/v1/tasks/<task_id>",
    summary="A task with its subtasks and history",
    tags=["tasks"],
    responses=answers(400, 404),
)
def get_task(task_id: str) -> TaskOut:
    return TaskOut.model_validate(queries.get_task(deps().tasks, _account(), task_id))


def _task_out(task: Any) -> TaskOut:
    d = deps()
    return TaskOut.model_validate(queries.task_view(task, d.tasks.get_subtasks(task.task_id), history=True))


@router.post(
    "/api/v1/tasks/<task_id>/restart",
    summary="Re-run every subtask (finished tasks only)",
    tags=["operations"],
    responses=answers(400, 404, 409),
)
def restart(task_id: str) -> TaskOut:
    return _task_out(operations.reopen(deps(), _account(), task_id, only_failed=False))


@router.post(
    "/api/v1/tasks/<task_id>/retry-failed",
    summary="Re-run only the failed subtasks",
    tags=["operations"],
    responses=answers(400, 404, 409),
)
def retry_failed(task_id: str) -> TaskOut:
    return _task_out(operations.reopen(deps(), _account(), task_id, only_failed=True))


@router.post(
    "/api/v1/tasks/<task_id>/terminate",
    summary="Stop a queued task (WAITING only)",
    tags=["operations"],
    responses=answers(400, 404, 409),
)
def terminate(task_id: str) -> TaskOut:
    return _task_out(operations.terminate(deps(), _account(), task_id))


@router.get(
    "/api/v1/tasks/<task_id>/source",
    summary="A signed, seekable URL of the input",
    tags=["media"],
    responses=answers(400, 404, 409),
)
def source(task_id: str, expires_in: ExpiresIn = None) -> SignedUrl:
    return SignedUrl.model_validate(media_access.source(deps(), _account(), task_id, expires_in))


@router.get(
    "/api/v1/tasks/<task_id>/subtasks/<index>",
    summary="Full details of a subtask",
    tags=["media"],
    responses=answers(400, 404),
)
def subtask(task_id: str, index: int) -> SubtaskDetail:
    return SubtaskDetail.model_validate(media_access.subtask_detail(deps(), _account(), task_id, index))


@router.get(
    "/api/v1/tasks/<task_id>/subtasks/<index>/view",
    summary="What to play or show",
    tags=["media"],
    responses=answers(400, 404, 409),
)
def view(task_id: str, index: int, expires_in: ExpiresIn = None) -> ViewOut:
    return ViewOut.model_validate(media_access.view(deps(), _account(), task_id, index, expires_in))


@router.get(
    "/api/v1/tasks/<task_id>/subtasks/<index>/download",
    summary="Download: one file, or a streamed zip of several",
    tags=["media"],
    responses=answers(400, 404, 409, ok={302: "redirect to the signed URL", 200: "the signed URL (mode=url)"}),
)
def download(
    task_id: str,
    index: int,
    mode: Annotated[str | None, Query(pattern="^(url|redirect)$")] = None,
    expires_in: ExpiresIn = None,
) -> Response[DownloadOut]:
    out = media_access.download(deps(), _account(), task_id, index, expires_in)
    if mode == "url":
        return Response(
            status_code=200, content_type=content_types.APPLICATION_JSON, body=DownloadOut.model_validate(out)
        )
    return Response(
        status_code=302,
        content_type=content_types.APPLICATION_JSON,
        headers={"Location": out["url"]},
        body=DownloadOut.model_validate(out),
    )


@router.get(
    "/api/v1/play/<task_id>/<index>/<name>",
    summary="A signed HLS playlist (no token needed)",
    tags=["media"],
    responses=answers(400, 401, 403, 404, ok={200: "the playlist, its segments signed"}, public=True),
)
def play(
    task_id: str, index: int, name: str, expires: Annotated[int, Query()] = 0, sig: Annotated[str, Query()] = ""
) -> Response[str]:
    text = media_access.signed_playlist(deps(), task_id, index, name, expires, sig)
    return Response(
        status_code=200,
        content_type="application/vnd.apple.mpegurl",
        body=text,
        headers={"Cache-Control": "private, max-age=30"},
    )
