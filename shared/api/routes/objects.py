from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from shared.api.deps import deps
from shared.api.openapi_doc import answers
from shared.services import objects

router = APIGatewayRouter()


def _account() -> str:
    return router.context["account"]


@router.get(
    "/api/v1/objects", summary="Objects in a bucket, by key prefix", tags=["storage"], responses=answers(400, 403)
)
def list_objects(
    bucket: Annotated[str | None, Query()] = None,
    prefix: Annotated[str, Query()] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    return objects.list_objects(deps(), _account(), bucket, prefix, limit)


@router.get(
    "/api/v1/config", summary="Buckets and defaults of this installation", tags=["storage"], responses=answers()
)
def config() -> dict[str, Any]:
    return objects.config(deps(), _account())
