from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from shared.api.deps import deps
from shared.api.openapi_doc import answers
from shared.api.schemas import Deleted, WorkflowList
from shared.services import workflows
from shared.services.requests import MatchRequest, WorkflowRequest

router = APIGatewayRouter()


def _account() -> str:
    return router.context["account"]


@router.get("/api/v1/workflows", summary="Upload trigger rules", tags=["workflows"], responses=answers())
def list_workflows() -> WorkflowList:
    return WorkflowList(workflows=workflows.list_workflows(deps(), _account()))


@router.post(
    "/api/v1/workflows",
    summary="Create a rule",
    tags=["workflows"],
    responses=answers(403, 409, ok={201: "created"}, body=True),
)
def create_workflow(body: WorkflowRequest) -> Response[dict[str, Any]]:
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=workflows.create_workflow(deps(), _account(), body),
    )


@router.post(
    "/api/v1/workflows/match",
    summary="Dry run: which rules fire for an object",
    tags=["workflows"],
    responses=answers(403, body=True),
)
def match(body: MatchRequest) -> dict[str, Any]:
    return workflows.match(deps(), _account(), body.bucket, body.key)


@router.get("/api/v1/workflows/<workflow_id>", summary="One rule", tags=["workflows"], responses=answers(400, 404))
def get_workflow(workflow_id: str) -> dict[str, Any]:
    return workflows.get_workflow(deps(), _account(), workflow_id)


@router.put(
    "/api/v1/workflows/<workflow_id>",
    summary="Replace a rule",
    tags=["workflows"],
    responses=answers(403, 404, 409, body=True),
)
def update_workflow(workflow_id: str, body: WorkflowRequest) -> dict[str, Any]:
    return workflows.update_workflow(deps(), _account(), workflow_id, body)


@router.post(
    "/api/v1/workflows/<workflow_id>/enable",
    summary="Enable a rule",
    tags=["workflows"],
    responses=answers(400, 404, 409),
)
def enable(workflow_id: str) -> dict[str, Any]:
    return workflows.set_enabled(deps(), _account(), workflow_id, True)


@router.post(
    "/api/v1/workflows/<workflow_id>/disable",
    summary="Disable a rule without deleting it",
    tags=["workflows"],
    responses=answers(400, 404, 409),
)
def disable(workflow_id: str) -> dict[str, Any]:
    return workflows.set_enabled(deps(), _account(), workflow_id, False)


@router.delete(
    "/api/v1/workflows/<workflow_id>", summary="Delete a rule", tags=["workflows"], responses=answers(400, 404)
)
def delete(workflow_id: str) -> Deleted:
    workflows.delete_workflow(deps(), _account(), workflow_id)
    return Deleted(deleted=workflow_id)
