"""The REST API: a powertools resolver with one router per resource."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from shared.api.auth import authenticate
from shared.api.body_guard import refuse_bad_body, refuse_bad_path
from shared.api.deps import deps
from shared.api.errors import register_error_handlers, unavailable_answer
from shared.api.openapi_doc import DocumentedResolver, answers
from shared.api.routes import console, notifications, objects, tasks, templates, uploads, workflows
from shared.api.schemas import Health
from shared.services.health import check_health
from shared.store.unavailable import table_unavailable

TITLE = "openmps"
VERSION = "1.0.0"


def build_app() -> DocumentedResolver:
    app = DocumentedResolver(enable_validation=True)
    register_error_handlers(app)

    @app.get(
        "/healthz",
        summary="Readiness: do the table and the buckets answer? (no token needed)",
        tags=["health"],
        responses={
            200: {"description": "all parts answer"},
            503: {"description": "a part does not answer"},  # its own body (Health), not the error shape
            429: answers(public=True)[429],  # the client address's budget, as on every route
        },
    )
    def healthz() -> Response[Health]:
        health = check_health(deps())
        return Response(
            status_code=200 if health.ok else 503,
            content_type=content_types.APPLICATION_JSON,
            body=Health(status="ok" if health.ok else "degraded", table=health.table, storage=health.storage),
        )

    for module in (uploads, tasks, notifications, templates, workflows, objects):
        app.include_router(module.router)
    app.include_router(console.router)
    app.enable_swagger(
        path="/swagger",
        title=TITLE,
        version=VERSION,
        security_schemes={"bearer": HTTPBearer()},
        security=[{"bearer": []}],
    )
    return app


app = build_app()


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Authenticate, then route (the REST-shaped event in, the REST-shaped response out)."""
    try:
        outcome = authenticate(event.get("path") or "/", event.get("headers"), deps().accounts)
    except Exception as exc:
        if not table_unavailable(exc):
            raise
        return unavailable_answer(exc)  # the resolver's handlers answer the same for what it runs
    if isinstance(outcome, dict):
        return outcome
    refused = refuse_bad_path(event) or refuse_bad_body(event)
    if refused is not None:
        return refused
    if outcome is not None:
        app.append_context(account=outcome)  # powertools clears it after resolving
    return app.resolve(event, context)


def openapi_json() -> str:
    return app.get_openapi_json_schema(
        title=TITLE, version=VERSION, security_schemes={"bearer": HTTPBearer()}, security=[{"bearer": []}]
    )
