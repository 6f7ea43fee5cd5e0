from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from shared.api.deps import deps
from shared.api.openapi_doc import answers
from shared.api.schemas import Deleted, TemplateList
from shared.services.requests import NewTemplateRequest, TemplateRequest, TemplateTypeFilter
from shared.services.templates import TemplateCatalog, delete_custom_template

router = APIGatewayRouter()


def _catalog() -> TemplateCatalog:
    current = deps()
    return TemplateCatalog(current.templates, current.counters)


@router.get("/api/v1/templates", summary="Presets and custom templates", tags=["templates"], responses=answers(400))
def list_templates(
    type: Annotated[TemplateTypeFilter, Query(description="only templates of this type")] = None,  # noqa: A002 - the API's name
) -> TemplateList:
    return TemplateList(templates=_catalog().list(router.context["account"], type))


@router.post(
    "/api/v1/templates",
    summary="Create a custom template",
    tags=["templates"],
    responses=answers(409, ok={201: "created"}, body=True),
)
def create_template(body: NewTemplateRequest) -> Response[dict[str, Any]]:
    created = _catalog().create(router.context["account"], body.as_body())
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created)


@router.put(
    "/api/v1/templates/<definition>",
    summary="Change a custom template",
    tags=["templates"],
    responses=answers(404, 409, body=True),
)
def update_template(definition: int, body: TemplateRequest) -> dict[str, Any]:
    return _catalog().update(router.context["account"], definition, body.as_body())


@router.delete(
    "/api/v1/templates/<definition>",
    summary="Delete a custom template",
    tags=["templates"],
    responses=answers(400, 404, 409),
)
def delete_template(definition: int) -> Deleted:
    delete_custom_template(deps(), router.context["account"], definition)
    return Deleted(deleted=str(definition))
