"""One place that turns errors into HTTP responses: routes never build error responses."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from shared.domain.errors import (
    AuthError,
    BadInputError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    OpenMpsError,
    error_envelope,
)
from shared.runtime.observability import logger
from shared.services.contract import bad_input

STATUS_BY_ERROR: list[tuple[type[OpenMpsError], int]] = [
    (BadInputError, 400),
    (AuthError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
]


def error_response(status: int, code: str, message: str, params: dict[str, Any] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error_envelope(code, message, params or {})),
    )


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(OpenMpsError)
    def _domain_error(exc: OpenMpsError) -> Response:
        for cls, status in STATUS_BY_ERROR:
            if isinstance(exc, cls):
                return error_response(status, exc.code, exc.message, exc.params)
        logger.exception("unexpected domain error")
        return error_response(500, "InternalError", "internal error")

    @app.exception_handler(RequestValidationError)
    def _validation_error(exc: RequestValidationError) -> Response:
        bad = bad_input(exc.errors())  # the request models' codes; never a 422
        return error_response(400, bad.code, bad.message, bad.params)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return error_response(500, "InternalError", "internal error; see the api function's log")

    @app.not_found
    def _not_found(exc: Exception) -> Response:
        return error_response(
            404,
            "ResourceNotFound.Route",
            f"no route {app.current_event.http_method} {app.current_event.path}",
            {"method": app.current_event.http_method, "path": app.current_event.path},
        )
