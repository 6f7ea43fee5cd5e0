"""Bearer-token authentication: every route but the public ones needs a known token."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from shared.api.errors import error_response
from shared.store.accounts import AccountStore

PUBLIC_PREFIXES = ("/healthz", "/swagger")


def auth_middleware(accounts: Callable[[], AccountStore]) -> Callable[..., Response]:
    def middleware(app: APIGatewayRestResolver, next_middleware: Callable[..., Response]) -> Response:
        path = app.current_event.path
        if any(path == p or path.startswith(p + "/") for p in PUBLIC_PREFIXES):
            return next_middleware(app)
        header = app.current_event.get_header_value("Authorization", default_value="",
                                                    case_sensitive=False) or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error_response(401, "AuthFailure.MissingToken",
                                  "send 'Authorization: Bearer <token>'")
        account = accounts().account_for(token.strip())
        if account is None:
            return error_response(401, "AuthFailure.InvalidToken", "the token is not valid")
        app.append_context(account=account)
        return next_middleware(app)

    return middleware
