"""The API 3.0 errors and the one mapper that turns any exception into (code, message).

Actions and checks raise ``MpsError`` with an MPS error code and a message key; errors from the
shared services (``OpenMpsError``) are translated by class here, so a service's bad-input error is
never an ``InternalError``.
"""

from __future__ import annotations

from shared.api.mps.messages import render
from shared.domain.errors import BadInputError, ConflictError, ForbiddenError, NotFoundError, OpenMpsError
from shared.runtime.observability import logger
from shared.store.unavailable import RETRY_AFTER_SECONDS, table_unavailable


class MpsError(Exception):
    def __init__(self, code: str, key: str, **params: object) -> None:
        super().__init__(code)
        self.code, self.key, self.params = code, key, params

    def message(self, language: str) -> str:
        return render(self.key, language, self.params)


def _service_code(exc: OpenMpsError) -> str:
    """The service's own code where it is an API 3.0 code family, else the family of its class."""
    if isinstance(exc, BadInputError):
        return exc.code if exc.code.startswith(("InvalidParameter", "MissingParameter")) else "InvalidParameterValue"
    if isinstance(exc, NotFoundError):
        return exc.code if exc.code.startswith("ResourceNotFound") else "ResourceNotFound"
    if isinstance(exc, ForbiddenError):  # e.g. another account's bucket
        return "AuthFailure.UnauthorizedOperation"
    if isinstance(exc, ConflictError):
        return exc.code if exc.code.startswith(("FailedOperation", "ResourceInUse")) else "FailedOperation"
    return "FailedOperation"


UNAVAILABLE = "ServiceUnavailable"  # API 3.0's common code: 当前服务暂时不可用


def error_of(exc: Exception, language: str, request_id: str) -> tuple[str, str]:
    if isinstance(exc, MpsError):
        return exc.code, exc.message(language)
    if table_unavailable(exc):
        logger.warning("api3: table unavailable", extra={"request_id": request_id, "error": repr(exc)[:300]})
        return UNAVAILABLE, render("unavailable", language, {"seconds": RETRY_AFTER_SECONDS})
    if isinstance(exc, OpenMpsError) and not exc.code.startswith("InternalError"):
        return _service_code(exc), exc.message  # service messages exist in English only
    logger.exception("unhandled error in an API 3.0 action", extra={"request_id": request_id})
    return "InternalError", render("internal", language, {"request_id": request_id})
