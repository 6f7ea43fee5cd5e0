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
    UnavailableError,
    error_envelope,
)
from shared.runtime.observability import logger
from shared.services.contract import bad_input
from shared.store.unavailable import table_unavailable, unavailable

STATUS_BY_ERROR: list[tuple[type[OpenMpsError], int]] = [
    (BadInputError, 400),
    (AuthError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (UnavailableError, 503),
]


def error_response(status: int, code: str, message: str, params: dict[str, Any] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error_envelope(code, message, params or {})),
    )


def unavailable_response(exc: BaseException) -> Response:
    """503 with Retry-After: the table does not answer now; the same request may succeed later."""
    error = unavailable(exc)
    logger.warning("table unavailable", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
    response = error_response(503, error.code, error.message, error.params)
    response.headers["Retry-After"] = str(error.params.get("retry_after_seconds", 1))
    return response


def unavailable_answer(exc: BaseException) -> dict[str, Any]:
    """The same 503 as a REST-shaped response, for what runs before the resolver (authentication)."""
    response = unavailable_response(exc)
    return {"statusCode": 503, "isBase64Encoded": False, "headers": response.headers, "body": response.body}


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(OpenMpsError)
    def _domain_error(exc: OpenMpsError) -> Response:
        if isinstance(exc, UnavailableError):
            return unavailable_response(exc)
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
        if table_unavailable(exc):
            return unavailable_response(exc)
        logger.exception("unhandled error")
        return error_response(500, "InternalError", "internal error; see the api function's log")

    @app.not_found
    def _not_found(exc: Exception) -> Response:
        method, path = app.current_event.http_method, app.current_event.path
        allowed = allowed_methods(app, path)
        if allowed:
            response = error_response(
                405,
                "UnsupportedOperation.Method",
                f"{path} answers {', '.join(allowed)}, not {method}",
                {"method": method, "path": path, "allowed": allowed},
            )
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return error_response(
            404, "ResourceNotFound.Route", f"no route {method} {path}", {"method": method, "path": path}
        )


def allowed_methods(app: APIGatewayRestResolver, path: str) -> list[str]:
    """The methods some route answers on ``path``: a known path with another method is a 405, not a 404."""
    # powertools keeps no public index of its routes. It tries the static ones first, so a path
    # one of them matches (/api/v1/workflows/match) is that route's alone.
    for routes in (app._static_routes, app._dynamic_routes):
        methods = sorted({route.method for route in routes if route.rule.fullmatch(path)})
        if methods:
            return methods
    return []
