"""What the OpenAPI document says about answers: every status a route gives, with the error shape.

powertools documents a route's 200 and a 422 that this API never sends (validation errors answer
400 with the request models' codes, shared/api/errors.py). Each route names its statuses with
``answers(...)``; ``DocumentedResolver`` drops the 422, lets public routes opt out of the
global bearer requirement and links each creation to the operations on what it created (OpenAPI
links, which clients and schemathesis' stateful phase follow), for the served /swagger and the
committed openapi.json alike.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import Link, OpenAPI
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field

# Routes whose operation needs no token (shared/api/auth.py PUBLIC_PREFIXES): their operations get
# an empty security list, which in OpenAPI overrides the document's global one.
PUBLIC_OPERATIONS = {("/healthz", "get"), ("/api/v1/play/{task_id}/{index}/{name}", "get")}

ERROR_DESCRIPTIONS = {
    400: "bad input: a parameter or the body does not fit (the code names which)",
    401: "no token, or a token that is not valid",
    403: "a bucket or object of another account, or a signature that does not match",
    404: "no such resource in this account",
    409: "the resource's state does not allow it, or a limit is reached",
    413: "the body is larger than the gateway takes",
    415: "the body is not application/json",
    429: "RequestLimitExceeded: the caller's request rate limit is used up (an account's reads or writes, or a "
    "client address's requests that prove no account); Retry-After says when to try again",
    503: "ServiceUnavailable: the table does not answer right now (restarting, unreachable or overloaded); "
    "the same request may succeed after Retry-After seconds",
}
BODY_ERRORS = (400, 413, 415)

# A creation's answer names the resource's id; every operation under the resource's path takes it.
CREATIONS = {
    ("/api/v1/templates", "post"): ("definition", "/api/v1/templates/{definition}"),
    ("/api/v1/workflows", "post"): ("workflow_id", "/api/v1/workflows/{workflow_id}"),
    ("/api/v1/tasks", "post"): ("task_id", "/api/v1/tasks/{task_id}"),
}
METHODS = ("get", "put", "post", "delete", "patch")


class ErrorDetail(BaseModel):
    code: str = Field(description="stable error code, e.g. ResourceNotFound.Task")
    message: str = Field(description="English, for scripts")
    message_code: str | None = Field(None, description="stable key of the message (the console's i18n tables)")
    message_params: dict[str, Any] | None = Field(None, description="values the message quotes")


class ErrorOut(BaseModel):
    error: ErrorDetail


def answers(
    *errors: int, ok: dict[int, str] | None = None, body: bool = False, public: bool = False
) -> dict[int, OpenAPIResponse]:
    """The ``responses=`` of a route: its successes (default 200), then its error statuses.

    ``body``: the route takes a JSON body, so the gateway's 413 and the body guard's 415 apply;
    ``public``: no token, so no 401. Every route may answer 429 (shared/api/rate_gate.py: an
    account's budget, or a client address's for requests that prove no account) and 503 (the table
    does not answer: shared/store/unavailable.py). Successes keep
    the schema of the route's return annotation."""
    out: dict[int, OpenAPIResponse] = {status: {"description": text} for status, text in (ok or {200: "OK"}).items()}
    statuses = set(errors) | {429, 503} | (set(BODY_ERRORS) if body else set()) | (set() if public else {401})
    for status in sorted(statuses):
        out[status] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"model": ErrorOut}},
        }
    return out


class DocumentedResolver(APIGatewayRestResolver):
    """The resolver whose OpenAPI document lists only the statuses the API really answers."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path, item in (schema.paths or {}).items():
            for method in METHODS:
                operation = getattr(item, method, None)
                if operation is None:
                    continue
                if operation.responses:
                    operation.responses.pop(422, None)
                if (path, method) in PUBLIC_OPERATIONS:
                    operation.security = []
        schemas = schema.components.schemas if schema.components else None
        if schemas:
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
        _link_creations(schema)
        return schema


def _link_creations(schema: OpenAPI) -> None:
    """Each creation's 2xx answers link to the operations on the created resource, by operationId,
    with the id taken from the answer's body (the other path parameters are the caller's)."""
    paths = schema.paths or {}
    for (path, method), (id_name, resource) in CREATIONS.items():
        links = {
            operation.operationId: Link(
                operationId=operation.operationId, parameters={id_name: f"$response.body#/{id_name}"}
            )
            for target, item in paths.items()
            if target == resource or target.startswith(resource + "/")
            for operation in (getattr(item, m, None) for m in METHODS)
            if operation is not None and operation.operationId
        }
        creation = getattr(paths[path], method)
        for status, response in creation.responses.items():
            if 200 <= int(status) < 300:
                response.links = dict(links)
