"""The REST API: a powertools resolver with one router per resource."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from shared.api.auth import auth_middleware
from shared.api.deps import deps
from shared.api.errors import register_error_handlers
from shared.api.routes import tasks, uploads
from shared.api.schemas import Health

TITLE = "openmps"
VERSION = "1.0.0"


def build_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    app.use(middlewares=[auth_middleware(lambda: deps().accounts)])
    register_error_handlers(app)

    @app.get("/healthz", summary="Liveness", tags=["health"])
    def healthz() -> Health:
        return Health(status="ok")

    app.include_router(uploads.router)
    app.include_router(tasks.router)
    app.enable_swagger(path="/swagger", title=TITLE, version=VERSION,
                       security_schemes={"bearer": HTTPBearer()}, security=[{"bearer": []}])
    return app


app = build_app()


def openapi_json() -> str:
    return app.get_openapi_json_schema(title=TITLE, version=VERSION,
                                       security_schemes={"bearer": HTTPBearer()}, security=[{"bearer": []}])
